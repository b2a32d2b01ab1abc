/* Tests for src/core/email_render.c and email_templates.c: every kind renders as a well-formed
 * message with both parts, no value can add a header, lines stay within SMTP's limits, text is
 * escaped in HTML, the Message-ID is the one given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/email_render.h"

#define DATE_MS 1796529600000LL /* 2026-12-06T04:00:00Z, a Sunday */

static char *render(const char *kind, const char *program, const char *to, const char *vars_text,
                    char *err, size_t errlen)
{
    json_t *vars = vars_text ? json_loads(vars_text, 0, NULL) : NULL;
    struct strbuf out;
    strbuf_init(&out, 1 << 20);
    struct email_parts p = {kind, program, "noreply@shop.example", to, "eml_01KEY", DATE_MS, vars};
    int rc = email_render(&p, &out, err, errlen);
    json_decref(vars);
    if (rc < 0) {
        strbuf_free(&out);
        return NULL;
    }
    return out.data;
}

/* Every line ends with CRLF, is 7-bit, at most 998 bytes (78 for the parts' bodies, which are
 * quoted-printable), and none starts with '.'. */
static void check_lines(const char *m)
{
    const char *line = m;
    bool body = false;
    while (*line) {
        const char *end = strstr(line, "\r\n");
        assert_non_null(end);
        size_t n = (size_t)(end - line);
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)line[i];
            assert_true(c < 0x80 && c != '\r' && c != '\n');
        }
        assert_true(n <= 998);
        if (body)
            assert_true(n <= 76);
        if (n > 0)
            assert_true(line[0] != '.');
        if (n == 0 && !body)
            body = true; /* past the message's header, every line is a part's */
        line = end + 2;
    }
}

/* The lines of the header section (up to the first empty line), each header's name. */
static int count_header(const char *m, const char *name)
{
    int count = 0;
    size_t nl = strlen(name);
    for (const char *line = m; *line && strncmp(line, "\r\n", 2) != 0;) {
        if (strncasecmp(line, name, nl) == 0 && line[nl] == ':')
            count++;
        line = strstr(line, "\r\n") + 2;
    }
    return count;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The decoded text of the part of type ctype (quoted-printable), malloc'd. */
static char *part_text(const char *m, const char *ctype)
{
    char want[64];
    snprintf(want, sizeof want, "Content-Type: %s;", ctype);
    const char *p = strstr(m, want);
    assert_non_null(p);
    p = strstr(p, "\r\n\r\n") + 4;
    const char *end = strstr(p, "\r\n--=_pd_");
    assert_non_null(end);
    char *out = malloc((size_t)(end - p) + 1);
    size_t n = 0;
    while (p < end) {
        if (p[0] == '=' && p[1] == '\r' && p[2] == '\n') {
            p += 3;
        } else if (p[0] == '=') {
            out[n++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
            p += 3;
        } else if (p[0] == '\r') {
            p++;
        } else {
            out[n++] = *p++;
        }
    }
    out[n] = '\0';
    return out;
}

static const struct {
    const char *kind, *vars;
} samples[] = {
    {"invite", "{\"link\":\"https://track.example/invite/1-abc\"}"},
    {"user_invite", "{\"link\":\"https://track.example/users/x\",\"role\":\"admin\"}"},
    {"application_received", NULL},
    {"application_approved", "{\"link\":\"https://track.example/login\"}"},
    {"application_rejected", "{\"reason\":\"no website\"}"},
    {"signup_existing", "{\"link\":\"https://track.example/login\"}"},
    {"password_reset", "{\"link\":\"https://track.example/reset/tok\"}"},
    {"password_changed", "{}"},
    {"digest", "{\"count\":3,\"totals\":[{\"currency\":\"USD\",\"amount\":2148}],"
               "\"link\":\"https://track.example/partner\","
               "\"unsubscribe\":\"https://track.example/unsubscribe/ptn_1.ab\"}"},
    {"payout_sent", "{\"amount\":123456,\"currency\":\"EUR\",\"reference\":\"PD-2026-11\"}"},
};

static void every_kind_renders_both_parts_and_the_headers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char err[160] = "";
        char *m = render(samples[i].kind, "Shop", "ann@partners.example", samples[i].vars, err,
                         sizeof err);
        if (!m)
            fail_msg("%s: %s", samples[i].kind, err);
        assert_true(email_kind_known(samples[i].kind));
        check_lines(m);
        assert_non_null(strstr(m, "From: \"Shop\" <noreply@shop.example>\r\n"));
        assert_non_null(strstr(m, "To: <ann@partners.example>\r\n"));
        assert_non_null(strstr(m, "Date: Sun, 06 Dec 2026 04:00:00 +0000\r\n"));
        assert_non_null(strstr(m, "Message-ID: <eml_01KEY@shop.example>\r\n"));
        assert_non_null(strstr(m, "Content-Type: multipart/alternative;"));
        for (const char *const *h = (const char *const[]){"From", "To", "Subject", "Date",
                                                          "Message-ID", "MIME-Version", NULL};
             *h; h++)
            assert_int_equal(count_header(m, *h), 1);
        char *text = part_text(m, "text/plain"), *html = part_text(m, "text/html");
        assert_non_null(strstr(html, "<html>"));
        const char *link = strstr(samples[i].vars ? samples[i].vars : "", "https://");
        if (link && strcmp(samples[i].kind, "digest") != 0) {
            char url[128];
            snprintf(url, sizeof url, "%.*s", (int)strcspn(link, "\""), link);
            assert_non_null(strstr(text, url));
            assert_non_null(strstr(html, url));
        }
        assert_int_equal(count_header(m, "List-Unsubscribe"),
                         strcmp(samples[i].kind, "digest") == 0);
        free(text);
        free(html);
        free(m);
    }
}

