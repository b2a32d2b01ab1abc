/* partnerd payouts run, partnerd approve-due: the money jobs from the command line. They use the
 * same functions as the API, in one transaction each. */
#include <stdio.h>
#include <string.h>

#include "app/lifecycle.h"
#include "app/payouts.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "util/timefmt.h"
#include "util/banned.h"

static const char payouts_usage[] =
    "usage: partnerd payouts run --period YYYY-MM [--program ID] [--csv FILE] [--db URL]\n"
    "\n"
    "Makes the program's draft batch for the period (the current month or an earlier one) from\n"
    "every partner's approved balance as it is now, or refreshes the draft of that period, and\n"
    "writes its items as CSV (to FILE, default pay_<id>.csv): payable ones, and held ones with\n"
    "the reason (no payout method, below min_payout, suspended). Money leaves when a payment\n"
    "file is downloaded (GET /api/v1/payouts/{id}/sepa.xml, paypal.csv, wise.csv) or the batch\n"
    "is marked paid (POST /api/v1/payouts/{id}/paid).\n";

int cmd_payouts(int argc, char **argv)
{
    struct app_config cfg;
    if (cli_wants_help(argc, argv, payouts_usage))
        return 0;
    if (config_load(&cfg, &argc, argv, payouts_usage) < 0)
        return 2;
    const char *period = NULL, *program = NULL, *csv = NULL;
    if (argc < 2 || strcmp(argv[1], "run") != 0) {
        fputs(payouts_usage, stderr);
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--period") == 0 && i + 1 < argc)
            period = argv[++i];
        else if (strcmp(argv[i], "--program") == 0 && i + 1 < argc)
            program = argv[++i];
        else if (strcmp(argv[i], "--csv") == 0 && i + 1 < argc)
            csv = argv[++i];
        else {
            fprintf(stderr, "partnerd payouts: unknown argument %s\n%s", argv[i], payouts_usage);
            return 2;
        }
    }
    if (!period) {
        fprintf(stderr, "partnerd payouts: --period is required\n%s", payouts_usage);
        return 2;
    }
    struct store *s = cli_open_store(&cfg, false);
    if (!s)
        return 1;
    struct arena a;
    arena_init(&a, 4096);
    struct pd_err err = {0};
    int rc = 1;
    const char *id;
    bool created;
    FILE *out = NULL;
    if (store_begin(s, &err) < 0)
        goto fail;
    if (payout_create(s, program, period, time_now_ms(), &a, &id, &created, progress_show, NULL,
                      &err) < 0 ||
        store_commit(s, &err) < 0) {
        store_rollback(s);
        goto fail;
    }
    char path[512];
    snprintf(path, sizeof path, "%s.csv", id);
    if (!csv)
        csv = path;
    out = fopen(csv, "w");
    if (!out) {
        pd_err_set(&err, PD_ERR_INTERNAL, NULL, "cannot write %s", csv);
        goto fail;
    }
    if (payout_write_csv(s, id, out, progress_show, NULL, &err) < 0)
        goto fail;
    if (fclose(out) != 0) {
        out = NULL;
        pd_err_set(&err, PD_ERR_INTERNAL, NULL, "cannot write %s", csv);
        goto fail;
    }
    out = NULL;
    json_t *summary = payout_json(s, id, false, &err);
    if (!summary)
        goto fail;
    printf("%s draft payout %s for %s: %lld items (%lld held), total %lld %s (minor units); "
           "CSV: %s\n",
           created ? "made" : "refreshed the", id, period,
           (long long)json_integer_value(json_object_get(summary, "item_count")),
           (long long)json_integer_value(json_object_get(summary, "held_count")),
           (long long)json_integer_value(json_object_get(summary, "total")),
           json_string_value(json_object_get(summary, "currency")), csv);
    json_decref(summary);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "partnerd payouts: %s\n", err.message);
done:
    if (out)
        fclose(out);
    arena_free(&a);
    store_close(s);
    return rc;
}

static const char approve_usage[] =
    "usage: partnerd approve-due [--db URL] [--now RFC3339]\n"
    "\n"
    "Approves every pending commission whose hold period has passed (the server also does this\n"
    "every approve_interval seconds). --now approves the holds that end by that time instead (to\n"
    "approve early, or in tests); the approvals are recorded at the real time.\n";

int cmd_approve_due(int argc, char **argv)
{
    struct app_config cfg;
    if (cli_wants_help(argc, argv, approve_usage))
        return 0;
    if (config_load(&cfg, &argc, argv, approve_usage) < 0)
        return 2;
    int64_t due = time_now_ms();
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--now") == 0 && i + 1 < argc) {
            if (!time_parse_rfc3339(argv[++i], &due)) {
                fprintf(stderr, "partnerd approve-due: --now must be an RFC 3339 time\n");
                return 2;
            }
        } else {
            fprintf(stderr, "partnerd approve-due: unknown argument %s\n%s", argv[i],
                    approve_usage);
            return 2;
        }
    }
    struct store *s = cli_open_store(&cfg, false);
    if (!s)
        return 1;
    struct pd_err err = {0};
    int64_t total = 0, batch;
    int rc = 0;
    do {
        batch = 0;
        if (store_begin(s, &err) < 0 ||
            commissions_approve_due_by(s, due, time_now_ms(), 1000, &batch, &err) < 0 ||
            store_commit(s, &err) < 0) {
            store_rollback(s);
            fprintf(stderr, "partnerd approve-due: %s\n", err.message);
            rc = 1;
            break;
        }
        total += batch;
        progress_show("approved", total, total, NULL);
    } while (batch == 1000);
    if (rc == 0)
        printf("approved %lld commission(s)\n", (long long)total);
    store_close(s);
    return rc;
}
