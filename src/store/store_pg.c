/* The PostgreSQL backend (libpq), so several `partnerd serve` nodes can share one database.
 *
 * Statements are written once for both dialects with ?1, ?2 parameters; the first time a statement
 * runs on a connection its text is rewritten to $1, $2 and prepared under a generated name
 * (PQprepare) with explicit parameter types — int64 as int8, text (and db_text(NULL)) as text,
 * db_null() left for the server to infer — so `?3 IS NULL OR col = ?3` type-checks. The cache is
 * keyed by the SQL text and the parameter type signature. Results are fetched whole (text format),
 * so a caller may run another statement while a cursor is open, as it can with SQLite.
 *
 * Lost connections: the statement that finds the connection gone fails (PD_ERR_UNAVAILABLE) and
 * nothing is retried. The next statement issued outside a transaction reconnects first (and
 * prepares its statements again); inside a transaction every statement fails until the caller has
 * rolled back to depth 0, so the writes of a broken transaction are never half-replayed in
 * autocommit on a new connection. */
#include <errno.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/banned.h"

#define PG_STMT_CACHE_SLOTS                                                                        \
    512 /* power of two; more distinct statements than this are not cached */

/* Parameter type OIDs (pg_type.h is not part of libpq's public headers). */
#define PG_INT8OID 20
#define PG_TEXTOID 25

/* A cached statement is prepared again after PG_REPLAN_FIRST runs, then after twice as many each
 * time up to every PG_REPLAN_MAX runs. The server keeps the plan it made when the statement was
 * prepared: made on a new database's empty tables, that plan may scan a whole program where a
 * unique index finds one row, and only DDL or an ANALYZE would replace it. */
#define PG_REPLAN_FIRST 64u
#define PG_REPLAN_MAX 65536u

/* The most statements pg_write leaves unanswered before it waits for them: their results wait in
 * the server's send buffer meanwhile. */
#define PG_PIPELINE_MAX 64

struct pg_stmt {
    char *sql;     /* the caller's text (?N parameters) */
    char *sig;     /* per parameter: 'i' int8, 't' text, NULL as 'I' int8, 'T' text or 'n'
                    * (inferred by the server) */
    char name[24]; /* the prepared statement's name on this connection */
    uint32_t uses, replan_at; /* runs since it was prepared; when it is prepared again */
};

/* A statement's parameters as libpq takes them: on the stack up to SMALL_PARAMS (most
 * statements), on the heap beyond (a click batch's multi-row INSERT). */
#define SMALL_PARAMS 32
struct pg_params {
    char *sig;
    Oid *types;
    const char **values;
    char (*ints)[24];
    char sig_small[SMALL_PARAMS + 1];
    Oid types_small[SMALL_PARAMS];
    const char *values_small[SMALL_PARAMS];
    char ints_small[SMALL_PARAMS][24];
};

struct store_pg {
    struct store base; /* first: a struct store * is a struct store_pg * */
    PGconn *conn;
    bool read_only;
    unsigned next_name; /* counter for prepared statement names */
    int cached;
    /* Pipeline mode: `pending` statements sent by pg_write whose results are not read yet. */
    bool piped;
    int pending;
    /* The first pending statement releases the previous job's savepoint. Should it fail, that
     * job's writes may be undone by the next job's rollback after the job was reported kept:
     * `poisoned` then makes the transaction's COMMIT a rollback that fails. */
    bool release_first, poisoned;
    struct pg_stmt slots[PG_STMT_CACHE_SLOTS];
};

static uint64_t hash_stmt(const char *sql, const char *sig)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const char *p = sql; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h = (h ^ 0xffu) * 1099511628211ULL;
    for (const char *p = sig; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h;
}

/* ?N → $N outside string literals, quoted identifiers and comments. A bare ? gets the next
 * number. Returns a malloc'd string. */
