/* A program's public page and its signup form: GET /join/{slug} shows the description, the
 * commission in plain words, the terms and the form; POST /join/{slug} checks the form (answering
 * it again with its errors, or JSON errors to a JSON request), hashes the password on the hashing
 * thread and, in one writer job, creates the partner (pending, or active with auto_approve) with
 * its email queued. An email already in the program gets the same answer and an email saying it
 * has an account, so the form tells nobody which addresses have one. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "app/emails.h"
#include "app/records.h"
#include "core/ids.h"
#include "core/rules_words.h"
#include "core/url.h"
#include "web/web_internal.h"
#include "util/banned.h"

#define NAME_MAX_CHARS 200
#define PROMOTION_MAX_CHARS 2000
#define WEBSITE_MAX 2048

struct signup {
    struct auth_hash_job job;
    struct program prog;
    const char *name, *email, *website, *promotion;
    bool json;
    const char *partner_id; /* the new partner, for the log */
};

/* ---- the page ------------------------------------------------------------------------------ */

static void program_facts(struct strbuf *b, const struct program *p)
{
    char words[2048];
    rules_words(&p->rules, p->currency, words, sizeof words);
    strbuf_puts(b, "<h2>Commission</h2>\n<p class=\"commission\" id=\"commission\">");
    web_html(b, words);
    strbuf_puts(b, "</p>\n<p class=\"muted small\">A sale counts for you when it comes within ");
    strbuf_put_u64(b, (uint64_t)p->attribution_window_days);
    strbuf_puts(b, p->attribution_window_days == 1 ? " day" : " days");
    strbuf_puts(b, " of a click on your link");
    if (p->hold_days > 0) {
        strbuf_puts(b, "; commissions are approved after ");
        strbuf_put_u64(b, (uint64_t)p->hold_days);
        strbuf_puts(b, p->hold_days == 1 ? " day" : " days");
    }
    strbuf_puts(b, ".</p>\n");
}

struct join_values {
    const char *name, *email, *website, *promotion;
};

static void render_page(struct api_call *call, const struct program *p, int status,
                        const struct join_values *v, const struct web_form_errors *e)
{
    struct strbuf b;
    char *title = arena_sprintf(call->req->arena, "Join %s", p->name);
    web_page_open(&b, title);
    strbuf_puts(&b, "<section class=\"panel program-page\" id=\"program\">\n<h1>");
    web_html(&b, p->name);
    strbuf_puts(&b, " partner program</h1>\n<div class=\"description\">");
    web_html_paragraphs(&b, p->description);
    strbuf_puts(&b, "</div>\n");
    program_facts(&b, p);
    if (p->terms && *p->terms) {
        strbuf_puts(&b, "<h2>Terms</h2>\n<div class=\"terms\" id=\"terms\">");
        web_html_paragraphs(&b, p->terms);
        strbuf_puts(&b, "</div>\n");
    }
    strbuf_puts(&b,
                "</section>\n<form class=\"panel\" id=\"signup\" method=\"post\" action=\"/join/");
    web_html(&b, p->slug);
    strbuf_puts(&b, "\" novalidate>\n<h2>Apply to become a partner</h2>\n");
    if (e && e->n)
        strbuf_puts(&b, "<p class=\"field-error\" role=\"alert\">Please correct the fields "
                        "marked below.</p>\n");
    const struct web_input inputs[] = {
        {"Name", "name", "text", v->name, "name", NULL, true},
        {"Email", "email", "email", v->email, "email", NULL, true},
        {"Password", "password", "password", "", "new-password",
         "At least 10 characters; a few unrelated words work well.", true},
        {"Website", "website", "url", v->website, "url", "Your site, blog or channel (optional).",
         false},
        {"How you promote", "promotion", "textarea", v->promotion, "off",
         "Your audience and where you will share your link (optional).", false},
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
        web_form_input(&b, &inputs[i], e);
    /* The honeypot: hidden from people (and screen readers), filled in by form-filling bots. */
    strbuf_puts(&b, "<div class=\"offscreen\" aria-hidden=\"true\"><label>Company (leave this "
                    "empty) <input name=\"company\" type=\"text\" tabindex=\"-1\" "
                    "autocomplete=\"off\" value=\"\"></label></div>\n");
    struct http_header cookie;
    web_form_token_input(call, &b, "join", &cookie);
    strbuf_puts(&b, "<button type=\"submit\">Apply</button>\n");
    if (p->terms && *p->terms)
        strbuf_puts(&b, "<p class=\"muted small\">By applying you accept the terms above.</p>\n");
    strbuf_puts(&b, "<p class=\"muted small\">Already a partner? <a href=\"/login\">Log in</a>."
                    "</p>\n</form>\n");
    web_reply_page(call, status, &b, &cookie, 1);
}

/* 0 with the program, 1 after answering 404, -1 after answering 500. */
static int find_program(struct api_call *call, bool json, struct program *p)
{
    struct pd_err err = {0};
    const char *slug = call->path_params[0];
    int rc =
        strlen(slug) > 64 ? 1 : program_load_by_slug(call->db, slug, call->req->arena, p, &err);
    if (rc < 0) {
        web_reply_json(call, 500, api_error_json(&err), NULL);
        return -1;
    }
    if (rc == 0)
        return 0;
    if (json)
        web_reply_error(call, PD_ERR_NOT_FOUND, "slug", "no partner program has this address");
    else
        web_reply_message(call, 404, "Program not found",
                          "There is no partner program at this address. Check the link you "
                          "were given.",
                          NULL, NULL);
    return 1;
}

void web_join_page(struct api_call *call)
{
    struct program p;
    if (find_program(call, false, &p) != 0)
        return;
    struct join_values v = {"", "", "", ""};
    render_page(call, &p, 200, &v, NULL);
}

/* ---- the form's checks --------------------------------------------------------------------- */

/* Valid UTF-8 without control characters (newlines and tabs only where multiline); *chars its
 * length in characters. */
static bool text_ok(const char *s, bool multiline, size_t *chars)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;
    while (*p) {
        int len = *p < 0x80         ? 1
                  : (*p >> 5) == 6  ? 2
                  : (*p >> 4) == 14 ? 3
                  : (*p >> 3) == 30 ? 4
                                    : 0;
        if (len == 0)
            return false;
        for (int i = 1; i < len; i++)
            if ((p[i] & 0xC0) != 0x80)
                return false;
        if (len == 1 && (*p < 0x20 || *p == 0x7F) &&
            !(multiline && (*p == '\n' || *p == '\r' || *p == '\t')))
            return false;
        p += len;
        n++;
    }
    *chars = n;
    return true;
}

