/* The HTTP/1.1 server: N workers, each a thread with its own event_base and its own SO_REUSEPORT
 * listener, so a connection lives and dies on one thread and nothing on the request path is shared.
 * This file is the connections and their requests; workers.c the threads and the server's life.
 *
 * A connection reads into its own contiguous input buffer and runs the pure parser on it
 * (parser.c). A request's head is copied into the connection's arena (NUL-terminated in place)
 * once parsed, its body once complete, and the request is handed to the handler. Requests on a
 * connection are handled one at a time, in order: the next pipelined request is parsed only once
 * the current one has been answered and its response written. Responses are written with one
 * sendmsg() of the head (built in a per-worker scratch buffer) and the body; only what the kernel
 * does not take is copied.
 *
 * Bodies: once a head is parsed, the head handler (the application) may refuse the request before
 * any of its body is buffered, or lower its body limit. A body then takes its size from a budget
 * shared by every worker (limits.body_memory_max) before it is read, and gives it back exactly
 * once, when its response is sent or its connection closed (timeout, EOF, stop): a body that does
 * not fit is answered 503 unread. A handled body is held once, in the request's arena.
 *
 * Connection states:
 *   HEAD     waiting for (the rest of) a request head: idle timeout while the buffer is empty,
 *            then the header timeout from the first byte (slowloris defence);
 *   BODY     head parsed, body arriving: body timeout (whole body), then closed and its budget
 *            returned;
 *   HANDLER  the handler owns the request (reading paused, no timer) until http_respond();
 *   WRITE    response partly written, waiting for the socket (idle timeout as a send timeout);
 *   LINGER   after an error answer: our side is shut down, the client's bytes are read and dropped
 *            for a moment so the kernel does not reset the connection before the answer arrives. */
#include "http/http.h"
#include "http/parser.h"
#include "http/server_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "util/banned.h"

#define IN_INITIAL 4096
#define BUF_SHRINK 65536
#define CHUNKED_SLACK 65536
#define BODY_MEMORY_MAX (64u * 1024 * 1024)
#define BUSY_RETRY_AFTER "1" /* seconds: bodies in flight are usually done by then */
#define BUSY_MESSAGE "too many request bodies are being received: retry shortly"

static void process_input(struct conn *c);
static void after_response(struct conn *c);

/* ---------------------------------------------------------------------------------------------
 * small helpers */

void http_limits_default(struct http_limits *l)
{
    l->max_request_line = 8 * 1024;
    l->max_header_bytes = 16 * 1024;
    l->max_headers = 100;
    l->max_body = 1024 * 1024;
    l->header_timeout_ms = 10000;
    l->idle_timeout_ms = 30000;
    l->body_timeout_ms = 30000;
    l->max_connections = 10000;
    l->body_memory_max = BODY_MEMORY_MAX;
}

const char *http_header_get(const struct http_request *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static bool would_block(int e)
{
    return e == EAGAIN || e == EWOULDBLOCK || e == EINTR;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        fputs("partnerd: out of memory\n", stderr);
        abort();
    }
    return q;
}

const struct timeval *http_common_timeout(struct event_base *base, int ms)
{
    if (ms <= 0)
        return NULL;
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    return event_base_init_common_timeout(base, &tv);
}

static void conn_timer(struct conn *c, const struct timeval *tv)
{
    if (tv)
        event_add(c->ev_timer, tv);
    else
        event_del(c->ev_timer);
}

static void conn_reading(struct conn *c, bool on)
{
    if (on == c->reading)
        return;
    if (on)
        event_add(c->ev_read, NULL);
    else
        event_del(c->ev_read);
    c->reading = on;
}

static void refresh_date(struct http_worker *w)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct timeval tv;
    event_base_gettimeofday_cached(w->base, &tv);
    if (tv.tv_sec == w->date_sec && w->date_len)
        return;
    struct tm tm;
    time_t t = tv.tv_sec;
    gmtime_r(&t, &tm);
    int n = snprintf(w->date, sizeof w->date, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                     days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
    w->date_len = n > 0 && (size_t)n < sizeof w->date ? (size_t)n : 0;
    w->date_sec = tv.tv_sec;
}

