/* The SQLite backend: WAL mode, synchronous=FULL (a COMMIT is on disk when it returns), prepared
 * statements cached by their SQL text. */
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "util/banned.h"

#define STMT_CACHE_SLOTS 512 /* power of two; more distinct statements than this are not cached */

#define PTR_CACHE_SLOTS 1024 /* power of two */

struct stmt_slot;

struct sqlite_cursor {
    sqlite3_stmt *stmt;
    struct stmt_slot *slot; /* NULL when the statement is not cached and must be finalized */
};

struct stmt_slot {
    char *sql;
    sqlite3_stmt *stmt;
    bool in_use;
    struct sqlite_cursor cursor; /* the cursor while in use: no allocation per query */
};

struct store_sqlite {
    struct store base; /* first: a struct store * is a struct store_sqlite * */
    sqlite3 *db;
    char path[1024];
    bool full_sync; /* synchronous=FULL was asked for */
    int cached;
    struct stmt_slot slots[STMT_CACHE_SLOTS];
    /* Callers pass string literals, so the SQL's address finds its slot without hashing the
     * text (a hit is still confirmed with strcmp). */
    const char *ptr_key[PTR_CACHE_SLOTS];
    struct stmt_slot *ptr_slot[PTR_CACHE_SLOTS];
};

static uint64_t hash_sql(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int sqlite_error(struct store_sqlite *s, int rc, struct pd_err *err)
{
    int primary = rc & 0xff;
    if (primary == SQLITE_IOERR)
        s->base.io_error = true;
    if (primary == SQLITE_CONSTRAINT) {
        pd_err_set(err, PD_ERR_CONFLICT, NULL, "constraint: %s", sqlite3_errmsg(s->db));
        return STORE_CONSTRAINT;
    }
    pd_err_set(err, primary == SQLITE_BUSY ? PD_ERR_UNAVAILABLE : PD_ERR_INTERNAL, NULL,
               "sqlite: %s", sqlite3_errmsg(s->db));
    return STORE_ERROR;
}

static void sqlite_close(struct store *base)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    for (int i = 0; i < STMT_CACHE_SLOTS; i++) {
        if (s->slots[i].sql) {
            sqlite3_finalize(s->slots[i].stmt);
            free(s->slots[i].sql);
        }
    }
    sqlite3_close(s->db);
    free(s);
}

static int sqlite_exec_script(struct store *base, const char *sql, struct pd_err *err)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        if ((rc & 0xff) == SQLITE_IOERR)
            base->io_error = true;
        pd_err_set(err, PD_ERR_INTERNAL, NULL, "sqlite: %s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return STORE_ERROR;
    }
    return 0;
}

static size_t ptr_index(const char *sql)
{
    uint64_t p = (uint64_t)(uintptr_t)sql;
    return (size_t)((p * 0x9e3779b97f4a7c15ULL) >> 54) & (PTR_CACHE_SLOTS - 1);
}

static struct stmt_slot *find_slot(struct store_sqlite *s, const char *sql, bool *found)
{
    size_t pi = ptr_index(sql);
    if (s->ptr_key[pi] == sql && strcmp(s->ptr_slot[pi]->sql, sql) == 0) {
        *found = true;
        return s->ptr_slot[pi];
    }
    uint64_t h = hash_sql(sql);
    for (int probe = 0; probe < STMT_CACHE_SLOTS; probe++) {
        struct stmt_slot *slot = &s->slots[(h + (uint64_t)probe) & (STMT_CACHE_SLOTS - 1)];
        if (!slot->sql) {
            *found = false;
            return slot;
        }
        if (strcmp(slot->sql, sql) == 0) {
            *found = true;
            s->ptr_key[pi] = sql;
            s->ptr_slot[pi] = slot;
            return slot;
        }
    }
    *found = false;
    return NULL;
}

static int sqlite_query(struct store *base, const char *sql, const struct db_val *params,
                        int nparams, struct store_cursor *cur, struct pd_err *err)
{
    struct store_sqlite *s = (struct store_sqlite *)base;
    struct sqlite_cursor *c;
    bool found = false;
    struct stmt_slot *slot = find_slot(s, sql, &found);
    int rc;
    if (found && !slot->in_use) {
        c = &slot->cursor;
        c->stmt = slot->stmt;
        c->slot = slot;
        slot->in_use = true;
    } else {
        sqlite3_stmt *stmt;
        rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
        if (rc != SQLITE_OK)
            return sqlite_error(s, rc, err);
        /* Keep it when there is room (3/4 full at most, so probing stays short). */
        if (!found && slot && s->cached < STMT_CACHE_SLOTS * 3 / 4) {
            slot->sql = strdup(sql);
            if (!slot->sql)
                abort();
            slot->stmt = stmt;
            slot->in_use = true;
            c = &slot->cursor;
            c->stmt = stmt;
            c->slot = slot;
            s->cached++;
            size_t pi = ptr_index(sql);
            s->ptr_key[pi] = sql;
            s->ptr_slot[pi] = slot;
        } else {
            /* Not cached (cache full, or this statement is already running): its own cursor. */
            c = calloc(1, sizeof *c);
            if (!c)
                abort();
            c->stmt = stmt;
        }
    }
    for (int i = 0; i < nparams; i++) {
        switch (params[i].type) {
        case DB_INT:
            rc = sqlite3_bind_int64(c->stmt, i + 1, params[i].i);
            break;
        case DB_TEXT:
            rc = sqlite3_bind_text(c->stmt, i + 1, params[i].s, -1, SQLITE_STATIC);
            break;
        default:
            rc = sqlite3_bind_null(c->stmt, i + 1);
            break;
        }
        if (rc != SQLITE_OK) {
            cur->store = base;
            cur->impl = c;
            rc = sqlite_error(s, rc, err);
            base->ops->finish(cur);
            return rc;
        }
    }
    cur->store = base;
    cur->impl = c;
    cur->row = 0;
    cur->changes = 0;
    return 0;
}

