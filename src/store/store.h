/* One interface to the database, two backends (SQLite, PostgreSQL). The vtable is deliberately
 * small — run a statement, walk its rows, transactions — so a backend is a thin driver and every
 * query is written once, in SQL both dialects accept. Parameters are written ?1, ?2, ... (the
 * PostgreSQL driver turns them into $1, $2). Times are int64 milliseconds, booleans 0/1 integers,
 * JSON documents TEXT.
 *
 * A struct store is one connection: use it from one thread at a time. */
#ifndef PD_STORE_STORE_H
#define PD_STORE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

enum store_rc {
    STORE_DONE = 0, /* no (more) rows */
    STORE_ROW = 1,
    STORE_ERROR = -1,
    STORE_CONSTRAINT = -2, /* a unique or foreign key constraint refused the write */
};

enum db_type { DB_NULL = 0, DB_INT, DB_TEXT };

struct db_val {
    enum db_type type;
    int64_t i;
    const char *s;
    /* For a NULL: the type PostgreSQL is told the parameter has. DB_TEXT (from db_text(NULL)) so
     * `?3 IS NULL OR col = ?3` type-checks; DB_NULL (db_null()) leaves it to the server, which
     * works where the statement gives the parameter a type (INSERT ... VALUES, `col = ?3`) but
     * not where its first use is `?3 IS NULL`: for a BIGINT column write
     * `CAST(?3 AS BIGINT) IS NULL OR col = ?3` (both dialects accept it). */
    enum db_type null_as;
};

static inline struct db_val db_int(int64_t i)
{
    return (struct db_val){.type = DB_INT, .i = i};
}
/* NULL strings bind as SQL NULL (of type text). */
static inline struct db_val db_text(const char *s)
{
    return (struct db_val){.type = s ? DB_TEXT : DB_NULL, .s = s, .null_as = DB_TEXT};
}
static inline struct db_val db_null(void)
{
    return (struct db_val){.type = DB_NULL, .null_as = DB_NULL};
}

/* The most parameters of one statement: enough for a multi-row INSERT of a click batch. */
#define STORE_MAX_PARAMS 1024

struct store;

#define STORE_HELD_LOCKS 64

struct store_cursor {
    struct store *store;
    void *impl;      /* backend statement / result */
    int row;         /* backend row index */
    int64_t changes; /* rows changed by an INSERT/UPDATE/DELETE, known once the cursor is done */
};

struct store_ops {
    const char *name;
    void (*close)(struct store *s);
    /* Several statements with no parameters and no rows (migrations). */
    int (*exec_script)(struct store *s, const char *sql, struct pd_err *err);
    /* Prepares (cached by the sql pointer, so pass string literals) and runs a statement. */
    int (*query)(struct store *s, const char *sql, const struct db_val *params, int nparams,
                 struct store_cursor *cur, struct pd_err *err);
    /* Optional (else query): a statement whose rows and change count nobody reads (store_write). */
    int (*write)(struct store *s, const char *sql, const struct db_val *params, int nparams,
                 struct pd_err *err);
    int (*step)(struct store_cursor *cur, struct pd_err *err);
    bool (*is_null)(struct store_cursor *cur, int col);
    int64_t (*col_int)(struct store_cursor *cur, int col);
    /* Valid until the next step or finish; "" for NULL. */
    const char *(*col_text)(struct store_cursor *cur, int col);
    void (*finish)(struct store_cursor *cur);
};

enum store_dialect { STORE_SQLITE = 0, STORE_POSTGRES };

struct store {
    const struct store_ops *ops;
    enum store_dialect dialect;
    int tx_depth; /* 0 outside a transaction; savepoints nest above 1 */
    /* Rows of links, partners, programs or api_keys this connection inserted, updated or deleted
     * (what the link cache and the API key cache hold), counted when counts_link_changes; the
     * writer compares it around a batch to know when to invalidate those caches. Backends that
     * cannot tell leave it false. */
    bool counts_link_changes;
    uint64_t link_changes;
    /* SQLite: a statement on this connection failed with an I/O error, so what it wrote may be
     * half on disk and a failed flush may hide behind it (SQLite may also have rolled the open
     * transaction back). The writer ends the process when it sees it (src/store/flush.h). */
    bool io_error;
    /* PostgreSQL: the current job met a lock it must not wait for (store_lock with locks_try_only
     * set, held by another node's transaction), or the server ended a statement with a deadlock or
     * a serialization failure. What the job wrote cannot stand, but nothing was wrong with it: the
     * writer undoes it and runs it again in a later batch. Cleared by the writer before each job.
     */
    bool retry;
    /* Set by the writer while its transaction already holds locks of earlier jobs: store_lock
     * then only tries (waiting while holding them could close a circle with another node, which
     * PostgreSQL breaks only after deadlock_timeout). Clear (the default): store_lock waits. */
    bool locks_try_only;
    /* PostgreSQL: store_lock's keys this transaction holds, so that taking one again (the same
     * partner's next sale in a batch) costs no round trip. Forgotten when the transaction ends
     * and whenever a savepoint is rolled back (which may release some). */
    int held_locks;
    uint64_t held[STORE_HELD_LOCKS];
    /* Set by the writer for a job that may defer its totals (store/totals.h), which the job may
     * clear for itself; then the totals it changes wait in `totals` for the batch to write them. */
    bool defer_totals;
    /* Set by a job that must see every total written (it reads one) while some still wait: the
     * writer undoes the job, writes the totals and runs it again. */
    bool totals_first;
    struct store_totals *totals;
};

/* The deferred totals (store/totals.h) follow the transaction: a savepoint opened at depth,
 * released or rolled back to depth; freed with the connection. */
