/* Every page of every API list (src/api/list.c), with every combination of its filters and each
 * cursor direction, is read through an index: the plan neither scans a table nor sorts, so the
 * first page of a 100,000-row list costs what a 100-row one does. Runs on SQLite (EXPLAIN QUERY
 * PLAN: no `SCAN` but the ordered walk of an unfiltered list's index, a filtered list's search
 * starts at its filters' values, no temporary b-tree) and,
 * when PARTNERD_TEST_PG_URL names a cluster (scripts/pg-test.sh), on PostgreSQL too (EXPLAIN with
 * sequential scans and sorts priced out: neither may remain in the plan, and a filtered page's
 * first index condition is an equality on a filter). On PostgreSQL, too: a cached statement is
 * planned again as its table grows (src/store/store_pg.c), so a plan made on an empty table does
 * not stay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/api.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/banned.h"

struct plans {
    struct store *s;
    bool pg;
    char schema[64]; /* PostgreSQL: the schema made for the run */
};

static int open_sqlite(void **state)
{
    struct plans *p = calloc(1, sizeof *p);
    assert_non_null(p);
    struct pd_err err = {0};
    p->s = store_open("sqlite::memory:", false, &err);
    if (!p->s || store_migrate(p->s, &err) < 0)
        fail_msg("sqlite: %s", err.message);
    *state = p;
    return 0;
}

static int open_pg(void **state)
{
    struct plans *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->pg = true;
    snprintf(p->schema, sizeof p->schema, "pd_plans_%ld", (long)getpid());
    struct pd_err err = {0};
    p->s = store_open(getenv("PARTNERD_TEST_PG_URL"), false, &err);
    if (!p->s)
        fail_msg("open: %s", err.message);
    char sql[256];
    /* Sequential scans and sorts priced out: one left in a plan has no index to replace it. */
    snprintf(sql, sizeof sql,
             "CREATE SCHEMA %s; SET search_path TO %s; SET enable_seqscan = off;"
             " SET enable_sort = off",
             p->schema, p->schema);
    if (p->s->ops->exec_script(p->s, sql, &err) < 0 || store_migrate(p->s, &err) < 0)
        fail_msg("%s: %s", sql, err.message);
    *state = p;
    return 0;
}

static int close_plans(void **state)
{
    struct plans *p = *state;
    struct pd_err err = {0};
    if (p->pg) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE", p->schema);
        p->s->ops->exec_script(p->s, sql, &err);
    }
    store_close(p->s);
    free(p);
    return 0;
}

/* The plan's lines that break the rule, appended to bad; the number of plan lines read. */
static int check_plan(struct plans *p, const char *sql, const struct db_val *params, int nparams,
                      bool filtered, char *bad, size_t badlen)
{
    struct arena a;
    arena_init(&a, 16384);
    char *explain = arena_sprintf(&a, "%s%s", p->pg ? "EXPLAIN " : "EXPLAIN QUERY PLAN ", sql);
    struct pd_err err = {0};
    struct store_cursor cur;
    if (store_query(p->s, explain, params, nparams, &cur, &err) < 0)
        fail_msg("%s: %s", explain, err.message);
    int lines = 0, rc;
    bool first_cond = true;
    while ((rc = store_step(&cur, &err)) == STORE_ROW) {
        lines++;
        const char *line = store_col_text(&cur, p->pg ? 0 : 3);
        bool wrong;
        if (p->pg) {
            /* A filtered page's first index condition (the outer scan's) is an equality with a
             * filter's value, not a walk of the ids. */
            const char *cond = strstr(line, "Index Cond: ");
            wrong =
                strstr(line, "Seq Scan") || strstr(line, "Sort") ||
                (cond && first_cond && filtered && !strstr(cond, "= $") && !strstr(cond, "= 'x'"));
            first_cond = first_cond && !cond;
        } else
            wrong = strstr(line, "TEMP B-TREE") ||
                    (strncmp(line, "SCAN ", 5) == 0 && (filtered || !strstr(line, " INDEX "))) ||
                    /* a filtered page starts at its filters' values in the index, not at an id
                     * from which it would skip every row of other programs or statuses */
                    (strncmp(line, "SEARCH ", 7) == 0 && filtered && !strstr(line, "=?)") &&
                     !strstr(line, "=? AND"));
        if (wrong) {
            size_t used = strlen(bad);
            snprintf(bad + used, badlen - used, "\n  %s\n    -> %s", sql, line);
        }
    }
    store_finish(&cur);
    assert_int_equal(rc, STORE_DONE);
    arena_free(&a);
    return lines;
}

