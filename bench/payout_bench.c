/* The payout batch at scale: 100,000 partners (half paid by PayPal, half by IBAN) and 1,000,000
 * approved commissions of a EUR program in a fresh SQLite database; then the draft made
 * (payout_create) and refreshed (payout_refresh), the SEPA XML exported (its IBAN items leave:
 * payout entries, commissions paid; then the file written) and the PayPal CSV exported (every
 * part), each timed, and the batch marked paid.
 * Usage: payout_bench [DIR] [PARTNERS] [COMMISSIONS]   Prints one line of figures per stage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/payouts.h"
#include "app/records.h"
#include "core/ids.h"
#include "store/store.h"
#include "util/strbuf.h"
#include "util/timefmt.h"

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void die(const char *what, const struct pd_err *err)
{
    fprintf(stderr, "payout_bench: %s: %s\n", what, err->message);
    exit(1);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    long partners = argc > 2 ? strtol(argv[2], NULL, 10) : 100000;
    long commissions = argc > 3 ? strtol(argv[3], NULL, 10) : 1000000;
    char path[1024];
    snprintf(path, sizeof path, "sqlite:%s/payout-bench.db", dir);
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char f[1100];
        snprintf(f, sizeof f, "%s/payout-bench.db%s", dir, suffixes[i]);
        remove(f);
    }
    struct pd_err err = {0};
    struct store *s = store_open(path, false, &err);
    if (!s || store_migrate(s, &err) < 0)
        die("open", &err);

    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int64_t now = time_now_ms();
    int64_t month = time_month_start_ms(now);
    struct arena a;
    arena_init(&a, 1 << 16);
    struct program p = {0};
    p.id = "prg_bench";
    p.name = "Bench";
    p.currency = currency_find("EUR");
    p.payout_debtor_json = "{\"bic\":\"BYLADEM1001\",\"iban\":\"DE02120300000000202051\","
                           "\"name\":\"Bench GmbH\"}";
    p.default_url = "https://shop.example/";
    p.click_param = "pd_click";
    p.attribution_window_days = 30;
    p.min_payout = 5000;
    p.recurring_months = -1;
    p.parent_levels = 1;
    p.monthly_cap = -1;
    p.rules_json = "[{\"type\":\"percent\",\"bps\":1000}]";
    p.rules.version = 1;
    p.created_at = p.updated_at = month;
    if (store_begin(s, &err) < 0 || program_save(s, &p, "[\"shop.example\"]", true, &err) < 0)
        die("program", &err);
    char id[ID_MAX_LEN], email[64], code[32];
    for (long i = 0; i < partners; i++) {
        snprintf(id, sizeof id, "ptn_%08ld", i);
        snprintf(email, sizeof email, "p%ld@partners.example", i);
        snprintf(code, sizeof code, "p%ld", i);
        struct db_val v[6] = {db_text(id), db_text(email), db_text(code),
                              db_text(i % 2 ? "{\"email\":\"x@partners.example\",\"type\":\"paypal\"}"
                                            : "{\"holder\":\"Holder\",\"iban\":\"DE89370400440532013000\",\"type\":\"iban\"}"),
                              db_int(month), db_int(month)};
        if (store_exec(s,
                       "INSERT INTO partners (id, program_id, email, name, ref_code, status,"
                       " payout_method, created_at, updated_at)"
                       " VALUES (?1, 'prg_bench', ?2, ?2, ?3, 'active', ?4, ?5, ?6)",
                       v, 6, NULL, &err) < 0)
            die("partners", &err);
    }
    for (long i = 0; i < commissions; i++) {
        char cid[32], pid[32], l1[40], l2[40];
        snprintf(cid, sizeof cid, "com_%010ld", i);
        snprintf(pid, sizeof pid, "ptn_%08ld", i % partners);
        snprintf(l1, sizeof l1, "led_c%010ld", i);
        snprintf(l2, sizeof l2, "led_a%010ld", i);
        int64_t amount = 100 + (i * 7919) % 2000;
        int64_t at = month + (i % 86400000);
        struct db_val c[5] = {db_text(cid), db_text(pid), db_int(amount), db_int(at),
                              db_int(at + 1000)};
        struct db_val e1[5] = {db_text(l1), db_text(pid), db_text(cid), db_int(amount),
                               db_int(at)};
        struct db_val e2[5] = {db_text(l2), db_text(pid), db_text(cid), db_int(amount),
                               db_int(at + 1000)};
        if (store_exec(s,
                       "INSERT INTO commissions (id, program_id, partner_id, level, rule_id,"
                       " rule_version, base, amount, reversed, currency, status, explanation,"
                       " hold_until, created_at, updated_at, approved_at)"
                       " VALUES (?1, 'prg_bench', ?2, 0, 'r0', 1, ?3 * 10, ?3, 0, 'EUR',"
                       " 'approved', '', ?4, ?4, ?5, ?5)",
                       c, 5, NULL, &err) < 0 ||
            store_exec(s,
                       "INSERT INTO ledger_entries (id, program_id, partner_id, commission_id,"
                       " currency, kind, pending, approved, paid, created_at)"
                       " VALUES (?1, 'prg_bench', ?2, ?3, 'EUR', 'commission', ?4, 0, 0, ?5)",
                       e1, 5, NULL, &err) < 0 ||
            store_exec(s,
                       "INSERT INTO ledger_entries (id, program_id, partner_id, commission_id,"
                       " currency, kind, pending, approved, paid, created_at)"
                       " VALUES (?1, 'prg_bench', ?2, ?3, 'EUR', 'approval', -?4, ?4, 0, ?5)",
                       e2, 5, NULL, &err) < 0)
            die("commissions", &err);
    }
    /* The running balances every ledger write keeps (what the entries above bypassed). */
    if (store_exec(s,
                   "INSERT INTO partner_balances (partner_id, pending, approved, paid)"
                   " SELECT partner_id, SUM(pending), SUM(approved), SUM(paid)"
                   " FROM ledger_entries GROUP BY partner_id",
                   NULL, 0, NULL, &err) < 0)
        die("balances", &err);
    if (store_commit(s, &err) < 0)
        die("commit", &err);
    printf("load: %ld partners, %ld approved commissions, %ld ledger entries in %.2f s\n",
           partners, commissions, 2 * commissions, seconds_since(&t0));

    char period[8];
    int64_t y;
    unsigned m, d;
    time_civil_from_days(month / 86400000, &y, &m, &d);
    snprintf(period, sizeof period, "%04lld-%02u", (long long)y, m);

    const char *payout_id;
    bool created;
    double t_create, t_refresh, t_sepa, t_paypal, t_paid;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (store_begin(s, &err) < 0 ||
        payout_create(s, NULL, period, now, &a, &payout_id, &created, NULL, NULL, &err) < 0 ||
        store_commit(s, &err) < 0)
        die("payout_create", &err);
    t_create = seconds_since(&t0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (store_begin(s, &err) < 0 || payout_refresh(s, payout_id, now + 1, &err) < 0 ||
        store_commit(s, &err) < 0)
        die("payout_refresh", &err);
    t_refresh = seconds_since(&t0);
    /* Each export as the API does it: the write (items leave), committed, then the file. */
    size_t sepa_bytes = 0, paypal_bytes = 0, parts = 0;
    struct payout_file_request sepa = {.kind = PAYOUT_FILE_SEPA};
    struct strbuf out;
    strbuf_init(&out, (size_t)1 << 31);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (store_begin(s, &err) < 0 || payout_export(s, &sepa, payout_id, now + 2, &parts, &err) < 0 ||
        store_commit(s, &err) < 0 || payout_file_write(s, &sepa, payout_id, &out, &err) < 0 ||
        strbuf_check(&out, "sepa", &err) < 0)
        die("SEPA export", &err);
    sepa_bytes = out.len;
    t_sepa = seconds_since(&t0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct payout_file_request pp = {.kind = PAYOUT_FILE_PAYPAL, .part = 1};
    if (store_begin(s, &err) < 0 || payout_export(s, &pp, payout_id, now + 3, &parts, &err) < 0 ||
        store_commit(s, &err) < 0)
        die("PayPal export", &err);
    for (pp.part = 1; pp.part <= parts; pp.part++) {
        strbuf_reset(&out);
        if (payout_file_write(s, &pp, payout_id, &out, &err) < 0 ||
            strbuf_check(&out, "paypal", &err) < 0)
            die("PayPal CSV", &err);
        paypal_bytes += out.len;
    }
    t_paypal = seconds_since(&t0);
    strbuf_free(&out);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (store_begin(s, &err) < 0 || payout_mark_paid(s, payout_id, now + 4, &err) < 0 ||
        store_commit(s, &err) < 0)
        die("mark paid", &err);
    t_paid = seconds_since(&t0);
    json_t *summary = payout_json(s, payout_id, false, &err);
    printf(
        "payout batch: create %.2f s, refresh %.2f s, SEPA export %.2f s (%zu bytes), PayPal CSV "
        "export %.2f s (%zu parts, %zu bytes) for %lld items, total %lld; mark paid: %.2f s\n",
        t_create, t_refresh, t_sepa, sepa_bytes, t_paypal, parts, paypal_bytes,
        (long long)json_integer_value(json_object_get(summary, "item_count")),
        (long long)json_integer_value(json_object_get(summary, "total")), t_paid);
    json_decref(summary);
    arena_free(&a);
    store_close(s);
    return 0;
}
