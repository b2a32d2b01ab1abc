/* Tests for src/app/totals.c and the batch's deferred totals (store/totals.h, store/batch.c): the
 * same random sales and refunds, cut into the same batches, run in one database with the sales
 * deferring their balances and rollups and in another with every job writing its own. Every
 * answer, refusal, balance and rollup row must be the same: sales of several partners, a program
 * with tiers (whose sales read the month, so the totals are written before them), orders dated in
 * the month before, jobs undone after writing, refunds between sales, and one partner's month
 * revenue driven past its limit (the batch that meets it runs again without deferring, so the one
 * order that passes the limit is refused alone). */
#include "money_kat_fixture.h"

#include "app/totals.h"
#include "store/batch.h"
#include "store/totals.h"

enum { PLAIN, TIERED };

static const struct {
    const char *ref;
    int program;
} partners[] = {{"a", PLAIN},   {"b", PLAIN},   {"c", PLAIN},
                {"big", PLAIN}, {"t1", TIERED}, {"t2", TIERED}};
#define NPARTNERS (sizeof partners / sizeof partners[0])
#define BIG 3

struct op {
    bool refund;
    int partner;    /* index in partners */
    int of;         /* a refund: the op whose order it refunds */
    int64_t amount; /* minor units */
    int64_t occurred;
    bool undo; /* the job writes, then asks to be undone */
};

struct world {
    struct kat *k;
    const char *program[2];
    const char *partner[NPARTNERS];
};

struct job {
    struct write_job job;
    struct world *w;
    const struct op *op;
    int index;
    /* what became of it */
    int rc, status;
    enum pd_errkind err_kind;
    int64_t earned; /* a sale: its commissions; a refund: the commission reversed */
    bool saw_waiting;
};

static uint64_t rng;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static int64_t rand_in(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(next_rand() % (uint64_t)(hi - lo + 1));
}

static int64_t commissions_of(json_t *conv)
{
    int64_t sum = 0;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(conv, "commissions"), i, c)
    {
        sum += json_integer_value(json_object_get(c, "amount"));
    }
    return sum;
}

static int job_run(struct store *s, struct write_job *j)
{
    struct job *t = (struct job *)j;
    const struct op *op = t->op;
    const char *program = t->w->program[partners[op->partner].program];
    char order[32];
    snprintf(order, sizeof order, "o%d", op->refund ? op->of : t->index);
    struct pd_err err = {0};
    json_t *out = NULL;
    t->status = 0;
    int64_t now = at(2026, 11, 20) + t->index * 1000LL;
    if (op->refund) {
        struct refund_input in = {.program_id = program, .order_id = order, .amount = op->amount};
        t->rc = refund_record(s, &in, now, &t->w->k->a, &out, &err);
        t->earned =
            t->rc == 0 ? json_integer_value(json_object_get(out, "commission_reversed")) : 0;
    } else {
        struct conversion_input in = {.program_id = program,
                                      .order_id = order,
                                      .amount = op->amount,
                                      .currency = "USD",
                                      .ref = partners[op->partner].ref,
                                      .occurred_at = op->occurred};
        snprintf(in.request_hash, sizeof in.request_hash, "h-%s", order);
        t->rc = conversion_record(s, &in, now, &t->w->k->a, &t->status, &out, &err);
        t->earned = t->rc == 0 ? commissions_of(out) : 0;
    }
    json_decref(out);
    t->err_kind = err.kind;
    t->saw_waiting |= store_totals_pending(s);
    return t->rc == 0 && op->undo ? -1 : t->rc;
}

static void make_world(struct world *w, struct kat *k)
{
    w->k = k;
    w->program[PLAIN] = make_program(
        k, &(struct program_spec){.currency = "USD",
                                  .rules = "[{\"id\":\"p\",\"type\":\"percent\",\"bps\":1000}]",
                                  .cap = -1});
    w->program[TIERED] = make_program(
        k, &(struct program_spec){.currency = "USD",
                                  .rules = "[{\"id\":\"t\",\"type\":\"percent\",\"tiers\":["
                                           "{\"from\":0,\"bps\":1000},{\"from\":100000,\"bps\":"
                                           "1500},{\"from\":150000,\"bps\":2000}]}]",
                                  .cap = -1});
    for (size_t i = 0; i < NPARTNERS; i++)
        w->partner[i] =
            make_partner(k, w->program[partners[i].program], partners[i].ref, NULL, NULL);
}

