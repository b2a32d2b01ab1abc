/* The backend-independent half of the store (store/store.h): opening a URL with the right backend,
 * the helpers over the vtable (one-row and one-integer queries, exact integer columns),
 * transactions and savepoints, and migrations (applied in name order, each in its own
 * transaction, several nodes taking turns on an advisory lock). */
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/migrations.h"
#include "util/timefmt.h"
#include "util/banned.h"

static struct store *open_url(const char *url, bool read_only, bool create, struct pd_err *err)
{
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
        return store_pg_open(url, read_only, err);
    if (strncmp(url, "sqlite:", 7) == 0)
        url += 7;
    if (!*url) {
        pd_err_set(err, PD_ERR_BAD_REQUEST, "db", "empty database path");
        return NULL;
    }
    return store_sqlite_open_mode(url, read_only, create && !read_only, err);
}

struct store *store_open(const char *url, bool read_only, struct pd_err *err)
{
    return open_url(url, read_only, true, err);
}

struct store *store_open_existing(const char *url, bool read_only, struct pd_err *err)
{
    return open_url(url, read_only, false, err);
}

void store_close(struct store *s)
{
    if (!s)
        return;
    store_totals_free(s);
    s->ops->close(s);
}

bool store_col_int_exact(struct store_cursor *cur, int col, int64_t *out)
{
    if (store_is_null(cur, col))
        return false;
    /* Both drivers give an integer's decimal digits as its text, and a REAL or numeric beyond
     * int64 as something else (a point, an exponent, or digits strtoll cannot hold). */
    const char *text = store_col_text(cur, col);
    errno = 0;
    char *end = NULL;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE)
        return false;
    *out = v;
    return true;
}

int store_exec(struct store *s, const char *sql, const struct db_val *params, int n,
               int64_t *changes, struct pd_err *err)
{
    struct store_cursor cur;
    int rc = store_query(s, sql, params, n, &cur, err);
    if (rc < 0)
        return rc;
    while ((rc = store_step(&cur, err)) == STORE_ROW)
        ;
    if (changes)
        *changes = cur.changes;
    store_finish(&cur);
    return rc < 0 ? rc : 0;
}

int store_write(struct store *s, const char *sql, const struct db_val *params, int n,
                struct pd_err *err)
{
    if (s->ops->write)
        return s->ops->write(s, sql, params, n, err);
    return store_exec(s, sql, params, n, NULL, err);
}

int store_query_row(struct store *s, const char *sql, const struct db_val *params, int n,
                    struct store_cursor *cur, struct pd_err *err)
{
    int rc = store_query(s, sql, params, n, cur, err);
    if (rc < 0)
        return rc;
    rc = store_step(cur, err);
    if (rc != STORE_ROW)
        store_finish(cur);
    return rc;
}

int store_query_int(struct store *s, const char *sql, const struct db_val *params, int n,
                    int64_t fallback, int64_t *out, struct pd_err *err)
{
    struct store_cursor cur;
    int rc = store_query_row(s, sql, params, n, &cur, err);
    if (rc < 0)
        return rc;
    *out = fallback;
    if (rc == STORE_ROW) {
        if (!store_is_null(&cur, 0))
            *out = store_col_int(&cur, 0);
        store_finish(&cur);
    }
    return 0;
}

/* PostgreSQL advisory lock key of migrations (store_lock's keys are hashes of what they lock). */
#define PG_MIGRATE_LOCK 0x70646d6967LL /* "pdmig" */

static const char *savepoint_sql(int depth, const char *verb)
{
    /* Savepoint names are fixed per depth so the statements can be cached as literals. */
    static const char *const names[3][8] = {
        {"SAVEPOINT sp1", "SAVEPOINT sp2", "SAVEPOINT sp3", "SAVEPOINT sp4", "SAVEPOINT sp5",
         "SAVEPOINT sp6", "SAVEPOINT sp7", "SAVEPOINT sp8"},
        {"RELEASE SAVEPOINT sp1", "RELEASE SAVEPOINT sp2", "RELEASE SAVEPOINT sp3",
         "RELEASE SAVEPOINT sp4", "RELEASE SAVEPOINT sp5", "RELEASE SAVEPOINT sp6",
         "RELEASE SAVEPOINT sp7", "RELEASE SAVEPOINT sp8"},
        {"ROLLBACK TO SAVEPOINT sp1", "ROLLBACK TO SAVEPOINT sp2", "ROLLBACK TO SAVEPOINT sp3",
         "ROLLBACK TO SAVEPOINT sp4", "ROLLBACK TO SAVEPOINT sp5", "ROLLBACK TO SAVEPOINT sp6",
         "ROLLBACK TO SAVEPOINT sp7", "ROLLBACK TO SAVEPOINT sp8"},
    };
    int v = verb[0] == 'S' ? 0 : verb[0] == 'R' && verb[1] == 'E' ? 1 : 2;
    return names[v][depth - 1];
}

int store_begin(struct store *s, struct pd_err *err)
{
    const char *sql;
    if (s->tx_depth == 0)
        sql = s->dialect == STORE_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN";
    else if (s->tx_depth <= 8)
        sql = savepoint_sql(s->tx_depth, "SAVEPOINT");
    else
        return pd_err_set(err, PD_ERR_INTERNAL, NULL, "transactions nested too deep");
    /* A savepoint's failure (the transaction is broken) may show at the job's first statement. */
    if ((s->tx_depth == 0 ? store_exec(s, sql, NULL, 0, NULL, err)
                          : store_write(s, sql, NULL, 0, err)) < 0)
        return -1;
    store_totals_savepoint(s, s->tx_depth);
    s->tx_depth++;
    return 0;
}