static char *rewrite_params(const char *sql)
{
    size_t len = strlen(sql);
    char *out = malloc(len * 4 + 16); /* a bare '?' becomes at most "$NNN" */
    if (!out)
        abort();
    size_t o = 0;
    int anon = 0;
    const char *p = sql;
    while (*p) {
        if (*p == '\'' || *p == '"') {
            char q = *p;
            out[o++] = *p++;
            while (*p) {
                if (*p == q && p[1] == q) { /* doubled quote: an escaped one */
                    out[o++] = *p++;
                    out[o++] = *p++;
                    continue;
                }
                if (*p == q) {
                    out[o++] = *p++;
                    break;
                }
                out[o++] = *p++;
            }
        } else if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                out[o++] = *p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            size_t n = end ? (size_t)(end + 2 - p) : strlen(p);
            memcpy(out + o, p, n);
            o += n;
            p += n;
        } else if (*p == '?') {
            p++;
            out[o++] = '$';
            if (*p >= '0' && *p <= '9') {
                while (*p >= '0' && *p <= '9')
                    out[o++] = *p++;
            } else if (anon < 999) {
                o += (size_t)snprintf(out + o, 4, "%d", ++anon);
            }
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    return out;
}

/* The first line of a libpq message, without the "ERROR:  " prefix noise. */
static void first_line(char *dst, size_t n, const char *msg)
{
    if (!msg || !*msg)
        msg = "unknown error";
    size_t len = strcspn(msg, "\n");
    if (len >= n)
        len = n - 1;
    memcpy(dst, msg, len);
    dst[len] = '\0';
}

static bool sqlstate_unavailable(const char *state)
{
    /* 08: connection exception; 40: transaction rollback (serialization failure, deadlock);
     * 53: insufficient resources; 57P: operator intervention (shutdown, terminated). */
    return strncmp(state, "08", 2) == 0 || strncmp(state, "40", 2) == 0 ||
           strncmp(state, "53", 2) == 0 || strncmp(state, "57P", 3) == 0;
}

/* Maps a failed result (or NULL: the client library failed) to STORE_CONSTRAINT / STORE_ERROR. */
static int pg_error(struct store_pg *s, const PGresult *res, struct pd_err *err)
{
    char msg[200];
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    first_line(msg, sizeof msg, primary ? primary : PQerrorMessage(s->conn));
    if (state && strncmp(state, "23", 2) == 0) {
        /* Integrity constraint violation: unique (23505), foreign key (23503), not null, check
         * — every kind SQLite reports as SQLITE_CONSTRAINT. */
        pd_err_set(err, PD_ERR_CONFLICT, NULL, "constraint: %s", msg);
        return STORE_CONSTRAINT;
    }
    if (PQstatus(s->conn) == CONNECTION_BAD) {
        pd_err_set(err, PD_ERR_UNAVAILABLE, NULL, "postgres: connection lost: %s", msg);
        return STORE_ERROR;
    }
    /* A deadlock (40P01), a serialization failure (40001) or a lock store_lock must not wait for
     * (55P03, pd_try_xact_lock): nothing was wrong with the write, only its timing; the writer
     * runs the job again (store.h, retry). */
    bool timing = state && (strcmp(state, "40P01") == 0 || strcmp(state, "40001") == 0 ||
                            strcmp(state, "55P03") == 0);
    if (timing)
        s->base.retry = true;
    pd_err_set(err,
               state && (timing || sqlstate_unavailable(state)) ? PD_ERR_UNAVAILABLE
                                                                : PD_ERR_INTERNAL,
               NULL, "postgres: %s%s%s", msg, state ? " sqlstate=" : "", state ? state : "");
    return STORE_ERROR;
}

static void cache_clear(struct store_pg *s)
{
    for (int i = 0; i < PG_STMT_CACHE_SLOTS; i++) {
        free(s->slots[i].sql);
        free(s->slots[i].sig);
        s->slots[i].sql = s->slots[i].sig = NULL;
    }
    s->cached = 0;
}

static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Settings every new (or re-established) session gets. */
static int session_setup(struct store_pg *s, struct pd_err *err)
{
    PQsetNoticeProcessor(s->conn, ignore_notice, NULL);
    const char *sql = s->read_only ? "SET client_min_messages = warning;"
                                     " SET default_transaction_read_only = on"
                                   : "SET client_min_messages = warning";
    PGresult *res = PQexec(s->conn, sql);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = pg_error(s, res, err);
    PQclear(res);
    return rc;
}

/* Before a statement: a lost connection is re-established only outside a transaction. */
static int ensure_connected(struct store_pg *s, struct pd_err *err)
{
    if (PQstatus(s->conn) == CONNECTION_OK)
        return 0;
    if (s->base.tx_depth > 0)
        return pd_err_set(err, PD_ERR_UNAVAILABLE, NULL,
                          "postgres: connection lost inside a transaction");
    cache_clear(s);
    s->piped = s->release_first = s->poisoned = false;
    s->pending = 0;
    PQreset(s->conn);
    if (PQstatus(s->conn) != CONNECTION_OK) {
        char msg[200];
        first_line(msg, sizeof msg, PQerrorMessage(s->conn));
        return pd_err_set(err, PD_ERR_UNAVAILABLE, NULL, "postgres: cannot reconnect: %s", msg);
    }
    fprintf(stderr, "level=warn msg=\"postgres: reconnected\"\n");
    return session_setup(s, err) < 0 ? STORE_ERROR : 0;
}

static void pg_close(struct store *base)
{
    struct store_pg *s = (struct store_pg *)base;
    cache_clear(s);
    PQfinish(s->conn);
    free(s);
}

/* Ends pipeline mode: sends the prepared statement `name` (when not NULL) after the pending
 * ones, then a sync, and reads every result. Returns the first failure of a pending statement
 * (err set; the server then skipped the rest, `name` included), else 0 with *res the result of
 * `name` for the caller to check (NULL without `name`). */
static int pipeline_end(struct store_pg *s, const char *name, const struct pg_params *pp,
                        int nparams, PGresult **res, struct pd_err *err)
{
    int rc = 0, n = s->pending;
    bool release_first = s->release_first;
    s->release_first = false;
    *res = NULL;
    if (name && PQsendQueryPrepared(s->conn, name, nparams, pp->values, NULL, NULL, 0))
        n++;
    else if (name)
        rc = pg_error(s, NULL, err);
    s->pending = 0;
    s->piped = false;
    if (!PQpipelineSync(s->conn))
        return rc ? rc : pg_error(s, NULL, err);
    for (int i = 0; i < n; i++) {
        PGresult *r = PQgetResult(s->conn);
        if (!r)
            return rc ? rc : pg_error(s, NULL, err); /* the connection is gone */
        ExecStatusType st = PQresultStatus(r);
        if (i == n - 1 && name && rc == 0) {
            *res = r;
        } else {
            if (rc == 0 && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
                rc = pg_error(s, r, err);
                s->poisoned |= i == 0 && release_first;
            }
            PQclear(r);
        }
        PQclear(PQgetResult(s->conn)); /* the NULL that ends each statement's results */
    }
    PGresult *sync = PQgetResult(s->conn);
    bool synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
    PQclear(sync);
    if ((!synced || !PQexitPipelineMode(s->conn)) && rc == 0) {
        PQclear(*res);
        *res = NULL;
        rc = pd_err_set(err, PD_ERR_UNAVAILABLE, NULL, "postgres: pipeline out of step: %s",
                        PQerrorMessage(s->conn));
    }
    return rc;
}

/* The pipeline's pending statements, their first failure returned. */
static int pipeline_flush(struct store_pg *s, struct pd_err *err)
{
    PGresult *res;
    return s->piped ? pipeline_end(s, NULL, NULL, 0, &res, err) : 0;
}

static int pg_exec_script(struct store *base, const char *sql, struct pd_err *err)
{
    struct store_pg *s = (struct store_pg *)base;
    if (ensure_connected(s, err) < 0 || pipeline_flush(s, err) < 0)
        return STORE_ERROR;
    PGresult *res = PQexec(s->conn, sql); /* several statements: the simple query protocol */
    ExecStatusType st = PQresultStatus(res);
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
        rc = pg_error(s, res, err) == STORE_CONSTRAINT ? STORE_CONSTRAINT : STORE_ERROR;
    PQclear(res);
    return rc;
}

/* The cache slot for (sql, sig): found, free (not found), or NULL when the table is full. */
static struct pg_stmt *find_slot(struct store_pg *s, const char *sql, const char *sig, bool *found)
{
    uint64_t h = hash_stmt(sql, sig);
    for (int probe = 0; probe < PG_STMT_CACHE_SLOTS; probe++) {
        struct pg_stmt *slot = &s->slots[(h + (uint64_t)probe) & (PG_STMT_CACHE_SLOTS - 1)];
        if (!slot->sql) {
            *found = false;
            return slot;
        }
        if (strcmp(slot->sql, sql) == 0 && strcmp(slot->sig, sig) == 0) {
            *found = true;
            return slot;
        }
    }
    *found = false;
    return NULL;
}

static void params_bind(struct pg_params *pp, const struct db_val *params, int nparams)
{
    if (nparams <= SMALL_PARAMS) {
        pp->sig = pp->sig_small;
        pp->types = pp->types_small;
        pp->values = pp->values_small;
        pp->ints = pp->ints_small;
    } else {
        pp->sig = malloc((size_t)nparams + 1);
        pp->types = malloc((size_t)nparams * sizeof *pp->types);
        pp->values = malloc((size_t)nparams * sizeof *pp->values);
        pp->ints = malloc((size_t)nparams * sizeof *pp->ints);
        if (!pp->sig || !pp->types || !pp->values || !pp->ints)
            abort();
    }
    for (int i = 0; i < nparams; i++) {
        switch (params[i].type) {
        case DB_INT:
            pp->sig[i] = 'i';
            pp->types[i] = PG_INT8OID;
            snprintf(pp->ints[i], sizeof pp->ints[i], "%lld", (long long)params[i].i);
            pp->values[i] = pp->ints[i];
            break;
        case DB_TEXT:
            pp->sig[i] = 't';
            pp->types[i] = PG_TEXTOID;
            pp->values[i] = params[i].s;
            break;
        default:
            if (params[i].null_as == DB_TEXT) {
                pp->sig[i] = 'T';
                pp->types[i] = PG_TEXTOID;
            } else if (params[i].null_as == DB_INT) {
                pp->sig[i] = 'I';
                pp->types[i] = PG_INT8OID;
            } else {
                pp->sig[i] = 'n';
                pp->types[i] = 0; /* let the server infer it from the statement */
            }
            pp->values[i] = NULL;
            break;
        }
    }
    pp->sig[nparams] = '\0';
}

static void params_free(struct pg_params *pp)
{
    if (pp->sig == pp->sig_small)
        return;
    free(pp->sig);
    free(pp->types);
    free(pp->values);
    free(pp->ints);
}

static int run_statement(struct store_pg *s, const char *sql, const struct pg_params *pp,
                         int nparams, struct store_cursor *cur, struct pd_err *err);

/* Binds the parameters (as run_statement needs them) and runs the statement. */
static int pg_query(struct store *base, const char *sql, const struct db_val *params, int nparams,
                    struct store_cursor *cur, struct pd_err *err)
{
    struct store_pg *s = (struct store_pg *)base;
    cur->store = base;
    cur->impl = NULL;
    cur->row = 0;
    cur->changes = 0;
    if (nparams < 0 || nparams > STORE_MAX_PARAMS)
        return pd_err_set(err, PD_ERR_INTERNAL, NULL, "too many statement parameters (%d)",
                          nparams);
    if (ensure_connected(s, err) < 0)
        return STORE_ERROR;

    struct pg_params pp;
    params_bind(&pp, params, nparams);
    int rc = run_statement(s, sql, &pp, nparams, cur, err);
    params_free(&pp);
    return rc;
}

/* Whether the cached statement is due to be prepared again (PG_REPLAN_FIRST). Only statements with
 * parameters have plans that depend on what they are given; never the rollback that must run after
 * a failure. */
static bool replan_due(const struct pg_stmt *slot, int nparams)
{
    return nparams > 0 && slot->uses >= slot->replan_at;
}

/* Prepares the statement in `slot` under a new name of this connection's own; a slot that held it
 * already (a replan) drops its old one. Outside pipeline mode. */
static int slot_prepare(struct store_pg *s, struct pg_stmt *slot, const char *sql,
                        const struct pg_params *pp, int nparams, struct pd_err *err)
{
    char name[sizeof slot->name];
    snprintf(name, sizeof name, "pd%u", s->next_name++);
    char *text = rewrite_params(sql);
    PGresult *res = PQprepare(s->conn, name, text, nparams, pp->types);
    free(text);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        goto fail;
    PQclear(res);
    if (slot->sql) {
        char drop[sizeof "DEALLOCATE " + sizeof slot->name];
        snprintf(drop, sizeof drop, "DEALLOCATE %s", slot->name);
        res = PQexec(s->conn, drop);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            goto fail;
        PQclear(res);
        slot->replan_at = slot->replan_at < PG_REPLAN_MAX / 2 ? slot->replan_at * 2 : PG_REPLAN_MAX;
    } else {
        slot->sql = strdup(sql);
        slot->sig = strdup(pp->sig);
        if (!slot->sql || !slot->sig)
            abort();
        slot->replan_at = PG_REPLAN_FIRST;
        s->cached++;
    }
    memcpy(slot->name, name, sizeof name);
    slot->uses = 0;
    return 0;
fail:;
    int rc = pg_error(s, res, err);
    PQclear(res);
    return rc;
}

/* Runs a bound statement: prepared once per connection (cached), else unnamed. */
static int run_statement(struct store_pg *s, const char *sql, const struct pg_params *pp,
                         int nparams, struct store_cursor *cur, struct pd_err *err)
{
    const char *sig = pp->sig;
    const Oid *types = pp->types;
    const char *const *values = pp->values;
    bool found = false;
    struct pg_stmt *slot = find_slot(s, sql, sig, &found);
    PGresult *res = NULL;
    if (s->poisoned && strcmp(sql, "COMMIT") == 0) {
        struct store_cursor undo = {.store = &s->base};
        if (run_statement(s, "ROLLBACK", pp, 0, &undo, NULL) == 0)
            PQclear(undo.impl);
        return pd_err_set(err, PD_ERR_UNAVAILABLE, NULL,
                          "postgres: a savepoint could not be released; the transaction is undone");
    }
    if (strcmp(sql, "COMMIT") == 0 || strcmp(sql, "ROLLBACK") == 0)
        s->poisoned = false;
    bool replan = found && replan_due(slot, nparams);
    if (s->piped) {
        /* The statement goes after the pending ones, in the same round trip when prepared. A
         * rollback skipped because a pending statement failed is what undoes that failure: it
         * runs again below, on its own. */
        int rc = pipeline_end(s, found && !replan ? slot->name : NULL, pp, nparams, &res, err);
        if (rc < 0 && strncmp(sql, "ROLLBACK", 8) != 0)
            return rc;
    }
    if (!res && replan && slot_prepare(s, slot, sql, pp, nparams, err) < 0)
        return STORE_ERROR;
    if (!res && !found && slot && s->cached < PG_STMT_CACHE_SLOTS * 3 / 4) {
        if (slot_prepare(s, slot, sql, pp, nparams, err) < 0)
            return STORE_ERROR;
        found = true;
    }
    if (found)
        slot->uses++;
    if (res) {
        /* piped above */
    } else if (found) {
        res = PQexecPrepared(s->conn, slot->name, nparams, values, NULL, NULL, 0);
    } else {
        /* The cache is full: an unnamed statement, parsed every time. */
        char *text = rewrite_params(sql);
        res = PQexecParams(s->conn, text, nparams, types, values, NULL, NULL, 0);
        free(text);
    }
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        int rc = pg_error(s, res, err);
        PQclear(res);
        return rc;
    }
    /* COMMIT of a transaction that an earlier error aborted answers ROLLBACK, not an error. */
    if (st == PGRES_COMMAND_OK && strcmp(PQcmdStatus(res), "ROLLBACK") == 0 &&
        strcmp(sql, "COMMIT") == 0) {
        PQclear(res);
        return pd_err_set(err, PD_ERR_INTERNAL, NULL,
                          "postgres: the transaction failed earlier and was rolled back");
    }
    /* Rows written, as SQLite counts them: 0 for a SELECT (whose tag also carries a count). */
    const char *tag = PQcmdStatus(res), *n = PQcmdTuples(res);
    bool writes = strncmp(tag, "INSERT", 6) == 0 || strncmp(tag, "UPDATE", 6) == 0 ||
                  strncmp(tag, "DELETE", 6) == 0;
    cur->changes = writes && n && *n ? strtoll(n, NULL, 10) : 0;
    cur->impl = res;
    return 0;
}