static void the_digest_has_one_click_unsubscribe_and_money_in_the_currency(void **state)
{
    (void)state;
    char err[160];
    char *m = render("digest", "Shop", "ann@partners.example", samples[8].vars, err, sizeof err);
    assert_non_null(m);
    assert_non_null(
        strstr(m, "List-Unsubscribe: <https://track.example/unsubscribe/ptn_1.ab>\r\n"));
    assert_non_null(strstr(m, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
    assert_non_null(strstr(m, "Subject: 3 new commissions at Shop\r\n"));
    char *text = part_text(m, "text/plain");
    assert_non_null(strstr(text, "21.48 USD"));
    free(text);
    free(m);
    m = render("payout_sent", "Shop", "ann@partners.example", samples[9].vars, err, sizeof err);
    text = part_text(m, "text/plain");
    assert_non_null(strstr(text, "1234.56 EUR"));
    assert_non_null(strstr(text, "PD-2026-11"));
    free(text);
    free(m);
}

static void no_name_or_value_can_add_a_header(void **state)
{
    (void)state;
    char err[160];
    const char *evil = "Shop\r\nBcc: victim@evil.example\r\n\r\nbody";
    char *m = render("application_rejected", evil, "ann@partners.example",
                     "{\"reason\":\"x\\r\\nBcc: victim@evil.example\"}", err, sizeof err);
    assert_non_null(m);
    check_lines(m);
    assert_int_equal(count_header(m, "Bcc"), 0);
    assert_int_equal(count_header(m, "From"), 1);
    /* a line break in a value stays in the body text, which can never hold a boundary */
    assert_null(strstr(m, "\r\n--=_pd_eml_01KEY\r\nBcc"));
    free(m);
    /* an address carrying a line break, a second address or a display name is refused */
    const char *bad_to[] = {"ann@partners.example\r\nBcc: v@evil.example",
                            "a@b.example, c@d.example",
                            "Ann <ann@partners.example>",
                            "ann@@partners.example",
                            "ann",
                            "ann@partners..example",
                            "ann@",
                            "\"a b\"@partners.example",
                            ""};
    for (size_t i = 0; i < sizeof bad_to / sizeof bad_to[0]; i++) {
        assert_false(email_address_ok(bad_to[i]));
        assert_null(render("invite", "Shop", bad_to[i], samples[0].vars, err, sizeof err));
    }
    assert_true(email_address_ok("first.last+tag@sub.partners-x.example"));
}

static void names_outside_ascii_are_encoded_words(void **state)
{
    (void)state;
    char err[160];
    char *m = render("password_changed", "Café Ünïcode 日本語 Program with a rather long name",
                     "ann@partners.example", NULL, err, sizeof err);
    assert_non_null(m);
    check_lines(m);
    assert_non_null(strstr(m, "From: =?UTF-8?B?"));
    assert_non_null(strstr(m, "Subject: =?UTF-8?B?"));
    /* the name with quotes and backslashes stays one quoted string */
    free(m);
    m = render("password_changed", "The \"Best\" \\ Shop", "ann@partners.example", NULL, err,
               sizeof err);
    assert_non_null(strstr(m, "From: \"The \\\"Best\\\" \\\\ Shop\" <noreply@shop.example>\r\n"));
    free(m);
}

static void values_are_html_escaped(void **state)
{
    (void)state;
    char err[160];
    char *m = render("application_rejected", "<b>Shop</b>", "ann@partners.example",
                     "{\"reason\":\"<script>alert('x')</script> & more\"}", err, sizeof err);
    char *html = part_text(m, "text/html"), *text = part_text(m, "text/plain");
    assert_null(strstr(html, "<script>"));
    assert_null(strstr(html, "<b>"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"));
    assert_non_null(strstr(text, "<script>alert('x')</script> & more"));
    free(html);
    free(text);
    free(m);
}

static void bad_vars_and_kinds_are_refused(void **state)
{
    (void)state;
    char err[160];
    assert_null(render("invite", "Shop", "ann@partners.example", "{}", err, sizeof err));
    assert_non_null(strstr(err, "link"));
    assert_null(render("invite", "Shop", "ann@partners.example",
                       "{\"link\":\"javascript:alert(1)\"}", err, sizeof err));
    assert_null(render("invite", "Shop", "ann@partners.example",
                       "{\"link\":\"https://x.example/\\\"><script>\"}", err, sizeof err));
    assert_null(render("newsletter", "Shop", "ann@partners.example", NULL, err, sizeof err));
    assert_false(email_kind_known("newsletter"));
    assert_null(render("payout_sent", "Shop", "ann@partners.example",
                       "{\"amount\":\"12\",\"currency\":\"USD\"}", err, sizeof err));
    assert_null(render("digest", "Shop", "ann@partners.example",
                       "{\"count\":1,\"totals\":[],\"link\":\"https://x.example/\","
                       "\"unsubscribe\":\"https://x.example/u <b>\"}",
                       err, sizeof err));
}

static void the_same_message_renders_the_same_bytes(void **state)
{
    (void)state;
    char err[160];
    char *a = render("invite", "Shop", "ann@partners.example", samples[0].vars, err, sizeof err);
    char *b = render("invite", "Shop", "ann@partners.example", samples[0].vars, err, sizeof err);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

static void quoted_printable_keeps_lines_short_and_decodes_back(void **state)
{
    (void)state;
    char in[3000];
    size_t n = 0;
    for (int i = 0; i < 2900; i++) /* long lines, dots at line starts, spaces before breaks */
        in[n++] = "a.=é \n"[i % 97 == 0   ? 6
                            : i % 7 == 0  ? 1
                            : i % 13 == 0 ? 5
                            : i % 11 == 0 ? 4
                            : i % 5 == 0  ? 2
                                          : 0];
    in[n] = '\0';
    struct strbuf out;
    strbuf_init(&out, 1 << 20);
    email_qp_encode(&out, in, n);
    strbuf_puts(&out, "\r\n");
    check_lines(out.data);
    /* decode: soft breaks vanish, =XX are bytes, CRLF is the text's '\n' */
    char *dec = malloc(out.len + 1);
    size_t d = 0;
    for (const char *p = out.data; *p;) {
        if (p[0] == '=' && p[1] == '\r')
            p += 3;
        else if (p[0] == '=')
            dec[d++] = (char)(hexval(p[1]) * 16 + hexval(p[2])), p += 3;
        else if (p[0] == '\r')
            p++;
        else
            dec[d++] = *p++;
    }
    dec[d] = '\0';
    assert_int_equal(d, n + 1);
    assert_memory_equal(dec, in, n);
    free(dec);
    strbuf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_kind_renders_both_parts_and_the_headers),
        cmocka_unit_test(the_digest_has_one_click_unsubscribe_and_money_in_the_currency),
        cmocka_unit_test(no_name_or_value_can_add_a_header),
        cmocka_unit_test(names_outside_ascii_are_encoded_words),
        cmocka_unit_test(values_are_html_escaped),
        cmocka_unit_test(bad_vars_and_kinds_are_refused),
        cmocka_unit_test(the_same_message_renders_the_same_bytes),
        cmocka_unit_test(quoted_printable_keeps_lines_short_and_decodes_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
