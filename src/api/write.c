/* Writes go through the group-commit writer; this file is the bridge between a request on a worker
 * thread and a job on the writer thread, and where Idempotency-Key is honoured. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app/idempotency.h"
#include "app/totals.h"
#include "util/json_encode.h"
#include "util/banned.h"

#define IDEMPOTENCY_KEY_MAX 255

static void hash_request(struct api_call *call, char out[65])
{
    unsigned char digest[32];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof digest);
    const char *path = call->req->path;
    crypto_generichash_update(&st, (const unsigned char *)path, strlen(path) + 1);
    crypto_generichash_update(&st, (const unsigned char *)call->req->body, call->req->body_len);
    crypto_generichash_final(&st, digest, sizeof digest);
    sodium_bin2hex(out, 65, digest, sizeof digest);
}

/* Replays a stored answer, refuses a different body under the same key, or returns 1 when the key
 * is new. */
static int idempotency_lookup(struct store *s, struct api_write *w)
{
    int rc = idempotency_find(s, w->call->auth.key_id, w->idem_key, w->request_hash,
                              &w->answer_status, &w->answer, &w->err);
    if (rc == 0)
        w->replayed = true;
    return rc;
}

static int write_run(struct store *s, struct write_job *job)
{
    struct api_write *w = (struct api_write *)job;
    /* It may run again (store/writer.h): from its inputs every time. */
    json_decref(w->result);
    w->result = NULL;
    free(w->answer);
    w->answer = NULL;
    w->replayed = false;
    w->err = (struct pd_err){0};
    if (w->idem_key) {
        int rc = idempotency_lookup(s, w);
        if (rc <= 0)
            return rc == 0 ? 0 : -1;
    }
    if (w->op(s, w) < 0) {
        if (w->err.kind == PD_ERR_NONE)
            pd_err_set(&w->err, PD_ERR_INTERNAL, NULL, "the write failed");
        return -1;
    }
    w->answer_status = w->status;
    if (w->idem_key) {
        /* Stored with the write. Otherwise the answer is encoded on the request's worker thread
         * (write_reply), not on the one thread every write goes through. */
        w->answer = pd_json_encode(w->result, NULL);
        if (!w->answer)
            abort();
        if (idempotency_save(s, w->call->auth.key_id, w->idem_key, w->request_hash, w->status,
                             w->answer, w->call->now_ms, &w->err) < 0) {
            free(w->answer);
            w->answer = NULL;
            return -1;
        }
    }
    return 0;
}

/* Back on the request's worker thread. */
static void write_reply(void *arg)
{
    struct api_write *w = arg;
    struct api_call *call = w->call;
    if (w->reply_after_ms > 0 && w->job.outcome == WRITE_COMMITTED) {
        int ms = w->reply_after_ms;
        w->reply_after_ms = 0;
        w->reply_timer = (struct http_timer){write_reply, w};
        if (http_worker_after(call->req->worker, ms, &w->reply_timer) == 0)
            return;
    }
    if (w->inflight_key)
        inflight_remove(&call->app->inflight, w->inflight_key);
    if (w->job.outcome == WRITE_COMMITTED && w->reply) {
        json_decref(w->result);
        w->result = NULL;
        w->reply(w);
        return;
    }
    if (w->job.outcome == WRITE_COMMITTED && !w->answer) {
        w->answer = pd_json_encode(w->result, NULL);
        if (!w->answer)
            abort();
    }
    json_decref(w->result);
    w->result = NULL;
    if (w->job.outcome == WRITE_FAILED) {
        free(w->answer);
        api_reply_errorf(call, PD_ERR_INTERNAL, NULL, "the database could not commit; retry");
        return;
    }
    if (w->job.outcome == WRITE_ROLLED_BACK) {
        free(w->answer);
        api_reply_error(call, &w->err);
        return;
    }
    struct http_header headers[3] = {
        {"Content-Type", "application/json"},
        {"Cache-Control", "no-store"},
        {"Idempotent-Replayed", "true"},
    };
    /* w lives in the request's arena, which answering may free (a connection that closes after
     * its answer is freed at once): keep what is needed after the answer in locals. */
    char *answer = w->answer;
    api_reply_raw(call, w->answer_status, headers, w->replayed ? 3 : 2, answer, strlen(answer));
    free(answer);
}

static void write_done(struct write_job *job)
{
    struct api_write *w = (struct api_write *)job;
    if (http_worker_post(w->call->req->worker, write_reply, w) < 0) {
        /* The worker is gone (shutdown); nothing can be answered. */
        json_decref(w->result);
        free(w->answer);
    }
}

static struct api_write *write_new(struct api_call *call, api_write_op op, void *op_arg)
{
    struct api_write *w = arena_calloc(call->req->arena, sizeof *w);
    w->job.run = write_run;
    w->job.done = write_done;
    w->call = call;
    w->op = op;
    w->op_arg = op_arg;
    return w;
}

static void submit_write(struct api_call *call, api_write_op op, void *op_arg, bool any_lane)
{
    struct api_write *w = write_new(call, op, op_arg);
    w->job.any_lane = any_lane;
    /* The sales (any lane) add to few shared rows: their batch writes each row once. */
    if (any_lane)
        w->job.write_totals = totals_write;
    const char *key = http_header_get(call->req, "Idempotency-Key");
    if (key) {
        size_t len = strlen(key);
        if (len == 0 || len > IDEMPOTENCY_KEY_MAX) {
            api_reply_errorf(call, PD_ERR_BAD_REQUEST, "Idempotency-Key",
                             "Idempotency-Key must be 1 to %d characters", IDEMPOTENCY_KEY_MAX);
            return;
        }
        hash_request(call, w->request_hash);
        w->idem_key = key;
        w->inflight_key = arena_sprintf(call->req->arena, "%s/%s", call->auth.key_id, key);
        if (!inflight_add(&call->app->inflight, w->inflight_key)) {
            api_reply_errorf(call, PD_ERR_CONFLICT, "Idempotency-Key",
                             "a request with this Idempotency-Key is still being processed");
            return;
        }
    }
    if (writer_submit(call->app->writer, &w->job) < 0) {
        if (w->inflight_key)
            inflight_remove(&call->app->inflight, w->inflight_key);
        api_reply_errorf(call, PD_ERR_UNAVAILABLE, NULL, "the server is shutting down");
    }
}

void api_submit_write(struct api_call *call, api_write_op op, void *op_arg)
{
    submit_write(call, op, op_arg, false);
}

void api_submit_write_any_lane(struct api_call *call, api_write_op op, void *op_arg)
{
    submit_write(call, op, op_arg, true);
}

void api_submit_write_reply(struct api_call *call, api_write_op op, void *op_arg,
                            void (*reply)(struct api_write *w))
{
    struct api_write *w = write_new(call, op, op_arg);
    w->reply = reply;
    if (writer_submit(call->app->writer, &w->job) < 0)
        api_reply_errorf(call, PD_ERR_UNAVAILABLE, NULL, "the server is shutting down");
}
