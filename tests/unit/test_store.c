/* The store contract: src/store/store.h's vtable and store.c's helpers behave the same on every
 * backend. Runs against SQLite (a temporary file) always, and against PostgreSQL too when
 * PARTNERD_TEST_PG_URL names a cluster (scripts/pg-test.sh): a fresh database is created there for
 * the run and dropped at the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/migrations.h"
#include "store/store.h"
#include "util/banned.h"

struct backend {
    bool pg;
    char dir[64];        /* SQLite: the temporary directory */
    char url[512];       /* what store_open gets */
    char admin_url[512]; /* PostgreSQL: the cluster's maintenance database */
    char dbname[64];
    struct store *s;
};

static const char *const scratch_tables =
    "DROP TABLE IF EXISTS ct_child;"
    "DROP TABLE IF EXISTS ct_item;"
    "CREATE TABLE ct_item (id TEXT PRIMARY KEY, name TEXT, n BIGINT, small INTEGER);"
    "CREATE TABLE ct_child (id TEXT PRIMARY KEY, item_id TEXT NOT NULL REFERENCES ct_item (id));";

/* url with its database name (the path after host[:port]) replaced by dbname. */
static int url_with_db(char *out, size_t n, const char *url, const char *dbname)
{
    const char *scheme = strstr(url, "://");
    if (!scheme)
        return -1;
    const char *path = strchr(scheme + 3, '/');
    const char *query = strchr(scheme + 3, '?');
    size_t host_len = path && (!query || path < query) ? (size_t)(path - url)
                      : query                          ? (size_t)(query - url)
                                                       : strlen(url);
    int len = snprintf(out, n, "%.*s/%s%s", (int)host_len, url, dbname, query ? query : "");
    return len < 0 || (size_t)len >= n ? -1 : 0;
}

static int open_sqlite(void **state)
{
    struct backend *b = calloc(1, sizeof *b);
    assert_non_null(b);
    snprintf(b->dir, sizeof b->dir, "/tmp/pd-store-test-XXXXXX");
    assert_non_null(mkdtemp(b->dir));
    snprintf(b->url, sizeof b->url, "sqlite:%s/t.db", b->dir);
    struct pd_err err = {0};
    b->s = store_open(b->url, false, &err);
    if (!b->s)
        fail_msg("open %s: %s", b->url, err.message);
    *state = b;
    return 0;
}

static int open_pg(void **state)
{
    const char *admin = getenv("PARTNERD_TEST_PG_URL");
    struct backend *b = calloc(1, sizeof *b);
    assert_non_null(b);
    b->pg = true;
    snprintf(b->admin_url, sizeof b->admin_url, "%s", admin);
    snprintf(b->dbname, sizeof b->dbname, "pd_unit_%ld_%u", (long)getpid(),
             (unsigned)(rand() & 0xffff));
    assert_int_equal(url_with_db(b->url, sizeof b->url, admin, b->dbname), 0);
    struct pd_err err = {0};
    struct store *a = store_open(admin, false, &err);
    if (!a)
        fail_msg("open %s: %s", admin, err.message);
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", b->dbname);
    if (a->ops->exec_script(a, sql, &err) < 0)
        fail_msg("%s: %s", sql, err.message);
    store_close(a);
    b->s = store_open(b->url, false, &err);
    if (!b->s)
        fail_msg("open %s: %s", b->url, err.message);
    *state = b;
    return 0;
}

static int close_backend(void **state)
{
    struct backend *b = *state;
    store_close(b->s);
    if (b->pg) {
        struct pd_err err = {0};
        struct store *a = store_open(b->admin_url, false, &err);
        if (a) {
            char sql[128];
            snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", b->dbname);
            a->ops->exec_script(a, sql, &err);
            store_close(a);
        }
    } else {
        static const char *const files[] = {"t.db", "t.db-wal", "t.db-shm"};
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
            char path[128];
            snprintf(path, sizeof path, "%s/%s", b->dir, files[i]);
            unlink(path);
        }
        rmdir(b->dir);
    }
    free(b);
    return 0;
}

static struct store *fresh_tables(void **state)
{
    struct backend *b = *state;
    struct pd_err err = {0};
    if (b->s->ops->exec_script(b->s, scratch_tables, &err) < 0)
        fail_msg("scratch tables: %s", err.message);
    return b->s;
}

static void insert_item(struct store *s, const char *id, const char *name, int64_t n)
{
    struct pd_err err = {0};
    struct db_val v[3] = {db_text(id), db_text(name), db_int(n)};
    int rc =
        store_exec(s, "INSERT INTO ct_item (id, name, n) VALUES (?1, ?2, ?3)", v, 3, NULL, &err);
    if (rc != 0)
        fail_msg("insert %s: %d %s", id, rc, err.message);
}