static int sqlite_step(struct store_cursor *cur, struct pd_err *err)
{
    struct store_sqlite *s = (struct store_sqlite *)cur->store;
    struct sqlite_cursor *c = cur->impl;
    int rc = sqlite3_step(c->stmt);
    if (rc == SQLITE_ROW) {
        cur->row++;
        return STORE_ROW;
    }
    if (rc == SQLITE_DONE) {
        cur->changes = sqlite3_stmt_readonly(c->stmt) ? 0 : sqlite3_changes64(s->db);
        return STORE_DONE;
    }
    return sqlite_error(s, rc, err);
}

static bool sqlite_is_null(struct store_cursor *cur, int col)
{
    struct sqlite_cursor *c = cur->impl;
    return sqlite3_column_type(c->stmt, col) == SQLITE_NULL;
}

static int64_t sqlite_col_int(struct store_cursor *cur, int col)
{
    struct sqlite_cursor *c = cur->impl;
    return sqlite3_column_int64(c->stmt, col);
}

static const char *sqlite_col_text(struct store_cursor *cur, int col)
{
    struct sqlite_cursor *c = cur->impl;
    const unsigned char *t = sqlite3_column_text(c->stmt, col);
    return t ? (const char *)t : "";
}

static void sqlite_finish(struct store_cursor *cur)
{
    struct sqlite_cursor *c = cur->impl;
    if (!c)
        return;
    if (c->slot) {
        sqlite3_reset(c->stmt);
        sqlite3_clear_bindings(c->stmt);
        c->slot->in_use = false;
    } else {
        sqlite3_finalize(c->stmt);
        free(c);
    }
    cur->impl = NULL;
}

static const struct store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sqlite_close,
    .exec_script = sqlite_exec_script,
    .query = sqlite_query,
    .step = sqlite_step,
    .is_null = sqlite_is_null,
    .col_int = sqlite_col_int,
    .col_text = sqlite_col_text,
    .finish = sqlite_finish,
};

/* Called by SQLite for every row a statement of this connection changes. */
static void count_cached_changes(void *arg, int op, const char *db, const char *table,
                                 sqlite3_int64 rowid)
{
    struct store_sqlite *s = arg;
    if (strcmp(table, "links") == 0 || strcmp(table, "partners") == 0 ||
        strcmp(table, "programs") == 0 || strcmp(table, "api_keys") == 0)
        s->base.link_changes++;
}

/* "PATH" or "PATH?synchronous=full|normal". FULL (the default) fsyncs the WAL at every commit, so
 * an acknowledged write survives a power cut; NORMAL leaves the WAL in the OS page cache at commit,
 * which survives kill -9 of partnerd but not a crash of the machine. */
static int parse_options(const char *url, char *path, size_t pathlen, const char **sync,
                         struct pd_err *err)
{
    const char *q = strchr(url, '?');
    size_t n = q ? (size_t)(q - url) : strlen(url);
    if (n == 0 || n >= pathlen)
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "db", "bad database path");
    memcpy(path, url, n);
    path[n] = '\0';
    *sync = "FULL";
    while (q && *q) {
        q++;
        const char *end = strchr(q, '&');
        size_t len = end ? (size_t)(end - q) : strlen(q);
        if (len == strlen("synchronous=normal") && strncmp(q, "synchronous=normal", len) == 0)
            *sync = "NORMAL";
        else if (len == strlen("synchronous=full") && strncmp(q, "synchronous=full", len) == 0)
            *sync = "FULL";
        else
            return pd_err_set(err, PD_ERR_BAD_REQUEST, "db",
                              "unknown database option %.*s (known: synchronous=full|normal)",
                              (int)len, q);
        q = end;
    }
    return 0;
}

/* SQLite keeps memory statistics by default, under one process-wide mutex taken by every
 * allocation, so the writer and the workers' read connections would contend on it for statistics
 * partnerd never reads. sqlite3_config works only
 * before SQLite initialises, which the first open does. */
static pthread_once_t configure_once = PTHREAD_ONCE_INIT;

