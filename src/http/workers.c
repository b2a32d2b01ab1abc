/* The HTTP server's workers: one thread each with its own event loop and SO_REUSEPORT listener,
 * work posted to a worker from other threads or deferred to the end of its loop's turn, the
 * start-up gate and the graceful stop. Connections and requests are server.c's. */
#include "http/http.h"
#include "http/server_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include "util/banned.h"

#define GRACE_MS 5000

/* ---------------------------------------------------------------------------------------------
 * cross-thread posting and stopping */

int http_worker_post(struct http_worker *w, void (*fn)(void *arg), void *arg)
{
    struct job *j = malloc(sizeof *j);
    if (!j)
        return -1;
    j->next = NULL;
    j->fn = fn;
    j->arg = arg;
    pthread_mutex_lock(&w->post_lock);
    if (w->post_closed) {
        pthread_mutex_unlock(&w->post_lock);
        free(j);
        return -1;
    }
    if (w->post_tail)
        w->post_tail->next = j;
    else
        w->post_head = j;
    w->post_tail = j;
    bool wake = !w->post_pending;
    w->post_pending = true;
    if (wake)
        event_active(w->post_ev, EV_READ, 1);
    pthread_mutex_unlock(&w->post_lock);
    return 0;
}

static void run_posted(struct http_worker *w)
{
    pthread_mutex_lock(&w->post_lock);
    struct job *j = w->post_head;
    w->post_head = w->post_tail = NULL;
    w->post_pending = false;
    pthread_mutex_unlock(&w->post_lock);
    while (j) {
        struct job *next = j->next;
        j->fn(j->arg);
        free(j);
        j = next;
    }
}

static void on_post(evutil_socket_t fd, short what, void *arg)
{
    run_posted(arg);
}

/* libevent appends an event activated during a callback to the queue it is running, behind the
 * read events already taken from epoll: so this runs after every request of the turn. */
void http_worker_defer(struct http_worker *w, struct http_deferred *d)
{
    if (d->queued)
        return;
    d->queued = true;
    d->next = w->deferred;
    if (!w->deferred)
        event_active(w->defer_ev, EV_READ, 1);
    w->deferred = d;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct http_timer *t = arg;
    t->fn(t->arg);
}

int http_worker_after(struct http_worker *w, int ms, struct http_timer *t)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    return event_base_once(w->base, -1, EV_TIMEOUT, on_timer, t, &tv) == 0 ? 0 : -1;
}

static void run_deferred(struct http_worker *w)
{
    while (w->deferred) {
        struct http_deferred *d = w->deferred;
        w->deferred = NULL;
        for (struct http_deferred *next; d; d = next) {
            next = d->next;
            d->queued = false;
            d->fn(d);
        }
    }
}

static void on_defer(evutil_socket_t fd, short what, void *arg)
{
    run_deferred(arg);
}

static void on_grace(evutil_socket_t fd, short what, void *arg)
{
    struct http_worker *w = arg;
    event_base_loopbreak(w->base);
}

/* The stop pipe became readable (it is never drained, so every worker sees it). */
static void on_stop(evutil_socket_t fd, short what, void *arg)
{
    struct http_worker *w = arg;
    if (w->stopping)
        return;
    w->stopping = true;
    if (w->listener) {
        evconnlistener_free(w->listener);
        w->listener = NULL;
    }
    struct conn *c = w->conns;
    while (c) {
        struct conn *next = c->next;
        if (c->state == CS_HEAD || c->state == CS_BODY || c->state == CS_LINGER)
            http_conn_free(c);
        c = next;
    }
    if (w->nconns == 0) {
        event_base_loopbreak(w->base);
        return;
    }
    struct timeval tv = {.tv_sec = GRACE_MS / 1000, .tv_usec = (GRACE_MS % 1000) * 1000};
    event_add(w->grace_ev, &tv);
}

void http_server_stop(struct http_server *srv)
{
    /* write() is async-signal-safe; the pipe is non-blocking; a full pipe already says stop. */
    char b = 1;
    ssize_t n = write(srv->stop_pipe[1], &b, 1);
    (void)n;
}

/* ---------------------------------------------------------------------------------------------
 * workers and the server */