static int64_t count_items(struct store *s)
{
    struct pd_err err = {0};
    int64_t n = -1;
    if (store_query_int(s, "SELECT COUNT(*) FROM ct_item", NULL, 0, -1, &n, &err) != 0)
        fail_msg("count: %s", err.message);
    return n;
}

/* ------------------------------------------------------------------------------------------ */

static void exec_script_runs_several_statements_and_query_walks_rows_in_order(void **state)
{
    struct store *s = fresh_tables(state);
    struct pd_err err = {0};
    assert_int_equal(
        s->ops->exec_script(s,
                            "INSERT INTO ct_item (id, name, n) VALUES ('b', 'two', 2);"
                            " INSERT INTO ct_item (id, name, n) VALUES ('a', 'one', 1);",
                            &err),
        0);
    insert_item(s, "c", "three", 3);
    struct store_cursor cur;
    assert_int_equal(
        store_query(s, "SELECT id, name, n FROM ct_item ORDER BY id", NULL, 0, &cur, &err), 0);
    const char *ids[] = {"a", "b", "c"}, *names[] = {"one", "two", "three"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(store_step(&cur, &err), STORE_ROW);
        assert_string_equal(store_col_text(&cur, 0), ids[i]);
        assert_string_equal(store_col_text(&cur, 1), names[i]);
        assert_int_equal(store_col_int(&cur, 2), i + 1);
        assert_false(store_is_null(&cur, 2));
    }
    assert_int_equal(store_step(&cur, &err), STORE_DONE);
    store_finish(&cur);
}

static void changes_count_rows_written(void **state)
{
    struct store *s = fresh_tables(state);
    struct pd_err err = {0};
    insert_item(s, "a", "x", 1);
    insert_item(s, "b", "x", 2);
    insert_item(s, "c", "y", 3);
    int64_t changes = -1;
    struct db_val x = db_text("x");
    assert_int_equal(
        store_exec(s, "UPDATE ct_item SET n = n + 10 WHERE name = ?1", &x, 1, &changes, &err), 0);
    assert_int_equal(changes, 2);
    struct db_val none = db_text("none");
    assert_int_equal(
        store_exec(s, "UPDATE ct_item SET n = 0 WHERE name = ?1", &none, 1, &changes, &err), 0);
    assert_int_equal(changes, 0);
    struct db_val y = db_text("y");
    assert_int_equal(store_exec(s, "DELETE FROM ct_item WHERE name = ?1", &y, 1, &changes, &err),
                     0);
    assert_int_equal(changes, 1);
    assert_int_equal(count_items(s), 2);
    /* A SELECT changes nothing, however many rows it reads. */
    changes = -1;
    assert_int_equal(store_exec(s, "SELECT id FROM ct_item", NULL, 0, &changes, &err), 0);
    assert_int_equal(changes, 0);
}