void store_totals_savepoint(struct store *s, int depth);
void store_totals_release(struct store *s, int depth);
void store_totals_rollback(struct store *s, int depth);
void store_totals_free(struct store *s);

/* Opens "sqlite:PATH" (or a bare path) or "postgres://..." / "postgresql://...". read_only: a
 * connection that never writes (the worker threads' reads). */
struct store *store_open(const char *url, bool read_only, struct pd_err *err);
/* As store_open, but a SQLite database file that does not exist is an error (PD_ERR_NOT_FOUND)
 * instead of a new empty file: every command but `init` works on an existing database. */
struct store *store_open_existing(const char *url, bool read_only, struct pd_err *err);
void store_close(struct store *s);

static inline int store_query(struct store *s, const char *sql, const struct db_val *params, int n,
                              struct store_cursor *cur, struct pd_err *err)
{
    return s->ops->query(s, sql, params, n, cur, err);
}
static inline int store_step(struct store_cursor *cur, struct pd_err *err)
{
    return cur->store->ops->step(cur, err);
}
static inline void store_finish(struct store_cursor *cur)
{
    cur->store->ops->finish(cur);
}
static inline int64_t store_col_int(struct store_cursor *cur, int col)
{
    return cur->store->ops->col_int(cur, col);
}
/* An integer column read exactly: false (out untouched) when it is NULL or not an integer that
 * fits in int64, such as a SUM beyond int64 (PostgreSQL's numeric, SQLite's approximate REAL).
 * SUM of integers never fails in either dialect: PostgreSQL's SUM(bigint) is numeric, and every
 * SQLite connection's sum() accumulates in 128 bits (store_sqlite.c). */
bool store_col_int_exact(struct store_cursor *cur, int col, int64_t *out);
static inline const char *store_col_text(struct store_cursor *cur, int col)
{
    return cur->store->ops->col_text(cur, col);
}
static inline bool store_is_null(struct store_cursor *cur, int col)
{
    return cur->store->ops->is_null(cur, col);
}

/* Runs a statement that returns no rows. *changes (optional) gets the affected row count.
 * Returns 0, STORE_CONSTRAINT, or STORE_ERROR (err filled). */
int store_exec(struct store *s, const char *sql, const struct db_val *params, int n,
               int64_t *changes, struct pd_err *err);
/* A write whose rows and change count the caller does not need. SQLite runs it as store_exec.
 * PostgreSQL, inside a transaction, may send it without waiting for its answer (pipeline mode):
 * its failure is then returned by the next statement of this connection that is answered, or by
 * store_commit, which do not run. So a job that writes this way fails within itself, and its
 * savepoint undoes it, as if the write had failed at once; only the error moves. Never for a
 * write whose STORE_CONSTRAINT the caller handles. */
int store_write(struct store *s, const char *sql, const struct db_val *params, int n,
                struct pd_err *err);
/* Runs a query expected to return at most one row, leaving the cursor on it: STORE_ROW (caller
 * must store_finish), STORE_DONE (finished already) or an error (finished already). */
int store_query_row(struct store *s, const char *sql, const struct db_val *params, int n,
                    struct store_cursor *cur, struct pd_err *err);
/* A single integer from a one-row query; `fallback` when there is no row or it is NULL. */
int store_query_int(struct store *s, const char *sql, const struct db_val *params, int n,
                    int64_t fallback, int64_t *out, struct pd_err *err);

/* Transactions; nested calls become savepoints. */
int store_begin(struct store *s, struct pd_err *err);
int store_commit(struct store *s, struct pd_err *err);
void store_rollback(struct store *s);

/* The write lock of one thing (kind, a, b: e.g. "order", program id, order id), held until the
 * transaction ends. SQLite: nothing to do (one write transaction at a time). PostgreSQL: a
 * transaction advisory lock on a 64-bit hash of the three, sent as store_write sends (so the
 * lock, like its failure, may be known only at the job's next answered statement); with
 * locks_try_only and the lock held by another transaction, sets retry and fails there
 * (PD_ERR_UNAVAILABLE). What each lock protects:
 * docs/architecture.md, "The path of a conversion". Take it before reading what the write depends
 * on: under READ COMMITTED every statement after it sees what the previous holder committed. */
int store_lock(struct store *s, const char *kind, const char *a, const char *b, struct pd_err *err);

/* Applies every migration not yet applied (schema_migrations). Returns the number applied, or -1.
 */
int store_migrate(struct store *s, struct pd_err *err);
/* Schema version: the count of applied migrations, or -1 when the schema is missing. */
int store_schema_version(struct store *s);

/* Backends. */
struct store *store_sqlite_open(const char *path, bool read_only, struct pd_err *err);
/* create: make the file when it does not exist (a read-only open never creates). */
struct store *store_sqlite_open_mode(const char *path, bool read_only, bool create,
                                     struct pd_err *err);
/* For the group-commit writer: when this SQLite connection was opened with synchronous=FULL,
 * turns its commits into synchronous=NORMAL ones (written to the WAL, not yet fsynced) and returns
 * a descriptor of the WAL file, which the caller must fdatasync before it acknowledges anything
 * committed so far (then closes). -1 when not applicable (PostgreSQL, synchronous=normal, not in
 * WAL mode): commits stay as they are. */
int store_sqlite_defer_wal_sync(struct store *s);
/* A SQLite connection's database file and whether it was opened with synchronous=FULL; NULL for
 * another backend. */
const char *store_sqlite_path(const struct store *s, bool *full_sync);
struct store *store_pg_open(const char *conninfo, bool read_only, struct pd_err *err);

#endif