static const char *trimmed(struct api_call *call, const char *s)
{
    if (!s)
        return "";
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n'))
        len--;
    return arena_strndup(call->req->arena, s, len);
}

static void check_text(struct web_form_errors *e, const char *param, const char *label,
                       const char *value, bool multiline, size_t max_chars, bool required,
                       struct arena *a)
{
    size_t chars = 0;
    if (!text_ok(value, multiline, &chars))
        web_form_error(e, param, arena_sprintf(a, "%s holds characters that are not text", label));
    else if (required && chars == 0)
        web_form_error(e, param, arena_sprintf(a, "Enter your %s.", label));
    else if (chars > max_chars)
        web_form_error(e, param,
                       arena_sprintf(a, "%s must be at most %zu characters (it has %zu).", label,
                                     max_chars, chars));
}

/* Checks and normalises the form into s; errors in e. */
static void check_form(struct api_call *call, const struct web_form *f, struct signup *s,
                       struct join_values *v, struct web_form_errors *e)
{
    struct arena *a = call->req->arena;
    v->name = trimmed(call, web_form_get(f, "name"));
    v->email = trimmed(call, web_form_get(f, "email"));
    v->website = trimmed(call, web_form_get(f, "website"));
    v->promotion = trimmed(call, web_form_get(f, "promotion"));
    const char *password = web_form_get(f, "password");
    check_text(e, "name", "name", v->name, false, NAME_MAX_CHARS, true, a);
    char *email = arena_strdup(a, v->email);
    for (char *c = email; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
    if (!*email)
        web_form_error(e, "email", "Enter your email address.");
    else if (strlen(email) > 254 || !api_valid_email(email))
        web_form_error(e, "email", "This is not an email address, e.g. jane@example.com.");
    struct pd_err err = {0};
    if (!password || !*password)
        web_form_error(e, "password", "Choose a password of at least 10 characters.");
    else if (auth_password_check_policy(password, email, &err) < 0)
        web_form_error(e, "password",
                       arena_sprintf(a, "Choose another password: %s.", err.message));
    const char *site = v->website;
    if (*site && !strstr(site, "://"))
        site = arena_sprintf(a, "https://%s", site);
    struct url_parts u;
    if (*site && (strlen(site) > WEBSITE_MAX || !url_parse(site, &u)))
        web_form_error(e, "website", "Enter your site's address, e.g. https://janes-blog.example.");
    check_text(e, "promotion", "How you promote", v->promotion, true, PROMOTION_MAX_CHARS, false,
               a);
    s->name = v->name;
    s->email = email;
    s->website = *site ? site : NULL;
    s->promotion = *v->promotion ? v->promotion : NULL;
    s->job.password = password ? arena_strdup(a, password) : "";
}

/* ---- the answer ---------------------------------------------------------------------------- */

static void reply_received(struct api_call *call, const struct program *p, bool json)
{
    bool approved = p->auto_approve;
    const char *msg =
        approved ? "Your partner account is ready. We sent you an email; log in with your email "
                   "address and the password you chose."
                 : "Thank you for applying. We sent you an email; the program's manager reviews "
                   "your application and you will hear back by email.";
    if (json) {
        web_reply_json(call, 202,
                       json_pack("{s:s, s:s, s:s, s:s}", "object", "application", "program_id",
                                 p->id, "status", approved ? "approved" : "received", "message",
                                 msg),
                       NULL);
        return;
    }
    web_reply_message(call, 202, approved ? "Welcome aboard" : "Application received", msg,
                      approved ? "/login" : NULL, "Log in");
}

static int signup_write(struct store *s, struct web_write *w)
{
    struct signup *su = w->arg;
    struct api_call *call = w->call;
    struct arena *a = call->req->arena;
    const struct program *prog = &su->prog;
    int64_t now = call->now_ms;
    const char *login = arena_sprintf(a, "%s/login", call->app->cfg.public_url);
    json_t *vars = json_pack("{s:s}", "link", login);
    struct email_msg m = {.program_id = prog->id, .to = su->email, .vars = vars};
    struct db_val who[2] = {db_text(prog->id), db_text(su->email)};
    int64_t taken = 0;
    int rc =
        store_query_int(s, "SELECT COUNT(*) FROM partners WHERE program_id = ?1 AND email = ?2",
                        who, 2, 0, &taken, &w->err);
    if (rc >= 0 && taken) {
        m.kind = "signup_existing";
        rc = email_queue(s, &m, now, &w->err);
        json_decref(vars);
        return rc;
    }
    char id[ID_MAX_LEN], code[11];
    id_new(id, sizeof id, "ptn_", (uint64_t)now);
    id_random_token(code, 10);
    code[10] = '\0';
    for (char *c = code; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
    struct partner p = {.id = arena_strdup(a, id),
                        .program_id = prog->id,
                        .email = su->email,
                        .name = su->name,
                        .ref_code = arena_strdup(a, code),
                        .status = prog->auto_approve ? "active" : "pending",
                        .created_at = now,
                        .updated_at = now};
    m.partner_id = p.id;
    m.kind = prog->auto_approve ? "application_approved" : "application_received";
    m.vars = prog->auto_approve ? vars : NULL; /* an application under review has no link yet */
    if (rc >= 0)
        rc = partner_insert(s, &p, prog->default_url, NULL, 0, &w->err);
    if (rc >= 0)
        rc = partner_set_password(s, p.id, su->job.hash, &w->err);
    if (rc >= 0)
        rc = partner_set_application(s, p.id, su->website, su->promotion, &w->err);
    if (rc >= 0)
        rc = email_queue(s, &m, now, &w->err);
    json_decref(vars);
    su->partner_id = p.id;
    return rc < 0 ? -1 : 0;
}

static void signup_written(struct web_write *w)
{
    struct signup *su = w->arg;
    fprintf(stderr, "level=info msg=signup program=%s partner=%s ip=%s\n", su->prog.id,
            su->partner_id ? su->partner_id : "-", w->call->client_ip);
    reply_received(w->call, &su->prog, su->json);
}

static void signup_hashed(struct auth_hash_job *job)
{
    struct signup *su = (struct signup *)job;
    struct api_call *call = job->arg;
    sodium_memzero((char *)su->job.password, strlen(su->job.password));
    if (job->rc < 0) {
        web_reply_error(call, PD_ERR_INTERNAL, NULL,
                        "out of memory hashing the password; try again");
        return;
    }
    web_submit(call, signup_write, signup_written, su);
}

void web_join_submit(struct api_call *call)
{
    struct auth_state *as = call->app->auth;
    bool json = web_wants_json(call);
    struct signup *su = arena_calloc(call->req->arena, sizeof *su);
    su->json = json;
    if (find_program(call, json, &su->prog) != 0)
        return;
    int retry = 0;
    if (!auth_throttle_take(as, "signup", call->client_ip, AUTH_SIGNUP_MAX_PER_IP, call->now_ms,
                            &retry)) {
        fprintf(stderr, "level=warn msg=\"signup throttled\" ip=%s\n", call->client_ip);
        web_reply_throttled(call, json, retry, "signups");
        return;
    }
    struct web_form f;
    if (web_form_read(call, "join", &f) < 0)
        return;
    su->json = f.json;
    struct join_values v;
    struct web_form_errors e = {0};
    check_form(call, &f, su, &v, &e);
    if (e.n) {
        if (f.json)
            web_reply_form_errors(call, &e);
        else
            render_page(call, &su->prog, 422, &v, &e);
        return;
    }
    const char *trap = web_form_get(&f, "company");
    if (trap && *trap) {
        /* A bot: answered as a person would be, and nothing is written. */
        fprintf(stderr, "level=info msg=\"signup honeypot\" ip=%s\n", call->client_ip);
        reply_received(call, &su->prog, su->json);
        return;
    }
    su->job.op = AUTH_HASH_NEW;
    su->job.worker = call->req->worker;
    su->job.done = signup_hashed;
    su->job.arg = call;
    if (auth_hash_submit(as, &su->job) < 0)
        web_reply_error(call, PD_ERR_UNAVAILABLE, NULL,
                        "the server is busy; try again in a few seconds");
}