static void nulls_bind_and_read_back(void **state)
{
    struct store *s = fresh_tables(state);
    struct pd_err err = {0};
    struct db_val v[4] = {db_text("a"), db_text(NULL), db_null(), db_null()};
    assert_int_equal(store_exec(s,
                                "INSERT INTO ct_item (id, name, n, small) VALUES (?1, ?2, ?3, ?4)",
                                v, 4, NULL, &err),
                     0);
    insert_item(s, "b", "bee", 7);
    struct store_cursor cur;
    struct db_val a = db_text("a");
    assert_int_equal(store_query_row(s, "SELECT name, n, small, id FROM ct_item WHERE id = ?1", &a,
                                     1, &cur, &err),
                     STORE_ROW);
    assert_true(store_is_null(&cur, 0));
    assert_true(store_is_null(&cur, 1));
    assert_true(store_is_null(&cur, 2));
    assert_false(store_is_null(&cur, 3));
    assert_string_equal(store_col_text(&cur, 0), "");
    assert_int_equal(store_col_int(&cur, 1), 0);
    store_finish(&cur);

    /* An optional filter: `?1 IS NULL OR col = ?1`, with NULL and with values of both types. */
    int64_t n = -1;
    struct db_val f = db_text(NULL);
    assert_int_equal(store_query_int(s,
                                     "SELECT COUNT(*) FROM ct_item WHERE ?1 IS NULL OR name = ?1",
                                     &f, 1, -1, &n, &err),
                     0);
    assert_int_equal(n, 2);
    f = db_text("bee");
    assert_int_equal(store_query_int(s,
                                     "SELECT COUNT(*) FROM ct_item WHERE ?1 IS NULL OR name = ?1",
                                     &f, 1, -1, &n, &err),
                     0);
    assert_int_equal(n, 1);
    /* A BIGINT column: db_null() is typed by the server from the first use, hence the CAST. */
    f = db_int(7);
    assert_int_equal(store_query_int(s,
                                     "SELECT COUNT(*) FROM ct_item"
                                     " WHERE CAST(?1 AS BIGINT) IS NULL OR n = ?1",
                                     &f, 1, -1, &n, &err),
                     0);
    assert_int_equal(n, 1);
    f = db_null();
    assert_int_equal(store_query_int(s,
                                     "SELECT COUNT(*) FROM ct_item"
                                     " WHERE CAST(?1 AS BIGINT) IS NULL OR n = ?1",
                                     &f, 1, -1, &n, &err),
                     0);
    assert_int_equal(n, 2);
    /* db_null() where a column gives the type: INSERT VALUES and comparisons. */
    struct db_val nv[2] = {db_text("c"), db_null()};
    assert_int_equal(
        store_exec(s, "INSERT INTO ct_item (id, n) VALUES (?1, ?2)", nv, 2, NULL, &err), 0);
    f = db_null();
    assert_int_equal(
        store_query_int(s, "SELECT COUNT(*) FROM ct_item WHERE n = ?1", &f, 1, -1, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(store_exec(s, "DELETE FROM ct_item WHERE id = 'c'", NULL, 0, NULL, &err), 0);

    /* store_query_int: no row and a NULL value both give the fallback. */
    assert_int_equal(
        store_query_int(s, "SELECT n FROM ct_item WHERE id = 'nope'", NULL, 0, 42, &n, &err), 0);
    assert_int_equal(n, 42);
    assert_int_equal(
        store_query_int(s, "SELECT MAX(n) FROM ct_item WHERE id = 'nope'", NULL, 0, -5, &n, &err),
        0);
    assert_int_equal(n, -5);
}

/* SUM never fails on integers, whatever order its partial sums pass int64 in (SQLite's own sum()
 * fails the statement with "integer overflow"), and a sum beyond int64 is refused by
 * store_col_int_exact instead of read back clamped. */
static void sums_are_exact_and_read_exactly(void **state)
{
    struct store *s = fresh_tables(state);
    struct pd_err err = {0};
    insert_item(s, "a", "x", INT64_MAX);
    insert_item(s, "b", "x", INT64_MAX);
    insert_item(s, "c", "x", -INT64_MAX);
    insert_item(s, "d", "x", -INT64_MAX);
    insert_item(s, "e", "x", 5);
    struct store_cursor cur;
    assert_int_equal(store_query_row(s,
                                     "SELECT SUM(n), (SELECT SUM(n) FROM ct_item WHERE id < 'c'),"
                                     " (SELECT SUM(n) FROM ct_item WHERE id > 'b'), 7"
                                     " FROM ct_item",
                                     NULL, 0, &cur, &err),
                     STORE_ROW);
    int64_t v = -1;
    assert_true(store_col_int_exact(&cur, 0, &v));
    assert_true(v == 5);
    v = -1;
    assert_false(store_col_int_exact(&cur, 1, &v)); /* 2 * INT64_MAX */
    assert_false(store_col_int_exact(&cur, 2, &v)); /* -2 * INT64_MAX + 5 */
    assert_true(v == -1);
    assert_true(store_col_int_exact(&cur, 3, &v));
    assert_true(v == 7);
    store_finish(&cur);
    /* In a comparison too: the sum beyond int64 equals no int64. */
    int64_t n = -1;
    struct db_val p = db_int(INT64_MAX);
    assert_int_equal(store_query_int(s,
                                     "SELECT COUNT(*) FROM ct_item WHERE id = 'a' AND"
                                     " (SELECT SUM(n) FROM ct_item WHERE id < 'c') > ?1",
                                     &p, 1, -1, &n, &err),
                     0);
    assert_int_equal(n, 1);
}

static void int64_extremes_round_trip(void **state)
{
    struct store *s = fresh_tables(state);
    struct pd_err err = {0};
    const int64_t values[] = {INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT64_MAX - 1, INT64_MAX};
    char id[16];
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        snprintf(id, sizeof id, "v%zu", i);
        insert_item(s, id, "x", values[i]);
    }
    struct store_cursor cur;
    assert_int_equal(store_query(s, "SELECT n FROM ct_item ORDER BY n", NULL, 0, &cur, &err), 0);
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        assert_int_equal(store_step(&cur, &err), STORE_ROW);
        assert_true(store_col_int(&cur, 0) == values[i]);
    }
    assert_int_equal(store_step(&cur, &err), STORE_DONE);
    store_finish(&cur);

    /* Parameters compare exactly at the extremes, against BIGINT and in arithmetic. */
    int64_t n = 0;
    struct db_val p = db_int(INT64_MIN);
    assert_int_equal(
        store_query_int(s, "SELECT COUNT(*) FROM ct_item WHERE n = ?1", &p, 1, -1, &n, &err), 0);
    assert_int_equal(n, 1);
    p = db_int(INT64_MAX);
    assert_int_equal(
        store_query_int(s, "SELECT COUNT(*) FROM ct_item WHERE n >= ?1", &p, 1, -1, &n, &err), 0);
    assert_int_equal(n, 1);

    /* SUM of BIGINT is NUMERIC in PostgreSQL: read back as an integer all the same. */
    assert_int_equal(store_query_int(s, "SELECT SUM(n) FROM ct_item WHERE id IN ('v0', 'v6', 'v4')",
                                     NULL, 0, -1, &n, &err),
                     0);
    assert_int_equal(n, 0); /* INT64_MIN + INT64_MAX + 1 */
    assert_int_equal(store_query_int(s, "SELECT COALESCE(SUM(n), 0) FROM ct_item WHERE id = 'no'",
                                     NULL, 0, -1, &n, &err),
                     0);
    assert_int_equal(n, 0);
    assert_int_equal(store_query_int(s, "SELECT SUM(n) FROM ct_item WHERE id IN ('v5', 'v4')", NULL,
                                     0, -1, &n, &err),
                     0);
    assert_true(n == INT64_MAX);
    /* A comparison is a boolean in PostgreSQL and 0/1 in SQLite: 0/1 either way. */
    assert_int_equal(store_query_int(s, "SELECT COUNT(*) > 3 FROM ct_item", NULL, 0, -1, &n, &err),
                     0);
    assert_int_equal(n, 1);
    assert_int_equal(
        store_query_int(s, "SELECT COUNT(*) > 100 FROM ct_item", NULL, 0, -1, &n, &err), 0);
    assert_int_equal(n, 0);
    /* An int64 parameter stored into an INTEGER column and compared with it. */
    struct db_val sm[2] = {db_int(123456), db_text("v3")};
    assert_int_equal(
        store_exec(s, "UPDATE ct_item SET small = ?1 WHERE id = ?2", sm, 2, NULL, &err), 0);
    p = db_int(123456);
    assert_int_equal(
        store_query_int(s, "SELECT COUNT(*) FROM ct_item WHERE small = ?1", &p, 1, -1, &n, &err),
        0);
    assert_int_equal(n, 1);
}