int store_lock(struct store *s, const char *kind, const char *a, const char *b, struct pd_err *err)
{
    if (s->dialect != STORE_POSTGRES)
        return 0;
    uint64_t h = 1469598103934665603ULL; /* FNV-1a of kind, a and b, each with its NUL */
    const char *parts[3] = {kind, a ? a : "", b ? b : ""};
    for (int i = 0; i < 3; i++) {
        for (const char *p = parts[i]; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ULL;
        h *= 1099511628211ULL;
    }
    for (int i = 0; i < s->held_locks; i++)
        if (s->held[i] == h)
            return 0;
    struct db_val key = db_int((int64_t)h);
    /* Sent without waiting (store_write): the statements after it run once it is granted. A try
     * that finds the lock taken fails with SQLSTATE 55P03 (migration pg_try_lock), which sets
     * retry, here or at the job's next answered statement. */
    if (store_write(s,
                    s->locks_try_only ? "SELECT pd_try_xact_lock(?1)"
                                      : "SELECT pg_advisory_xact_lock(?1)",
                    &key, 1, err) < 0)
        return -1;
    if (s->held_locks < STORE_HELD_LOCKS && s->tx_depth > 0)
        s->held[s->held_locks++] = h;
    return 0;
}

int store_commit(struct store *s, struct pd_err *err)
{
    if (s->tx_depth <= 0)
        return pd_err_set(err, PD_ERR_INTERNAL, NULL, "commit outside a transaction");
    /* A savepoint's release may go without waiting (store_write sends it so only when no other
     * write of the job is unanswered). */
    int rc = s->tx_depth == 1
                 ? store_exec(s, "COMMIT", NULL, 0, NULL, err)
                 : store_write(s, savepoint_sql(s->tx_depth - 1, "RELEASE"), NULL, 0, err);
    if (rc < 0) {
        store_rollback(s);
        return -1;
    }
    s->tx_depth--;
    store_totals_release(s, s->tx_depth);
    if (s->tx_depth == 0)
        s->held_locks = 0;
    return 0;
}

void store_rollback(struct store *s)
{
    if (s->tx_depth <= 0)
        return;
    s->held_locks = 0; /* what the savepoint took is released, and which that was is not kept */
    if (s->tx_depth == 1) {
        store_exec(s, "ROLLBACK", NULL, 0, NULL, NULL);
    } else {
        store_exec(s, savepoint_sql(s->tx_depth - 1, "ROLLBACK"), NULL, 0, NULL, NULL);
        store_exec(s, savepoint_sql(s->tx_depth - 1, "RELEASE"), NULL, 0, NULL, NULL);
    }
    s->tx_depth--;
    store_totals_rollback(s, s->tx_depth);
}

int store_schema_version(struct store *s)
{
    int64_t n = -1;
    struct pd_err err;
    if (store_query_int(s, "SELECT COUNT(*) FROM schema_migrations", NULL, 0, -1, &n, &err) < 0)
        return -1;
    return (int)n;
}

/* A migration whose first line is "-- partnerd: postgres only" (or "sqlite only") runs only on
 * that database; elsewhere it is recorded as applied without running, so both count the same
 * migrations. */
static bool for_dialect(const char *sql, enum store_dialect d)
{
    static const char pg_only[] = "-- partnerd: postgres only\n";
    static const char sqlite_only[] = "-- partnerd: sqlite only\n";
    if (strncmp(sql, pg_only, sizeof pg_only - 1) == 0)
        return d == STORE_POSTGRES;
    if (strncmp(sql, sqlite_only, sizeof sqlite_only - 1) == 0)
        return d == STORE_SQLITE;
    return true;
}

static int migrate_locked(struct store *s, struct pd_err *err)
{
    if (s->ops->exec_script(s,
                            "CREATE TABLE IF NOT EXISTS schema_migrations ("
                            " name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)",
                            err) < 0)
        return -1;
    int applied = 0;
    for (int i = 0; i < pd_migrations_count; i++) {
        const struct migration *m = &pd_migrations[i];
        int64_t done = 0;
        struct db_val name = db_text(m->name);
        if (store_query_int(s, "SELECT COUNT(*) FROM schema_migrations WHERE name = ?1", &name, 1,
                            0, &done, err) < 0)
            return -1;
        if (done)
            continue;
        if (store_begin(s, err) < 0)
            return -1;
        struct db_val row[2] = {db_text(m->name), db_int(time_now_ms())};
        if ((for_dialect(m->sql, s->dialect) && s->ops->exec_script(s, m->sql, err) < 0) ||
            store_exec(s, "INSERT INTO schema_migrations (name, applied_at) VALUES (?1, ?2)", row,
                       2, NULL, err) < 0 ||
            store_commit(s, err) < 0) {
            store_rollback(s);
            snprintf(err->param, sizeof err->param, "%s", m->name);
            return -1;
        }
        applied++;
    }
    return applied;
}

int store_migrate(struct store *s, struct pd_err *err)
{
    if (s->dialect != STORE_POSTGRES)
        return migrate_locked(s, err);
    /* Several nodes may run `partnerd migrate` at once: they take turns on a session advisory
     * lock, and each applies only what the previous one left. */
    struct db_val key = db_int(PG_MIGRATE_LOCK);
    if (store_exec(s, "SELECT pg_advisory_lock(?1)", &key, 1, NULL, err) < 0)
        return -1;
    int rc = migrate_locked(s, err);
    store_exec(s, "SELECT pg_advisory_unlock(?1)", &key, 1, NULL, NULL);
    return rc;
}