/* The ops: mostly sales of a few partners, some dated in October, some undone, some refunds of
 * earlier orders, and twelve orders of the largest amount for `big` (the tenth passes its month's
 * revenue limit, unless refunds made room). */
static size_t make_ops(struct op *ops, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct op *op = &ops[i];
        memset(op, 0, sizeof *op);
        if (i > 4 && next_rand() % 8 == 0) {
            op->refund = true;
            op->of = (int)rand_in(0, (int64_t)i - 1);
            op->partner = ops[op->of].partner;
            op->amount = rand_in(1, 60000);
            continue;
        }
        op->partner = (int)rand_in(0, NPARTNERS - 1);
        if (op->partner == BIG)
            op->partner = 0;
        op->amount = rand_in(0, 90000);
        op->occurred = next_rand() % 5 == 0 ? at(2026, 10, 5) : 0;
        op->undo = next_rand() % 16 == 0;
    }
    for (int b = 0; b < 12; b++) {
        struct op *op = &ops[rand_in(0, (int64_t)n - 1)];
        *op = (struct op){.partner = BIG, .amount = MONEY_MAX_AMOUNT};
    }
    return n;
}

/* Runs the ops in batches of the given sizes; deferring: the sales defer their totals. Returns
 * how many batches ran again. */
static int run_all(struct world *w, const struct op *ops, size_t n, const int *sizes,
                   struct job *jobs, bool deferring)
{
    int reruns = 0;
    for (size_t i = 0; i < n; i++)
        jobs[i] =
            (struct job){.job = {.run = job_run,
                                 .keeps_links = true,
                                 .write_totals = deferring && !ops[i].refund ? totals_write : NULL},
                         .w = w,
                         .op = &ops[i],
                         .index = (int)i};
    for (size_t i = 0, b = 0; i < n; b++) {
        size_t end = i + (size_t)sizes[b] < n ? i + (size_t)sizes[b] : n;
        for (size_t k = i; k < end; k++)
            jobs[k].job.next = k + 1 < end ? &jobs[k + 1].job : NULL;
        struct batch_result res;
        batch_execute(w->k->s, &jobs[i].job, &res);
        assert_true(res.committed);
        assert_null(res.postponed);
        reruns += res.rerun;
        i = end;
    }
    return reruns;
}

/* A table's rows as text, partners named by their ref codes (ids differ between the two). */
static char *rows_of(struct kat *k, const char *sql)
{
    struct store_cursor cur;
    struct pd_err err = {0};
    assert_int_equal(store_query_row(k->s, sql, NULL, 0, &cur, &err), STORE_ROW);
    char *text = strdup(store_col_text(&cur, 0));
    store_finish(&cur);
    assert_non_null(text);
    return text;
}

static const char balances_sql[] =
    "SELECT group_concat(line, ';') FROM (SELECT p.ref_code || ' ' || b.pending || ' ' ||"
    " b.approved || ' ' || b.paid AS line FROM partner_balances b JOIN partners p"
    " ON p.id = b.partner_id ORDER BY 1)";
static const char rollups_sql[] =
    "SELECT group_concat(line, ';') FROM (SELECT p.ref_code || ' ' || d.day || ' ' || d.link_id"
    " || ' ' || d.clicks || ' ' || d.conversions || ' ' || d.revenue || ' ' || d.commission"
    " AS line FROM daily_stats d JOIN partners p ON p.id = d.partner_id ORDER BY 1)";

