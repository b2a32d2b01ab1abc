/* Tests src/http/parser.c: framing, limits, strictness and incremental feeding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/parser.h"

struct parsed {
    struct http_parser p;
    char *buf;
    size_t len;
    enum http_parse_status r;
};

static struct http_limits limits(void)
{
    struct http_limits l;
    http_limits_default(&l);
    return l;
}

/* Parses the whole text at once (the buffer is a writable copy). */
static enum http_parse_status parse_all(struct parsed *x, const char *text, size_t len)
{
    struct http_limits l = limits();
    http_parser_init(&x->p, &l);
    x->buf = malloc(len + 1);
    memcpy(x->buf, text, len);
    x->buf[len] = '\0';
    x->len = len;
    x->r = http_parser_execute(&x->p, x->buf, len);
    return x->r;
}

static enum http_parse_status parse(struct parsed *x, const char *text)
{
    return parse_all(x, text, strlen(text));
}

/* Feeds the text one byte at a time, as the slowest client would send it. */
static enum http_parse_status parse_bytewise(struct parsed *x, const char *text)
{
    struct http_limits l = limits();
    size_t len = strlen(text);
    http_parser_init(&x->p, &l);
    x->buf = malloc(len + 1);
    enum http_parse_status r = HTTP_PARSE_NEED_MORE;
    size_t have = 0;
    for (size_t i = 0; i < len && r == HTTP_PARSE_NEED_MORE; i++) {
        x->buf[have++] = text[i];
        r = http_parser_execute(&x->p, x->buf, have);
        if (r == HTTP_PARSE_NEED_MORE)
            have = http_parser_compact(&x->p, x->buf, have);
    }
    x->buf[have] = '\0';
    x->len = have;
    x->r = r;
    return r;
}

static void done(struct parsed *x)
{
    free(x->buf);
}

static const char *body_of(struct parsed *x)
{
    return x->buf + x->p.head_len;
}

static void simple_get_is_parsed(void **state)
{
    struct parsed x;
    assert_int_equal(parse(&x, "GET /c/abc?sub1=x&sub2=y HTTP/1.1\r\nHost: example.com\r\n"
                               "User-Agent: curl/8\r\n\r\n"),
                     HTTP_PARSE_DONE);
    assert_int_equal(x.p.method, HTTP_GET);
    assert_int_equal(x.p.version_minor, 1);
    assert_true(x.p.keep_alive);
    assert_int_equal(x.p.nheaders, 2);
    assert_int_equal(x.p.body_len, 0);
    assert_int_equal(x.p.consumed, x.len);

    char *copy = malloc(x.p.head_len);
    memcpy(copy, x.buf, x.p.head_len);
    struct http_header h[2];
    const char *path, *query;
    http_parser_split(&x.p, copy, h, &path, &query);
    assert_string_equal(path, "/c/abc");
    assert_string_equal(query, "sub1=x&sub2=y");
    assert_string_equal(h[0].name, "Host");
    assert_string_equal(h[0].value, "example.com");
    assert_string_equal(h[1].name, "User-Agent");
    assert_string_equal(h[1].value, "curl/8");
    free(copy);
    done(&x);
}

static void header_values_are_trimmed_and_may_be_empty(void **state)
{
    struct parsed x;
    assert_int_equal(parse(&x, "GET / HTTP/1.1\r\nHost:h\r\nX-A: \t spaced value \t\r\nX-Empty:\r\n"
                               "X-Utf8: caf\xc3\xa9\r\n\r\n"),
                     HTTP_PARSE_DONE);
    char *copy = malloc(x.p.head_len);
    memcpy(copy, x.buf, x.p.head_len);
    struct http_header h[4];
    const char *path, *query;
    http_parser_split(&x.p, copy, h, &path, &query);
    assert_string_equal(path, "/");
    assert_null(query);
    assert_string_equal(h[0].value, "h");
    assert_string_equal(h[1].value, "spaced value");
    assert_string_equal(h[2].name, "X-Empty");
    assert_string_equal(h[2].value, "");
    assert_string_equal(h[3].value, "caf\xc3\xa9");
    free(copy);
    done(&x);
}

