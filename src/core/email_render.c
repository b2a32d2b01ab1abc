/* The RFC 5322 message around a template's text (core/email_render.h): headers that no value can
 * break out of, a multipart/alternative body in quoted-printable whose boundary QP can never
 * produce ("=_" is always encoded), CRLF everywhere. */
#include "core/email_render.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "util/timefmt.h"
#include "util/banned.h"

static const char hexd[] = "0123456789ABCDEF";

static bool atom_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* dot-atom: atoms separated by single dots. */
static bool dot_atom(const char *s, size_t n)
{
    if (n == 0 || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.' ? s[i + 1] == '.' : !atom_char(c))
            return false;
    }
    return true;
}

bool email_address_ok(const char *s)
{
    if (!s)
        return false;
    size_t n = strlen(s);
    const char *at = strchr(s, '@');
    if (n > 254 || !at || strchr(at + 1, '@'))
        return false;
    size_t local = (size_t)(at - s);
    const char *dom = at + 1;
    size_t dn = n - local - 1;
    if (local > 64 || !dot_atom(s, local) || !dot_atom(dom, dn))
        return false;
    for (size_t i = 0; i < dn; i++) /* a domain is letters, digits, '-' and dots */
        if (!((dom[i] >= 'a' && dom[i] <= 'z') || (dom[i] >= 'A' && dom[i] <= 'Z') ||
              (dom[i] >= '0' && dom[i] <= '9') || dom[i] == '-' || dom[i] == '.'))
            return false;
    return true;
}

void email_qp_encode(struct strbuf *out, const char *s, size_t n)
{
    size_t col = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\r')
            continue;
        if (c == '\n') {
            strbuf_puts(out, "\r\n");
            col = 0;
            continue;
        }
        bool line_end = i + 1 == n || s[i + 1] == '\n' || s[i + 1] == '\r';
        bool literal = (c >= 33 && c <= 126 && c != '=' && !(c == '.' && col == 0)) ||
                       ((c == ' ' || c == '\t') && !line_end);
        size_t w = literal ? 1 : 3;
        /* a soft break keeps each line within 76 characters, its '=' included */
        if (col + w > 75) {
            strbuf_puts(out, "=\r\n");
            col = 0;
            if (c == '.')
                literal = false, w = 3;
        }
        if (literal) {
            strbuf_putc(out, (char)c);
        } else {
            char e[3] = {'=', hexd[c >> 4], hexd[c & 15]};
            strbuf_put(out, e, 3);
        }
        col += w;
    }
}

/* The value with every control character (and DEL) turned into a space. */
static char *clean_text(struct arena *a, const char *v)
{
    char *t = arena_strdup(a, v ? v : "");
    for (char *p = t; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return t;
}

static bool plain_ascii(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++)
        if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e)
            return false;
    return n <= max;
}

/* RFC 2047 "B" encoded words of UTF-8 text, each within 75 characters, never splitting a
 * character, joined by folding white space; col: where the first word starts on its line. */
static void encoded_words(struct strbuf *out, const char *s, size_t col)
{
    size_t n = strlen(s), i = 0;
    bool first = true;
    while (i < n) {
        size_t chunk = n - i < 42 ? n - i : 42;
        /* back off from a continuation byte so a character stays in one word */
        while (i + chunk < n && chunk > 1 && ((unsigned char)s[i + chunk] & 0xC0) == 0x80)
            chunk--;
        char b64[64];
        sodium_bin2base64(b64, sizeof b64, (const unsigned char *)s + i, chunk,
                          sodium_base64_VARIANT_ORIGINAL);
        size_t w = 12 + strlen(b64);
        if (!first) {
            strbuf_puts(out, col + 1 + w > 76 ? "\r\n " : " ");
            col = col + 1 + w > 76 ? 1 : col + 1;
        }
        strbuf_puts(out, "=?UTF-8?B?");
        strbuf_puts(out, b64);
        strbuf_puts(out, "?=");
        col += w;
        first = false;
        i += chunk;
    }
}