/* ---------------------------------------------------------------------------------------------
 * the body budget */

/* Makes the connection's request hold `total` bytes of the budget in all (never less than it
 * holds). False, holding what it held, when the budget cannot spare the difference. */
static bool body_reserve(struct conn *c, size_t total)
{
    struct http_server *srv = c->w->srv;
    if (total <= c->body_reserved)
        return true;
    size_t more = total - c->body_reserved, max = srv->limits.body_memory_max;
    size_t cur = atomic_load(&srv->body_bytes);
    do {
        if (more > max || cur > max - more)
            return false;
    } while (!atomic_compare_exchange_weak(&srv->body_bytes, &cur, cur + more));
    c->body_reserved = total;
    return true;
}

/* Gives the request's share back; a second call gives nothing. */
static void body_release(struct conn *c)
{
    if (!c->body_reserved)
        return;
    atomic_fetch_sub(&c->w->srv->body_bytes, c->body_reserved);
    c->body_reserved = 0;
}

size_t http_server_body_bytes(const struct http_server *srv)
{
    return atomic_load(&srv->body_bytes);
}

/* ---------------------------------------------------------------------------------------------
 * connection life */

void http_conn_free(struct conn *c)
{
    struct http_worker *w = c->w;
    body_release(c);
    event_free(c->ev_read);
    event_free(c->ev_write);
    event_free(c->ev_timer);
    close(c->fd);
    free(c->in);
    free(c->out);
    arena_free(&c->arena);
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c);
    w->nconns--;
    if (w->stopping && w->nconns == 0)
        event_base_loopbreak(w->base);
}

/* Closes now, or at the end of process_input() when it is running for this connection. Never
 * called while the handler owns the request. */
static void conn_close(struct conn *c)
{
    if (c->in_process) {
        c->dead = true;
        conn_reading(c, false);
        event_del(c->ev_write);
        event_del(c->ev_timer);
        return;
    }
    http_conn_free(c);
}

static void out_append(struct conn *c, const char *p, size_t n)
{
    if (n == 0)
        return;
    if (c->out_len + n > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + n)
            cap *= 2;
        c->out = xrealloc(c->out, cap);
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
}

/* Writes what the socket takes now and keeps the rest (copied) for on_write. Sets c->broken on a
 * hard error. */
static void conn_writev(struct conn *c, struct iovec *iov, int n)
{
    ssize_t wrote = 0;
    if (c->out_len == c->out_off) {
        struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)n};
        wrote = sendmsg(c->fd, &m, MSG_NOSIGNAL);
        if (wrote < 0) {
            if (!would_block(errno)) {
                c->broken = true;
                return;
            }
            wrote = 0;
        }
    }
    size_t skip = (size_t)wrote;
    for (int i = 0; i < n; i++) {
        if (skip >= iov[i].iov_len) {
            skip -= iov[i].iov_len;
            continue;
        }
        out_append(c, (const char *)iov[i].iov_base + skip, iov[i].iov_len - skip);
        skip = 0;
    }
    if (c->out_len > c->out_off)
        event_add(c->ev_write, NULL);
}