/* A statement whose result the caller does not need, inside a transaction: once prepared on this
 * connection, sent in pipeline mode without waiting; the next statement that must be answered
 * (or the commit) reads its result, and returns its failure instead of running. */
static int pg_write(struct store *base, const char *sql, const struct db_val *params, int nparams,
                    struct pd_err *err)
{
    struct store_pg *s = (struct store_pg *)base;
    /* A savepoint is released without waiting only when nothing else waits: the failure of a
     * write before it must reach its own job. */
    bool release = strncmp(sql, "RELEASE", 7) == 0;
    if (base->tx_depth == 0 || nparams > SMALL_PARAMS || s->pending >= PG_PIPELINE_MAX ||
        (release && s->pending > 0))
        return store_exec(base, sql, params, nparams, NULL, err);
    if (ensure_connected(s, err) < 0)
        return STORE_ERROR;
    struct pg_params pp;
    params_bind(&pp, params, nparams);
    bool found = false;
    struct pg_stmt *slot = find_slot(s, sql, pp.sig, &found);
    if (!found || replan_due(slot, nparams)) /* prepared (again) by store_exec */
        return store_exec(base, sql, params, nparams, NULL, err);
    slot->uses++;
    if (!s->piped && !PQenterPipelineMode(s->conn))
        return pg_error(s, NULL, err);
    s->piped = true;
    if (s->pending == 0)
        s->release_first = release;
    if (!PQsendQueryPrepared(s->conn, slot->name, nparams, pp.values, NULL, NULL, 0)) {
        int rc = pg_error(s, NULL, err);
        PGresult *res;
        pipeline_end(s, NULL, NULL, 0, &res, NULL);
        return rc;
    }
    s->pending++;
    return 0;
}