static void text_with_quotes_placeholders_and_utf8_round_trips(void **state)
{
    struct store *s = fresh_tables(state);
    struct pd_err err = {0};
    const char *texts[] = {
        "it's a \"quote\"",
        "?1 $1 -- not a comment /* nor this */",
        "h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x8e\x89",
        "back\\slash",
        "",
    };
    char id[16];
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        snprintf(id, sizeof id, "t%zu", i);
        insert_item(s, id, texts[i], (int64_t)i);
    }
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct store_cursor cur;
        struct db_val v = db_text(texts[i]);
        assert_int_equal(
            store_query_row(s, "SELECT name, n FROM ct_item WHERE name = ?1", &v, 1, &cur, &err),
            STORE_ROW);
        assert_string_equal(store_col_text(&cur, 0), texts[i]);
        assert_false(store_is_null(&cur, 0)); /* '' is not NULL */
        assert_int_equal(store_col_int(&cur, 1), (int64_t)i);
        assert_int_equal(store_step(&cur, &err), STORE_DONE);
        store_finish(&cur);
    }
    /* ? inside literals, quoted identifiers and comments is not a parameter. */
    struct store_cursor cur;
    struct db_val v = db_text("param");
    assert_int_equal(store_query_row(s,
                                     "SELECT 'what?1 it''s', ?1 AS \"col?2\" -- trailing ?3\n"
                                     " /* ?4 */",
                                     &v, 1, &cur, &err),
                     STORE_ROW);
    assert_string_equal(store_col_text(&cur, 0), "what?1 it's");
    assert_string_equal(store_col_text(&cur, 1), "param");
    store_finish(&cur);
    /* The same parameter twice, and parameters out of order. */
    struct db_val two[2] = {db_text("x"), db_text("y")};
    assert_int_equal(store_query_row(s, "SELECT ?2 || ?1 || ?2", two, 2, &cur, &err), STORE_ROW);
    assert_string_equal(store_col_text(&cur, 0), "yxy");
    store_finish(&cur);
}