static void start_linger(struct conn *c)
{
    shutdown(c->fd, SHUT_WR);
    c->state = CS_LINGER;
    conn_reading(c, true);
    conn_timer(c, c->w->tv_linger);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    ssize_t n = send(fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
    if (n < 0) {
        if (would_block(errno)) {
            event_add(c->ev_write, NULL);
            return;
        }
        conn_close(c);
        return;
    }
    c->out_off += (size_t)n;
    if (c->out_off < c->out_len) {
        event_add(c->ev_write, NULL);
        return;
    }
    c->out_off = c->out_len = 0;
    if (c->out_cap > BUF_SHRINK) {
        free(c->out);
        c->out = NULL;
        c->out_cap = 0;
    }
    if (c->state != CS_WRITE)
        return; /* a 100 Continue went out */
    if (c->linger)
        start_linger(c);
    else
        after_response(c);
}

static bool reserved_header(const char *name)
{
    switch (strlen(name)) {
    case 4:
        return strcasecmp(name, "date") == 0;
    case 6:
        return strcasecmp(name, "server") == 0;
    case 10:
        return strcasecmp(name, "connection") == 0;
    case 14:
        return strcasecmp(name, "content-length") == 0;
    case 17:
        return strcasecmp(name, "transfer-encoding") == 0;
    }
    return false;
}

static bool header_ok(const struct http_header *h)
{
    return h->name && h->value && h->name[0] && !strpbrk(h->name, "\r\n: \t") &&
           !strpbrk(h->value, "\r\n") && !reserved_header(h->name);
}

static char *put(char *o, const char *s, size_t n)
{
    memcpy(o, s, n);
    return o + n;
}

static char *put_u64(char *o, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return put(o, tmp + i, sizeof tmp - i);
}

/* Writes a whole response; then continues with the next request, lingers or waits for the socket.
 * Called only in state HANDLER. */
static void send_response(struct conn *c, int status, const struct http_header *headers,
                          size_t nheaders, const char *body, size_t body_len, bool is_head)
{
    struct http_worker *w = c->w;
    if (status < 100 || status > 999)
        status = 500;
    if (!body)
        body_len = 0;
    bool keep = c->keep_alive && !c->linger && !w->stopping;
    bool no_body = is_head || status == 204 || status == 304 || status < 200;
    bool send_length = !(status == 204 || status < 200);
    const char *reason = http_status_reason(status);

    refresh_date(w);
    size_t need = 160 + strlen(reason) + w->date_len;
    for (size_t i = 0; i < nheaders; i++)
        if (header_ok(&headers[i]))
            need += strlen(headers[i].name) + strlen(headers[i].value) + 4;
    char *head = need <= sizeof w->scratch ? w->scratch : arena_alloc(&c->arena, need);
    char *o = head;
    o = put(o, "HTTP/1.1 ", 9);
    *o++ = (char)('0' + status / 100);
    *o++ = (char)('0' + status / 10 % 10);
    *o++ = (char)('0' + status % 10);
    *o++ = ' ';
    o = put(o, reason, strlen(reason));
    o = put(o, "\r\nServer: partnerd\r\nDate: ", 26);
    o = put(o, w->date, w->date_len);
    if (send_length) {
        o = put(o, "\r\nContent-Length: ", 18);
        o = put_u64(o, body_len);
    }
    if (keep)
        o = put(o, "\r\nConnection: keep-alive\r\n", 26);
    else
        o = put(o, "\r\nConnection: close\r\n", 21);
    for (size_t i = 0; i < nheaders; i++) {
        if (!header_ok(&headers[i]))
            continue;
        o = put(o, headers[i].name, strlen(headers[i].name));
        o = put(o, ": ", 2);
        o = put(o, headers[i].value, strlen(headers[i].value));
        o = put(o, "\r\n", 2);
    }
    o = put(o, "\r\n", 2);

    struct iovec iov[2] = {{head, (size_t)(o - head)}, {(void *)body, no_body ? 0 : body_len}};
    c->keep_alive = keep;
    c->state = CS_WRITE;
    conn_writev(c, iov, iov[1].iov_len ? 2 : 1);
    arena_reset(&c->arena);
    body_release(c);
    if (c->broken) {
        conn_close(c);
        return;
    }
    if (c->out_len > c->out_off) {
        conn_timer(c, w->tv_idle); /* send timeout */
        return;
    }
    if (c->linger)
        start_linger(c);
    else
        after_response(c);
}

void http_respond(struct http_request *req, int status, const struct http_header *headers,
                  size_t nheaders, const char *body, size_t body_len)
{
    struct conn *c = (struct conn *)((char *)req - offsetof(struct conn, req));
    if (c->state != CS_HANDLER) {
        fputs("partnerd: http_respond called twice for one request\n", stderr);
        return;
    }
    send_response(c, status, headers, nheaders, body, body_len, req->method == HTTP_HEAD);
}

/* Answers with a JSON error and closes (after lingering). A 503 says when to retry. */
static void send_error(struct conn *c, int status, const char *message)
{
    size_t len;
    const char *body = http_json_error_body(&c->arena, status, NULL, message, NULL, &len);
    static const struct http_header h[] = {{"Content-Type", "application/json"},
                                           {"Retry-After", BUSY_RETRY_AFTER}};
    c->linger = true;
    c->keep_alive = false;
    c->state = CS_HANDLER;
    conn_reading(c, false);
    send_response(c, status, h, status == 503 ? 2 : 1, body, len, false);
}

/* Drops the bytes the request used from the input, shrinking a buffer a large body grew. */
static void drop_consumed(struct conn *c)
{
    size_t rest = c->in_len - c->consumed;
    if (rest && c->consumed)
        memmove(c->in, c->in + c->consumed, rest);
    c->in_len = rest;
    c->consumed = 0;
    if (c->in_cap > BUF_SHRINK && rest <= IN_INITIAL) {
        c->in = xrealloc(c->in, IN_INITIAL);
        c->in_cap = IN_INITIAL;
    }
}

/* The response is fully written: drop the request from the input and go on with the next one. */
static void after_response(struct conn *c)
{
    struct http_worker *w = c->w;
    if (!c->keep_alive || w->stopping) {
        conn_close(c);
        return;
    }
    drop_consumed(c);
    size_t rest = c->in_len;
    http_parser_init(&c->parser, &w->srv->limits);
    c->state = CS_HEAD;
    conn_timer(c, rest ? w->tv_header : w->tv_idle);
    conn_reading(c, true);
    if (rest && !c->in_process)
        process_input(c);
}

/* The head is parsed: fills the request from a copy of it in the arena, all but the body. */
static void fill_request(struct conn *c)
{
    struct http_worker *w = c->w;
    struct http_parser *p = &c->parser;
    struct http_request *r = &c->req;
    char *head = arena_alloc(&c->arena, p->head_len + 1);
    memcpy(head, c->in, p->head_len);
    head[p->head_len] = '\0';
    r->arena = &c->arena;
    r->method = p->method;
    r->nheaders = p->nheaders;
    r->headers = p->nheaders ? arena_alloc(&c->arena, p->nheaders * sizeof *r->headers) : NULL;
    http_parser_split(p, head, r->headers, &r->path, &r->query);
    r->body = "";
    r->body_len = 0;
    memcpy(r->peer_ip, c->peer_ip, sizeof r->peer_ip);
    r->worker = w;
    r->worker_data = w->worker_data;
    r->received_us = 0;
    r->max_body = w->srv->limits.max_body;
    r->app_data = NULL;
}

/* The head is parsed (the parser may have gone on into the body the buffer already held): the head
 * handler may refuse the request, then its body must fit the request's limit and the budget before
 * more of it is read. False when the request was answered here or the connection is closing. */
static bool head_complete(struct conn *c)
{
    struct http_worker *w = c->w;
    struct http_server *srv = w->srv;
    struct http_parser *p = &c->parser;
    bool has_body = p->chunked || p->content_length > 0;
    fill_request(c);
    if (srv->cfg.head_handler) {
        /* An answer here leaves the body unread: then the connection cannot be kept. */
        c->state = CS_HANDLER;
        c->consumed = p->head_len;
        c->keep_alive = p->keep_alive && !has_body;
        c->linger = has_body;
        srv->cfg.head_handler(&c->req, srv->cfg.ctx);
        if (c->state != CS_HANDLER)
            return false;
    }
    c->state = CS_BODY;
    size_t max = c->req.max_body < srv->limits.max_body ? c->req.max_body : srv->limits.max_body;
    size_t held = p->phase == HTTP_PHASE_DONE ? p->body_len : p->chunked ? p->out : 0;
    if ((!p->chunked && p->content_length > max) || held > max) {
        send_error(c, 413, "the request body is too large for this endpoint");
        return false;
    }
    p->max_body = max;
    if (!body_reserve(c, p->chunked ? held : (size_t)p->content_length)) {
        send_error(c, 503, BUSY_MESSAGE);
        return false;
    }
    if (p->phase == HTTP_PHASE_DONE)
        return true;
    conn_timer(c, w->tv_body);
    if (!p->chunked && c->in_cap < p->head_len + p->content_length) {
        c->in_cap = p->head_len + (size_t)p->content_length;
        c->in = xrealloc(c->in, c->in_cap);
    }
    if (p->expect_continue) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        struct iovec iov = {(void *)cont, sizeof cont - 1};
        conn_writev(c, &iov, 1);
        if (c->broken) {
            conn_close(c);
            return false;
        }
    }
    return true;
}

