/* Tests src/http/server.c end to end: a real server on 127.0.0.1, an ephemeral port, two workers,
 * and plain blocking sockets as clients. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "http/http.h"
#include "http/query.h"

#define WORKERS 2

static struct http_server *srv;
static pthread_t run_thread;
static int run_result = -99;
static atomic_int run_finished;
static atomic_int async_done;
static atomic_int inits, finis;
static int worker_tags[WORKERS];

/* ---------------------------------------------------------------------------------------------
 * the server side: an echo handler and an async one answering from another thread */

struct async_job {
    struct http_request *req;
    int delay_ms;
    char body[64];
};

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void async_finish(void *arg)
{
    struct async_job *j = arg;
    static const struct http_header h[] = {{"Content-Type", "text/plain"}};
    http_respond(j->req, 200, h, 1, j->body, strlen(j->body));
    free(j);
    atomic_fetch_add(&async_done, 1);
}

static void *async_thread(void *arg)
{
    struct async_job *j = arg;
    sleep_ms(j->delay_ms);
    if (http_worker_post(j->req->worker, async_finish, j) != 0) {
        free(j);
        atomic_fetch_add(&async_done, 1);
    }
    return NULL;
}

/* /deferred: answered by work deferred to the end of the loop's turn (http_worker_defer), queued
 * twice per request: it must run once per turn and answer every request it found. */
struct deferral {
    struct http_deferred node;
    struct http_request *pending[64];
    int npending;
};

static struct deferral deferrals[WORKERS];

static void answer_deferred(struct http_deferred *d)
{
    struct deferral *df = (struct deferral *)d;
    int n = df->npending;
    df->npending = 0;
    for (int i = 0; i < n; i++) {
        char body[64];
        snprintf(body, sizeof body, "deferred %d of %d", i + 1, n);
        http_respond(df->pending[i], 200, NULL, 0, body, strlen(body));
    }
}

static void defer_request(struct http_request *req)
{
    struct deferral *df = &deferrals[*(int *)req->worker_data];
    if (df->npending == 64) {
        http_respond(req, 503, NULL, 0, "", 0);
        return;
    }
    df->pending[df->npending++] = req;
    df->node.fn = answer_deferred;
    http_worker_defer(req->worker, &df->node);
    http_worker_defer(req->worker, &df->node);
}

/* The head hook: /refuse is answered from the head alone, /small takes bodies of 16 bytes at most;
 * every other request goes on with the hook's mark, which the handler checks. */
static char routed_mark;

static void head_handler(struct http_request *req, void *ctx)
{
    if (strncmp(req->path, "/refuse", 7) == 0) {
        size_t len;
        const char *b = http_json_error_body(req->arena, 401, NULL, "no key", NULL, &len);
        http_respond(req, 401, NULL, 0, b, len);
        return;
    }
    if (strcmp(req->path, "/small") == 0)
        req->max_body = 16;
    req->app_data = &routed_mark;
}

static void handler(struct http_request *req, void *ctx)
{
    struct http_param *params;
    size_t n;
    if (req->app_data != &routed_mark) {
        http_respond(req, 500, NULL, 0, "head hook skipped", 17);
        return;
    }
    if (http_query_parse(req->arena, req->query, 20, &params, &n) != 0) {
        size_t len;
        const char *b = http_json_error_body(req->arena, 400, NULL, "bad query", NULL, &len);
        http_respond(req, 400, NULL, 0, b, len);
        return;
    }
    if (strcmp(req->path, "/deferred") == 0) {
        defer_request(req);
        return;
    }
    if (strcmp(req->path, "/async") == 0) {
        struct async_job *j = calloc(1, sizeof *j);
        j->req = req;
        const char *d = http_param_get(params, n, "delay");
        j->delay_ms = d ? (int)strtol(d, NULL, 10) : 50;
        const char *tag = http_param_get(params, n, "n");
        snprintf(j->body, sizeof j->body, "async %s", tag ? tag : "-");
        pthread_t t;
        pthread_create(&t, NULL, async_thread, j);
        pthread_detach(t);
        return;
    }
    /* echo: "METHOD path query|body" plus a header from the request */
    const char *ua = http_header_get(req, "x-echo");
    char *body = arena_sprintf(req->arena, "%d %s %s|%s|%s", (int)req->method, req->path,
                               req->query ? req->query : "-", req->body, ua ? ua : "");
    struct http_header h[] = {{"Content-Type", "text/plain"},
                              {"X-Worker", *(int *)req->worker_data ? "1" : "0"},
                              {"Content-Length", "999"}, /* ignored: the server sets it */
                              {"X-Bad", "a\r\nInjected: yes"}};
    http_respond(req, 200, h, 4, body, strlen(body));
}