static void many_parameters_bind_by_position(void **state)
{
    struct store *s = fresh_tables(state);
    struct pd_err err = {0};
    static struct db_val v[STORE_MAX_PARAMS];
    static char sql[STORE_MAX_PARAMS * 10];
    int len = snprintf(sql, sizeof sql, "SELECT SUM(column1) FROM (VALUES (?1)");
    for (int i = 0; i < STORE_MAX_PARAMS; i++) {
        v[i] = db_int(1000 + i);
        if (i > 0)
            len += snprintf(sql + len, sizeof sql - (size_t)len, ", (?%d)", i + 1);
    }
    snprintf(sql + len, sizeof sql - (size_t)len, ") AS t");
    int64_t n = 0;
    assert_int_equal(store_query_int(s, sql, v, STORE_MAX_PARAMS, -1, &n, &err), 0);
    int64_t want = 0;
    for (int i = 0; i < STORE_MAX_PARAMS; i++)
        want += 1000 + i;
    assert_int_equal(n, want);
}

static void constraint_violations_are_store_constraint(void **state)
{
    struct store *s = fresh_tables(state);
    struct pd_err err = {0};
    insert_item(s, "a", "x", 1);
    struct db_val dup[3] = {db_text("a"), db_text("y"), db_int(2)};
    assert_int_equal(
        store_exec(s, "INSERT INTO ct_item (id, name, n) VALUES (?1, ?2, ?3)", dup, 3, NULL, &err),
        STORE_CONSTRAINT);
    assert_int_equal(err.kind, PD_ERR_CONFLICT);
    /* A foreign key to a missing row. */
    struct db_val child[2] = {db_text("c1"), db_text("missing")};
    pd_err_clear(&err);
    assert_int_equal(
        store_exec(s, "INSERT INTO ct_child (id, item_id) VALUES (?1, ?2)", child, 2, NULL, &err),
        STORE_CONSTRAINT);
    assert_int_equal(err.kind, PD_ERR_CONFLICT);
    /* The connection goes on working, and a valid child is accepted. */
    child[1] = db_text("a");
    assert_int_equal(
        store_exec(s, "INSERT INTO ct_child (id, item_id) VALUES (?1, ?2)", child, 2, NULL, &err),
        0);
    assert_int_equal(count_items(s), 1);
    /* A syntax error is an error, not a constraint. */
    pd_err_clear(&err);
    assert_int_equal(store_exec(s, "INSERT INTO no_such_table VALUES (1)", NULL, 0, NULL, &err),
                     STORE_ERROR);
    assert_true(err.message[0] != '\0');
}

static void savepoint_rollback_undoes_only_the_inner_work(void **state)
{
    struct store *s = fresh_tables(state);
    struct pd_err err = {0};
    assert_int_equal(store_begin(s, &err), 0);
    insert_item(s, "a", "outer", 1);
    assert_int_equal(store_begin(s, &err), 0); /* a savepoint */
    assert_int_equal(s->tx_depth, 2);
    insert_item(s, "b", "inner", 2);
    struct db_val dup[3] = {db_text("a"), db_text("dup"), db_int(3)};
    assert_int_equal(
        store_exec(s, "INSERT INTO ct_item (id, name, n) VALUES (?1, ?2, ?3)", dup, 3, NULL, &err),
        STORE_CONSTRAINT);
    store_rollback(s); /* undoes b and the failed statement; the transaction goes on */
    assert_int_equal(s->tx_depth, 1);
    insert_item(s, "c", "after", 3);
    assert_int_equal(store_begin(s, &err), 0); /* a savepoint that is kept */
    insert_item(s, "d", "kept", 4);
    assert_int_equal(store_commit(s, &err), 0);
    assert_int_equal(store_commit(s, &err), 0);
    assert_int_equal(s->tx_depth, 0);

    struct store_cursor cur;
    assert_int_equal(store_query(s, "SELECT id FROM ct_item ORDER BY id", NULL, 0, &cur, &err), 0);
    const char *want[] = {"a", "c", "d"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(store_step(&cur, &err), STORE_ROW);
        assert_string_equal(store_col_text(&cur, 0), want[i]);
    }
    assert_int_equal(store_step(&cur, &err), STORE_DONE);
    store_finish(&cur);

    /* A rolled back transaction leaves nothing. */
    assert_int_equal(store_begin(s, &err), 0);
    insert_item(s, "e", "gone", 5);
    assert_int_equal(store_begin(s, &err), 0);
    insert_item(s, "f", "gone", 6);
    store_rollback(s);
    store_rollback(s);
    assert_int_equal(s->tx_depth, 0);
    assert_int_equal(count_items(s), 3);
    /* A write whose answer nobody reads fails by the next answered statement (which then does not
     * run) at the latest, and its savepoint's rollback undoes it as any failed write. */
    assert_true(store_begin(s, &err) == 0 && store_begin(s, &err) == 0);
    int rc = store_write(s, "INSERT INTO ct_item (id, name, n) VALUES (?1, ?2, ?3)", dup, 3, &err);
    int64_t n = -1;
    rc = rc ? rc : store_query_int(s, "SELECT COUNT(*) FROM ct_item", NULL, 0, -1, &n, &err);
    assert_true(rc == STORE_CONSTRAINT && n == -1);
    store_rollback(s);
    insert_item(s, "g", "kept", 7);
    assert_int_equal(store_commit(s, &err), 0);
    assert_int_equal(count_items(s), 4);
    /* Commit outside a transaction is refused. */
    assert_int_equal(store_commit(s, &err), -1);
}