static int pg_step(struct store_cursor *cur, struct pd_err *err)
{
    (void)err;
    PGresult *res = cur->impl;
    if (!res || cur->row >= PQntuples(res))
        return STORE_DONE;
    cur->row++;
    return STORE_ROW;
}

/* The current row: step has advanced cur->row past it. */
static const char *value_at(struct store_cursor *cur, int col)
{
    PGresult *res = cur->impl;
    if (!res || cur->row < 1 || col < 0 || col >= PQnfields(res) ||
        PQgetisnull(res, cur->row - 1, col))
        return NULL;
    return PQgetvalue(res, cur->row - 1, col);
}

static bool pg_is_null(struct store_cursor *cur, int col)
{
    return value_at(cur, col) == NULL;
}

/* Integers as SQLite's sqlite3_column_int64 would give them: BIGINT as is, NUMERIC (SUM of
 * BIGINT) and floats truncated toward zero and clamped, booleans 1/0, anything else 0. */
static int64_t pg_col_int(struct store_cursor *cur, int col)
{
    const char *v = value_at(cur, col);
    if (!v)
        return 0;
    if (v[0] == 't' && v[1] == '\0')
        return 1;
    if (v[0] == 'f' && v[1] == '\0')
        return 0;
    errno = 0;
    char *end = NULL;
    long long i = strtoll(v, &end, 10);
    if (end == v)
        return 0;
    if (*end == '.' || *end == 'e' || *end == 'E') {
        double d = strtod(v, NULL);
        if (isnan(d))
            return 0;
        if (d >= 9223372036854775807.0)
            return INT64_MAX;
        if (d <= -9223372036854775808.0)
            return INT64_MIN;
        return (int64_t)d;
    }
    return (int64_t)i; /* strtoll clamps out-of-range values, as SQLite does */
}