/* A whole request is in: its body moves to the arena (the input buffer shrinks back at once, so
 * the body is held once while handled) and the handler gets the request. */
static void dispatch(struct conn *c)
{
    struct http_worker *w = c->w;
    struct http_parser *p = &c->parser;
    struct http_request *r = &c->req;
    c->state = CS_HANDLER;
    conn_timer(c, NULL);

    if (p->body_len) {
        char *body = arena_alloc(&c->arena, p->body_len + 1);
        memcpy(body, c->in + p->head_len, p->body_len);
        body[p->body_len] = '\0';
        r->body = body;
        r->body_len = p->body_len;
    }
    r->received_us = mono_us();
    c->consumed = p->consumed;
    c->keep_alive = p->keep_alive;
    c->linger = false;
    drop_consumed(c);

    if (w->srv->cfg.handler) {
        w->srv->cfg.handler(r, w->srv->cfg.ctx);
    } else {
        static const struct http_header ct = {"Content-Type", "application/json"};
        size_t len;
        const char *body = http_json_error_body(&c->arena, 404, NULL, "no handler", NULL, &len);
        http_respond(r, 404, &ct, 1, body, len);
    }
}

/* Input limit for the current state: the buffer never grows beyond it. */
static size_t input_limit(const struct conn *c)
{
    const struct http_limits *l = &c->w->srv->limits;
    const struct http_parser *p = &c->parser;
    if (c->state == CS_BODY) {
        if (p->chunked)
            return p->head_len + p->max_body + CHUNKED_SLACK;
        return p->head_len + (size_t)p->content_length;
    }
    return 2 * l->max_request_line + l->max_header_bytes + 64;
}

