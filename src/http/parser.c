/* The HTTP/1.1 request parser (the rules it enforces are listed in http/parser.h). Owns the
 * framing of a request: where its head ends, what its body is, and where the next pipelined
 * request begins; nothing else in the server reads raw request bytes.
 *
 * Where it sits: each connection of http/server.c keeps one parser and calls http_parser_execute
 * whenever bytes arrive; once it answers DONE the server splits the head (http_parser_split) and
 * hands the request to the routes (api/router.c). An ERROR's status is answered and the connection
 * closed, since the stream can no longer be framed.
 *
 * Invariants:
 *  - Incremental and whole parsing agree: feeding the same bytes in any pieces gives the same
 *    result as one call (tests/fuzz/fuzz_http_parser.c checks it), because the state kept between
 *    calls (pos, scan, the chunk state) only ever advances and every check is made once a line is
 *    complete, or as soon as a limit is certainly passed.
 *  - Every limit fails as soon as the bytes seen pass it, not once the request is complete: the
 *    request line, the header section and the number of fields, the body (a Content-Length above
 *    it at once, the decoded chunked total as it grows), each chunk-size line and the trailer; so
 *    the server never has to hold more than the limits to learn a request is too large.
 *  - Ambiguous framing is refused, never guessed at (the desync cases in parser.h).
 *  - Pure: no allocation, no I/O, no global state; a chunked body is decoded in place below the
 *    head. decode_chunked is a state machine over the chunk grammar (size line, data, CRLF,
 *    trailer) and is kept as one function so each transition reads beside the others. */
#include "http/parser.h"

#include <string.h>
#include <strings.h>

#include "util/banned.h"

/* The longest chunk-size line (size + extensions) accepted. */
#define MAX_CHUNK_LINE 1024

enum { CHUNK_SIZE = 0, CHUNK_DATA, CHUNK_DATA_END, CHUNK_TRAILER };

/* RFC 9110 tchar: the characters of a token (method, header name). */
static const unsigned char tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1,
    ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1,  ['~'] = 1, ['0'] = 1,
    ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,  ['7'] = 1, ['8'] = 1,
    ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1,  ['F'] = 1, ['G'] = 1,
    ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1,  ['N'] = 1, ['O'] = 1,
    ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,  ['V'] = 1, ['W'] = 1,
    ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1,  ['d'] = 1, ['e'] = 1,
    ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1,  ['l'] = 1, ['m'] = 1,
    ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1,  ['t'] = 1, ['u'] = 1,
    ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

static bool is_tchar(char c)
{
    return tchar[(unsigned char)c] != 0;
}

/* field-value characters: HTAB, SP, VCHAR, obs-text. Everything else (CR, LF, NUL, DEL, other
 * controls) is refused. */
