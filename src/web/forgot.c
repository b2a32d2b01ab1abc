/* The forgotten password: GET/POST /forgot asks for the email and answers the same whether or not
 * an account has it (the link goes by email only); GET/POST /reset/{token} chooses a new password
 * through the one-time link, valid one hour, for every partner account with that email, and ends
 * all their sessions. The links and their table are src/auth/resets.c's. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "app/emails.h"
#include "app/records.h"
#include "web/web_internal.h"
#include "util/banned.h"

static const char sent_text[] =
    "If a partner account uses this address, we have sent it a link to choose a new password. "
    "The link works once, within one hour.";
static const char gone_text[] =
    "This password link has expired or was already used. Ask for a new one.";

/* ---- /forgot ------------------------------------------------------------------------------- */

static void render_forgot(struct api_call *call, int status, const char *email,
                          const struct web_form_errors *e)
{
    struct strbuf b;
    web_page_open(&b, "Forgot password");
    strbuf_puts(&b, "<form class=\"panel\" id=\"forgot\" method=\"post\" action=\"/forgot\" "
                    "novalidate>\n<h1>Forgot your password?</h1>\n<p class=\"muted\">Enter the "
                    "email address of your partner account: we will email you a link to choose a "
                    "new password.</p>\n");
    const struct web_input in = {"Email", "email", "email", email, "email", NULL, true};
    web_form_input(&b, &in, e);
    struct http_header cookie;
    web_form_token_input(call, &b, "forgot", &cookie);
    strbuf_puts(&b, "<button type=\"submit\">Email me a link</button>\n<p class=\"muted small\">"
                    "<a href=\"/login\">Back to the login</a></p>\n</form>\n");
    web_reply_page(call, status, &b, &cookie, 1);
}

void web_forgot_page(struct api_call *call)
{
    render_forgot(call, 200, "", NULL);
}

struct forgot {
    const char *email;
    bool json;
};

/* The emails about an address's password are sent in the name of the program it joined first
 * (*program_id NULL when it has none); 0 or -1 with err. */
static int first_program(struct store *s, const char *email, struct arena *a,
                         const char **program_id, struct pd_err *err)
{
    struct db_val e = db_text(email);
    struct store_cursor cur;
    *program_id = NULL;
    int rc = store_query_row(s,
                             "SELECT program_id FROM partners WHERE email = ?1"
                             " ORDER BY created_at, id LIMIT 1",
                             &e, 1, &cur, err);
    if (rc == STORE_ROW) {
        *program_id = col_dup(a, &cur, 0);
        store_finish(&cur);
    }
    return rc < 0 ? -1 : 0;
}

static int forgot_write(struct store *s, struct web_write *w)
{
    struct forgot *fg = w->arg;
    struct arena *a = w->call->req->arena;
    char token[80];
    int rc = auth_reset_create(s, fg->email, w->call->now_ms, token, sizeof token, &w->err);
    if (rc <= 0)
        return rc;
    const char *program_id;
    if (first_program(s, fg->email, a, &program_id, &w->err) < 0)
        return -1;
    json_t *vars = json_pack("{s:s}", "link",
                             arena_sprintf(a, "%s/reset/%s", w->call->app->cfg.public_url, token));
    sodium_memzero(token, sizeof token);
    struct email_msg m = {
        .program_id = program_id, .kind = "password_reset", .to = fg->email, .vars = vars};
    rc = email_queue(s, &m, w->call->now_ms, &w->err);
    json_decref(vars);
    return rc;
}

static void forgot_written(struct web_write *w)
{
    struct forgot *fg = w->arg;
    if (fg->json)
        web_reply_json(w->call, 200, json_pack("{s:s}", "message", sent_text), NULL);
    else
        web_reply_message(w->call, 200, "Check your email", sent_text, "/login",
                          "Back to the login");
}

/* Both password forms start alike: within the address's budget of password requests (429
 * otherwise), then the form read (an error answered otherwise). false when answered. */
static bool reset_form_open(struct api_call *call, const char *form, struct web_form *f)
{
    int retry = 0;
    if (!auth_throttle_take(call->app->auth, "reset", call->client_ip, AUTH_RESET_MAX_PER_IP,
                            call->now_ms, &retry)) {
        web_reply_throttled(call, web_wants_json(call), retry, "password requests");
        return false;
    }
    return web_form_read(call, form, f) == 0;
}