static void cursors_nest_and_statements_are_reused(void **state)
{
    struct store *s = fresh_tables(state);
    struct pd_err err = {0};
    insert_item(s, "a", "x", 1);
    insert_item(s, "b", "x", 2);
    const char *sql = "SELECT id, n FROM ct_item WHERE name = ?1 ORDER BY id";
    struct db_val x = db_text("x");
    struct store_cursor outer, inner;
    assert_int_equal(store_query(s, sql, &x, 1, &outer, &err), 0);
    int rows = 0;
    while (store_step(&outer, &err) == STORE_ROW) {
        /* The same statement again while the first cursor is open. */
        assert_int_equal(store_query(s, sql, &x, 1, &inner, &err), 0);
        int inner_rows = 0;
        while (store_step(&inner, &err) == STORE_ROW)
            inner_rows++;
        store_finish(&inner);
        assert_int_equal(inner_rows, 2);
        int64_t n = store_col_int(&outer, 1);
        assert_int_equal(n, ++rows);
    }
    store_finish(&outer);
    assert_int_equal(rows, 2);
    /* Many runs of one cached statement. */
    for (int i = 0; i < 200; i++) {
        int64_t n = 0;
        assert_int_equal(store_query_int(s, "SELECT COUNT(*) FROM ct_item WHERE n >= ?1",
                                         &(struct db_val){.type = DB_INT, .i = i % 3}, 1, -1, &n,
                                         &err),
                         0);
        assert_int_equal(n, i % 3 == 0 ? 2 : i % 3 == 1 ? 2 : 1);
    }
}

static void read_only_connections_refuse_writes(void **state)
{
    struct backend *b = *state;
    struct store *s = fresh_tables(state);
    struct pd_err err = {0};
    insert_item(s, "a", "x", 1);
    struct store *ro = store_open(b->url, true, &err);
    if (!ro)
        fail_msg("read-only open: %s", err.message);
    int64_t n = 0;
    assert_int_equal(store_query_int(ro, "SELECT COUNT(*) FROM ct_item", NULL, 0, -1, &n, &err), 0);
    assert_int_equal(n, 1);
    struct db_val v[3] = {db_text("b"), db_text("y"), db_int(2)};
    assert_int_equal(
        store_exec(ro, "INSERT INTO ct_item (id, name, n) VALUES (?1, ?2, ?3)", v, 3, NULL, &err),
        STORE_ERROR);
    store_close(ro);
    assert_int_equal(count_items(s), 1);
}

static void migrations_apply_once(void **state)
{
    struct backend *b = *state;
    struct pd_err err = {0};
    assert_int_equal(store_schema_version(b->s), -1); /* nothing yet */
    int applied = store_migrate(b->s, &err);
    if (applied < 0)
        fail_msg("migrate: %s (%s)", err.message, err.param);
    assert_int_equal(applied, pd_migrations_count);
    assert_int_equal(store_schema_version(b->s), pd_migrations_count);
    assert_int_equal(store_migrate(b->s, &err), 0);
    assert_int_equal(store_migrate(b->s, &err), 0);
    assert_int_equal(store_schema_version(b->s), pd_migrations_count);
    assert_int_equal(b->s->tx_depth, 0);
    /* The schema is usable: a settings row in and out. */
    struct db_val kv[2] = {db_text("k"), db_text("v")};
    assert_int_equal(
        store_exec(b->s, "INSERT INTO settings (key, value) VALUES (?1, ?2)", kv, 2, NULL, &err),
        0);
    assert_int_equal(
        store_exec(b->s, "INSERT INTO settings (key, value) VALUES (?1, ?2)", kv, 2, NULL, &err),
        STORE_CONSTRAINT);
}

