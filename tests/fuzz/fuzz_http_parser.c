/* Fuzzes src/http/parser.c. Each input is parsed twice, whole and fed in small pieces (with the
 * chunked-body compaction the server does), and both must agree on whether and how a request
 * was framed. Complete requests are split as the server does, and pipelined requests after the
 * first are parsed too. Small limits make every limit path reachable. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct http_limits fuzz_limits = {
    .max_request_line = 96,
    .max_header_bytes = 256,
    .max_headers = 8,
    .max_body = 512,
};

static void check_split(const struct http_parser *p, const char *buf)
{
    char *head = malloc(p->head_len + 1);
    memcpy(head, buf, p->head_len);
    head[p->head_len] = '\0';
    struct http_header *h = malloc((p->nheaders + 1) * sizeof *h);
    const char *path, *query;
    http_parser_split(p, head, h, &path, &query);
    size_t total = strlen(path) + (query ? strlen(query) : 0);
    for (size_t i = 0; i < p->nheaders; i++)
        total += strlen(h[i].name) + strlen(h[i].value);
    if (path[0] != '/' || total > p->head_len)
        abort();
    free(h);
    free(head);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    /* whole */
    char *whole = malloc(size + 1);
    memcpy(whole, data, size);
    struct http_parser a;
    http_parser_init(&a, &fuzz_limits);
    enum http_parse_status ra = http_parser_execute(&a, whole, size);
    if (ra == HTTP_PARSE_ERROR && (a.status < 400 || !a.error))
        abort();

    /* in pieces */
    char *inc = malloc(size + 1);
    struct http_parser b;
    http_parser_init(&b, &fuzz_limits);
    enum http_parse_status rb = HTTP_PARSE_NEED_MORE;
    size_t step = size ? 1 + data[0] % 7 : 1, fed = 0, have = 0, removed = 0;
    while (rb == HTTP_PARSE_NEED_MORE && fed < size) {
        size_t n = size - fed < step ? size - fed : step;
        memcpy(inc + have, data + fed, n);
        fed += n;
        have += n;
        rb = http_parser_execute(&b, inc, have);
        if (rb == HTTP_PARSE_NEED_MORE) {
            size_t after = http_parser_compact(&b, inc, have);
            removed += have - after;
            have = after;
        }
    }
    if ((ra == HTTP_PARSE_DONE) != (rb == HTTP_PARSE_DONE))
        abort();
    if (ra == HTTP_PARSE_DONE) {
        if (a.body_len != b.body_len || a.consumed != b.consumed + removed ||
            a.head_len != b.head_len || a.nheaders != b.nheaders || a.keep_alive != b.keep_alive ||
            memcmp(whole + a.head_len, inc + b.head_len, a.body_len) != 0)
            abort();
        if (a.consumed > size || a.head_len + a.body_len > a.consumed)
            abort();
        check_split(&a, whole);

        /* pipelined requests that follow */
        size_t off = a.consumed;
        for (int i = 0; i < 4 && off < size; i++) {
            struct http_parser c;
            http_parser_init(&c, &fuzz_limits);
            if (http_parser_execute(&c, whole + off, size - off) != HTTP_PARSE_DONE)
                break;
            check_split(&c, whole + off);
            off += c.consumed;
        }
    }
    free(inc);
    free(whole);
    return 0;
}