static void every_method_maps_and_unknown_is_other(void **state)
{
    static const struct {
        const char *name;
        enum http_method m;
    } cases[] = {{"GET", HTTP_GET},         {"HEAD", HTTP_HEAD},    {"POST", HTTP_POST},
                 {"PUT", HTTP_PUT},         {"PATCH", HTTP_PATCH},  {"DELETE", HTTP_DELETE},
                 {"OPTIONS", HTTP_OPTIONS}, {"BREW", HTTP_OTHER},   {"get", HTTP_OTHER},
                 {"PROPFIND", HTTP_OTHER},  {"CONNECT", HTTP_OTHER}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char req[128];
        snprintf(req, sizeof req, "%s /x HTTP/1.1\r\nHost: h\r\n\r\n", cases[i].name);
        struct parsed x;
        assert_int_equal(parse(&x, req), HTTP_PARSE_DONE);
        assert_int_equal(x.p.method, cases[i].m);
        assert_int_equal(x.p.method_name.len, strlen(cases[i].name));
        done(&x);
    }
}

static void content_length_body_is_framed(void **state)
{
    struct parsed x;
    const char *req = "POST /api/v1/conversions HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n"
                      "\r\n{\"a\":12345}GET /next";
    assert_int_equal(parse(&x, req), HTTP_PARSE_DONE);
    assert_int_equal(x.p.body_len, 11);
    assert_memory_equal(body_of(&x), "{\"a\":12345}", 11);
    assert_string_equal(x.buf + x.p.consumed, "GET /next");
    done(&x);
}