static void every_list_page_is_read_through_an_index(void **state)
{
    struct plans *p = *state;
    static char bad[16384];
    bad[0] = '\0';
    int statements = 0;
    struct arena a;
    arena_init(&a, 16384);
    for (const struct api_list *const *l = api_lists; *l; l++) {
        int nfilters = 0;
        while (nfilters < API_LIST_MAX_FILTERS && (*l)->filters[nfilters].param)
            nfilters++;
        for (unsigned present = 0; present < (1u << nfilters); present++) {
            for (int dir = API_LIST_FIRST; dir <= API_LIST_BEFORE; dir++) {
                int nparams = 0;
                char *sql = api_list_sql(&a, *l, present, (*l)->own != NULL, (enum api_list_dir)dir,
                                         &nparams);
                /* own, the filters present, the cursor, the limit */
                struct db_val params[API_LIST_MAX_FILTERS + 3];
                int n = 0;
                if ((*l)->own)
                    params[n++] = db_text("x");
                for (int i = 0; i < nfilters; i++)
                    if (present & (1u << i))
                        params[n++] =
                            (*l)->filters[i].kind == API_FILTER_SET ? db_int(1) : db_text("x");
                if (dir != API_LIST_FIRST)
                    params[n++] = db_text("x");
                params[n++] = db_int(11);
                assert_int_equal(n, nparams);
                bool filtered = api_list_lead(*l, present, (*l)->own != NULL) != 0;
                assert_true(check_plan(p, sql, params, nparams, filtered, bad, sizeof bad) > 0);
                statements++;
            }
        }
    }
    arena_free(&a);
    if (bad[0]) {
        fprintf(stderr, "list pages read without an index:%s\n", bad);
        fail();
    }
    assert_true(statements >= 11 * 3);
}

/* The plan of a cached statement whose text contains `marker`, as EXPLAIN EXECUTE shows it on the
 * connection that prepared it; how many statements with that text are prepared there. */
static int cached_plan(struct store *s, const char *marker, char *plan, size_t n)
{
    struct pd_err err = {0};
    struct store_cursor cur;
    struct db_val m = db_text(marker);
    assert_int_equal(store_query(s,
                                 "SELECT name FROM pg_prepared_statements"
                                 " WHERE strpos(statement, ?1) > 0",
                                 &m, 1, &cur, &err),
                     0);
    int count = 0;
    char explain[96] = "";
    while (store_step(&cur, &err) == STORE_ROW)
        if (count++ == 0)
            snprintf(explain, sizeof explain, "EXPLAIN EXECUTE %s('p', 'o9')",
                     store_col_text(&cur, 0));
    store_finish(&cur);
    plan[0] = '\0';
    assert_int_equal(store_query(s, explain, NULL, 0, &cur, &err), 0);
    while (store_step(&cur, &err) == STORE_ROW)
        snprintf(plan + strlen(plan), n - strlen(plan), "%s\n", store_col_text(&cur, 0));
    store_finish(&cur);
    return count;
}

/* A statement first prepared on an empty table, where two indexes look alike to the planner (a
 * wide row: few rows estimated either way), is prepared again as the table grows, and then finds
 * its row by the unique key rather than walking every row of `p`; the plans it replaced are
 * dropped. */
static void pg_plans_made_on_empty_tables_are_made_again(void **state)
{
    struct store *s = ((struct plans *)*state)->s;
    struct pd_err err = {0};
    assert_int_equal(s->ops->exec_script(s,
                                         "DROP TABLE IF EXISTS ct_order;"
                                         "CREATE TABLE ct_order (p TEXT, o TEXT, c TEXT,"
                                         " t1 TEXT, t2 TEXT, t3 TEXT, t4 TEXT, t5 TEXT, t6 TEXT,"
                                         " t7 TEXT, t8 TEXT, t9 TEXT, t10 TEXT, t11 TEXT,"
                                         " t12 TEXT, t13 TEXT, t14 TEXT, t15 TEXT,"
                                         " UNIQUE (p, o));"
                                         "CREATE INDEX ct_order_pc ON ct_order (p, c)",
                                         &err),
                     0);
    const char *lookup = "SELECT o, c FROM ct_order WHERE p = ?1 AND o = ?2 /* plan-marker */";
    struct db_val key[2] = {db_text("p"), db_text("o9")};
    char plan[2048];
    for (int i = 0; i < 2000; i++) {
        if (i == 10) /* the plan of the empty table is cached: now it grows */
            assert_int_equal(s->ops->exec_script(s,
                                                 "INSERT INTO ct_order SELECT 'p', 'o' || g, NULL"
                                                 " FROM generate_series(1, 20000) g",
                                                 &err),
                             0);
        struct store_cursor cur;
        int rc = store_query_row(s, lookup, key, 2, &cur, &err);
        assert_int_equal(rc, i < 10 ? STORE_DONE : STORE_ROW);
        if (rc == STORE_ROW)
            store_finish(&cur);
    }
    assert_int_equal(cached_plan(s, "plan-marker", plan, sizeof plan), 1);
    if (!strstr(plan, "ct_order_p_o_key"))
        fail_msg("the lookup does not use the unique index:\n%s", plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_list_page_is_read_through_an_index),
    };
    const struct CMUnitTest postgres_only[] = {
        cmocka_unit_test(every_list_page_is_read_through_an_index),
        cmocka_unit_test(pg_plans_made_on_empty_tables_are_made_again),
    };
    const char *pg = getenv("PARTNERD_TEST_PG_URL");
    if (pg && *pg)
        return cmocka_run_group_tests_name("list_plans/postgres", postgres_only, open_pg,
                                           close_plans)
                   ? 1
                   : 0;
    return cmocka_run_group_tests_name("list_plans/sqlite", tests, open_sqlite, close_plans) ? 1
                                                                                             : 0;
}