static bool is_field_char(char c)
{
    unsigned char u = (unsigned char)c;
    return u == '\t' || (u >= 0x20 && u != 0x7f);
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static enum http_parse_status fail(struct http_parser *p, int status, const char *msg)
{
    p->phase = HTTP_PHASE_ERROR;
    p->status = status;
    p->error = msg;
    return HTTP_PARSE_ERROR;
}

void http_parser_init(struct http_parser *p, const struct http_limits *limits)
{
    memset(p, 0, sizeof *p);
    p->max_request_line = limits->max_request_line;
    p->max_header_bytes = limits->max_header_bytes;
    p->max_headers = limits->max_headers;
    p->max_body = limits->max_body;
}

static bool eq_ci(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n == l && strncasecmp(s, lit, l) == 0;
}

static enum http_method method_from(const char *s, size_t n)
{
    switch (n) {
    case 3:
        if (memcmp(s, "GET", 3) == 0)
            return HTTP_GET;
        if (memcmp(s, "PUT", 3) == 0)
            return HTTP_PUT;
        break;
    case 4:
        if (memcmp(s, "POST", 4) == 0)
            return HTTP_POST;
        if (memcmp(s, "HEAD", 4) == 0)
            return HTTP_HEAD;
        break;
    case 5:
        if (memcmp(s, "PATCH", 5) == 0)
            return HTTP_PATCH;
        break;
    case 6:
        if (memcmp(s, "DELETE", 6) == 0)
            return HTTP_DELETE;
        break;
    case 7:
        if (memcmp(s, "OPTIONS", 7) == 0)
            return HTTP_OPTIONS;
        break;
    }
    return HTTP_OTHER;
}

static enum http_parse_status parse_target(struct http_parser *p, const char *buf, size_t t,
                                           size_t end)
{
    size_t path_start;
    if (buf[t] == '/') {
        path_start = t;
    } else {
        size_t scheme;
        if (end - t > 7 && strncasecmp(buf + t, "http://", 7) == 0)
            scheme = 7;
        else if (end - t > 8 && strncasecmp(buf + t, "https://", 8) == 0)
            scheme = 8;
        else
            return fail(p, 400, "unsupported request target");
        size_t a = t + scheme;
        size_t q = a;
        while (q < end && buf[q] != '/' && buf[q] != '?')
            q++;
        if (q == a)
            return fail(p, 400, "empty authority in request target");
        path_start = q;
    }
    size_t q = path_start;
    while (q < end && buf[q] != '?')
        q++;
    p->path.off = path_start;
    p->path.len = q - path_start;
    if (q < end) {
        p->has_query = true;
        p->query.off = q + 1;
        p->query.len = end - q - 1;
    }
    return HTTP_PARSE_NEED_MORE;
}

static enum http_parse_status parse_request_line(struct http_parser *p, const char *buf)
{
    size_t s = p->start, e = p->line_end, q = s;
    while (q < e && is_tchar(buf[q]))
        q++;
    if (q == s || q == e || buf[q] != ' ')
        return fail(p, 400, "malformed request line");
    p->method_name.off = s;
    p->method_name.len = q - s;
    p->method = method_from(buf + s, q - s);

    size_t t = ++q;
    while (q < e && (unsigned char)buf[q] > 0x20 && (unsigned char)buf[q] < 0x7f)
        q++;
    if (q == t || q == e || buf[q] != ' ')
        return fail(p, 400, "malformed request line");
    size_t tend = q++;

    const char *v = buf + q;
    if (e - q != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
        v[7] < '0' || v[7] > '9')
        return fail(p, 400, "malformed request line");
    if (v[5] != '1')
        return fail(p, 505, "only HTTP/1.0 and HTTP/1.1 are supported");
    p->version_minor = v[7] == '0' ? 0 : 1;
    return parse_target(p, buf, t, tend);
}

struct head_facts {
    bool seen_cl, cl_too_big, seen_te, te_unsupported, conn_close, conn_keep, expect_bad;
    int hosts;
};

static void parse_connection(struct head_facts *f, const char *v, size_t n)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (is_ows(v[i]) || v[i] == ','))
            i++;
        size_t s = i;
        while (i < n && v[i] != ',' && !is_ows(v[i]))
            i++;
        if (eq_ci(v + s, i - s, "close"))
            f->conn_close = true;
        else if (eq_ci(v + s, i - s, "keep-alive"))
            f->conn_keep = true;
    }
}

static enum http_parse_status parse_header(struct http_parser *p, struct head_facts *f,
                                           const char *buf, size_t ls, size_t le)
{
    if (is_ows(buf[ls]))
        return fail(p, 400, "obsolete header line folding is not accepted");
    size_t n = ls;
    while (n < le && is_tchar(buf[n]))
        n++;
    if (n == ls || n == le || buf[n] != ':')
        return fail(p, 400, "malformed header field");
    for (size_t i = n + 1; i < le; i++)
        if (!is_field_char(buf[i]))
            return fail(p, 400, "invalid character in header field value");
    size_t vs = n + 1, ve = le;
    while (vs < ve && is_ows(buf[vs]))
        vs++;
    while (ve > vs && is_ows(buf[ve - 1]))
        ve--;
    const char *name = buf + ls, *val = buf + vs;
    size_t nlen = n - ls, vlen = ve - vs;

    switch (nlen) {
    case 4:
        if (eq_ci(name, nlen, "host"))
            f->hosts++;
        break;
    case 6:
        if (eq_ci(name, nlen, "expect")) {
            if (eq_ci(val, vlen, "100-continue"))
                p->expect_continue = true;
            else
                f->expect_bad = true;
        }
        break;
    case 10:
        if (eq_ci(name, nlen, "connection"))
            parse_connection(f, val, vlen);
        break;
    case 14:
        if (eq_ci(name, nlen, "content-length")) {
            if (f->seen_cl)
                return fail(p, 400, "more than one Content-Length");
            f->seen_cl = true;
            if (vlen == 0)
                return fail(p, 400, "invalid Content-Length");
            uint64_t cl = 0;
            for (size_t i = 0; i < vlen; i++) {
                if (val[i] < '0' || val[i] > '9')
                    return fail(p, 400, "invalid Content-Length");
                if (f->cl_too_big)
                    continue;
                if (cl > (UINT64_MAX - 9) / 10)
                    f->cl_too_big = true;
                cl = cl * 10 + (uint64_t)(val[i] - '0');
                if (cl > p->max_body)
                    f->cl_too_big = true;
            }
            p->content_length = cl;
        }
        break;
    case 17:
        if (eq_ci(name, nlen, "transfer-encoding")) {
            if (f->seen_te)
                return fail(p, 400, "more than one Transfer-Encoding");
            f->seen_te = true;
            if (eq_ci(val, vlen, "chunked"))
                p->chunked = true;
            else
                f->te_unsupported = true;
        }
        break;
    }
    return HTTP_PARSE_NEED_MORE;
}