static void *worker_main(void *arg)
{
    struct http_worker *w = arg;
    struct http_server *srv = w->srv;
    bool failed = false;
    if (srv->cfg.worker_init)
        w->worker_data = srv->cfg.worker_init(w->index, srv->cfg.ctx, &failed);
    w->init_failed = failed;
    if (failed)
        atomic_store(&srv->init_failed, true);
    pthread_mutex_lock(&srv->gate_lock);
    srv->gate_arrived++;
    pthread_cond_broadcast(&srv->gate_cond);
    while (!srv->gate_open)
        pthread_cond_wait(&srv->gate_cond, &srv->gate_lock);
    pthread_mutex_unlock(&srv->gate_lock);
    if (!atomic_load(&srv->init_failed))
        event_base_dispatch(w->base);

    /* Deferred work and jobs already posted still run (they may answer requests); later posts
     * are refused. */
    run_deferred(w);
    pthread_mutex_lock(&w->post_lock);
    w->post_closed = true;
    pthread_mutex_unlock(&w->post_lock);
    w->stopping = true;
    run_posted(w);
    while (w->conns)
        http_conn_free(w->conns);
    if (w->listener) {
        evconnlistener_free(w->listener);
        w->listener = NULL;
    }
    if (!failed && srv->cfg.worker_fini)
        srv->cfg.worker_fini(w->worker_data, srv->cfg.ctx);
    return NULL;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
    evthread_use_pthreads();
    signal(SIGPIPE, SIG_IGN);
}

static void fill_limits(struct http_limits *l, const struct http_limits *in)
{
    struct http_limits d;
    http_limits_default(&d);
    *l = *in;
    if (!l->max_request_line)
        l->max_request_line = d.max_request_line;
    if (!l->max_header_bytes)
        l->max_header_bytes = d.max_header_bytes;
    if (!l->max_headers)
        l->max_headers = d.max_headers;
    if (!l->max_body)
        l->max_body = d.max_body;
    if (!l->max_connections)
        l->max_connections = d.max_connections;
    if (!l->body_memory_max)
        l->body_memory_max = d.body_memory_max;
}

static int worker_setup(struct http_server *srv, struct http_worker *w, struct sockaddr *sa,
                        socklen_t salen, char *errbuf, size_t errlen)
{
    w->base = event_base_new();
    if (!w->base) {
        snprintf(errbuf, errlen, "cannot create an event loop");
        return -1;
    }
    unsigned flags =
        LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_CLOSE_ON_FREE;
    w->listener = evconnlistener_new_bind(w->base, http_on_accept, w, flags, 1024, sa, (int)salen);
    if (!w->listener) {
        char host[64] = "?";
        getnameinfo(sa, salen, host, sizeof host, NULL, 0, NI_NUMERICHOST);
        snprintf(errbuf, errlen, "cannot listen on %s port %d: %s", host, srv->port,
                 strerror(errno));
        return -1;
    }
    evconnlistener_set_error_cb(w->listener, http_on_accept_error);
    w->stop_ev = event_new(w->base, srv->stop_pipe[0], EV_READ, on_stop, w);
    w->post_ev = event_new(w->base, -1, 0, on_post, w);
    w->grace_ev = evtimer_new(w->base, on_grace, w);
    w->relisten_ev = evtimer_new(w->base, http_on_relisten, w);
    w->defer_ev = event_new(w->base, -1, 0, on_defer, w);
    if (!w->stop_ev || !w->post_ev || !w->grace_ev || !w->relisten_ev || !w->defer_ev)
        abort();
    event_add(w->stop_ev, NULL);
    const struct http_limits *l = &srv->limits;
    w->tv_idle = http_common_timeout(w->base, l->idle_timeout_ms);
    w->tv_header = http_common_timeout(w->base, l->header_timeout_ms);
    w->tv_body = http_common_timeout(w->base, l->body_timeout_ms);
    w->tv_linger = http_common_timeout(w->base, LINGER_MS);
    return 0;
}