void email_header_text(struct strbuf *out, const char *name, const char *value)
{
    struct arena a;
    arena_init(&a, 1024);
    const char *v = clean_text(&a, value);
    strbuf_puts(out, name);
    strbuf_puts(out, ": ");
    if (plain_ascii(v, 76 - strlen(name)) && !strstr(v, "=?"))
        strbuf_puts(out, v);
    else
        encoded_words(out, v, strlen(name) + 2);
    strbuf_puts(out, "\r\n");
    arena_free(&a);
}

/* From: "Name" <address>, the name a quoted string, or encoded words when it is not short
 * printable ASCII. */
static void header_from(struct strbuf *out, const char *name, const char *addr)
{
    struct arena a;
    arena_init(&a, 1024);
    const char *v = clean_text(&a, name);
    strbuf_puts(out, "From: ");
    if (plain_ascii(v, 60) && !strstr(v, "=?")) {
        strbuf_putc(out, '"');
        for (const char *p = v; *p; p++) {
            if (*p == '"' || *p == '\\')
                strbuf_putc(out, '\\');
            strbuf_putc(out, *p);
        }
        strbuf_puts(out, "\" <");
    } else {
        encoded_words(out, v, 6);
        strbuf_puts(out, "\r\n <");
    }
    strbuf_puts(out, addr);
    strbuf_puts(out, ">\r\n");
    arena_free(&a);
}