/* Parses what the buffer holds and runs every complete request, one at a time. */
static void process_input(struct conn *c)
{
    c->in_process = true;
    while (!c->dead && (c->state == CS_HEAD || c->state == CS_BODY) && c->in_len > 0) {
        enum http_parse_status r = http_parser_execute(&c->parser, c->in, c->in_len);
        if (r == HTTP_PARSE_ERROR) {
            send_error(c, c->parser.status, c->parser.error);
            break;
        }
        if (c->state == CS_HEAD && c->parser.phase != HTTP_PHASE_HEAD && !head_complete(c))
            continue;
        if (r == HTTP_PARSE_NEED_MORE) {
            struct http_parser *p = &c->parser;
            if (p->chunked)
                c->in_len = http_parser_compact(p, c->in, c->in_len);
            if (c->in_len >= input_limit(c)) {
                send_error(c, 431, "request too large");
                break;
            }
            conn_reading(c, true);
            break;
        }
        dispatch(c);
        if (c->state == CS_HANDLER) {
            /* Answered later. Reading stays on: a client waiting for its answer sends nothing, and
             * on_read pauses the connection only when bytes do arrive meanwhile (pipelining, EOF).
             * That saves two epoll_ctl calls per deferred request (every click). */
            break;
        }
    }
    c->in_process = false;
    if (c->dead)
        http_conn_free(c);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    if (c->state == CS_LINGER) {
        char sink[16384];
        ssize_t n = recv(fd, sink, sizeof sink, 0);
        if (n == 0 || (n < 0 && !would_block(errno)))
            conn_close(c);
        return;
    }
    if (c->state != CS_HEAD && c->state != CS_BODY) {
        conn_reading(c, false); /* busy with a response; leave the bytes in the kernel */
        return;
    }
    if (c->in_len == c->in_cap) {
        size_t limit = input_limit(c);
        size_t cap = c->in_cap ? c->in_cap * 2 : IN_INITIAL;
        if (cap > limit)
            cap = limit;
        if (cap <= c->in_len) {
            conn_close(c);
            return;
        }
        if (c->state == CS_BODY && !body_reserve(c, cap - c->parser.head_len)) {
            send_error(c, 503, BUSY_MESSAGE); /* a chunked body outgrew what the budget spares */
            return;
        }
        c->in = xrealloc(c->in, cap);
        c->in_cap = cap;
    }
    ssize_t n = recv(fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
    if (n <= 0) {
        if (n < 0 && would_block(errno))
            return;
        conn_close(c); /* EOF or error: an unfinished request is dropped */
        return;
    }
    if (c->state == CS_HEAD && c->in_len == 0)
        conn_timer(c, c->w->tv_header); /* the whole head must arrive within the header timeout */
    c->in_len += (size_t)n;
    process_input(c);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    if (c->state == CS_HANDLER)
        return;
    conn_close(c);
}

static void peer_text(const struct sockaddr *sa, char *buf, size_t len)
{
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)len);
    } else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6))
            inet_ntop(AF_INET, &a6->s6_addr[12], buf, (socklen_t)len);
        else
            inet_ntop(AF_INET6, a6, buf, (socklen_t)len);
    } else {
        snprintf(buf, len, "unknown");
    }
}