/* PostgreSQL only: what SQLite cannot do or does differently. */

static void pg_commit_after_a_failed_statement_is_an_error(void **state)
{
    struct backend *b = *state;
    assert_true(b->pg); /* registered only in the PostgreSQL group */
    struct store *s = fresh_tables(state);
    struct pd_err err = {0};
    insert_item(s, "a", "x", 1);
    assert_int_equal(store_begin(s, &err), 0);
    insert_item(s, "b", "x", 2);
    struct db_val dup[3] = {db_text("a"), db_text("dup"), db_int(3)};
    assert_int_equal(
        store_exec(s, "INSERT INTO ct_item (id, name, n) VALUES (?1, ?2, ?3)", dup, 3, NULL, &err),
        STORE_CONSTRAINT);
    /* PostgreSQL answers such a COMMIT with ROLLBACK: the store must say it failed. */
    assert_int_equal(store_commit(s, &err), -1);
    assert_int_equal(s->tx_depth, 0);
    assert_int_equal(count_items(s), 1);
}

/* store_lock's answer, which PostgreSQL may give only with the next answered statement. */
static int lock_answered(struct store *s, const char *order, struct pd_err *err)
{
    int64_t one = 0;
    return store_lock(s, "order", "prg_1", order, err) < 0 ||
                   store_query_int(s, "SELECT 1", NULL, 0, 0, &one, err) < 0
               ? -1
               : 0;
}

