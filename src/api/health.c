/* /healthz, /readyz and /metrics for the operator. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "app/click_journal.h"
#include "util/banned.h"

void api_health(struct api_call *call)
{
    api_reply_json(call, 200, json_pack("{s:s}", "status", "ok"));
}

void api_ready(struct api_call *call)
{
    struct pd_err err = {0};
    int version = store_schema_version(call->db);
    if (version < 1) {
        api_reply_errorf(call, PD_ERR_UNAVAILABLE, NULL,
                         "the database is not reachable or not "
                         "initialised");
        return;
    }
    (void)err;
    api_reply_json(call, 200,
                   json_pack("{s:s, s:i}", "status", "ready", "schema_version", version));
}

/* /metrics is for the operator's scraper only: without a metrics_token it does not exist (404,
 * as an unknown path), and with one it answers only "Authorization: Bearer <metrics_token>"
 * (401 otherwise). The comparison does not depend on where the sent token differs. */
static bool metrics_allowed(struct api_call *call)
{
    const char *want = call->app->cfg.metrics_token;
    if (!want[0]) {
        api_reply_errorf(call, PD_ERR_NOT_FOUND, NULL, "no such endpoint: %s", call->req->path);
        return false;
    }
    const char *auth = http_header_get(call->req, "Authorization");
    const char *sent = auth && strncasecmp(auth, "Bearer ", 7) == 0 ? auth + 7 : "";
    unsigned char a[32], b[32];
    crypto_generichash(a, sizeof a, (const unsigned char *)want, strlen(want), NULL, 0);
    crypto_generichash(b, sizeof b, (const unsigned char *)sent, strlen(sent), NULL, 0);
    if (sodium_memcmp(a, b, sizeof a) == 0)
        return true;
    static const char body[] = "{\"error\":{\"code\":\"unauthorized\",\"message\":\"/metrics needs"
                               " Authorization: Bearer <metrics_token>\",\"param\":null}}";
    static const struct http_header h[] = {
        {"Content-Type", "application/json"},
        {"Cache-Control", "no-store"},
        {"WWW-Authenticate", "Bearer realm=\"metrics\""},
    };
    api_reply_raw(call, 401, h, 3, body, sizeof body - 1);
    return false;
}

void api_metrics(struct api_call *call)
{
    if (!metrics_allowed(call))
        return;
    struct app_metrics *m = &call->app->metrics;
    struct writer_stats ws;
    writer_get_stats(call->app->writer, &ws);
    char body[4096];
    int n = snprintf(
        body, sizeof body,
        "# TYPE partnerd_requests_total counter\npartnerd_requests_total %llu\n"
        "# TYPE partnerd_clicks_total counter\npartnerd_clicks_total %llu\n"
        "# TYPE partnerd_clicks_not_found_total counter\n"
        "partnerd_clicks_not_found_total %llu\n"
        "# TYPE partnerd_conversions_total counter\npartnerd_conversions_total %llu\n"
        "# TYPE partnerd_responses_4xx_total counter\npartnerd_responses_4xx_total %llu\n"
        "# TYPE partnerd_responses_5xx_total counter\npartnerd_responses_5xx_total %llu\n"
        "# TYPE partnerd_commit_batches_total counter\npartnerd_commit_batches_total %llu\n"
        "# TYPE partnerd_commit_jobs_total counter\npartnerd_commit_jobs_total %llu\n"
        "# TYPE partnerd_commit_failed_batches_total counter\n"
        "partnerd_commit_failed_batches_total %llu\n"
        "# TYPE partnerd_commit_batch_max gauge\npartnerd_commit_batch_max %llu\n"
        "# TYPE partnerd_checkpoint_catch_ups_total counter\n"
        "partnerd_checkpoint_catch_ups_total %llu\n"
        "# TYPE partnerd_checkpoint_catch_up_frames_total counter\n"
        "partnerd_checkpoint_catch_up_frames_total %llu\n"
        "# TYPE partnerd_http_body_bytes gauge\npartnerd_http_body_bytes %zu\n",
        (unsigned long long)atomic_load(&m->requests), (unsigned long long)atomic_load(&m->clicks),
        (unsigned long long)atomic_load(&m->clicks_not_found),
        (unsigned long long)atomic_load(&m->conversions),
        (unsigned long long)atomic_load(&m->errors_4xx),
        (unsigned long long)atomic_load(&m->errors_5xx), (unsigned long long)ws.batches,
        (unsigned long long)ws.jobs, (unsigned long long)ws.failed_batches,
        (unsigned long long)ws.max_batch, (unsigned long long)ws.catch_ups,
        (unsigned long long)ws.catch_up_frames, http_server_body_bytes(call->app->http));
    struct click_journal *cj = call->app->click_journal;
    if (cj && n > 0 && (size_t)n < sizeof body) {
        struct journal_stats js;
        journal_get_stats(cj->journal, &js);
        n += snprintf(body + n, sizeof body - (size_t)n,
                      "# TYPE partnerd_journal_records_total counter\n"
                      "partnerd_journal_records_total %llu\n"
                      "# TYPE partnerd_journal_appends_total counter\n"
                      "partnerd_journal_appends_total %llu\n"
                      "# TYPE partnerd_journal_flushes_total counter\n"
                      "partnerd_journal_flushes_total %llu\n"
                      "# TYPE partnerd_journal_flush_seconds_total counter\n"
                      "partnerd_journal_flush_seconds_total %.6f\n"
                      "# TYPE partnerd_journal_pending gauge\npartnerd_journal_pending %llu\n"
                      "# TYPE partnerd_journal_segments gauge\npartnerd_journal_segments %u\n",
                      (unsigned long long)js.records, (unsigned long long)js.appends,
                      (unsigned long long)js.flushes, (double)js.flush_us / 1e6,
                      (unsigned long long)js.pending, js.segments);
    }
    if (n > 0 &&
        (size_t)n < sizeof body) /* jobs run again: another node or writer held their lock */
        n += snprintf(body + n, sizeof body - (size_t)n,
                      "# TYPE partnerd_writes_postponed_total counter\n"
                      "partnerd_writes_postponed_total %llu\n"
                      "# TYPE partnerd_commit_batches_rerun_total counter\n"
                      "partnerd_commit_batches_rerun_total %llu\n",
                      (unsigned long long)ws.postponed, (unsigned long long)ws.reruns);
    static const struct http_header h[] = {{"Content-Type", "text/plain; version=0.0.4"}};
    api_reply_raw(call, 200, h, 1, body, n > 0 && (size_t)n < sizeof body ? (size_t)n : 0);
}