struct http_server *http_server_new(const struct http_server_config *cfg, char *errbuf,
                                    size_t errlen)
{
    pthread_once(&init_once, global_init);
    struct http_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    srv->cfg = *cfg;
    fill_limits(&srv->limits, &cfg->limits);
    srv->stop_pipe[0] = srv->stop_pipe[1] = -1;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    srv->nworkers = cfg->workers > 0 ? cfg->workers : (ncpu > 0 ? (int)ncpu : 1);
    srv->port = cfg->port;
    if (pipe2(srv->stop_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
        snprintf(errbuf, errlen, "pipe: %s", strerror(errno));
        free(srv);
        return NULL;
    }
    srv->workers = calloc((size_t)srv->nworkers, sizeof *srv->workers);
    if (!srv->workers) {
        snprintf(errbuf, errlen, "out of memory");
        http_server_free(srv);
        return NULL;
    }
    for (int i = 0; i < srv->nworkers; i++) {
        struct http_worker *w = &srv->workers[i];
        w->srv = srv;
        w->index = i;
        pthread_mutex_init(&w->post_lock, NULL);
    }

    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    const char *host = cfg->host && cfg->host[0] ? cfg->host : NULL;
    int rc = getaddrinfo(host, "0", &hints, &ai);
    if (rc != 0 || !ai) {
        snprintf(errbuf, errlen, "cannot resolve %s: %s", host ? host : "(any)", gai_strerror(rc));
        http_server_free(srv);
        return NULL;
    }
    struct sockaddr_storage ss;
    socklen_t sslen = ai->ai_addrlen;
    memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);

    for (int i = 0; i < srv->nworkers; i++) {
        if (ss.ss_family == AF_INET)
            ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)srv->port);
        else
            ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)srv->port);
        if (worker_setup(srv, &srv->workers[i], (struct sockaddr *)&ss, sslen, errbuf, errlen)) {
            http_server_free(srv);
            return NULL;
        }
        if (i == 0) {
            /* With port 0 the kernel picked one: the other workers bind the same. */
            struct sockaddr_storage bound;
            socklen_t blen = sizeof bound;
            getsockname(evconnlistener_get_fd(srv->workers[0].listener), (struct sockaddr *)&bound,
                        &blen);
            srv->port =
                ntohs(bound.ss_family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
                                                 : ((struct sockaddr_in6 *)&bound)->sin6_port);
        }
    }
    return srv;
}

int http_server_port(const struct http_server *srv)
{
    return srv->port;
}

int http_server_run(struct http_server *srv)
{
    pthread_mutex_init(&srv->gate_lock, NULL);
    pthread_cond_init(&srv->gate_cond, NULL);
    srv->gate_arrived = 0;
    srv->gate_open = false;
    int started = 0;
    for (; started < srv->nworkers; started++) {
        struct http_worker *w = &srv->workers[started];
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            atomic_store(&srv->init_failed, true);
            break;
        }
    }
    pthread_mutex_lock(&srv->gate_lock);
    while (srv->gate_arrived < started)
        pthread_cond_wait(&srv->gate_cond, &srv->gate_lock);
    srv->gate_open = true;
    pthread_cond_broadcast(&srv->gate_cond);
    pthread_mutex_unlock(&srv->gate_lock);
    for (int i = 0; i < started; i++)
        pthread_join(srv->workers[i].thread, NULL);
    pthread_cond_destroy(&srv->gate_cond);
    pthread_mutex_destroy(&srv->gate_lock);
    return atomic_load(&srv->init_failed) ? -1 : 0;
}

void http_server_free(struct http_server *srv)
{
    if (!srv)
        return;
    for (int i = 0; srv->workers && i < srv->nworkers; i++) {
        struct http_worker *w = &srv->workers[i];
        while (w->conns)
            http_conn_free(w->conns);
        if (w->listener)
            evconnlistener_free(w->listener);
        if (w->stop_ev)
            event_free(w->stop_ev);
        if (w->post_ev)
            event_free(w->post_ev);
        if (w->defer_ev)
            event_free(w->defer_ev);
        if (w->grace_ev)
            event_free(w->grace_ev);
        if (w->relisten_ev)
            event_free(w->relisten_ev);
        struct job *j = w->post_head;
        while (j) {
            struct job *next = j->next;
            free(j);
            j = next;
        }
        if (w->base)
            event_base_free(w->base);
        pthread_mutex_destroy(&w->post_lock);
    }
    free(srv->workers);
    if (srv->stop_pipe[0] >= 0)
        close(srv->stop_pipe[0]);
    if (srv->stop_pipe[1] >= 0)
        close(srv->stop_pipe[1]);
    free(srv);
}
