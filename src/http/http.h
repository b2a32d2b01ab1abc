/* partnerd's HTTP/1.1 server: one libevent loop per worker thread, each with its own SO_REUSEPORT
 * listener, a hand-written request parser with hard limits, and responses that handlers may send
 * later (after the group-commit writer has committed their work).
 *
 * Ownership: the server owns every struct http_request. A handler receives one, must eventually call
 * http_respond() exactly once (now, or later from the same worker thread), and must not touch the
 * request afterwards. If the client disconnects first, the request stays valid until the handler
 * responds; the response is then discarded. Everything allocated from req->arena is freed after the
 * response. */
#ifndef PD_HTTP_HTTP_H
#define PD_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"

enum http_method { HTTP_OTHER = 0, HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PUT, HTTP_PATCH, HTTP_DELETE, HTTP_OPTIONS };

struct http_header {
    const char *name; /* as received; compare case-insensitively */
    const char *value;
};

struct http_worker; /* one per thread: its event loop and connections */

struct http_request {
    struct arena *arena;
    enum http_method method;
    const char *path;        /* percent-decoding NOT applied; no query string; starts with '/' */
    const char *query;       /* raw text after '?', or NULL */
    struct http_header *headers;
    size_t nheaders;
    const char *body;        /* NUL-terminated copy of the body ("" when none) */
    size_t body_len;
    char peer_ip[48];        /* textual address of the client */
    struct http_worker *worker;
    void *worker_data;       /* what server_config.worker_init returned for this thread */
    uint64_t received_us;    /* monotonic time the request was fully read */
    size_t max_body;         /* the largest body accepted: the server's limit, or less if the
                                head handler lowered it */
    void *app_data;          /* whatever the head handler left for the handler, or NULL */
};

/* Case-insensitive lookup; NULL when absent. */
const char *http_header_get(const struct http_request *req, const char *name);

/* Sends the response. `headers` are extra headers (Content-Length, Date, Connection and
 * Server are added by the server). Copies what it needs; may be called only on the request's
 * worker thread. */
void http_respond(struct http_request *req, int status, const struct http_header *headers,
                  size_t nheaders, const char *body, size_t body_len);

/* Runs fn(arg) on `worker`'s thread soon. Safe to call from any thread (it is how the writer
 * thread hands a finished job back). Returns 0, or -1 when the worker is shutting down. */
int http_worker_post(struct http_worker *worker, void (*fn)(void *arg), void *arg);

/* Work a handler leaves for the end of its loop's turn, on the same thread: requests that arrive
 * together are then handled together (clicks read in one turn are committed in one transaction).
 * The node belongs to the caller; queuing a node already queued does nothing. */
struct http_deferred {
    void (*fn)(struct http_deferred *d);
    struct http_deferred *next;
    bool queued;
};

/* Runs d->fn(d) once the events the loop is handling now are handled. Only on `worker`'s own
 * thread. */
void http_worker_defer(struct http_worker *worker, struct http_deferred *d);

/* Runs t->fn(t->arg) on `worker`'s thread once ms milliseconds have passed (a reply held back
 * on purpose). Only on `worker`'s own thread; t belongs to the caller and must live until then
 * (e.g. in the request's arena). 0, or -1 when the timer could not be set. */
struct http_timer {
    void (*fn)(void *arg);
    void *arg;
};
int http_worker_after(struct http_worker *worker, int ms, struct http_timer *t);

struct http_limits {
    size_t max_request_line;  /* 8 KiB: longer → 414 */
    size_t max_header_bytes;  /* 16 KiB in all: more → 431 */
    size_t max_headers;       /* count, e.g. 100 → 431 */
    size_t max_body;          /* 1 MiB: larger Content-Length or chunked total → 413 */
    int header_timeout_ms;    /* 10 s for the whole header section, from the first byte: → close */
    int idle_timeout_ms;      /* keep-alive idle → close */
    int body_timeout_ms;      /* to receive the whole body once headers are in */
    size_t max_connections;   /* per worker; beyond it new connections are closed at once */
    size_t body_memory_max;   /* bytes of request bodies held at once by all workers together; a
                                 body that does not fit is answered 503 + Retry-After unread */
};

struct http_server_config {
    const char *host;         /* "127.0.0.1", "::1", "0.0.0.0" */
    int port;                 /* 0 = ephemeral (see http_server_port) */
    int workers;              /* threads, each with its own loop and listener; 0 = number of cores */
    struct http_limits limits;
    /* Called on each worker thread before it serves; the return value becomes req->worker_data.
     * Returning NULL with *failed set aborts start-up. */
    void *(*worker_init)(int index, void *ctx, bool *failed);
    void (*worker_fini)(void *worker_data, void *ctx);
    /* Every parsed request. Parse errors (400/413/414/431/...) are answered by the server itself with
     * a JSON error body via error_body and never reach the handler. */
    void (*handler)(struct http_request *req, void *ctx);
    /* Optional: called once a request's head is parsed, before any of its body is read or a 100
     * Continue is sent; req has everything but the body (body "", body_len 0). It either answers
     * at once with http_respond() (a refusal: the body is then never buffered, and a connection
     * whose request had one is closed after the answer) or returns without answering, leaving
     * req->app_data for the handler and possibly a lower req->max_body (a larger body is then
     * answered 413 unread). It must not keep the request for later. */
    void (*head_handler)(struct http_request *req, void *ctx);
    void *ctx;
};

void http_limits_default(struct http_limits *limits);

struct http_server;
/* Binds the listeners (so the port is known and errors are reported before serving).
 * Returns NULL and fills errbuf on failure. */
struct http_server *http_server_new(const struct http_server_config *cfg, char *errbuf, size_t errlen);
int http_server_port(const struct http_server *srv);
/* Bytes of the body budget (limits.body_memory_max) held now by requests in flight. A request holds
 * its share from its head until its response is sent or its connection is closed. */
size_t http_server_body_bytes(const struct http_server *srv);
/* Runs the workers until http_server_stop(); blocks the calling thread. Returns 0 on clean stop. */
int http_server_run(struct http_server *srv);
/* Async-signal-safe enough to call from a signal-handling event: stops accepting, lets in-flight
 * requests finish (up to a grace period), then makes http_server_run() return. */
void http_server_stop(struct http_server *srv);
void http_server_free(struct http_server *srv);

/* Builds the JSON error body {"error":{"code":..,"message":..,"param":..}} into the arena. */
const char *http_json_error_body(struct arena *a, int status, const char *code, const char *message,
                                 const char *param, size_t *len);

#endif