void http_on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
                    void *arg)
{
    struct http_worker *w = arg;
    if (w->stopping || w->nconns >= w->srv->limits.max_connections) {
        close(fd);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return;
    }
    c->w = w;
    c->fd = fd;
    c->ev_read = event_new(w->base, fd, EV_READ | EV_PERSIST, on_read, c);
    c->ev_write = event_new(w->base, fd, EV_WRITE, on_write, c);
    c->ev_timer = evtimer_new(w->base, on_timer, c);
    if (!c->ev_read || !c->ev_write || !c->ev_timer)
        abort();
    arena_init(&c->arena, 4096);
    http_parser_init(&c->parser, &w->srv->limits);
    peer_text(sa, c->peer_ip, sizeof c->peer_ip);
    c->next = w->conns;
    if (w->conns)
        w->conns->prev = c;
    w->conns = c;
    w->nconns++;
    c->state = CS_HEAD;
    conn_reading(c, true);
    conn_timer(c, w->tv_idle);
}

void http_on_relisten(evutil_socket_t fd, short what, void *arg)
{
    struct http_worker *w = arg;
    if (w->listener && !w->stopping)
        evconnlistener_enable(w->listener);
}

/* accept() failed (EMFILE, ENFILE, ENOBUFS...): pause accepting instead of spinning. */
void http_on_accept_error(struct evconnlistener *l, void *arg)
{
    struct http_worker *w = arg;
    int e = EVUTIL_SOCKET_ERROR();
    if (e == ECONNABORTED || e == EINTR || e == EAGAIN)
        return;
    evconnlistener_disable(l);
    struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
    event_add(w->relisten_ev, &tv);
}