static const char *pg_col_text(struct store_cursor *cur, int col)
{
    const char *v = value_at(cur, col);
    return v ? v : "";
}

static void pg_finish(struct store_cursor *cur)
{
    if (cur->impl)
        PQclear(cur->impl);
    cur->impl = NULL;
}

static const struct store_ops pg_ops = {
    .name = "postgres",
    .close = pg_close,
    .exec_script = pg_exec_script,
    .query = pg_query,
    .write = pg_write,
    .step = pg_step,
    .is_null = pg_is_null,
    .col_int = pg_col_int,
    .col_text = pg_col_text,
    .finish = pg_finish,
};

struct store *store_pg_open(const char *conninfo, bool read_only, struct pd_err *err)
{
    struct store_pg *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    s->base.ops = &pg_ops;
    s->base.dialect = STORE_POSTGRES;
    s->read_only = read_only;
    /* Defaults first: settings in the URL override them (expand_dbname). */
    const char *const keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *const vals[] = {"10", "partnerd", conninfo, NULL};
    s->conn = PQconnectdbParams(keys, vals, 1);
    if (!s->conn)
        abort();
    if (PQstatus(s->conn) != CONNECTION_OK) {
        char msg[200];
        first_line(msg, sizeof msg, PQerrorMessage(s->conn));
        pd_err_set(err, PD_ERR_UNAVAILABLE, "db", "cannot connect to PostgreSQL: %s", msg);
        goto fail;
    }
    if (session_setup(s, err) < 0)
        goto fail;
    return &s->base;
fail:
    PQfinish(s->conn);
    free(s);
    return NULL;
}