/* "Sun, 06 Dec 2026 04:39:08 +0000" */
static void header_date(struct strbuf *out, int64_t ms)
{
    static const char *const wd[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t secs = ms >= 0 ? ms / 1000 : 0;
    int64_t days = secs / 86400, rem = secs % 86400;
    int64_t y;
    unsigned m, d;
    time_civil_from_days(days, &y, &m, &d);
    char buf[64];
    snprintf(buf, sizeof buf, "Date: %s, %02u %s %04lld %02d:%02d:%02d +0000\r\n", wd[days % 7], d,
             mon[m - 1], (long long)y, (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
    strbuf_puts(out, buf);
}

static void html_escaped(struct strbuf *b, const char *s)
{
    for (const char *nl; (nl = strchr(s, '\n')); s = nl + 1) {
        strbuf_put_html(b, s, (size_t)(nl - s));
        strbuf_puts(b, "<br>\n");
    }
    strbuf_put_html(b, s, strlen(s));
}

static void text_part(struct strbuf *t, const struct email_body *b)
{
    for (int i = 0; i < b->npara; i++) {
        strbuf_puts(t, b->paras[i]);
        strbuf_puts(t, "\n\n");
    }
    if (b->link) {
        strbuf_puts(t, b->link_label);
        strbuf_puts(t, ":\n");
        strbuf_puts(t, b->link);
        strbuf_puts(t, "\n\n");
    }
    if (b->footer) {
        strbuf_puts(t, "-- \n");
        strbuf_puts(t, b->footer);
        strbuf_puts(t, "\n");
        if (b->unsubscribe) {
            strbuf_puts(t, "Unsubscribe: ");
            strbuf_puts(t, b->unsubscribe);
            strbuf_puts(t, "\n");
        }
    }
}

static void html_part(struct strbuf *h, const struct email_body *b)
{
    strbuf_puts(h, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
    html_escaped(h, b->subject);
    strbuf_puts(h, "</title></head>\n<body style=\"font-family:sans-serif;line-height:1.5;"
                   "color:#222\">\n");
    for (int i = 0; i < b->npara; i++) {
        strbuf_puts(h, "<p>");
        html_escaped(h, b->paras[i]);
        strbuf_puts(h, "</p>\n");
    }
    if (b->link) {
        strbuf_puts(h, "<p><a href=\"");
        html_escaped(h, b->link);
        strbuf_puts(h, "\" style=\"display:inline-block;padding:10px 16px;background:#2457d6;"
                       "color:#fff;text-decoration:none;border-radius:4px\">");
        html_escaped(h, b->link_label);
        strbuf_puts(h, "</a></p>\n<p style=\"font-size:13px;color:#555\">");
        html_escaped(h, b->link);
        strbuf_puts(h, "</p>\n");
    }
    if (b->footer) {
        strbuf_puts(h, "<hr>\n<p style=\"font-size:12px;color:#666\">");
        html_escaped(h, b->footer);
        if (b->unsubscribe) {
            strbuf_puts(h, " <a href=\"");
            html_escaped(h, b->unsubscribe);
            strbuf_puts(h, "\">Unsubscribe</a>");
        }
        strbuf_puts(h, "</p>\n");
    }
    strbuf_puts(h, "</body></html>\n");
}

static void part(struct strbuf *out, const char *boundary, const char *type, struct strbuf *text)
{
    strbuf_puts(out, "--");
    strbuf_puts(out, boundary);
    strbuf_puts(out, "\r\nContent-Type: ");
    strbuf_puts(out, type);
    strbuf_puts(out, "; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
    email_qp_encode(out, text->data ? text->data : "", text->len);
    strbuf_puts(out, "\r\n");
}

static bool key_ok(const char *k)
{
    size_t n = k ? strlen(k) : 0;
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') ||
              (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
            return false;
    return true;
}

static void headers(struct strbuf *out, const struct email_parts *in, const char *program,
                    const struct email_body *b, const char *boundary)
{
    const char *at = strchr(in->from, '@');
    header_from(out, program, in->from);
    strbuf_puts(out, "To: <");
    strbuf_puts(out, in->to);
    strbuf_puts(out, ">\r\n");
    email_header_text(out, "Subject", b->subject);
    header_date(out, in->date_ms);
    strbuf_puts(out, "Message-ID: <");
    strbuf_puts(out, in->message_key);
    strbuf_puts(out, at);
    strbuf_puts(out, ">\r\nMIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n");
    if (b->unsubscribe) {
        /* the URL is the caller's, checked to be plain printable ASCII without '<' '>' */
        strbuf_puts(out, "List-Unsubscribe: <");
        strbuf_puts(out, b->unsubscribe);
        strbuf_puts(out, ">\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
    }
    strbuf_puts(out, "Content-Type: multipart/alternative;\r\n boundary=\"");
    strbuf_puts(out, boundary);
    strbuf_puts(out, "\"\r\n\r\n");
}

int email_render(const struct email_parts *in, struct strbuf *out, char *err, size_t errlen)
{
    if (!email_address_ok(in->from) || !email_address_ok(in->to)) {
        snprintf(err, errlen, "%s is not a usable address",
                 email_address_ok(in->from) ? "the recipient" : "the sender");
        return -1;
    }
    if (!key_ok(in->message_key)) {
        snprintf(err, errlen, "the message key is malformed");
        return -1;
    }
    const char *program = in->program_name && in->program_name[0] ? in->program_name : "partnerd";
    struct arena a;
    arena_init(&a, 4096);
    struct email_body b;
    int rc = -1;
    if (email_template(in->kind, program, in->vars, &a, &b, err, errlen) < 0)
        goto done;
    if (b.unsubscribe && (!plain_ascii(b.unsubscribe, 900) || strpbrk(b.unsubscribe, "<> "))) {
        snprintf(err, errlen, "the unsubscribe address is malformed");
        goto done;
    }
    char boundary[96];
    snprintf(boundary, sizeof boundary, "=_pd_%s", in->message_key);
    headers(out, in, program, &b, boundary);
    struct strbuf t, h;
    strbuf_init(&t, 1 << 20);
    strbuf_init(&h, 1 << 20);
    text_part(&t, &b);
    html_part(&h, &b);
    part(out, boundary, "text/plain", &t);
    part(out, boundary, "text/html", &h);
    strbuf_puts(out, "--");
    strbuf_puts(out, boundary);
    strbuf_puts(out, "--\r\n");
    rc = strbuf_status(&t) == STRBUF_OK && strbuf_status(&h) == STRBUF_OK ? 0 : -1;
    if (rc < 0)
        snprintf(err, errlen, "the message is too large");
    strbuf_free(&t);
    strbuf_free(&h);
done:
    arena_free(&a);
    return rc;
}