static void pg_write_locks_are_per_thing_and_only_tried_when_asked(void **state)
{
    struct backend *b = *state;
    assert_true(b->pg); /* registered only in the PostgreSQL group */
    struct store *s = fresh_tables(state);
    struct pd_err err = {0};
    struct store *other = store_open(b->url, false, &err);
    assert_non_null(other);
    /* Only this database's locks: e2e servers on the same cluster write next to this test. */
    const char *held = "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                       " AND pid <> pg_backend_pid() AND database ="
                       " (SELECT oid FROM pg_database WHERE datname = current_database())";
    int64_t n = -1;
    assert_int_equal(store_begin(s, &err), 0); /* a write transaction takes no lock of its own */
    assert_int_equal(store_query_int(other, held, NULL, 0, -1, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(lock_answered(s, "o-1", &err), 0);
    assert_int_equal(lock_answered(s, "o-1", &err), 0); /* held already: again */
    assert_int_equal(store_query_int(other, held, NULL, 0, -1, &n, &err), 0);
    assert_int_equal(n, 1);

    other->locks_try_only = true;
    assert_int_equal(store_begin(other, &err), 0);
    assert_int_equal(lock_answered(other, "o-2", &err), 0); /* another thing */
    assert_false(other->retry);
    assert_int_equal(lock_answered(other, "o-1", &err), -1);
    assert_true(other->retry);
    assert_int_equal(err.kind, PD_ERR_UNAVAILABLE);
    store_rollback(other);
    other->retry = false;

    assert_int_equal(store_commit(s, &err), 0); /* released at COMMIT */
    assert_int_equal(store_begin(other, &err), 0);
    assert_int_equal(lock_answered(other, "o-1", &err), 0);
    assert_false(other->retry);
    store_rollback(other);

    /* A lock taken in a savepoint that is rolled back is released, and s no longer counts it as
     * held: taking it again asks the server, and finds another holder. */
    assert_int_equal(store_begin(s, &err), 0);
    assert_int_equal(store_begin(s, &err), 0);
    assert_int_equal(lock_answered(s, "o-3", &err), 0);
    store_rollback(s);
    other->locks_try_only = false;
    assert_int_equal(store_begin(other, &err), 0);
    assert_int_equal(lock_answered(other, "o-3", &err), 0);
    s->locks_try_only = true;
    assert_int_equal(lock_answered(s, "o-3", &err), -1);
    assert_true(s->retry);
    s->retry = s->locks_try_only = false;
    store_rollback(s);
    store_rollback(other);
    store_close(other);
}

static int64_t backend_pid(struct store *s)
{
    struct pd_err err = {0};
    int64_t pid = -1;
    assert_int_equal(store_query_int(s, "SELECT pg_backend_pid()", NULL, 0, -1, &pid, &err), 0);
    return pid;
}

static void terminate(struct backend *b, int64_t pid)
{
    struct pd_err err = {0};
    struct store *killer = store_open(b->url, false, &err);
    assert_non_null(killer);
    struct db_val p = db_int(pid);
    int64_t ok = 0;
    assert_int_equal(
        store_query_int(killer, "SELECT pg_terminate_backend(?1::int)", &p, 1, 0, &ok, &err), 0);
    assert_int_equal(ok, 1);
    /* pg_terminate_backend only sends the signal: the backend is gone once it has left
     * pg_stat_activity. Waits for that, polling, for at most a minute (a loaded machine). */
    const char *alive = "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = ?1::int";
    int64_t left = 1;
    for (int i = 0; i < 6000 && left != 0; i++) {
        assert_int_equal(store_query_int(killer, alive, &p, 1, -1, &left, &err), 0);
        if (left != 0)
            usleep(10 * 1000);
    }
    store_close(killer);
    if (left != 0)
        fail_msg("backend %lld still running a minute after pg_terminate_backend", (long long)pid);
}

static void pg_a_lost_connection_is_an_error_then_reconnects_outside_transactions(void **state)
{
    struct backend *b = *state;
    assert_true(b->pg); /* registered only in the PostgreSQL group */
    struct store *s = fresh_tables(state);
    struct pd_err err = {0};
    insert_item(s, "a", "x", 1);
    assert_int_equal(count_items(s), 1); /* prepared on the first connection */

    /* Outside a transaction: the statement that finds the connection gone fails, the next one
     * reconnects (and prepares again). */
    int64_t pid = backend_pid(s);
    terminate(b, pid);
    int64_t n = -1;
    pd_err_clear(&err);
    assert_int_equal(store_query_int(s, "SELECT COUNT(*) FROM ct_item", NULL, 0, -1, &n, &err),
                     STORE_ERROR);
    assert_int_equal(err.kind, PD_ERR_UNAVAILABLE);
    assert_int_equal(count_items(s), 1);
    assert_true(backend_pid(s) != pid);

    /* Inside a transaction: every statement fails until the caller has rolled back; nothing of the
     * transaction is replayed on the new connection. */
    assert_int_equal(store_begin(s, &err), 0);
    insert_item(s, "b", "x", 2);
    terminate(b, backend_pid(s));
    struct db_val v[3] = {db_text("c"), db_text("x"), db_int(3)};
    assert_int_equal(
        store_exec(s, "INSERT INTO ct_item (id, name, n) VALUES (?1, ?2, ?3)", v, 3, NULL, &err),
        STORE_ERROR);
    assert_int_equal(
        store_exec(s, "INSERT INTO ct_item (id, name, n) VALUES (?1, ?2, ?3)", v, 3, NULL, &err),
        STORE_ERROR);
    assert_int_equal(store_commit(s, &err), -1); /* rolls back to depth 0 */
    assert_int_equal(s->tx_depth, 0);
    assert_int_equal(count_items(s), 1);
}

/* The contract every backend keeps; migrations_apply_once first, while the database is empty. */
static const struct CMUnitTest contract[] = {
    cmocka_unit_test(migrations_apply_once),
    cmocka_unit_test(exec_script_runs_several_statements_and_query_walks_rows_in_order),
    cmocka_unit_test(changes_count_rows_written),
    cmocka_unit_test(nulls_bind_and_read_back),
    cmocka_unit_test(int64_extremes_round_trip),
    cmocka_unit_test(sums_are_exact_and_read_exactly),
    cmocka_unit_test(text_with_quotes_placeholders_and_utf8_round_trips),
    cmocka_unit_test(many_parameters_bind_by_position),
    cmocka_unit_test(constraint_violations_are_store_constraint),
    cmocka_unit_test(savepoint_rollback_undoes_only_the_inner_work),
    cmocka_unit_test(cursors_nest_and_statements_are_reused),
    cmocka_unit_test(read_only_connections_refuse_writes),
};

/* What only PostgreSQL does, after the contract. */
static const struct CMUnitTest postgres_only[] = {
    cmocka_unit_test(pg_commit_after_a_failed_statement_is_an_error),
    cmocka_unit_test(pg_write_locks_are_per_thing_and_only_tried_when_asked),
    cmocka_unit_test(pg_a_lost_connection_is_an_error_then_reconnects_outside_transactions),
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
    srand((unsigned)getpid());
    /* unit/test_store runs SQLite; unit-pg/test_store (with the test cluster's URL) PostgreSQL. */
    const char *pg = getenv("PARTNERD_TEST_PG_URL");
    if (!(pg && *pg))
        return cmocka_run_group_tests_name("store/sqlite", contract, open_sqlite, close_backend)
                   ? 1
                   : 0;
    struct CMUnitTest postgres[COUNT(contract) + COUNT(postgres_only)];
    memcpy(postgres, contract, sizeof contract);
    memcpy(postgres + COUNT(contract), postgres_only, sizeof postgres_only);
    return cmocka_run_group_tests_name("store/postgres", postgres, open_pg, close_backend) ? 1 : 0;
}