/* The head is complete (p->head_len known): validates it and extracts what framing needs. */
static enum http_parse_status parse_head(struct http_parser *p, const char *buf)
{
    if (parse_request_line(p, buf) == HTTP_PARSE_ERROR)
        return HTTP_PARSE_ERROR;
    struct head_facts f = {0};
    size_t ls = p->line_end + 2, end = p->head_len - 2;
    while (ls < end) {
        const char *lf = memchr(buf + ls, '\n', end - ls);
        size_t le = (size_t)(lf - buf) - 1; /* the CR, checked while scanning */
        if (parse_header(p, &f, buf, ls, le) == HTTP_PARSE_ERROR)
            return HTTP_PARSE_ERROR;
        ls = le + 2;
    }
    if (f.seen_te && p->version_minor == 0)
        return fail(p, 400, "Transfer-Encoding in an HTTP/1.0 request");
    if (f.seen_te && f.seen_cl)
        return fail(p, 400, "both Content-Length and Transfer-Encoding");
    if (f.te_unsupported)
        return fail(p, 501, "only the chunked transfer coding is supported");
    if (f.hosts > 1 || (p->version_minor == 1 && f.hosts == 0))
        return fail(p, 400, "an HTTP/1.1 request needs exactly one Host header");
    if (f.expect_bad)
        return fail(p, 417, "only Expect: 100-continue is supported");
    if (f.cl_too_big)
        return fail(p, 413, "request body too large");
    if (p->version_minor == 1)
        p->keep_alive = !f.conn_close;
    else
        p->keep_alive = f.conn_keep && !f.conn_close;
    if (p->version_minor == 0 || (!p->chunked && p->content_length == 0))
        p->expect_continue = false;
    return HTTP_PARSE_NEED_MORE;
}

static enum http_parse_status scan_head(struct http_parser *p, char *buf, size_t len)
{
    if (p->line_end == 0) {
        /* Empty lines before the request line are skipped; they count against its limit. */
        while (p->scan == p->start && p->scan < len) {
            if (buf[p->scan] == '\n')
                return fail(p, 400, "bare LF");
            if (buf[p->scan] != '\r')
                break;
            if (p->scan + 1 == len)
                return HTTP_PARSE_NEED_MORE;
            if (buf[p->scan + 1] != '\n')
                return fail(p, 400, "bare CR");
            p->scan += 2;
            p->start = p->pos = p->scan;
            if (p->start > p->max_request_line)
                return fail(p, 400, "too many empty lines");
        }
        const char *lf = memchr(buf + p->scan, '\n', len - p->scan);
        if (!lf) {
            if (len - p->start > p->max_request_line + 1)
                return fail(p, 414, "request line too long");
            p->scan = len;
            return HTTP_PARSE_NEED_MORE;
        }
        size_t i = (size_t)(lf - buf);
        if (buf[i - 1] != '\r')
            return fail(p, 400, "bare LF");
        if (i - 1 - p->start > p->max_request_line)
            return fail(p, 414, "request line too long");
        p->line_end = i - 1;
        p->pos = p->scan = i + 1;
    }
    size_t hstart = p->line_end + 2;
    for (;;) {
        const char *lf = memchr(buf + p->scan, '\n', len - p->scan);
        if (!lf) {
            /* header bytes + the final empty line */
            if (len - hstart > p->max_header_bytes + 2)
                return fail(p, 431, "request header fields too large");
            p->scan = len;
            return HTTP_PARSE_NEED_MORE;
        }
        size_t i = (size_t)(lf - buf), ls = p->pos;
        if (i == ls || buf[i - 1] != '\r')
            return fail(p, 400, "bare LF");
        p->pos = p->scan = i + 1;
        if (i - 1 == ls) {
            /* the empty line: end of the head */
            p->head_len = i + 1;
            p->nheaders = p->lines;
            return HTTP_PARSE_DONE;
        }
        if (++p->lines > p->max_headers)
            return fail(p, 431, "too many header fields");
        if (i + 1 - hstart > p->max_header_bytes)
            return fail(p, 431, "request header fields too large");
    }
}

