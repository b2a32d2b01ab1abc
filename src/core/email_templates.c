/* The text of every kind of email (core/email_render.h): a subject, a few paragraphs of plain
 * text, the link to act on. Values from vars are placed as text; email_render.c escapes them for
 * HTML and encodes them for headers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/email_render.h"
#include "core/money.h"
#include "util/banned.h"

struct tmpl_ctx {
    const char *program;
    const json_t *vars;
    struct arena *a;
    struct email_body *b;
    char *err;
    size_t errlen;
};

static int fail(struct tmpl_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct tmpl_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static void subject(struct tmpl_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void subject(struct tmpl_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->b->subject, sizeof c->b->subject, fmt, ap);
    va_end(ap);
}

static void para(struct tmpl_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void para(struct tmpl_ctx *c, const char *fmt, ...)
{
    if (c->b->npara >= EMAIL_MAX_PARAS)
        return;
    va_list ap;
    va_start(ap, fmt);
    c->b->paras[c->b->npara++] = arena_vsprintf(c->a, fmt, ap);
    va_end(ap);
}

/* vars.name as a string; NULL when absent (an error when required). */
static const char *var(struct tmpl_ctx *c, const char *name)
{
    const json_t *v = c->vars ? json_object_get(c->vars, name) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* vars.name must be an http(s) URL without spaces or quotes: links are on public_url. */
static int link(struct tmpl_ctx *c, const char *name, const char *label)
{
    const char *u = var(c, name);
    if (!u || (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0) ||
        strpbrk(u, " \"<>\r\n\t") || strlen(u) > 2000)
        return fail(c, "vars.%s must be an http or https URL", name);
    if (strcmp(name, "link") == 0) {
        c->b->link = u;
        c->b->link_label = label;
    }
    return 0;
}

/* "12.34 USD" from an amount in minor units and its currency. */
static const char *money_text(struct tmpl_ctx *c, const json_t *amount, const char *currency)
{
    const struct currency *cur = currency ? currency_find(currency) : NULL;
    char num[48];
    if (!json_is_integer(amount) || !cur ||
        money_format((int64_t)json_integer_value(amount), cur->exponent, num, sizeof num) < 0)
        return NULL;
    return arena_sprintf(c->a, "%s %s", num, cur->code);
}

static int t_invite(struct tmpl_ctx *c)
{
    subject(c, "You are invited to the %s partner program", c->program);
    para(c, "Hello,");
    para(c,
         "%s invites you to its partner program. Choose your password to open your partner "
         "dashboard, where you will find your links and what you earn.",
         c->program);
    para(c, "The link works once and expires in 14 days.");
    return link(c, "link", "Accept the invitation");
}

static int t_user_invite(struct tmpl_ctx *c)
{
    const char *role = var(c, "role");
    subject(c, "You are invited to manage %s", c->program);
    para(c, "Hello,");
    para(c, "You are invited to the %s dashboard%s%s.", c->program, role ? " as " : "",
         role ? role : "");
    return link(c, "link", "Accept the invitation");
}

static int t_received(struct tmpl_ctx *c)
{
    subject(c, "We received your application to %s", c->program);
    para(c, "Hello,");
    para(c,
         "Thank you for applying to the %s partner program. We will review your application "
         "and write to you when it is decided.",
         c->program);
    return 0;
}

static int t_approved(struct tmpl_ctx *c)
{
    subject(c, "Welcome to the %s partner program", c->program);
    para(c, "Hello,");
    para(c,
         "Your application to the %s partner program was approved. Log in with the password "
         "you chose to get your links.",
         c->program);
    return link(c, "link", "Log in");
}

static int t_rejected(struct tmpl_ctx *c)
{
    const char *reason = var(c, "reason");
    subject(c, "Your application to %s", c->program);
    para(c, "Hello,");
    para(c,
         "Thank you for your interest. Your application to the %s partner program was not "
         "accepted.",
         c->program);
    if (reason && reason[0])
        para(c, "Reason: %s", reason);
    return 0;
}

static int t_signup_existing(struct tmpl_ctx *c)
{
    subject(c, "Your %s partner account", c->program);
    para(c, "Hello,");
    para(c,
         "Someone, probably you, signed up for the %s partner program with this address, "
         "which already has an account. Log in instead; if you forgot your password, choose "
         "\"Forgot password?\" on the login page.",
         c->program);
    para(c, "If it was not you, you can ignore this email.");
    return link(c, "link", "Log in");
}

static int t_reset(struct tmpl_ctx *c)
{
    subject(c, "Reset your %s password", c->program);
    para(c, "Hello,");
    para(c,
         "Choose a new password for your %s partner account with the link below. It works once "
         "and expires in one hour.",
         c->program);
    para(c, "If you did not ask for it, ignore this email: your password stays as it is.");
    return link(c, "link", "Choose a new password");
}

static int t_changed(struct tmpl_ctx *c)
{
    subject(c, "Your %s password was changed", c->program);
    para(c, "Hello,");
    para(c, "The password of your %s partner account was just changed.", c->program);
    para(c, "If it was not you, reset it at once with \"Forgot password?\" on the login page.");
    return 0;
}

static int t_digest(struct tmpl_ctx *c)
{
    const json_t *count = json_object_get(c->vars, "count");
    const json_t *totals = json_object_get(c->vars, "totals");
    if (!json_is_integer(count) || json_integer_value(count) < 1 || !json_is_array(totals))
        return fail(c, "vars.count and vars.totals are required");
    long long n = (long long)json_integer_value(count);
    char sum[512] = "";
    size_t len = 0;
    for (size_t i = 0; i < json_array_size(totals) && i < 8; i++) {
        const json_t *t = json_array_get(totals, i);
        const char *m = money_text(c, json_object_get(t, "amount"),
                                   json_string_value(json_object_get(t, "currency")));
        if (!m)
            return fail(c, "vars.totals[%zu] must be an amount and a currency", i);
        int w = snprintf(sum + len, sizeof sum - len, "%s%s", i ? ", " : "", m);
        if (w > 0 && (size_t)w < sizeof sum - len)
            len += (size_t)w;
    }
    subject(c, "%lld new commission%s at %s", n, n == 1 ? "" : "s", c->program);
    para(c, "Hello,");
    para(c, "You earned %lld new commission%s at %s since the last summary: %s.", n,
         n == 1 ? "" : "s", c->program, sum);
    if (link(c, "link", "Open your dashboard") < 0 || link(c, "unsubscribe", NULL) < 0)
        return -1;
    c->b->unsubscribe = var(c, "unsubscribe");
    c->b->footer = arena_sprintf(c->a,
                                 "You receive this daily summary as a partner of %s. You can "
                                 "turn it off in your dashboard's settings or here:",
                                 c->program);
    return 0;
}

static int t_payout(struct tmpl_ctx *c)
{
    const char *m = money_text(c, json_object_get(c->vars, "amount"), var(c, "currency"));
    if (!m)
        return fail(c, "vars.amount and vars.currency are required");
    const char *ref = var(c, "reference");
    subject(c, "%s sent you %s", c->program, m);
    para(c, "Hello,");
    para(c, "%s sent you a payout of %s.", c->program, m);
    if (ref && ref[0])
        para(c, "Reference: %s", ref);
    para(c, "It may take a few days to reach your account, depending on your bank or payment "
            "service.");
    return 0;
}

static const struct {
    const char *kind;
    int (*fill)(struct tmpl_ctx *);
} kinds[] = {
    {"invite", t_invite},
    {"user_invite", t_user_invite},
    {"application_received", t_received},
    {"application_approved", t_approved},
    {"application_rejected", t_rejected},
    {"signup_existing", t_signup_existing},
    {"password_reset", t_reset},
    {"password_changed", t_changed},
    {"digest", t_digest},
    {"payout_sent", t_payout},
};

bool email_kind_known(const char *kind)
{
    for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].kind, kind) == 0)
            return true;
    return false;
}

int email_template(const char *kind, const char *program, const json_t *vars, struct arena *a,
                   struct email_body *b, char *err, size_t errlen)
{
    memset(b, 0, sizeof *b);
    struct tmpl_ctx c = {program && program[0] ? program : "partnerd", vars, a, b, err, errlen};
    if (vars && !json_is_object(vars))
        return fail(&c, "vars must be an object");
    for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].kind, kind) == 0)
            return kinds[i].fill(&c);
    return fail(&c, "unknown kind of email %.40s", kind ? kind : "(none)");
}