static void same_answers_and_totals_with_and_without_deferring(uint64_t seed)
{
    enum { N = 400 };
    static struct op ops[N];
    static struct job deferred[N], direct[N];
    static int sizes[N];
    rng = seed;
    make_ops(ops, N);
    for (size_t b = 0; b < N; b++)
        sizes[b] = (int)rand_in(1, 24);

    void *sa = NULL, *sb = NULL;
    assert_int_equal(setup(&sa), 0);
    assert_int_equal(setup(&sb), 0);
    struct world wa, wb;
    make_world(&wa, sa);
    make_world(&wb, sb);
    int reruns = run_all(&wa, ops, N, sizes, deferred, true);
    assert_int_equal(run_all(&wb, ops, N, sizes, direct, false), 0);

    int waited = 0, refused = 0;
    for (size_t i = 0; i < N; i++) {
        const struct job *x = &deferred[i], *y = &direct[i];
        if (x->rc != y->rc || x->status != y->status || x->err_kind != y->err_kind ||
            x->earned != y->earned || x->job.outcome != y->job.outcome)
            fail_msg("seed %llu, op %zu (%s of %lld for %s): deferring rc %d status %d error %d "
                     "earned %lld, writing each rc %d status %d error %d earned %lld",
                     (unsigned long long)seed, i, ops[i].refund ? "refund" : "sale",
                     (long long)ops[i].amount, partners[ops[i].partner].ref, x->rc, x->status,
                     x->err_kind, (long long)x->earned, y->rc, y->status, y->err_kind,
                     (long long)y->earned);
        assert_false(y->saw_waiting);
        waited += x->saw_waiting;
        refused += ops[i].partner == BIG && x->err_kind == PD_ERR_UNPROCESSABLE;
    }
    assert_true(waited > N / 4); /* the sales did defer */
    assert_true(refused >= 1);   /* past the month's revenue limit */
    assert_true(reruns >= 1);    /* the batch that met the limit ran again */

    char *ba = rows_of(sa, balances_sql), *bb = rows_of(sb, balances_sql);
    char *ra = rows_of(sa, rollups_sql), *rb = rows_of(sb, rollups_sql);
    assert_string_equal(ba, bb);
    assert_string_equal(ra, rb);
    free(ba);
    free(bb);
    free(ra);
    free(rb);
    assert_int_equal(teardown(&sa), 0); /* the ledger's invariants hold in both */
    assert_int_equal(teardown(&sb), 0);
}

static void deferred_totals_match_writing_each_seed_1(void **state)
{
    (void)state;
    same_answers_and_totals_with_and_without_deferring(1);
}

static void deferred_totals_match_writing_each_seed_2(void **state)
{
    (void)state;
    same_answers_and_totals_with_and_without_deferring(20261206);
}

/* The increments of a savepoint rolled back come off; those of a released one stay until the
 * transaction ends. */
static void a_rolled_back_savepoint_takes_its_increments_off(void **state)
{
    (void)state;
    void *st = NULL;
    assert_int_equal(setup(&st), 0);
    struct kat *k = st;
    struct store *s = k->s;
    struct pd_err err = {0};
    const char *key[TOTAL_TEXTS] = {"p", NULL, NULL};
    const int64_t one[TOTAL_VALUES] = {1, 2, 3, 4, 5}, big[TOTAL_VALUES] = {INT64_MAX, 0, 0, 0, 0};
    assert_int_equal(store_begin(s, &err), 0);
    assert_int_equal(store_begin(s, &err), 0);
    assert_int_equal(store_total_add(s, 7, key, 0, one), 0);
    assert_int_equal(store_commit(s, &err), 0); /* released: stays */
    assert_int_equal(store_begin(s, &err), 0);
    assert_int_equal(store_total_add(s, 7, key, 0, one), 0);
    assert_int_equal(store_total_add(s, 7, (const char *[TOTAL_TEXTS]){"q", NULL, NULL}, 0, one),
                     0);
    assert_int_equal(store_total_add(s, 7, key, 0, big), -1); /* past int64: nothing added */
    store_rollback(s);
    size_t n = 0;
    const struct total_row *rows = store_totals_rows(s, &n);
    assert_int_equal(n, 2); /* q stays, at zero */
    for (int i = 0; i < TOTAL_VALUES; i++) {
        assert_int_equal(rows[0].v[i], one[i]);
        assert_int_equal(rows[1].v[i], 0);
    }
    assert_true(store_totals_pending(s));
    assert_int_equal(store_commit(s, &err), 0);
    assert_false(store_totals_pending(s)); /* forgotten with the transaction */
    assert_int_equal(teardown(&st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_rolled_back_savepoint_takes_its_increments_off),
        cmocka_unit_test(deferred_totals_match_writing_each_seed_1),
        cmocka_unit_test(deferred_totals_match_writing_each_seed_2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