/* The chunked-body state machine, one case per state: CHUNK_SIZE (the size line and its
 * extensions) -> CHUNK_DATA (the bytes, moved down in place over the framing) -> CHUNK_DATA_END
 * (the CRLF after them) -> CHUNK_SIZE again, until a size of 0 leads to CHUNK_TRAILER (trailer
 * fields, checked and dropped, up to the empty line). p->in and p->out are the read and write
 * offsets in the body, so a call can stop at any byte (NEED_MORE) and resume there. Kept as one
 * function on purpose: every transition is visible in one switch. */
static enum http_parse_status decode_chunked(struct http_parser *p, char *buf, size_t len)
{
    char *base = buf + p->head_len;
    size_t blen = len - p->head_len;
    for (;;) {
        size_t avail = blen - p->in;
        char *s = base + p->in;
        switch (p->chunk_state) {
        case CHUNK_SIZE: {
            const char *lf = memchr(s, '\n', avail);
            if (!lf) {
                if (avail > MAX_CHUNK_LINE)
                    return fail(p, 400, "chunk size line too long");
                return HTTP_PARSE_NEED_MORE;
            }
            size_t n = (size_t)(lf - s);
            if (n == 0 || s[n - 1] != '\r')
                return fail(p, 400, "bare LF in chunked body");
            if (n > MAX_CHUNK_LINE)
                return fail(p, 400, "chunk size line too long");
            size_t i = 0, end = n - 1;
            uint64_t size = 0;
            int d;
            while (i < end && (d = hex_value(s[i])) >= 0) {
                if (size > p->max_body || size > (UINT64_MAX >> 4))
                    return fail(p, 413, "request body too large");
                size = size * 16 + (uint64_t)d;
                i++;
            }
            if (i == 0)
                return fail(p, 400, "invalid chunk size");
            while (i < end && is_ows(s[i]))
                i++;
            if (i < end) {
                if (s[i] != ';')
                    return fail(p, 400, "invalid chunk size");
                for (; i < end; i++)
                    if (!is_field_char(s[i]))
                        return fail(p, 400, "invalid chunk extension");
            }
            if (size > p->max_body - p->out)
                return fail(p, 413, "request body too large");
            p->in += n + 1;
            if (size == 0) {
                p->chunk_state = CHUNK_TRAILER;
                p->trailer_bytes = 0;
            } else {
                p->chunk_state = CHUNK_DATA;
                p->chunk_left = size;
            }
            break;
        }
        case CHUNK_DATA: {
            if (avail == 0)
                return HTTP_PARSE_NEED_MORE;
            size_t n = avail < p->chunk_left ? avail : (size_t)p->chunk_left;
            if (p->out != p->in)
                memmove(base + p->out, s, n);
            p->out += n;
            p->in += n;
            p->chunk_left -= n;
            if (p->chunk_left == 0)
                p->chunk_state = CHUNK_DATA_END;
            break;
        }
        case CHUNK_DATA_END:
            if (avail >= 1 && s[0] != '\r')
                return fail(p, 400, "chunk data not followed by CRLF");
            if (avail < 2)
                return HTTP_PARSE_NEED_MORE;
            if (s[1] != '\n')
                return fail(p, 400, "chunk data not followed by CRLF");
            p->in += 2;
            p->chunk_state = CHUNK_SIZE;
            break;
        case CHUNK_TRAILER: {
            const char *lf = memchr(s, '\n', avail);
            if (!lf) {
                if (p->trailer_bytes + avail > p->max_header_bytes + 2)
                    return fail(p, 431, "trailer fields too large");
                return HTTP_PARSE_NEED_MORE;
            }
            size_t n = (size_t)(lf - s);
            if (n == 0 || s[n - 1] != '\r')
                return fail(p, 400, "bare LF in chunked body");
            p->in += n + 1;
            if (n == 1) {
                p->body_len = p->out;
                p->consumed = p->head_len + p->in;
                p->phase = HTTP_PHASE_DONE;
                return HTTP_PARSE_DONE;
            }
            for (size_t i = 0; i < n - 1; i++)
                if (!is_field_char(s[i]))
                    return fail(p, 400, "invalid character in trailer field");
            p->trailer_bytes += n + 1;
            if (p->trailer_bytes > p->max_header_bytes)
                return fail(p, 431, "trailer fields too large");
            break;
        }
        }
    }
}