static void content_length_body_waits_for_all_bytes(void **state)
{
    struct parsed x;
    assert_int_equal(parse(&x, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nabc"),
                     HTTP_PARSE_NEED_MORE);
    assert_int_equal(x.p.phase, HTTP_PHASE_BODY_LENGTH);
    done(&x);
}

static void chunked_body_is_decoded_in_place(void **state)
{
    struct parsed x;
    const char *req = "POST /track/sale HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "5\r\nhello\r\n7;ext=1\r\n, world\r\nA\r\n0123456789\r\n0\r\n"
                      "X-Trailer: ignored\r\n\r\nNEXT";
    assert_int_equal(parse(&x, req), HTTP_PARSE_DONE);
    assert_true(x.p.chunked);
    assert_int_equal(x.p.body_len, 22);
    assert_memory_equal(body_of(&x), "hello, world0123456789", 22);
    assert_string_equal(x.buf + x.p.consumed, "NEXT");
    done(&x);
}

static void chunked_body_fed_bytewise_is_decoded(void **state)
{
    struct parsed x;
    const char *req = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n"
                      "Expect: 100-continue\r\n\r\n"
                      "3\r\nabc\r\n1f \r\n0123456789012345678901234567890\r\n0\r\n\r\n";
    assert_int_equal(parse_bytewise(&x, req), HTTP_PARSE_DONE);
    assert_true(x.p.expect_continue);
    assert_int_equal(x.p.body_len, 34);
    assert_memory_equal(body_of(&x), "abc0123456789012345678901234567890", 34);
    done(&x);
}

static void whole_requests_parse_identically_bytewise(void **state)
{
    const char *reqs[] = {
        "GET /a?b=c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        "POST /p HTTP/1.0\r\nContent-Length: 3\r\n\r\nxyz",
        "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
    };
    for (size_t i = 0; i < 3; i++) {
        struct parsed a, b;
        assert_int_equal(parse(&a, reqs[i]), HTTP_PARSE_DONE);
        assert_int_equal(parse_bytewise(&b, reqs[i]), HTTP_PARSE_DONE);
        assert_int_equal(a.p.head_len, b.p.head_len);
        assert_int_equal(a.p.body_len, b.p.body_len);
        assert_int_equal(a.p.consumed, b.p.consumed);
        assert_int_equal(a.p.keep_alive, b.p.keep_alive);
        assert_int_equal(a.p.path.off, b.p.path.off);
        done(&a);
        done(&b);
    }
}

static void pipelined_requests_are_parsed_one_after_another(void **state)
{
    const char *text = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
                       "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok"
                       "GET /3 HTTP/1.1\r\nHost: h\r\n\r\n";
    size_t len = strlen(text), off = 0;
    char *buf = malloc(len);
    memcpy(buf, text, len);
    struct http_limits l = limits();
    const char *paths[] = {"/1", "/2", "/3"};
    for (int i = 0; i < 3; i++) {
        struct http_parser p;
        http_parser_init(&p, &l);
        assert_int_equal(http_parser_execute(&p, buf + off, len - off), HTTP_PARSE_DONE);
        assert_int_equal(p.path.len, 2);
        assert_memory_equal(buf + off + p.path.off, paths[i], 2);
        off += p.consumed;
    }
    assert_int_equal(off, len);
    free(buf);
}

static void leading_empty_lines_are_skipped(void **state)
{
    struct parsed x;
    assert_int_equal(parse(&x, "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), HTTP_PARSE_DONE);
    assert_int_equal(x.p.method, HTTP_GET);
    done(&x);
}

static void keep_alive_follows_version_and_connection(void **state)
{
    static const struct {
        const char *req;
        int keep;
    } cases[] = {
        {"GET / HTTP/1.1\r\nHost: h\r\n\r\n", 1},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", 0},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: Keep-Alive, Close\r\n\r\n", 0},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade,CLOSE\r\n\r\n", 0},
        {"GET / HTTP/1.0\r\n\r\n", 0},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct parsed x;
        assert_int_equal(parse(&x, cases[i].req), HTTP_PARSE_DONE);
        assert_int_equal(x.p.keep_alive, cases[i].keep);
        done(&x);
    }
}

static void absolute_form_target_gives_the_path(void **state)
{
    struct parsed x;
    assert_int_equal(parse(&x, "GET http://shop.example:8080/c/x?y=1 HTTP/1.1\r\nHost: h\r\n\r\n"),
                     HTTP_PARSE_DONE);
    char *copy = malloc(x.p.head_len);
    memcpy(copy, x.buf, x.p.head_len);
    struct http_header h[1];
    const char *path, *query;
    http_parser_split(&x.p, copy, h, &path, &query);
    assert_string_equal(path, "/c/x");
    assert_string_equal(query, "y=1");
    free(copy);
    done(&x);

    assert_int_equal(parse(&x, "GET HTTPS://shop.example HTTP/1.1\r\nHost: h\r\n\r\n"),
                     HTTP_PARSE_DONE);
    copy = malloc(x.p.head_len);
    memcpy(copy, x.buf, x.p.head_len);
    http_parser_split(&x.p, copy, h, &path, &query);
    assert_string_equal(path, "/");
    free(copy);
    done(&x);
}

static void expect_error(const char *req, int status)
{
    struct parsed x;
    enum http_parse_status r = parse(&x, req);
    if (r != HTTP_PARSE_ERROR || x.p.status != status)
        print_error("request %s: got %d status %d\n", req, r, x.p.status);
    assert_int_equal(r, HTTP_PARSE_ERROR);
    assert_int_equal(x.p.status, status);
    assert_non_null(x.p.error);
    /* an error is sticky */
    assert_int_equal(http_parser_execute(&x.p, x.buf, x.len), HTTP_PARSE_ERROR);
    done(&x);
}

static void malformed_request_lines_are_400(void **state)
{
    expect_error("GET\r\n\r\n", 400);
    expect_error("GET /\r\nHost: h\r\n\r\n", 400);
    expect_error("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    expect_error("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400);
    expect_error(" GET / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    expect_error("GET / HTTP/1\r\nHost: h\r\n\r\n", 400);
    expect_error("GET / http/1.1\r\nHost: h\r\n\r\n", 400);
    expect_error("GET / HTTP/1.1x\r\nHost: h\r\n\r\n", 400);
    expect_error("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    expect_error("GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    expect_error("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    expect_error("GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    expect_error("CONNECT shop.example:443 HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    expect_error("GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    expect_error("GET / HTTP/1.1\r\r\nHost: h\r\n\r\n", 400);
}

static void unsupported_versions_are_505(void **state)
{
    expect_error("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505);
    expect_error("GET / HTTP/0.9\r\n\r\n", 505);
}

static void bare_lf_and_bare_cr_are_refused(void **state)
{
    expect_error("GET / HTTP/1.1\nHost: h\n\n", 400);
    expect_error("GET / HTTP/1.1\r\nHost: h\n\r\n", 400);
    expect_error("GET / HTTP/1.1\r\nHost: h\r\n\n", 400);
    expect_error("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400);
    expect_error("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    expect_error("\rGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

static void header_folding_and_bad_fields_are_400(void **state)
{
    expect_error("GET / HTTP/1.1\r\nHost: h\r\nX-A: one\r\n two\r\n\r\n", 400);
    expect_error("GET / HTTP/1.1\r\nHost: h\r\nX-A: one\r\n\ttwo\r\n\r\n", 400);
    expect_error("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400);
    expect_error("GET / HTTP/1.1\r\nHost: h\r\n: empty-name\r\n\r\n", 400);
    expect_error("GET / HTTP/1.1\r\nHost: h\r\nNo colon\r\n\r\n", 400);
    struct parsed x;
    const char nul[] = "GET / HTTP/1.1\r\nHost: h\r\nX-Nul: a\0b\r\n\r\n";
    assert_int_equal(parse_all(&x, nul, sizeof nul - 1), HTTP_PARSE_ERROR);
    assert_int_equal(x.p.status, 400);
    done(&x);
    expect_error("GET / HTTP/1.1\r\nHost: h\r\nX-Del: a\x7f\r\n\r\n", 400);
}

static void host_is_required_once_in_http_1_1(void **state)
{
    expect_error("GET / HTTP/1.1\r\n\r\n", 400);
    expect_error("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
    struct parsed x;
    assert_int_equal(parse(&x, "GET / HTTP/1.0\r\n\r\n"), HTTP_PARSE_DONE);
    done(&x);
}

static void framing_conflicts_are_refused(void **state)
{
    expect_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n",
                 400);
    expect_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n",
                 400);
    expect_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\n", 400);
    expect_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400);
    expect_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n", 400);
    expect_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n", 400);
    expect_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n", 400);
    expect_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501);
    expect_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n", 501);
    expect_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n",
                 400);
    expect_error("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
}

static void expect_other_than_continue_is_417(void **state)
{
    expect_error("POST / HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\n", 417);
}

static void expect_continue_without_body_is_ignored(void **state)
{
    struct parsed x;
    assert_int_equal(parse(&x, "GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n\r\n"),
                     HTTP_PARSE_DONE);
    assert_false(x.p.expect_continue);
    done(&x);
}

static char *repeat(const char *prefix, char c, size_t n, const char *suffix)
{
    size_t pl = strlen(prefix), sl = strlen(suffix);
    char *s = malloc(pl + n + sl + 1);
    memcpy(s, prefix, pl);
    memset(s + pl, c, n);
    memcpy(s + pl + n, suffix, sl + 1);
    return s;
}

static void request_line_limit_is_414(void **state)
{
    /* exactly at the limit is fine */
    size_t fixed = strlen("GET /") + strlen(" HTTP/1.1");
    char *ok = repeat("GET /", 'a', 8192 - fixed, " HTTP/1.1\r\nHost: h\r\n\r\n");
    struct parsed x;
    assert_int_equal(parse(&x, ok), HTTP_PARSE_DONE);
    done(&x);
    free(ok);

    char *over = repeat("GET /", 'a', 8192 - fixed + 1, " HTTP/1.1\r\nHost: h\r\n\r\n");
    expect_error(over, 414);
    free(over);

    /* an unterminated line is refused as soon as it is too long */
    char *open = repeat("GET /", 'a', 9000, "");
    assert_int_equal(parse(&x, open), HTTP_PARSE_ERROR);
    assert_int_equal(x.p.status, 414);
    done(&x);
    free(open);
}

static void header_bytes_limit_is_431(void **state)
{
    /* 20 headers of ~1 KiB: fewer than 100, more than 16 KiB */
    size_t cap = 32 * 1024, n = 0;
    char *req = malloc(cap);
    n += (size_t)snprintf(req + n, cap - n, "GET / HTTP/1.1\r\nHost: h\r\n");
    char value[1001];
    memset(value, 'v', 1000);
    value[1000] = '\0';
    for (int i = 0; i < 20; i++)
        n += (size_t)snprintf(req + n, cap - n, "X-%02d: %s\r\n", i, value);
    snprintf(req + n, cap - n, "\r\n");
    expect_error(req, 431);

    /* and unterminated: refused before the blank line arrives */
    req[n] = '\0';
    struct parsed x;
    assert_int_equal(parse(&x, req), HTTP_PARSE_ERROR);
    assert_int_equal(x.p.status, 431);
    done(&x);
    free(req);
}

static void header_count_limit_is_431(void **state)
{
    size_t cap = 8192, n = 0;
    char *req = malloc(cap);
    n += (size_t)snprintf(req + n, cap - n, "GET / HTTP/1.1\r\nHost: h\r\n");
    for (int i = 0; i < 99; i++)
        n += (size_t)snprintf(req + n, cap - n, "X%d: 1\r\n", i);
    snprintf(req + n, cap - n, "\r\n");
    struct parsed x;
    assert_int_equal(parse(&x, req), HTTP_PARSE_DONE); /* 100 headers: the limit */
    assert_int_equal(x.p.nheaders, 100);
    done(&x);
    n += (size_t)snprintf(req + n, cap - n, "X100: 1\r\n");
    snprintf(req + n, cap - n, "\r\n");
    expect_error(req, 431);
    free(req);
}

static void content_length_over_limit_is_413(void **state)
{
    struct parsed x;
    assert_int_equal(parse(&x, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1048576\r\n\r\n"),
                     HTTP_PARSE_NEED_MORE);
    done(&x);
    expect_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1048577\r\n\r\n", 413);
    expect_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2097152\r\n\r\n", 413);
    expect_error("POST / HTTP/1.1\r\nHost: h\r\n"
                 "Content-Length: 99999999999999999999999999999999\r\n\r\n",
                 413);
}

static void chunked_total_over_limit_is_413(void **state)
{
    expect_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\n", 413);
    expect_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "ffffffffffffffffffffffff\r\n",
                 413);
    /* many chunks that add up to more than 1 MiB */
    size_t cap = 1100 * 1024, n = 0;
    char *req = malloc(cap);
    n += (size_t)snprintf(req, cap,
                          "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 17; i++) {
        n += (size_t)snprintf(req + n, cap - n, "10000\r\n");
        memset(req + n, 'x', 0x10000);
        n += 0x10000;
        n += (size_t)snprintf(req + n, cap - n, "\r\n");
    }
    req[n] = '\0';
    expect_error(req, 413);
    free(req);
}

static void malformed_chunks_are_400(void **state)
{
    const char *head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
    const char *bodies[] = {
        "x\r\n",                 /* not hex */
        "\r\n",                  /* no size */
        "5\r\nhelloXY",          /* data not followed by CRLF */
        "5\nhello\r\n0\r\n\r\n", /* bare LF */
        "5 x\r\nhello\r\n",      /* junk after the size */
        "-5\r\n",
        "0\r\nTrailer: x\n\r\n",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        char req[256];
        snprintf(req, sizeof req, "%s%s", head, bodies[i]);
        expect_error(req, 400);
    }
    char *longline = repeat(head, '0', 2000, "");
    expect_error(longline, 400);
    free(longline);
}

static void unfinished_requests_need_more(void **state)
{
    const char *partial[] = {
        "",
        "G",
        "GET / HTTP/1.1\r",
        "GET / HTTP/1.1\r\nHost: h\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n\r",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n",
    };
    for (size_t i = 0; i < sizeof partial / sizeof partial[0]; i++) {
        struct parsed x;
        assert_int_equal(parse(&x, partial[i]), HTTP_PARSE_NEED_MORE);
        done(&x);
    }
}

static void status_reasons_are_known(void **state)
{
    assert_string_equal(http_status_reason(302), "Found");
    assert_string_equal(http_status_reason(431), "Request Header Fields Too Large");
    assert_string_equal(http_status_reason(799), "Unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(simple_get_is_parsed),
        cmocka_unit_test(header_values_are_trimmed_and_may_be_empty),
        cmocka_unit_test(every_method_maps_and_unknown_is_other),
        cmocka_unit_test(content_length_body_is_framed),
        cmocka_unit_test(content_length_body_waits_for_all_bytes),
        cmocka_unit_test(chunked_body_is_decoded_in_place),
        cmocka_unit_test(chunked_body_fed_bytewise_is_decoded),
        cmocka_unit_test(whole_requests_parse_identically_bytewise),
        cmocka_unit_test(pipelined_requests_are_parsed_one_after_another),
        cmocka_unit_test(leading_empty_lines_are_skipped),
        cmocka_unit_test(keep_alive_follows_version_and_connection),
        cmocka_unit_test(absolute_form_target_gives_the_path),
        cmocka_unit_test(malformed_request_lines_are_400),
        cmocka_unit_test(unsupported_versions_are_505),
        cmocka_unit_test(bare_lf_and_bare_cr_are_refused),
        cmocka_unit_test(header_folding_and_bad_fields_are_400),
        cmocka_unit_test(host_is_required_once_in_http_1_1),
        cmocka_unit_test(framing_conflicts_are_refused),
        cmocka_unit_test(expect_other_than_continue_is_417),
        cmocka_unit_test(expect_continue_without_body_is_ignored),
        cmocka_unit_test(request_line_limit_is_414),
        cmocka_unit_test(header_bytes_limit_is_431),
        cmocka_unit_test(header_count_limit_is_431),
        cmocka_unit_test(content_length_over_limit_is_413),
        cmocka_unit_test(chunked_total_over_limit_is_413),
        cmocka_unit_test(malformed_chunks_are_400),
        cmocka_unit_test(unfinished_requests_need_more),
        cmocka_unit_test(status_reasons_are_known),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