void web_forgot_submit(struct api_call *call)
{
    struct web_form f;
    if (!reset_form_open(call, "forgot", &f))
        return;
    const char *given = web_form_get(&f, "email");
    char *email = arena_strdup(call->req->arena, given ? given : "");
    for (char *c = email; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
    if (strlen(email) > 254 || !api_valid_email(email)) {
        struct web_form_errors e = {0};
        web_form_error(&e, "email",
                       "Enter the email address of your account, e.g. jane@example.com.");
        if (f.json)
            web_reply_form_errors(call, &e);
        else
            render_forgot(call, 422, "", &e);
        return;
    }
    struct forgot *fg = arena_calloc(call->req->arena, sizeof *fg);
    fg->email = email;
    fg->json = f.json;
    web_submit(call, forgot_write, forgot_written, fg);
}

/* ---- /reset/{token} ------------------------------------------------------------------------ */

static void reply_gone(struct api_call *call, bool json)
{
    if (json)
        web_reply_error(call, PD_ERR_NOT_FOUND, "token", gone_text);
    else
        web_reply_message(call, 404, "This link no longer works", gone_text, "/forgot",
                          "Ask for a new link");
}

static void render_reset(struct api_call *call, int status, const char *email,
                         const struct web_form_errors *e)
{
    struct strbuf b;
    web_page_open(&b, "Choose a new password");
    strbuf_puts(&b, "<form class=\"panel\" id=\"reset\" method=\"post\" action=\"/reset/");
    web_html(&b, call->path_params[0]);
    strbuf_puts(&b, "\" novalidate>\n<h1>Choose a new password</h1>\n<p class=\"muted\">For ");
    web_html(&b, email);
    strbuf_puts(&b, ". Every session of this account ends; log in again with the new "
                    "password.</p>\n");
    const struct web_input in[] = {
        {"New password", "password", "password", "", "new-password",
         "At least 10 characters; a few unrelated words work well.", true},
        {"Repeat the new password", "password2", "password", "", "new-password", NULL, true},
    };
    web_form_input(&b, &in[0], e);
    web_form_input(&b, &in[1], e);
    struct http_header cookie;
    web_form_token_input(call, &b, "reset", &cookie);
    strbuf_puts(&b, "<button type=\"submit\">Set the password</button>\n</form>\n");
    web_reply_page(call, status, &b, &cookie, 1);
}

/* 1 with the link's email, 0 after answering that it is gone, -1 after a 500. */
static int find_reset(struct api_call *call, bool json, const char **email)
{
    struct pd_err err = {0};
    int rc = auth_reset_find(call->db, call->path_params[0], call->now_ms, call->req->arena, email,
                             &err);
    if (rc < 0)
        web_reply_json(call, 500, api_error_json(&err), NULL);
    else if (rc == 0)
        reply_gone(call, json);
    return rc;
}

void web_reset_page(struct api_call *call)
{
    const char *email;
    if (find_reset(call, false, &email) > 0)
        render_reset(call, 200, email, NULL);
}

struct reset {
    struct auth_hash_job job;
    bool json;
    const char *email;
};

static int reset_write(struct store *s, struct web_write *w)
{
    struct reset *r = w->arg;
    struct arena *a = w->call->req->arena;
    int rc = auth_reset_use(s, w->call->path_params[0], r->job.hash, w->call->now_ms, a, &r->email,
                            &w->err);
    if (rc != 0) {
        if (rc > 0)
            pd_err_set(&w->err, PD_ERR_NOT_FOUND, "token", "%s", gone_text);
        return -1;
    }
    struct email_msg m = {.kind = "password_changed", .to = r->email};
    if (first_program(s, r->email, a, &m.program_id, &w->err) < 0)
        return -1;
    return email_queue(s, &m, w->call->now_ms, &w->err);
}

static void reset_written(struct web_write *w)
{
    struct reset *r = w->arg;
    fprintf(stderr, "level=info msg=\"password reset\" ip=%s\n", w->call->client_ip);
    const char *msg = "Your password is changed and every session of your account has ended. "
                      "Log in with the new password.";
    if (r->json)
        web_reply_json(w->call, 200, json_pack("{s:s, s:s}", "message", msg, "redirect", "/login"),
                       NULL);
    else
        web_reply_message(w->call, 200, "Password changed", msg, "/login", "Log in");
}

static void reset_hashed(struct auth_hash_job *job)
{
    struct reset *r = (struct reset *)job;
    struct api_call *call = job->arg;
    sodium_memzero((char *)r->job.password, strlen(r->job.password));
    if (job->rc < 0) {
        web_reply_error(call, PD_ERR_INTERNAL, NULL,
                        "out of memory hashing the password; try again");
        return;
    }
    web_submit(call, reset_write, reset_written, r);
}

void web_reset_submit(struct api_call *call)
{
    struct web_form f;
    if (!reset_form_open(call, "reset", &f))
        return;
    struct reset *r = arena_calloc(call->req->arena, sizeof *r);
    r->json = f.json;
    if (find_reset(call, f.json, &r->email) <= 0)
        return;
    const char *pw = web_form_get(&f, "password"), *pw2 = web_form_get(&f, "password2");
    struct web_form_errors e = {0};
    struct pd_err err = {0};
    if (!pw || !*pw)
        web_form_error(&e, "password", "Choose a password of at least 10 characters.");
    else if (auth_password_check_policy(pw, r->email, &err) < 0)
        web_form_error(
            &e, "password",
            arena_sprintf(call->req->arena, "Choose another password: %s.", err.message));
    else if (pw2 && strcmp(pw, pw2) != 0)
        web_form_error(&e, "password2", "The two passwords differ: type the same one twice.");
    if (e.n) {
        if (f.json)
            web_reply_form_errors(call, &e);
        else
            render_reset(call, 422, r->email, &e);
        return;
    }
    r->job.op = AUTH_HASH_NEW;
    r->job.password = arena_strdup(call->req->arena, pw);
    r->job.worker = call->req->worker;
    r->job.done = reset_hashed;
    r->job.arg = call;
    if (auth_hash_submit(call->app->auth, &r->job) < 0)
        web_reply_error(call, PD_ERR_UNAVAILABLE, NULL,
                        "the server is busy; try again in a few seconds");
}