enum http_parse_status http_parser_execute(struct http_parser *p, char *buf, size_t len)
{
    switch (p->phase) {
    case HTTP_PHASE_DONE:
        return HTTP_PARSE_DONE;
    case HTTP_PHASE_ERROR:
        return HTTP_PARSE_ERROR;
    case HTTP_PHASE_HEAD: {
        enum http_parse_status r = scan_head(p, buf, len);
        if (r != HTTP_PARSE_DONE)
            return r;
        if (parse_head(p, buf) == HTTP_PARSE_ERROR)
            return HTTP_PARSE_ERROR;
        if (p->chunked) {
            p->phase = HTTP_PHASE_BODY_CHUNKED;
        } else if (p->content_length > 0) {
            p->phase = HTTP_PHASE_BODY_LENGTH;
        } else {
            p->body_len = 0;
            p->consumed = p->head_len;
            p->phase = HTTP_PHASE_DONE;
            return HTTP_PARSE_DONE;
        }
        return http_parser_execute(p, buf, len);
    }
    case HTTP_PHASE_BODY_LENGTH:
        if (len - p->head_len < p->content_length)
            return HTTP_PARSE_NEED_MORE;
        p->body_len = (size_t)p->content_length;
        p->consumed = p->head_len + p->body_len;
        p->phase = HTTP_PHASE_DONE;
        return HTTP_PARSE_DONE;
    case HTTP_PHASE_BODY_CHUNKED:
        return decode_chunked(p, buf, len);
    }
    return fail(p, 500, "parser state");
}

size_t http_parser_compact(struct http_parser *p, char *buf, size_t len)
{
    if (p->phase != HTTP_PHASE_BODY_CHUNKED || p->in == p->out)
        return len;
    char *base = buf + p->head_len;
    size_t tail = len - p->head_len - p->in;
    memmove(base + p->out, base + p->in, tail);
    len -= p->in - p->out;
    p->in = p->out;
    return len;
}

void http_parser_split(const struct http_parser *p, char *head, struct http_header *out,
                       const char **path, const char **query)
{
    head[p->method_name.off + p->method_name.len] = '\0';
    if (p->path.len == 0) {
        *path = "/";
    } else {
        *path = head + p->path.off;
        head[p->path.off + p->path.len] = '\0';
    }
    if (p->has_query) {
        *query = head + p->query.off;
        head[p->query.off + p->query.len] = '\0';
    } else {
        *query = NULL;
    }
    size_t ls = p->line_end + 2, end = p->head_len - 2, k = 0;
    while (ls < end && k < p->nheaders) {
        char *lf = memchr(head + ls, '\n', end - ls);
        size_t le = (size_t)(lf - head) - 1;
        char *colon = memchr(head + ls, ':', le - ls);
        size_t vs = (size_t)(colon - head) + 1, ve = le;
        while (vs < ve && is_ows(head[vs]))
            vs++;
        while (ve > vs && is_ows(head[ve - 1]))
            ve--;
        *colon = '\0';
        head[ve] = '\0';
        out[k].name = head + ls;
        out[k].value = head + vs;
        k++;
        ls = le + 2;
    }
}

const char *http_status_reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 417:
        return "Expectation Failed";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}
