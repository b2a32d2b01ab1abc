/* The click path: GET /c/{code} (a visitor, answered with a 302 once the click is committed) and
 * POST /api/v1/clicks (a store registering a click server-side). */
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app/click_codec.h"
#include "app/click_journal.h"
#include "app/click_limit.h"
#include "app/clicks.h"
#include "app/link_cache.h"
#include "core/url.h"
#include "http/query.h"
#include "util/banned.h"

#define LOCATION_MAX 4096
#define CHUNK_CLICKS 256 /* most clicks in one append to the journal */

struct click_job {
    struct write_job job;
    struct api_call *call;
    struct click click;
    struct pd_err err;
    char location[LOCATION_MAX];
    /* The first click of a chunk appended to the journal as one write (see flush_chunk): what
     * its answer waits for. */
    struct journal_waiter waiter; /* the journal's flush (synchronous=full) */
    struct write_job applied;     /* queued behind the chunk's clicks: the database has them */
    atomic_int parts;             /* of those two, not yet done */
    bool durable;
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

/* Answers a chunk: 302s once its journal write is durable, 500s when it could not be made so. */
static void chunk_reply(void *arg)
{
    struct click_job *first = arg;
    bool durable = first->durable;
    for (struct write_job *j = &first->job, *next; j; j = next) {
        next = j->next; /* answering frees the job */
        struct click_job *cj = (struct click_job *)j;
        if (!durable) {
            api_reply_errorf(cj->call, PD_ERR_INTERNAL, NULL,
                             "the click could not be stored; retry");
            continue;
        }
        atomic_fetch_add(&cj->call->app->metrics.clicks, 1);
        reply_redirect(cj->call, cj->location);
    }
}

/* One thing the chunk's answer waits for is done (on a journal or writer thread); the last one
 * sends it back to the chunk's worker. */
static void chunk_part_done(struct click_job *first)
{
    if (atomic_fetch_sub(&first->parts, 1) == 1)
        http_worker_post(first->call->req->worker, chunk_reply, first);
}

static void chunk_durable(struct journal_waiter *w, bool ok)
{
    struct click_job *first = (struct click_job *)((char *)w - offsetof(struct click_job, waiter));
    first->durable = ok;
    chunk_part_done(first);
}

static void chunk_applied(struct write_job *job)
{
    chunk_part_done((struct click_job *)((char *)job - offsetof(struct click_job, applied)));
}

/* One chunk (jobs linked by next, records[i] of len[i] bytes each, already encoded): appended to
 * the journal as one write, handed to the writer thread (which gathers clicks into large batches),
 * and answered once the journal write is durable: the database gets the clicks soon after, and any
 * request that arrives after this answer finds them there (src/api/router.c). Unless more than
 * click_queue_max clicks would then wait for the database: the answer also waits for these to be
 * in it, so a writer that falls behind slows the clicks down instead of filling memory. */
static void flush_chunk(struct app_worker *aw, struct click_job *first,
                        const uint8_t *const *records, const size_t *len, size_t n)
{
    struct click_journal *cjr = aw->app->click_journal;
    struct pd_err err = {0};
    uint32_t segment;
    bool wait_for_db = atomic_load(&cjr->in_flight) + n > (size_t)aw->app->cfg.click_queue_max;
    /* Set before the append: the flush may be done before journal_append returns. */
    atomic_init(&first->parts, (cjr->flush ? 1 : 0) + (wait_for_db ? 1 : 0));
    first->durable = !cjr->flush;
    first->waiter.durable = chunk_durable;
    if (journal_append(cjr->journal, records, len, n, &first->waiter, &segment, &err) < 0) {
        fprintf(stderr, "level=error msg=\"clicks not journaled\" error=\"%s\"\n", err.message);
        first->durable = false;
        chunk_reply(first);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (click_journal_hand_over(cjr, records[i], len[i], segment) < 0)
            fprintf(stderr, "level=warn msg=\"a journaled click waits for the next start\"\n");
    if (wait_for_db) {
        first->applied = (struct write_job){.run = writer_run_nothing,
                                            .done = chunk_applied,
                                            .keeps_links = true,
                                            .writes_nothing = true};
        if (writer_submit(aw->app->writer, &first->applied) < 0)
            chunk_part_done(first); /* stopping: the journal has them */
    }
    if (!cjr->flush && !wait_for_db)
        chunk_reply(first);
}

/* With a journal: the turn's clicks in chunks of at most CHUNK_CLICKS (and JOURNAL_APPEND_MAX
 * bytes), each encoded into this worker's buffer. */
static void flush_journaled(struct app_worker *aw, struct write_job *batch)
{
    if (!aw->journal_buf) {
        aw->journal_buf = malloc(JOURNAL_APPEND_MAX);
        if (!aw->journal_buf)
            abort();
    }
    const uint8_t *records[CHUNK_CLICKS];
    size_t len[CHUNK_CLICKS];
    while (batch) {
        struct write_job *last = NULL;
        size_t n = 0, used = 0;
        for (struct write_job *j = batch; j && n < CHUNK_CLICKS; j = j->next) {
            size_t room = JOURNAL_APPEND_MAX - used - JOURNAL_RECORD_HEADER * (n + 1);
            if (JOURNAL_APPEND_MAX < used + JOURNAL_RECORD_HEADER * (n + 1))
                break;
            size_t l = click_encode(&((struct click_job *)j)->click, aw->journal_buf + used,
                                    room < JOURNAL_RECORD_MAX ? room : JOURNAL_RECORD_MAX);
            if (l == 0)
                break;
            records[n] = aw->journal_buf + used;
            len[n++] = l;
            used += l;
            last = j;
        }
        if (!last) { /* one click larger than a record: cannot happen within the header limits */
            struct write_job *next = batch->next;
            batch->next = NULL;
            api_reply_errorf(((struct click_job *)batch)->call, PD_ERR_INTERNAL, NULL,
                             "the click is too large to store");
            batch = next;
            continue;
        }
        struct write_job *rest = last->next;
        last->next = NULL;
        flush_chunk(aw, (struct click_job *)batch, records, len, n);
        batch = rest;
    }
}

/* The clicks read in one turn of this worker's loop: one journal write (per chunk) for them all. */
static void flush_clicks(struct http_deferred *d)
{
    struct app_worker *aw =
        (struct app_worker *)((char *)d - offsetof(struct app_worker, click_flush));
    struct write_job *batch = aw->clicks_head;
    aw->clicks_head = aw->clicks_tail = NULL;
    if (batch)
        flush_journaled(aw, batch);
}

static void submit_click(struct api_call *call, struct click_job *cj)
{
    struct app_worker *aw = call->worker;
    if (!call->app->click_journal) { /* PostgreSQL: committed there before the 302 */
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
        /* A suspended (or not yet approved) partner's visitors still reach the store, uncredited.
         */
        reply_redirect(call, t.default_url);
        return;
    }
    if (call->req->method == HTTP_HEAD) {
        /* Link checkers ask with HEAD: they learn where the link leads; no click is recorded. */
        reply_redirect(call, t.destination);
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
    click_prepare(&cj->click, &t, call->app->fingerprint_key, call->app->bots, call->client_ip,
                  http_header_get(call->req, "User-Agent"), http_header_get(call->req, "Referer"),
                  NULL, sub, call->now_ms, call->req->arena);
    cj->click.over_limit =
        !click_limiter_allow(call->app->click_limiter, call->client_ip, call->now_ms);
    if (url_append_param(t.destination, t.click_param, cj->click.id, cj->location,
                         sizeof cj->location) < 0) {
        api_reply_errorf(call, PD_ERR_INTERNAL, NULL, "the destination URL is too long");
        return;
    }
    submit_click(call, cj);
}

static const char *const click_fields[] = {"code",     "ref",         "ip",   "user_agent",
                                           "referrer", "landing_url", "sub1", "sub2",
                                           "sub3",     "sub4",        "sub5", NULL};

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
    if (call->auth.kind == AUTH_PUBLISHABLE) {
        /* A publishable key is public (it sits in a shop's pages): whoever holds it must not
         * choose the visitor's address or browser, which bot filtering and uniqueness rely on.
         * Its clicks are the caller's own. */
        const char *field = json_object_get(b, "ip")           ? "ip"
                            : json_object_get(b, "user_agent") ? "user_agent"
                                                               : NULL;
        if (field) {
            api_reply_errorf(call, PD_ERR_BAD_REQUEST, field,
                             "%s may only be set with a secret key; a publishable key's clicks"
                             " carry the caller's own address and User-Agent",
                             field);
            return;
        }
        ip = call->client_ip;
        ua = http_header_get(call->req, "User-Agent");
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
                         "%s", strcmp(t.partner_status, "disabled") == 0
                                   ? "this link is disabled"
                                   : "the partner of this link is not active");
        return;
    }
    /* The limit is the visitor's (the address sent), else the caller's. */
    if (!click_limiter_allow(call->app->click_limiter, ip ? ip : call->client_ip, call->now_ms)) {
        api_reply_errorf(call, PD_ERR_RATE_LIMITED, "ip",
                         "too many clicks from this address: at most %d a minute",
                         call->app->cfg.click_rate_limit);
        return;
    }
    struct click *c = arena_calloc(call->req->arena, sizeof *c);
    click_prepare(c, &t, call->app->fingerprint_key, call->app->bots, ip, ua, referrer, landing,
                  sub, call->now_ms, call->req->arena);
    api_submit_write(call, click_create_op, c);
}
