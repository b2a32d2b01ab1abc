/* The fixture of the src/http/server.c tests (test_http_server*.c): a real server on
 * 127.0.0.1, an ephemeral port, two workers, its handlers, and plain blocking sockets as
 * clients. One test binary includes it once (its state is per process). */
#ifndef PD_TESTS_UNIT_HTTP_SERVER_FIXTURE_H
#define PD_TESTS_UNIT_HTTP_SERVER_FIXTURE_H

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
static atomic_int async_started, async_done;
static atomic_int inits, finis;
static int worker_tags[WORKERS];

/* ---------------------------------------------------------------------------------------------
 * the server side: an echo handler and an async one answering from another thread */

struct async_job {
    struct http_request *req;
    int delay_ms;
    char body[64];
};

static inline void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static inline uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* How long a test waits for a state the server must reach: generous, for a loaded machine and the
 * sanitizers; a passing test waits only as long as the server takes. */
#define WAIT_MS 30000

/* Polls until *counter reaches at least n or WAIT_MS pass; true when it did. */
static inline bool wait_count(atomic_int *counter, int n)
{
    uint64_t end = now_ms() + WAIT_MS;
    while (atomic_load(counter) < n && now_ms() < end)
        sleep_ms(1);
    return atomic_load(counter) >= n;
}

static inline void async_finish(void *arg)
{
    struct async_job *j = arg;
    static const struct http_header h[] = {{"Content-Type", "text/plain"}};
    http_respond(j->req, 200, h, 1, j->body, strlen(j->body));
    free(j);
    atomic_fetch_add(&async_done, 1);
}

/* The async handler's answer comes from another thread ?delay= ms after the request: a deliberate
 * delay, the time the tests need the request to stay in flight. */
static inline void *async_thread(void *arg)
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

static inline void answer_deferred(struct http_deferred *d)
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

static inline void defer_request(struct http_request *req)
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

static inline void head_handler(struct http_request *req, void *ctx)
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

static inline void handler(struct http_request *req, void *ctx)
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
        atomic_fetch_add(&async_started, 1);
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

static inline void *worker_init(int index, void *ctx, bool *failed)
{
    atomic_fetch_add(&inits, 1);
    worker_tags[index] = index;
    return &worker_tags[index];
}

static inline void worker_fini(void *data, void *ctx)
{
    atomic_fetch_add(&finis, 1);
}

static inline void *run_main(void *arg)
{
    run_result = http_server_run(srv);
    atomic_store(&run_finished, 1);
    return NULL;
}

static inline int start_server(void **state)
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

static inline int stop_server(void **state)
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

static inline struct client *client_open(void)
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

static inline void client_close(struct client *c)
{
    close(c->fd);
    free(c);
}

static inline int send_all(struct client *c, const char *p, size_t n)
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

static inline int send_str(struct client *c, const char *s)
{
    return send_all(c, s, strlen(s));
}

/* Reads one response (1xx included). Returns -1 on EOF/error before a whole response. */
static inline int read_response(struct client *c, struct response *r)
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
static inline bool closed_within(struct client *c, int ms)
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

static inline bool has_header(const struct response *r, const char *line)
{
    return strcasestr(r->head, line) != NULL;
}

/* Waits up to WAIT_MS for the server's body budget in use to be `bytes`. */
static inline void expect_body_bytes(size_t bytes)
{
    uint64_t end = now_ms() + WAIT_MS;
    while (http_server_body_bytes(srv) != bytes && now_ms() < end)
        sleep_ms(1);
    assert_int_equal(http_server_body_bytes(srv), bytes);
}

static inline void expect_answer(struct client *c, int status, const char *body)
{
    struct response r;
    assert_int_equal(read_response(c, &r), 0);
    assert_int_equal(r.status, status);
    if (body)
        assert_string_equal(r.body, body);
}

#endif