static void configure_sqlite(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* sum() with a 128-bit accumulator in place of SQLite's own, which fails the whole statement
 * with "integer overflow" once a partial sum leaves int64 (one bad row then breaks every report,
 * `partnerd check` and `partnerd backup`). Integers sum exactly whatever their order; a total
 * beyond int64 comes back as an approximate REAL (as the built-in total() would), which
 * store_col_int_exact refuses to read as a number. Any REAL or text input makes the sum REAL, as
 * the built-in sum() does. PostgreSQL's SUM(bigint) is already exact (numeric). */
struct exact_sum {
    unsigned char isum[sizeof(__int128)]; /* SQLite's aggregate memory is only 8-byte aligned */
    double rsum;
    bool any, approx;
};

static void exact_sum_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    struct exact_sum *p = sqlite3_aggregate_context(ctx, sizeof *p);
    int type = sqlite3_value_numeric_type(argv[0]);
    if (!p || type == SQLITE_NULL)
        return;
    p->any = true;
    if (type == SQLITE_INTEGER) {
        __int128 sum;
        memcpy(&sum, p->isum, sizeof sum);
        sum += sqlite3_value_int64(argv[0]); /* 2^64 rows of int64 fit in 128 bits */
        memcpy(p->isum, &sum, sizeof sum);
    } else {
        p->approx = true;
        p->rsum += sqlite3_value_double(argv[0]);
    }
}

static void exact_sum_final(sqlite3_context *ctx)
{
    struct exact_sum *p = sqlite3_aggregate_context(ctx, 0);
    if (!p || !p->any) {
        sqlite3_result_null(ctx);
        return;
    }
    __int128 sum;
    memcpy(&sum, p->isum, sizeof sum);
    if (!p->approx && sum >= INT64_MIN && sum <= INT64_MAX)
        sqlite3_result_int64(ctx, (int64_t)sum);
    else
        sqlite3_result_double(ctx, (double)sum + p->rsum);
}

struct store *store_sqlite_open(const char *url, bool read_only, struct pd_err *err)
{
    return store_sqlite_open_mode(url, read_only, !read_only, err);
}

struct store *store_sqlite_open_mode(const char *url, bool read_only, bool create,
                                     struct pd_err *err)
{
    pthread_once(&configure_once, configure_sqlite);
    char path[1024];
    const char *sync = "FULL";
    if (parse_options(url, path, sizeof path, &sync, err) < 0)
        return NULL;
    if (!create && access(path, F_OK) != 0) {
        pd_err_set(err, PD_ERR_NOT_FOUND, "db",
                   "the database %s does not exist; create it with `partnerd init`", path);
        return NULL;
    }
    struct store_sqlite *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    s->base.ops = &sqlite_ops;
    s->base.dialect = STORE_SQLITE;
    memcpy(s->path, path, sizeof s->path);
    s->full_sync = strcmp(sync, "FULL") == 0;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path, &s->db, flags, NULL);
    if (rc != SQLITE_OK) {
        pd_err_set(err, PD_ERR_INTERNAL, "db", "cannot open %s: %s", path,
                   s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 5000);
    rc = sqlite3_create_function_v2(s->db, "sum", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                    NULL, exact_sum_step, exact_sum_final, NULL);
    if (rc != SQLITE_OK) {
        pd_err_set(err, PD_ERR_INTERNAL, "db", "cannot register sum(): %s", sqlite3_errstr(rc));
        goto fail;
    }
    /* WAL lets the workers read while the writer writes; FULL makes every COMMIT durable on disk
     * before it returns (a 302 or a 201 promises the record survives even a power cut). */
    char pragmas[256];
    if (read_only)
        snprintf(pragmas, sizeof pragmas, "PRAGMA foreign_keys=ON; PRAGMA query_only=1;");
    else
        snprintf(pragmas, sizeof pragmas,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;"
                 " PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;",
                 sync);
    if (sqlite_exec_script(&s->base, pragmas, err) < 0)
        goto fail;
    if (!read_only) {
        s->base.counts_link_changes = true;
        sqlite3_update_hook(s->db, count_cached_changes, s);
    }
    return &s->base;
fail:
    if (s->db)
        sqlite3_close(s->db);
    free(s);
    return NULL;
}

int store_sqlite_defer_wal_sync(struct store *base)
{
    if (base->dialect != STORE_SQLITE)
        return -1;
    struct store_sqlite *s = (struct store_sqlite *)base;
    if (!s->full_sync)
        return -1; /* synchronous=normal: no fsync at all was asked for */
    struct pd_err err;
    /* The log exists once the connection has read the database in WAL mode. */
    int64_t mode_is_wal = 0;
    if (store_query_int(base, "SELECT COUNT(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'",
                        NULL, 0, 0, &mode_is_wal, &err) < 0 ||
        !mode_is_wal)
        return -1;
    char wal[sizeof s->path + 8];
    snprintf(wal, sizeof wal, "%s-wal", s->path);
    int fd = open(wal, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (sqlite_exec_script(base, "PRAGMA synchronous = NORMAL", &err) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

const char *store_sqlite_path(const struct store *base, bool *full_sync)
{
    if (base->dialect != STORE_SQLITE)
        return NULL;
    const struct store_sqlite *s = (const struct store_sqlite *)base;
    *full_sync = s->full_sync;
    return s->path;
}