static void *worker_init(int index, void *ctx, bool *failed)
{
    atomic_fetch_add(&inits, 1);
    worker_tags[index] = index;
    return &worker_tags[index];
}

static void worker_fini(void *data, void *ctx)
{
    atomic_fetch_add(&finis, 1);
}

static void *run_main(void *arg)
{
    run_result = http_server_run(srv);
    atomic_store(&run_finished, 1);
    return NULL;
}

static int start_server(void **state)
{
    struct http_server_config cfg = {0};
    cfg.host = "127.0.0.1";
    cfg.port = 0;
    cfg.workers = WORKERS;
    http_limits_default(&cfg.limits);
    cfg.limits.header_timeout_ms = 300;
    cfg.limits.idle_timeout_ms = 5000;
    cfg.limits.body_timeout_ms = 2000;
    cfg.worker_init = worker_init;
    cfg.worker_fini = worker_fini;
    cfg.limits.body_memory_max = 1536 * 1024; /* one 1 MiB body in flight leaves 512 KiB */
    cfg.handler = handler;
    cfg.head_handler = head_handler;
    char err[256];
    srv = http_server_new(&cfg, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "server: %s\n", err);
        return -1;
    }
    if (http_server_port(srv) <= 0)
        return -1;
    pthread_create(&run_thread, NULL, run_main, NULL);
    return 0;
}

static int stop_server(void **state)
{
    if (!atomic_load(&run_finished)) {
        http_server_stop(srv);
        pthread_join(run_thread, NULL);
    }
    http_server_free(srv);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * the client side */

struct client {
    int fd;
    size_t len;
    char buf[1 << 16];
};

struct response {
    int status;
    char head[8192];
    char body[1 << 16];
    size_t body_len;
};

static struct client *client_open(void)
{
    struct client *c = calloc(1, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)http_server_port(srv))};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(c->fd, (struct sockaddr *)&sa, sizeof sa), 0);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return c;
}

static void client_close(struct client *c)
{
    close(c->fd);
    free(c);
}

static int send_all(struct client *c, const char *p, size_t n)
{
    while (n) {
        ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL);
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int send_str(struct client *c, const char *s)
{
    return send_all(c, s, strlen(s));
}

/* Reads one response (1xx included). Returns -1 on EOF/error before a whole response. */
static int read_response(struct client *c, struct response *r)
{
    char *end;
    while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4))) {
        if (c->len == sizeof c->buf)
            return -1;
        ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
        if (n <= 0)
            return -1;
        c->len += (size_t)n;
    }
    size_t head_len = (size_t)(end - c->buf) + 4;
    if (head_len >= sizeof r->head)
        return -1;
    memcpy(r->head, c->buf, head_len);
    r->head[head_len] = '\0';
    if (sscanf(r->head, "HTTP/1.1 %d ", &r->status) != 1)
        return -1;
    size_t cl = 0;
    const char *h = strcasestr(r->head, "\r\nContent-Length:");
    if (h)
        cl = strtoul(h + 17, NULL, 10);
    if (cl > sizeof r->body - 1)
        return -1;
    while (c->len < head_len + cl) {
        ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
        if (n <= 0)
            return -1;
        c->len += (size_t)n;
    }
    memcpy(r->body, c->buf + head_len, cl);
    r->body[cl] = '\0';
    r->body_len = cl;
    memmove(c->buf, c->buf + head_len + cl, c->len - head_len - cl);
    c->len -= head_len + cl;
    return 0;
}

