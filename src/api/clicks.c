/* The click path: GET /c/{code} (a visitor, answered with a 302 once the click is committed) and
 * POST /api/v1/clicks (a store registering a click server-side). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app/clicks.h"
#include "app/link_cache.h"
#include "core/url.h"
#include "http/query.h"
#include "util/banned.h"

#define LOCATION_MAX 4096

struct click_job {
    struct write_job job;
    struct api_call *call;
    struct click click;
    struct pd_err err;
    char location[LOCATION_MAX];
};

static const char not_found_page[] =
    "<!doctype html><meta charset=utf-8><title>Link not found</title>"
    "<p>This link does not exist or is no longer active.</p>\n";

static void reply_not_found(struct api_call *call)
{
    static const struct http_header h[] = {
        {"Content-Type", "text/html; charset=utf-8"},
        {"Cache-Control", "no-store"},
        {"Content-Security-Policy", "default-src 'none'"},
        {"X-Content-Type-Options", "nosniff"},
    };
    atomic_fetch_add(&call->app->metrics.clicks_not_found, 1);
    api_reply_raw(call, 404, h, 4, not_found_page, sizeof not_found_page - 1);
}

static void reply_redirect(struct api_call *call, const char *location)
{
    struct http_header h[3] = {
        {"Location", location},
        {"Cache-Control", "no-store"},
        {"Referrer-Policy", "no-referrer-when-downgrade"},
    };
    api_reply_raw(call, 302, h, 3, "", 0);
}

static int click_job_run(struct store *s, struct write_job *job)
{
    struct click_job *cj = (struct click_job *)job;
    return click_record(s, &cj->click, &cj->err);
}

/* A run of click jobs in one batch: one savepoint, one rollup update per (link, day). */
static int click_jobs_run_many(struct store *s, struct write_job *first, size_t n)
{
    struct click **clicks = malloc(n * sizeof *clicks);
    if (!clicks)
        abort();
    struct write_job *j = first;
    for (size_t i = 0; i < n; i++, j = j->next)
        clicks[i] = &((struct click_job *)j)->click;
    struct click_job *cj = (struct click_job *)first;
    int rc = click_record_many(s, clicks, n, &cj->err);
    free(clicks);
    return rc;
}

static const struct write_group click_jobs = {.run_many = click_jobs_run_many};

static void click_job_reply(void *arg)
{
    struct click_job *cj = arg;
    if (cj->job.outcome != WRITE_COMMITTED) {
        api_reply_errorf(cj->call, PD_ERR_INTERNAL, NULL, "the click could not be stored; retry");
        return;
    }
    atomic_fetch_add(&cj->call->app->metrics.clicks, 1);
    reply_redirect(cj->call, cj->location);
}

static void click_job_done(struct write_job *job)
{
    struct click_job *cj = (struct click_job *)job;
    http_worker_post(cj->call->req->worker, click_job_reply, cj);
}

/* The clicks of one turn of this worker's loop, as one batch on this thread: no hand-off to the
 * writer thread and back (two thread wake-ups per batch, the largest cost of a click here). */
static void flush_clicks(struct http_deferred *d)
{
    struct app_worker *aw = (struct app_worker *)((char *)d - offsetof(struct app_worker, click_flush));
    struct write_job *batch = aw->clicks_head;
    aw->clicks_head = aw->clicks_tail = NULL;
    if (!batch)
        return;
    enum writer_answer answer = writer_run_here(aw->app->writer, batch);
    if (answer == WRITER_ANSWER_LATER)
        return;
    for (struct write_job *j = batch, *next; j; j = next) {
        next = j->next; /* answering (or the writer) may free the job */
        struct click_job *cj = (struct click_job *)j;
        if (answer == WRITER_ANSWER_NOW)
            click_job_reply(cj);
        else if (writer_submit(aw->app->writer, j) < 0)
            api_reply_errorf(cj->call, PD_ERR_UNAVAILABLE, NULL, "the server is shutting down");
    }
}

static void submit_click(struct api_call *call, struct click_job *cj)
{
    struct app_worker *aw = call->worker;
    if (!writer_can_run_here(call->app->writer)) {
        if (writer_submit(call->app->writer, &cj->job) < 0)
            api_reply_errorf(call, PD_ERR_UNAVAILABLE, NULL, "the server is shutting down");
        return;
    }
    cj->job.next = NULL;
    if (aw->clicks_tail)
        aw->clicks_tail->next = &cj->job;
    else
        aw->clicks_head = &cj->job;
    aw->clicks_tail = &cj->job;
    aw->click_flush.fn = flush_clicks;
    http_worker_defer(call->req->worker, &aw->click_flush);
}

/* The sub-ids a visitor's URL may carry: sub1..sub5 (each ≤ 255 bytes). */
static void subs_from_query(struct api_call *call, const char *sub[5])
{
    static const char *const names[5] = {"sub1", "sub2", "sub3", "sub4", "sub5"};
    for (int i = 0; i < 5; i++) {
        const char *v = api_query(call, names[i]);
        sub[i] = v && *v && strlen(v) <= 255 ? v : NULL;
    }
}

