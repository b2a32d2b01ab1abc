/* What the HTTP server's two files share (server.c: connections and requests; workers.c: the
 * workers' threads, cross-thread posting and the server's life). Private to src/http. */
#ifndef PD_HTTP_SERVER_INTERNAL_H
#define PD_HTTP_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "http/http.h"
#include "http/parser.h"

#define LINGER_MS 2000
#define SCRATCH_SIZE 8192

enum conn_state { CS_HEAD, CS_BODY, CS_HANDLER, CS_WRITE, CS_LINGER };

struct conn {
    struct http_worker *w;
    struct conn *prev, *next;
    int fd;
    enum conn_state state;
    struct event *ev_read, *ev_write, *ev_timer;
    bool reading;    /* ev_read is added */
    bool in_process; /* process_input() is on the stack: closing is deferred */
    bool dead;       /* close requested while in_process */
    bool broken;     /* a write failed */
    bool keep_alive; /* for the response being written */
    bool linger;     /* after the response: shut down and drain instead of keeping alive */
    char *in;
    size_t in_len, in_cap;
    size_t consumed;      /* bytes of `in` the request being handled used */
    size_t body_reserved; /* bytes of the server's body budget this request holds */
    char *out;
    size_t out_off, out_len, out_cap;
    struct http_parser parser;
    struct arena arena;
    struct http_request req;
    char peer_ip[48];
};

struct job {
    struct job *next;
    void (*fn)(void *arg);
    void *arg;
};

struct http_worker {
    struct http_server *srv;
    int index;
    pthread_t thread;
    struct event_base *base;
    struct evconnlistener *listener;
    struct event *stop_ev, *post_ev, *grace_ev, *relisten_ev, *defer_ev;
    struct http_deferred *deferred; /* this thread's own, see http_worker_defer */
    pthread_mutex_t post_lock;
    struct job *post_head, *post_tail;
    bool post_pending, post_closed;
    bool stopping, init_failed;
    size_t nconns;
    struct conn *conns;
    void *worker_data;
    const struct timeval *tv_idle, *tv_header, *tv_body, *tv_linger;
    time_t date_sec;
    char date[40];
    size_t date_len;
    char scratch[SCRATCH_SIZE];
};

struct http_server {
    struct http_server_config cfg;
    struct http_limits limits;
    int nworkers;
    struct http_worker *workers;
    int port;
    atomic_size_t body_bytes; /* the body budget in use, see body_reserve() */
    int stop_pipe[2];
    /* start-up gate: workers wait until every started worker has run worker_init */
    pthread_mutex_t gate_lock;
    pthread_cond_t gate_cond;
    int gate_arrived;
    bool gate_open;
    atomic_bool init_failed;
};

/* server.c, for workers.c */
void http_conn_free(struct conn *c);
void http_on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
                    void *arg);
void http_on_accept_error(struct evconnlistener *l, void *arg);
void http_on_relisten(evutil_socket_t fd, short what, void *arg);
const struct timeval *http_common_timeout(struct event_base *base, int ms);

#endif
