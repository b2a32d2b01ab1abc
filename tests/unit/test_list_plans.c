/* Every page of every API list (src/api/list.c), with every combination of its filters and each
 * cursor direction, is read through an index: the plan neither scans a table nor sorts, so the
 * first page of a 100,000-row list costs what a 100-row one does. Runs on SQLite (EXPLAIN QUERY
 * PLAN: no `SCAN` but the ordered walk of an unfiltered list's index, a filtered list's search
 * starts at its filters' values, no temporary b-tree) and,
 * when PARTNERD_TEST_PG_URL names a cluster (scripts/pg-test.sh), on PostgreSQL too (EXPLAIN with
 * sequential scans and sorts priced out: neither may remain in the plan, and a filtered page's
 * first index condition is an equality on a filter). */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_list_page_is_read_through_an_index),
    };
    const char *pg = getenv("PARTNERD_TEST_PG_URL");
    if (pg && *pg)
        return cmocka_run_group_tests_name("list_plans/postgres", tests, open_pg, close_plans) ? 1
                                                                                               : 0;
    return cmocka_run_group_tests_name("list_plans/sqlite", tests, open_sqlite, close_plans) ? 1
                                                                                             : 0;
}