/* True when the server closed the connection (EOF or reset) within ms. */
static bool closed_within(struct client *c, int ms)
{
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    uint64_t end = now_ms() + (uint64_t)ms;
    for (;;) {
        int left = (int)(end - now_ms());
        if (left < 0)
            left = 0;
        if (poll(&pfd, 1, left) <= 0)
            return false;
        char b[4096];
        ssize_t n = recv(c->fd, b, sizeof b, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN))
            return true;
        if (now_ms() >= end)
            return false;
    }
}

static bool has_header(const struct response *r, const char *line)
{
    return strcasestr(r->head, line) != NULL;
}

/* Waits up to 4 s for the server's body budget in use to be `bytes`. */
static void expect_body_bytes(size_t bytes)
{
    uint64_t end = now_ms() + 4000;
    while (http_server_body_bytes(srv) != bytes && now_ms() < end)
        sleep_ms(5);
    assert_int_equal(http_server_body_bytes(srv), bytes);
}

static void expect_answer(struct client *c, int status, const char *body)
{
    struct response r;
    assert_int_equal(read_response(c, &r), 0);
    assert_int_equal(r.status, status);
    if (body)
        assert_string_equal(r.body, body);
}

/* ---------------------------------------------------------------------------------------------
 * tests */

static void keep_alive_connection_serves_two_requests(void **state)
{
    struct client *c = client_open();
    struct response r;
    send_str(c, "GET /echo?a=1&b=x%20y HTTP/1.1\r\nHost: t\r\nX-Echo: first\r\n\r\n");
    assert_int_equal(read_response(c, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "1 /echo a=1&b=x%20y||first");
    assert_true(has_header(&r, "\r\nConnection: keep-alive\r\n"));
    assert_true(has_header(&r, "\r\nServer: partnerd\r\n"));
    assert_true(has_header(&r, "\r\nDate: "));
    assert_true(has_header(&r, " GMT\r\n"));
    assert_true(has_header(&r, "\r\nContent-Type: text/plain\r\n"));
    assert_false(has_header(&r, "999"));
    assert_false(has_header(&r, "Injected"));

    send_str(c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
    assert_int_equal(read_response(c, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "3 /echo -|hello|");
    client_close(c);
}

static void pipelined_requests_are_answered_in_order(void **state)
{
    struct client *c = client_open();
    struct response r;
    send_str(c, "GET /echo?n=1 HTTP/1.1\r\nHost: t\r\n\r\n"
                "GET /async?n=2&delay=100 HTTP/1.1\r\nHost: t\r\n\r\n"
                "POST /echo?n=3 HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
                "GET /async?n=4&delay=10 HTTP/1.1\r\nHost: t\r\n\r\n"
                "GET /echo?n=5 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_int_equal(read_response(c, &r), 0);
    assert_string_equal(r.body, "1 /echo n=1||");
    assert_int_equal(read_response(c, &r), 0);
    assert_string_equal(r.body, "async 2");
    assert_int_equal(read_response(c, &r), 0);
    assert_string_equal(r.body, "3 /echo n=3|abc|");
    assert_int_equal(read_response(c, &r), 0);
    assert_string_equal(r.body, "async 4");
    assert_int_equal(read_response(c, &r), 0);
    assert_string_equal(r.body, "1 /echo n=5||");
    assert_true(has_header(&r, "\r\nConnection: close\r\n"));
    assert_true(closed_within(c, 2000));
    client_close(c);
}

static void large_body_is_413_with_json_error(void **state)
{
    struct client *c = client_open();
    struct response r;
    send_str(c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                "Content-Length: 2097152\r\n\r\n");
    char *chunk = calloc(1, 65536);
    memset(chunk, 'x', 65536);
    send_all(c, chunk, 65536); /* the server answers without waiting for the rest */
    free(chunk);
    assert_int_equal(read_response(c, &r), 0);
    assert_int_equal(r.status, 413);
    assert_true(has_header(&r, "\r\nConnection: close\r\n"));
    assert_true(has_header(&r, "\r\nContent-Type: application/json\r\n"));
    assert_non_null(strstr(r.body, "{\"error\":{\"code\":\"payload_too_large\""));
    assert_true(closed_within(c, 3000));
    client_close(c);
}

static void large_chunked_body_is_413(void **state)
{
    struct client *c = client_open();
    struct response r;
    send_str(c, "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    char *chunk = malloc(70000);
    memset(chunk, 'y', 70000);
    int rc = 0;
    for (int i = 0; i < 40 && rc == 0; i++) { /* 40 x 64 KiB = 2.5 MiB */
        rc |= send_str(c, "10000\r\n");
        rc |= send_all(c, chunk, 0x10000);
        rc |= send_str(c, "\r\n");
    }
    free(chunk);
    assert_int_equal(read_response(c, &r), 0);
    assert_int_equal(r.status, 413);
    client_close(c);
}

static void long_request_line_is_414(void **state)
{
    struct client *c = client_open();
    struct response r;
    size_t n = 9 * 1024;
    char *req = malloc(n + 64);
    memcpy(req, "GET /", 5);
    memset(req + 5, 'a', n);
    memcpy(req + 5 + n, " HTTP/1.1\r\nHost: t\r\n\r\n", 23);
    send_all(c, req, n + 5 + 23);
    free(req);
    assert_int_equal(read_response(c, &r), 0);
    assert_int_equal(r.status, 414);
    assert_non_null(strstr(r.body, "\"code\":\"bad_request\""));
    client_close(c);
}

static void too_many_header_bytes_is_431(void **state)
{
    struct client *c = client_open();
    struct response r;
    send_str(c, "GET /echo HTTP/1.1\r\nHost: t\r\n");
    char line[1100];
    memset(line, 'v', sizeof line);
    memcpy(line, "X-Big: ", 7);
    memcpy(line + sizeof line - 2, "\r\n", 2);
    for (int i = 0; i < 20; i++)
        if (send_all(c, line, sizeof line) != 0)
            break;
    assert_int_equal(read_response(c, &r), 0);
    assert_int_equal(r.status, 431);
    assert_non_null(strstr(r.body, "\"error\""));
    client_close(c);
}

static void malformed_request_is_400_and_closed(void **state)
{
    struct client *c = client_open();
    struct response r;
    send_str(c, "GET / HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n");
    assert_int_equal(read_response(c, &r), 0);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"code\":\"bad_request\""));
    assert_true(closed_within(c, 3000));
    client_close(c);
}

static void slow_header_client_is_dropped_while_others_are_served(void **state)
{
    struct client *slow = client_open();
    uint64_t t0 = now_ms();
    send_str(slow, "GET /echo HTTP/1.1\r\nHost: t\r\n");
    bool closed = false;
    uint64_t closed_at = 0;
    int served = 0;
    for (int i = 0; i < 40 && !closed; i++) {
        sleep_ms(50);
        /* the slowloris trickle: one header every 50 ms */
        send(slow->fd, "X-A: b\r\n", 8, MSG_NOSIGNAL);
        /* meanwhile another client is served at once */
        struct client *fast = client_open();
        struct response r;
        uint64_t s = now_ms();
        send_str(fast, "GET /echo?fast=1 HTTP/1.1\r\nHost: t\r\n\r\n");
        assert_int_equal(read_response(fast, &r), 0);
        assert_int_equal(r.status, 200);
        assert_true(now_ms() - s < 250); /* well within the 300 ms header timeout */
        served++;
        client_close(fast);
        if (closed_within(slow, 0)) {
            closed = true;
            closed_at = now_ms();
        }
    }
    assert_true(closed);
    assert_true(served >= 3);
    assert_true(closed_at - t0 >= 250);
    assert_true(closed_at - t0 < 1500);
    client_close(slow);
}

static void async_response_is_delivered(void **state)
{
    struct client *c = client_open();
    struct response r;
    uint64_t t0 = now_ms();
    send_str(c, "GET /async?n=7&delay=100 HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_int_equal(read_response(c, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "async 7");
    assert_true(now_ms() - t0 >= 90);
    /* the connection is still usable */
    send_str(c, "GET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_int_equal(read_response(c, &r), 0);
    assert_int_equal(r.status, 200);
    client_close(c);
}

static void deferred_work_answers_after_the_turn(void **state)
{
    struct client *c = client_open();
    struct response r;
    /* queued twice in the handler, run once: the only request of its turn */
    send_str(c, "GET /deferred HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_int_equal(read_response(c, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "deferred 1 of 1");
    /* pipelined after an ordinary request, on a connection that stays usable */
    send_str(c, "GET /echo HTTP/1.1\r\nHost: t\r\n\r\nGET /deferred HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_int_equal(read_response(c, &r), 0);
    assert_string_equal(r.body, "1 /echo -||");
    assert_int_equal(read_response(c, &r), 0);
    assert_string_equal(r.body, "deferred 1 of 1");
    /* many connections at once: every request is answered, each exactly once */
    enum { N = 8 };
    struct client *cs[N];
    for (int i = 0; i < N; i++)
        cs[i] = client_open();
    for (int i = 0; i < N; i++)
        send_str(cs[i], "GET /deferred HTTP/1.1\r\nHost: t\r\n\r\n");
    for (int i = 0; i < N; i++) {
        assert_int_equal(read_response(cs[i], &r), 0);
        assert_int_equal(r.status, 200);
        assert_true(strncmp(r.body, "deferred ", 9) == 0);
        client_close(cs[i]);
    }
    client_close(c);
}

static void client_gone_before_async_response_is_harmless(void **state)
{
    int before = atomic_load(&async_done);
    for (int i = 0; i < 4; i++) {
        struct client *c = client_open();
        send_str(c, "GET /async?delay=150 HTTP/1.1\r\nHost: t\r\n\r\n"
                    "GET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
        if (i % 2) {
            /* an abortive close: the server's write meets a reset */
            struct linger lg = {.l_onoff = 1, .l_linger = 0};
            setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        sleep_ms(20);
        client_close(c);
    }
    for (int i = 0; i < 200 && atomic_load(&async_done) < before + 4; i++)
        sleep_ms(10);
    assert_int_equal(atomic_load(&async_done), before + 4);
    sleep_ms(50);
    /* and the server still serves */
    struct client *c = client_open();
    struct response r;
    send_str(c, "GET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_int_equal(read_response(c, &r), 0);
    assert_int_equal(r.status, 200);
    client_close(c);
}

static void head_response_has_no_body(void **state)
{
    struct client *c = client_open();
    struct response r;
    send_str(c, "HEAD /echo HTTP/1.1\r\nHost: t\r\n\r\n");
    /* read just the head: Content-Length is the GET length but no body follows */
    char *end;
    while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4))) {
        ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
        assert_true(n > 0);
        c->len += (size_t)n;
    }
    assert_non_null(strcasestr(c->buf, "\r\nContent-Length: 11\r\n"));
    c->len = 0;
    send_str(c, "GET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_int_equal(read_response(c, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "1 /echo -||");
    client_close(c);
}

static void expect_continue_is_answered(void **state)
{
    struct client *c = client_open();
    struct response r;
    send_str(c,
             "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
    assert_int_equal(read_response(c, &r), 0);
    assert_int_equal(r.status, 100);
    send_str(c, "body");
    assert_int_equal(read_response(c, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "3 /echo -|body|");
    client_close(c);
}

static void chunked_request_body_is_decoded(void **state)
{
    struct client *c = client_open();
    struct response r;
    send_str(c, "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki");
    sleep_ms(20);
    send_str(c, "\r\n5\r\npedia\r\n0\r\n\r\n");
    assert_int_equal(read_response(c, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "3 /echo -|Wikipedia|");
    client_close(c);
}

static void refused_head_is_answered_before_its_body(void **state)
{
    /* The answer comes from the head: no body is sent, nor a 100 Continue asked for in vain. */
    struct client *c = client_open();
    struct response r;
    send_str(c, "POST /refuse HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                "Content-Length: 1000000\r\n\r\n");
    assert_int_equal(read_response(c, &r), 0);
    assert_int_equal(r.status, 401);
    assert_true(has_header(&r, "\r\nConnection: close\r\n"));
    assert_true(closed_within(c, 3000));
    client_close(c);
    /* without a body the connection stays usable */
    c = client_open();
    send_str(c, "GET /refuse HTTP/1.1\r\nHost: t\r\n\r\nGET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
    expect_answer(c, 401, NULL);
    expect_answer(c, 200, "1 /echo -||");
    client_close(c);
    /* the limit the hook set: 413 from the Content-Length, or as the chunks arrive */
    c = client_open();
    send_str(c, "POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 17\r\n\r\n");
    expect_answer(c, 413, NULL);
    client_close(c);
    c = client_open();
    send_str(c, "POST /small HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    send_str(c, "a\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n");
    expect_answer(c, 413, NULL);
    client_close(c);
    c = client_open();
    send_str(c, "POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
    expect_answer(c, 200, "3 /small -|hello|");
    client_close(c);
    expect_body_bytes(0);
}

static void bodies_share_one_budget_given_back_on_every_path(void **state)
{
    struct client *held = client_open();
    send_str(held, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1048576\r\n\r\nxyz");
    expect_body_bytes(1048576);
    /* a body the budget cannot spare is refused unread */
    struct client *c = client_open();
    struct response r;
    send_str(c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 600000\r\n\r\n");
    assert_int_equal(read_response(c, &r), 0);
    assert_int_equal(r.status, 503);
    assert_true(has_header(&r, "\r\nRetry-After: 1\r\n"));
    assert_non_null(strstr(r.body, "{\"error\":{\"code\":"));
    assert_true(closed_within(c, 3000));
    client_close(c);
    /* so is a chunked body once it outgrows what is left */
    c = client_open();
    send_str(c, "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    char *chunk = malloc(0x10000);
    memset(chunk, 'z', 0x10000);
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    for (int i = 0; i < 16 && poll(&pfd, 1, 0) == 0; i++) /* 1 MiB at most */
        if (send_str(c, "10000\r\n") || send_all(c, chunk, 0x10000) || send_str(c, "\r\n"))
            break;
    free(chunk);
    expect_answer(c, 503, NULL);
    client_close(c);
    /* a small body fits, and its answer gives its share back */
    c = client_open();
    send_str(c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
    expect_answer(c, 200, "3 /echo -|hello|");
    client_close(c);
    expect_body_bytes(1048576);
    /* a client gone mid-body gives its share back */
    client_close(held);
    expect_body_bytes(0);
    /* so does a stalled body, dropped at the body timeout (2 s here) */
    held = client_open();
    send_str(held, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\nabc");
    expect_body_bytes(1000);
    assert_true(closed_within(held, 3500));
    client_close(held);
    expect_body_bytes(0);
}

static void http_1_0_request_is_answered_and_closed(void **state)
{
    struct client *c = client_open();
    struct response r;
    send_str(c, "GET /echo HTTP/1.0\r\n\r\n");
    assert_int_equal(read_response(c, &r), 0);
    assert_int_equal(r.status, 200);
    assert_true(has_header(&r, "\r\nConnection: close\r\n"));
    assert_true(closed_within(c, 2000));
    client_close(c);
}

static void stop_lets_in_flight_requests_finish_and_returns(void **state)
{
    struct client *busy = client_open();
    struct client *idle = client_open();
    struct response r;
    send_str(busy, "GET /async?n=9&delay=300 HTTP/1.1\r\nHost: t\r\n\r\n");
    sleep_ms(50);
    uint64_t t0 = now_ms();
    http_server_stop(srv);
    /* the idle connection is closed, the busy one gets its answer and then is closed */
    assert_true(closed_within(idle, 2000));
    assert_int_equal(read_response(busy, &r), 0);
    assert_string_equal(r.body, "async 9");
    assert_true(has_header(&r, "\r\nConnection: close\r\n"));
    assert_true(closed_within(busy, 2000));
    for (int i = 0; i < 300 && !atomic_load(&run_finished); i++)
        sleep_ms(10);
    assert_true(atomic_load(&run_finished));
    assert_true(now_ms() - t0 < 3000);
    pthread_join(run_thread, NULL);
    assert_int_equal(run_result, 0);
    assert_int_equal(atomic_load(&inits), WORKERS);
    assert_int_equal(atomic_load(&finis), WORKERS);
    client_close(busy);
    client_close(idle);
}

static void *failing_init(int index, void *ctx, bool *failed)
{
    if (index == 1)
        *failed = true;
    return NULL;
}

static void failing_worker_init_makes_run_fail(void **state)
{
    struct http_server_config cfg = {0};
    cfg.host = "127.0.0.1";
    cfg.workers = 3;
    http_limits_default(&cfg.limits);
    cfg.worker_init = failing_init;
    cfg.handler = handler;
    char err[256];
    struct http_server *s = http_server_new(&cfg, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(http_server_run(s), -1);
    http_server_free(s);
}

static void binding_an_unavailable_address_fails_with_a_message(void **state)
{
    struct http_server_config cfg = {0};
    cfg.workers = 1;
    http_limits_default(&cfg.limits);
    cfg.handler = handler;
    cfg.host = "192.0.2.1"; /* TEST-NET-1: not an address of this machine */
    char err[256] = "";
    struct http_server *s = http_server_new(&cfg, err, sizeof err);
    assert_null(s);
    assert_non_null(strstr(err, "cannot listen on 192.0.2.1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keep_alive_connection_serves_two_requests),
        cmocka_unit_test(pipelined_requests_are_answered_in_order),
        cmocka_unit_test(large_body_is_413_with_json_error),
        cmocka_unit_test(large_chunked_body_is_413),
        cmocka_unit_test(long_request_line_is_414),
        cmocka_unit_test(too_many_header_bytes_is_431),
        cmocka_unit_test(malformed_request_is_400_and_closed),
        cmocka_unit_test(slow_header_client_is_dropped_while_others_are_served),
        cmocka_unit_test(async_response_is_delivered),
        cmocka_unit_test(client_gone_before_async_response_is_harmless),
        cmocka_unit_test(deferred_work_answers_after_the_turn),
        cmocka_unit_test(head_response_has_no_body),
        cmocka_unit_test(expect_continue_is_answered),
        cmocka_unit_test(chunked_request_body_is_decoded),
        cmocka_unit_test(refused_head_is_answered_before_its_body),
        cmocka_unit_test(bodies_share_one_budget_given_back_on_every_path),
        cmocka_unit_test(http_1_0_request_is_answered_and_closed),
        cmocka_unit_test(failing_worker_init_makes_run_fail),
        cmocka_unit_test(binding_an_unavailable_address_fails_with_a_message),
        cmocka_unit_test(stop_lets_in_flight_requests_finish_and_returns),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