/* The link behind a code: from the link cache, or from the database (then cached). */
static int link_lookup(struct api_call *call, const char *code, struct link_target *t,
                       struct pd_err *err)
{
    struct link_cache *cache = call->app->links;
    if (!cache)
        return link_target_load(call->db, code, call->req->arena, t, err);
    /* The generation is read before the database, so data older than a change is never filed
     * under the generation that follows the change. */
    uint64_t gen = writer_generation(call->app->writer);
    if (link_cache_get(cache, code, gen, call->now_ms, call->req->arena, t) == 0)
        return 0;
    int rc = link_target_load(call->db, code, call->req->arena, t, err);
    if (rc == 0)
        link_cache_put(cache, code, gen, call->now_ms, t);
    return rc;
}

void api_click_redirect(struct api_call *call)
{
    struct link_target t;
    struct pd_err err = {0};
    const char *code = call->path_params[0];
    int rc = strlen(code) > 64 ? 1 : link_lookup(call, code, &t, &err);
    if (rc < 0) {
        api_reply_error(call, &err);
        return;
    }
    if (rc > 0) {
        reply_not_found(call);
        return;
    }
    if (strcmp(t.partner_status, "active") != 0) {
        /* A suspended (or not yet approved) partner's visitors still reach the store, uncredited. */
        reply_redirect(call, t.default_url);
        return;
    }
    struct click_job *cj = arena_calloc(call->req->arena, sizeof *cj);
    cj->call = call;
    cj->job.run = click_job_run;
    cj->job.done = click_job_done;
    cj->job.group = &click_jobs;
    cj->job.keeps_links = true;
    const char *sub[5];
    subs_from_query(call, sub);
    click_prepare(&cj->click, &t, call->app->fingerprint_key, call->req->peer_ip,
                  http_header_get(call->req, "User-Agent"), http_header_get(call->req, "Referer"),
                  NULL, sub, call->now_ms, call->req->arena);
    if (url_append_param(t.destination, t.click_param, cj->click.id, cj->location,
                         sizeof cj->location) < 0) {
        api_reply_errorf(call, PD_ERR_INTERNAL, NULL, "the destination URL is too long");
        return;
    }
    submit_click(call, cj);
}

static const char *const click_fields[] = {"code", "ref", "ip", "user_agent", "referrer",
                                           "landing_url", "sub1", "sub2", "sub3", "sub4",
                                           "sub5", NULL};

static int click_create_op(struct store *s, struct api_write *w)
{
    struct click *c = w->op_arg;
    if (click_record(s, c, &w->err) < 0)
        return -1;
    w->status = 201;
    w->result = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "click_id", c->id, "object", "click",
                          "partner_id", c->partner_id, "link_id", c->link_id, "unique", c->unique,
                          "bot", c->bot);
    return 0;
}

void api_click_create(struct api_call *call)
{
    struct pd_err err = {0};
    const char *code, *ref, *ip, *ua, *referrer, *landing, *sub[5];
    static const char *const sub_names[5] = {"sub1", "sub2", "sub3", "sub4", "sub5"};
    json_t *b = call->body;
    if (api_check_fields(b, click_fields, &err) < 0 ||
        api_get_string(b, "code", false, 64, &code, &err) < 0 ||
        api_get_string(b, "ref", false, 64, &ref, &err) < 0 ||
        api_get_string(b, "ip", false, 64, &ip, &err) < 0 ||
        api_get_string(b, "user_agent", false, 1024, &ua, &err) < 0 ||
        api_get_string(b, "referrer", false, 2048, &referrer, &err) < 0 ||
        api_get_string(b, "landing_url", false, 2048, &landing, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    for (int i = 0; i < 5; i++) {
        if (api_get_string(b, sub_names[i], false, 255, &sub[i], &err) < 0) {
            api_reply_error(call, &err);
            return;
        }
    }
    if (!code && !ref) {
        api_reply_errorf(call, PD_ERR_BAD_REQUEST, "code", "code or ref is required");
        return;
    }
    struct link_target t;
    int rc = link_target_load(call->db, code ? code : ref, call->req->arena, &t, &err);
    if (rc != 0) {
        if (rc > 0)
            pd_err_set(&err, PD_ERR_NOT_FOUND, code ? "code" : "ref", "no link with this code");
        api_reply_error(call, &err);
        return;
    }
    if (strcmp(t.partner_status, "active") != 0) {
        api_reply_errorf(call, PD_ERR_UNPROCESSABLE, code ? "code" : "ref",
                         "the partner of this link is not active");
        return;
    }
    struct click *c = arena_calloc(call->req->arena, sizeof *c);
    click_prepare(c, &t, call->app->fingerprint_key, ip, ua, referrer, landing, sub, call->now_ms,
                  call->req->arena);
    api_submit_write(call, click_create_op, c);
}
