/* A partner's own account from its dashboard: POST /web/password changes the password (the
 * current one checked on the hashing thread, throttled as logins are, the new one hashed there
 * too), ends the partner's other sessions and queues the "password changed" email. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "app/emails.h"
#include "app/records.h"
#include "web/web_internal.h"
#include "util/banned.h"

struct pw_change {
    struct auth_hash_job job;
    struct auth_session ses;
    const char *email, *program_id;
    const char *current, *next;
};

static int change_write(struct store *s, struct web_write *w)
{
    struct pw_change *c = w->arg;
    struct email_msg m = {.program_id = c->program_id,
                          .partner_id = c->ses.subject_id,
                          .kind = "password_changed",
                          .to = c->email};
    if (partner_set_password(s, c->ses.subject_id, c->job.hash, &w->err) < 0 ||
        auth_sessions_end_others(s, c->ses.subject_id, c->ses.token_hash, &w->err) < 0 ||
        email_queue(s, &m, w->call->now_ms, &w->err) < 0)
        return -1;
    return 0;
}

static void change_written(struct web_write *w)
{
    struct pw_change *c = w->arg;
    fprintf(stderr, "level=info msg=\"password changed\" partner=%s\n", c->ses.subject_id);
    web_reply_json(
        w->call, 200,
        json_pack("{s:s}", "message", "Your password is changed; your other sessions have ended."),
        NULL);
}

static void new_hashed(struct auth_hash_job *job)
{
    struct pw_change *c = (struct pw_change *)job;
    struct api_call *call = job->arg;
    sodium_memzero((char *)c->next, strlen(c->next));
    if (job->rc < 0) {
        web_reply_error(call, PD_ERR_INTERNAL, NULL,
                        "out of memory hashing the password; try again");
        return;
    }
    web_submit(call, change_write, change_written, c);
}

static void current_verified(struct auth_hash_job *job)
{
    struct pw_change *c = (struct pw_change *)job;
    struct api_call *call = job->arg;
    sodium_memzero((char *)c->current, strlen(c->current));
    if (job->matched < 0) {
        web_reply_error(call, PD_ERR_FORBIDDEN, "current_password",
                        "the current password is wrong");
        return;
    }
    auth_throttle_refund(call->app->auth, call->client_ip, c->email, call->now_ms);
    memset(&c->job, 0, sizeof c->job);
    c->job.op = AUTH_HASH_NEW;
    c->job.password = c->next;
    c->job.worker = call->req->worker;
    c->job.done = new_hashed;
    c->job.arg = call;
    if (auth_hash_submit(call->app->auth, &c->job) < 0)
        web_reply_error(call, PD_ERR_UNAVAILABLE, NULL,
                        "the server is busy; try again in a few seconds");
}

/* The session's partner, its email and password hash into c; replies and returns -1 when it
 * cannot change a password. */
static int load_account(struct api_call *call, struct pw_change *c)
{
    struct pd_err err = {0};
    int rc = web_session_find(call, &c->ses, &err);
    if (rc <= 0 || strcmp(c->ses.kind, "partner") != 0) {
        if (rc == 0 || rc > 0)
            pd_err_set(&err, PD_ERR_UNAUTHORIZED, NULL,
                       "log in to your partner account to change its password");
        web_reply_json(call, pd_err_http_status(err.kind), api_error_json(&err), NULL);
        return -1;
    }
    if (!auth_csrf_ok(&c->ses, http_header_get(call->req, "X-CSRF-Token"))) {
        web_reply_error(call, PD_ERR_FORBIDDEN, "X-CSRF-Token",
                        "missing or wrong CSRF token: reload the page and try again");
        return -1;
    }
    struct db_val id = db_text(c->ses.subject_id);
    struct store_cursor cur;
    rc = store_query_row(call->db,
                         "SELECT email, program_id, password_hash FROM partners WHERE id = ?1", &id,
                         1, &cur, &err);
    if (rc != STORE_ROW) {
        if (rc >= 0)
            pd_err_set(&err, PD_ERR_NOT_FOUND, NULL, "this partner account no longer exists");
        web_reply_json(call, pd_err_http_status(err.kind), api_error_json(&err), NULL);
        return -1;
    }
    c->email = col_dup(call->req->arena, &cur, 0);
    c->program_id = col_dup(call->req->arena, &cur, 1);
    c->job.hashes[0] = col_dup(call->req->arena, &cur, 2);
    store_finish(&cur);
    c->job.nhashes = c->job.hashes[0] ? 1 : 0;
    return 0;
}

void web_password_change(struct api_call *call)
{
    struct auth_state *as = call->app->auth;
    if (!web_check_page_post(call))
        return;
    struct pw_change *c = arena_calloc(call->req->arena, sizeof *c);
    if (load_account(call, c) < 0)
        return;
    struct pd_err err = {0};
    static const char *const fields[] = {"current_password", "new_password", NULL};
    if (api_parse_body(call, &err) < 0 || api_check_fields(call->body, fields, &err) < 0 ||
        api_get_string(call->body, "current_password", true, AUTH_PASSWORD_MAX, &c->current, &err) <
            0 ||
        api_get_string(call->body, "new_password", true, AUTH_PASSWORD_MAX, &c->next, &err) < 0 ||
        auth_password_check_policy(c->next, c->email, &err) < 0) {
        if (strcmp(err.param, "password") == 0)
            snprintf(err.param, sizeof err.param, "new_password");
        web_reply_json(call, pd_err_http_status(err.kind), api_error_json(&err), NULL);
        return;
    }
    int retry = 0;
    if (auth_throttle_blocked(as, call->client_ip, c->email, call->now_ms, &retry)) {
        web_reply_throttled(call, true, retry, "failed attempts");
        return;
    }
    c->current = arena_strdup(call->req->arena, c->current);
    c->next = arena_strdup(call->req->arena, c->next);
    c->job.op = AUTH_HASH_VERIFY;
    c->job.password = c->current;
    c->job.worker = call->req->worker;
    c->job.done = current_verified;
    c->job.arg = call;
    /* Counted as failed up front, as logins are; a right password takes it back. */
    auth_throttle_fail(as, call->client_ip, c->email, call->now_ms);
    if (auth_hash_submit(as, &c->job) < 0) {
        auth_throttle_refund(as, call->client_ip, c->email, call->now_ms);
        web_reply_error(call, PD_ERR_UNAVAILABLE, NULL,
                        "the server is busy; try again in a few seconds");
    }
}
