/* The HTTP/1.1 request parser: pure (no I/O, no allocation), incremental, with hard limits.
 *
 * The caller keeps the bytes of a connection in one contiguous buffer and calls
 * http_parser_execute() with the whole buffer each time more bytes arrive (the prefix seen before
 * must be unchanged; the buffer may move). The parser remembers how far it has scanned, so bytes
 * are not rescanned. A chunked body is decoded in place: the decoded bytes are moved down to buf +
 * head_len, which is why the buffer is not const.
 *
 * Strictness (request smuggling and desync are worse than refusing an odd client):
 *  - lines end with CRLF; a bare LF or a bare CR is 400;
 *  - obsolete header folding (a line starting with SP/HTAB) is 400;
 *  - whitespace between a header name and ':' is 400;
 *  - Content-Length and Transfer-Encoding together, two Content-Length fields, a Content-Length
 *    that is not all digits, Transfer-Encoding in HTTP/1.0: 400; a transfer coding other than
 *    "chunked": 501;
 *  - HTTP/1.1 without exactly one Host: 400; a version other than HTTP/1.x: 505;
 *  - the request target is origin-form ("/path?query") or absolute-form ("http://host/path");
 *    "*" and authority-form are 400.
 * Empty lines (CRLF) before the request line are skipped, as RFC 9112 §2.2 asks. */
#ifndef PD_HTTP_PARSER_H
#define PD_HTTP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

enum http_parse_status {
    HTTP_PARSE_ERROR = -1,    /* p->status and p->error say why; the connection must be closed */
    HTTP_PARSE_NEED_MORE = 0, /* call again with more bytes */
    HTTP_PARSE_DONE = 1,      /* one whole request: see the result fields */
};

enum http_parse_phase {
    HTTP_PHASE_HEAD = 0,
    HTTP_PHASE_BODY_LENGTH,  /* head parsed, waiting for content_length bytes */
    HTTP_PHASE_BODY_CHUNKED, /* head parsed, decoding chunks */
    HTTP_PHASE_DONE,
    HTTP_PHASE_ERROR,
};

/* A range of the parsed buffer. */
struct http_span {
    size_t off, len;
};

struct http_parser {
    /* Limits, copied from struct http_limits at init. */
    size_t max_request_line, max_header_bytes, max_headers, max_body;

    /* Results, valid once the phase is past HTTP_PHASE_HEAD. */
    enum http_parse_phase phase;
    enum http_method method;
    struct http_span method_name; /* the method as sent (for HTTP_OTHER) */
    struct http_span path;        /* without the query; len 0 = "/" (absolute-form "http://h") */
    struct http_span query;       /* after '?'; only when has_query */
    bool has_query;
    int version_minor;    /* HTTP/1.<minor>: 0 or 1 */
    bool keep_alive;      /* after Connection and the version's default */
    bool expect_continue; /* HTTP/1.1 "Expect: 100-continue" */
    bool chunked;
    uint64_t content_length; /* when !chunked */
    size_t nheaders;         /* header fields in the head */
    size_t head_len;         /* bytes from buf[0] through the blank line */

    /* Results, valid on HTTP_PARSE_DONE: the body is buf[head_len .. head_len + body_len) and the
     * request used buf[0 .. consumed); what follows belongs to the next (pipelined) request. */
    size_t body_len;
    size_t consumed;

    /* On HTTP_PARSE_ERROR: an HTTP status (400, 413, 414, 417, 431, 501, 505) and a message. */
    int status;
    const char *error;

    /* Private scanning state. */
    size_t start;    /* first byte of the request line (after skipped empty lines) */
    size_t pos;      /* start of the line being scanned */
    size_t scan;     /* next byte to look at for its end */
    size_t line_end; /* end of the request line (index of its CR), 0 while unknown */
    size_t lines;    /* header lines seen so far */
    /* chunked decoding, offsets relative to head_len */
    size_t in;  /* next input byte */
    size_t out; /* decoded bytes so far */
    uint64_t chunk_left;
    int chunk_state;
    size_t trailer_bytes;
};

void http_parser_init(struct http_parser *p, const struct http_limits *limits);
/* Parses what buf[0 .. len) holds. Once it returned DONE or ERROR, it returns the same again. */
enum http_parse_status http_parser_execute(struct http_parser *p, char *buf, size_t len);
/* While decoding a chunked body: drops the consumed chunk framing from the buffer so it does not
 * grow with it. Returns the new length of the buffer's content. */
size_t http_parser_compact(struct http_parser *p, char *buf, size_t len);

/* Splits the header fields of a parsed head (p->phase past HEAD) held in `head` (a writable copy of
 * buf[0 .. head_len)): NUL-terminates names and values in place and points out[0 .. nheaders) at
 * them. `out` has room for p->nheaders entries. Also NUL-terminates the method, path and query and
 * returns their addresses (the path is "/" for an absolute-form target without a path). */
void http_parser_split(const struct http_parser *p, char *head, struct http_header *out,
                       const char **path, const char **query);

const char *http_status_reason(int status);

#endif
