/* ratebench: a fixed-rate (open-loop) HTTP/1.1 load client, for latency at a given request rate.
 *
 * wrk measures how fast a server answers when every connection sends its next request as soon as
 * the previous one is answered (closed loop): a slow server slows the client down and hides its own
 * latency. ratebench instead schedules request i at start + i/rate and measures each latency from
 * that intended send time (as wrk2 does), so queueing behind a slow answer counts. Requests due
 * while every connection is busy wait in line, and their wait is part of their latency.
 *
 * One thread, epoll, keep-alive connections, one request in flight per connection. The body (and
 * the path) may contain "{n}", replaced by a sequence number unique within the run and "{run}", a
 * random tag unique to the run, so that writes such as conversions get unique order ids.
 * Requests that cannot be made by substitution (a signature over each body) come from a file with
 * -f: one request a line, "Name: value<TAB>BODY", request n sends line n (cycling), that header
 * added to the -H ones and that body instead of -b.
 *
 *   ratebench -r 20000 -d 10 -c 32 [-w 2] [-m POST] [-H 'Name: value']... [-b BODY | -f FILE]
 *             [-s N] URL
 *
 * Prints one line of key=value figures (latencies in microseconds); exit status 1 when a request
 * failed or the target rate could not be offered. */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "util/banned.h"

#define MAX_CONNS 1024
#define MAX_HEADERS 16
#define REQ_MAX 16384
#define RESP_MAX (1024 * 1024) /* a list page of 100 conversions is about 150 KiB */

struct options {
    const char *host, *port, *path;
    const char *method;
    const char *headers[MAX_HEADERS];
    int nheaders;
    const char *body;
    char *list;          /* -f: the file's text, its tabs and newlines replaced by NULs */
    const char **lines;  /* -f: per line, its header then its body (2 entries a line) */
    size_t nlines;
    double rate, duration, warmup;
    int conns;
};

struct conn {
    int fd;
    bool busy;
    uint64_t intended_ns; /* the scheduled send time of the request in flight */
    bool measured;        /* outside the warm-up */
    char req[REQ_MAX];
    size_t req_len, req_off;
    char resp[RESP_MAX];
    size_t resp_len;
};

struct run {
    struct options opt;
    struct conn *conns;
    int epfd, tfd;
    char tag[17];
    uint64_t seq;
    uint32_t *lat_us; /* measured latencies */
    size_t nlat, lat_cap;
    uint64_t errors, bad_status, late_start;
    int *idle;        /* stack of idle connection indexes */
    int nidle;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "ratebench: %s: %s\n", what, strerror(errno));
    exit(2);
}

static int connect_to(const struct options *o)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(o->host, o->port, &hints, &ai) != 0 || !ai) {
        fprintf(stderr, "ratebench: cannot resolve %s\n", o->host);
        exit(2);
    }
    int fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
        die("connect");
    freeaddrinfo(ai);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Appends src to out, replacing {n} and {run}. Returns the new length, or 0 when it does not fit. */
static size_t expand(char *out, size_t len, size_t cap, const char *src, uint64_t n,
                     const char *tag)
{
    while (*src) {
        char num[24];
        const char *rep = NULL;
        size_t skip = 1;
        if (strncmp(src, "{n}", 3) == 0) {
            snprintf(num, sizeof num, "%" PRIu64, n);
            rep = num;
            skip = 3;
        } else if (strncmp(src, "{run}", 5) == 0) {
            rep = tag;
            skip = 5;
        }
        size_t add = rep ? strlen(rep) : 1;
        if (len + add >= cap)
            return 0;
        memcpy(out + len, rep ? rep : src, add);
        len += add;
        src += skip;
    }
    return len;
}

static void build_request(struct run *r, struct conn *c)
{
    const struct options *o = &r->opt;
    uint64_t n = r->seq++;
    char body[8192];
    const char *line_header = NULL, *line_body = NULL;
    if (o->nlines) {
        line_header = o->lines[2 * (n % o->nlines)];
        line_body = o->lines[2 * (n % o->nlines) + 1];
    }
    const char *src_body = line_body ? line_body : o->body;
    size_t blen = 0;
    if (line_body) {
        blen = strlen(line_body);
        if (blen >= sizeof body) {
            fprintf(stderr, "ratebench: request too large\n");
            exit(2);
        }
        memcpy(body, line_body, blen);
    } else if (o->body) {
        blen = expand(body, 0, sizeof body, o->body, n, r->tag);
    }
    char path[4096];
    size_t plen = expand(path, 0, sizeof path, o->path, n, r->tag);
    int len = snprintf(c->req, sizeof c->req, "%s %.*s HTTP/1.1\r\nHost: %s:%s\r\n", o->method,
                       (int)plen, path, o->host, o->port);
    for (int i = 0; i < o->nheaders && len > 0 && (size_t)len < sizeof c->req; i++)
        len += snprintf(c->req + len, sizeof c->req - (size_t)len, "%s\r\n", o->headers[i]);
    if (len > 0 && (size_t)len < sizeof c->req && line_header)
        len += snprintf(c->req + len, sizeof c->req - (size_t)len, "%s\r\n", line_header);
    if (len > 0 && (size_t)len < sizeof c->req && src_body)
        len += snprintf(c->req + len, sizeof c->req - (size_t)len, "Content-Length: %zu\r\n", blen);
    if (len > 0 && (size_t)len < sizeof c->req)
        len += snprintf(c->req + len, sizeof c->req - (size_t)len, "\r\n");
    if (len <= 0 || (size_t)len + blen >= sizeof c->req) {
        fprintf(stderr, "ratebench: request too large\n");
        exit(2);
    }
    memcpy(c->req + len, body, blen);
    c->req_len = (size_t)len + blen;
    c->req_off = 0;
}

static void record(struct run *r, uint64_t lat_ns)
{
    if (r->nlat == r->lat_cap) {
        r->lat_cap = r->lat_cap ? r->lat_cap * 2 : 1 << 16;
        r->lat_us = realloc(r->lat_us, r->lat_cap * sizeof *r->lat_us);
        if (!r->lat_us)
            die("realloc");
    }
    uint64_t us = lat_ns / 1000;
    r->lat_us[r->nlat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static void conn_reset(struct run *r, struct conn *c)
{
    epoll_ctl(r->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = connect_to(&r->opt);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
        die("epoll_ctl");
    c->resp_len = 0;
}

static void finish_request(struct run *r, struct conn *c, bool ok)
{
    if (c->measured) {
        if (ok)
            record(r, now_ns() - c->intended_ns);
        else
            r->errors++;
    }
    c->busy = false;
    r->idle[r->nidle++] = (int)(c - r->conns);
}

static void send_request(struct run *r, struct conn *c)
{
    while (c->req_off < c->req_len) {
        ssize_t n = send(c->fd, c->req + c->req_off, c->req_len - c->req_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break; /* small requests on loopback: not expected; the rest goes on EPOLLIN */
            conn_reset(r, c);
            finish_request(r, c, false);
            return;
        }
        c->req_off += (size_t)n;
    }
}

/* A complete response in c->resp? Returns its length, 0 when more is needed, -1 when malformed. */
static long response_length(struct conn *c, int *status)
{
    char *end = memmem(c->resp, c->resp_len, "\r\n\r\n", 4);
    if (!end)
        return c->resp_len >= sizeof c->resp ? -1 : 0;
    size_t head = (size_t)(end - c->resp) + 4;
    if (c->resp_len < 12 || strncmp(c->resp, "HTTP/1.", 7) != 0)
        return -1;
    *status = (c->resp[9] - '0') * 100 + (c->resp[10] - '0') * 10 + (c->resp[11] - '0');
    size_t body = 0;
    for (char *p = c->resp; p < end; p++) {
        if ((p == c->resp || p[-1] == '\n') && strncasecmp(p, "Content-Length:", 15) == 0) {
            body = strtoul(p + 15, NULL, 10);
            break;
        }
    }
    if (head + body > sizeof c->resp)
        return -1;
    return c->resp_len >= head + body ? (long)(head + body) : 0;
}

static void on_readable(struct run *r, struct conn *c)
{
    for (;;) {
        ssize_t n = recv(c->fd, c->resp + c->resp_len, sizeof c->resp - c->resp_len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            bool was_busy = c->busy;
            conn_reset(r, c);
            if (was_busy)
                finish_request(r, c, false);
            return;
        }
        c->resp_len += (size_t)n;
        int status = 0;
        long len = response_length(c, &status);
        if (len < 0) {
            conn_reset(r, c);
            finish_request(r, c, false);
            return;
        }
        if (len == 0)
            continue;
        if (!c->busy) { /* an answer nobody asked for */
            conn_reset(r, c);
            return;
        }
        bool ok = status >= 200 && status < 400;
        if (!ok && c->measured)
            r->bad_status++;
        memmove(c->resp, c->resp + len, c->resp_len - (size_t)len);
        c->resp_len -= (size_t)len;
        finish_request(r, c, ok);
        return;
    }
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static uint32_t pct(const struct run *r, double p)
{
    if (r->nlat == 0)
        return 0;
    size_t i = (size_t)(p / 100.0 * (double)(r->nlat - 1) + 0.5);
    return r->lat_us[i < r->nlat ? i : r->nlat - 1];
}

static void arm_timer(struct run *r, uint64_t at_ns)
{
    struct itimerspec its = {0};
    its.it_value.tv_sec = (time_t)(at_ns / 1000000000u);
    its.it_value.tv_nsec = (long)(at_ns % 1000000000u);
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
        its.it_value.tv_nsec = 1;
    if (timerfd_settime(r->tfd, TFD_TIMER_ABSTIME, &its, NULL) != 0)
        die("timerfd_settime");
}

static int parse_url(const char *url, struct options *o)
{
    static char host[256], port[16];
    if (strncmp(url, "http://", 7) != 0)
        return -1;
    const char *h = url + 7, *slash = strchr(h, '/'), *colon = strchr(h, ':');
    if (!slash)
        slash = h + strlen(h);
    if (!colon || colon > slash) {
        snprintf(port, sizeof port, "80");
        colon = slash;
    } else {
        snprintf(port, sizeof port, "%.*s", (int)(slash - colon - 1), colon + 1);
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - h), h);
    o->host = host;
    o->port = port;
    o->path = *slash ? slash : "/";
    return 0;
}

/* Reads -f FILE: each non-empty line "Name: value<TAB>BODY". Exits on a malformed file. */
static void load_lines(struct options *o, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path);
    if (fseek(f, 0, SEEK_END) != 0)
        die(path);
    long size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0)
        die(path);
    o->list = malloc((size_t)size + 1);
    if (!o->list)
        die("malloc");
    if (fread(o->list, 1, (size_t)size, f) != (size_t)size)
        die(path);
    fclose(f);
    o->list[size] = '\0';
    size_t cap = 1;
    for (long i = 0; i < size; i++)
        cap += o->list[i] == '\n';
    o->lines = calloc(2 * cap, sizeof *o->lines);
    if (!o->lines)
        die("calloc");
    for (char *p = o->list; *p;) {
        char *end = strchr(p, '\n');
        if (end)
            *end = '\0';
        char *tab = strchr(p, '\t');
        if (*p && !tab) {
            fprintf(stderr, "ratebench: %s: a line without a tab\n", path);
            exit(2);
        }
        if (*p) {
            *tab = '\0';
            o->lines[2 * o->nlines] = p;
            o->lines[2 * o->nlines + 1] = tab + 1;
            o->nlines++;
        }
        if (!end)
            break;
        p = end + 1;
    }
    if (!o->nlines) {
        fprintf(stderr, "ratebench: %s: no requests\n", path);
        exit(2);
    }
}

static void usage(void)
{
    fputs("usage: ratebench -r RATE -d SECONDS [-c CONNS] [-w WARMUP_SECONDS] [-m METHOD]\n"
          "                 [-H 'Name: value']... [-b BODY | -f FILE] [-s FIRST_N]\n"
          "                 http://HOST:PORT/PATH\n"
          "  {n} in the path or body becomes a sequence number (from FIRST_N, default 0),\n"
          "  {run} a tag unique to the run. -f FILE: one request a line, 'Name: value<TAB>BODY';\n"
          "  request n sends line n (cycling).\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    struct run r = {0};
    struct options *o = &r.opt;
    o->method = "GET";
    o->conns = 32;
    o->duration = 10;
    o->warmup = 1;
    const char *url = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-') {
            url = a;
            continue;
        }
        if (!v)
            usage();
        i++;
        if (strcmp(a, "-r") == 0)
            o->rate = strtod(v, NULL);
        else if (strcmp(a, "-d") == 0)
            o->duration = strtod(v, NULL);
        else if (strcmp(a, "-w") == 0)
            o->warmup = strtod(v, NULL);
        else if (strcmp(a, "-c") == 0)
            o->conns = (int)strtol(v, NULL, 10);
        else if (strcmp(a, "-m") == 0)
            o->method = v;
        else if (strcmp(a, "-b") == 0)
            o->body = v;
        else if (strcmp(a, "-f") == 0)
            load_lines(o, v);
        else if (strcmp(a, "-s") == 0)
            r.seq = strtoull(v, NULL, 10);
        else if (strcmp(a, "-H") == 0 && o->nheaders < MAX_HEADERS)
            o->headers[o->nheaders++] = v;
        else
            usage();
    }
    if (!url || parse_url(url, o) < 0 || o->rate <= 0 || o->duration <= 0 || o->conns < 1 ||
        o->conns > MAX_CONNS)
        usage();
    uint64_t rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
        rnd = (uint64_t)now_ns();
    snprintf(r.tag, sizeof r.tag, "%016" PRIx64, rnd);

    r.epfd = epoll_create1(0);
    r.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    if (r.epfd < 0 || r.tfd < 0)
        die("epoll/timerfd");
    struct epoll_event tev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(r.epfd, EPOLL_CTL_ADD, r.tfd, &tev);
    r.conns = calloc((size_t)o->conns, sizeof *r.conns);
    r.idle = calloc((size_t)o->conns, sizeof *r.idle);
    if (!r.conns || !r.idle)
        die("calloc");
    for (int i = 0; i < o->conns; i++) {
        struct conn *c = &r.conns[i];
        c->fd = connect_to(o);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(r.epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
            die("epoll_ctl");
        r.idle[r.nidle++] = o->conns - 1 - i;
    }

    const double interval_ns = 1e9 / o->rate;
    const uint64_t start = now_ns() + 1000000;
    const uint64_t measure_from = start + (uint64_t)(o->warmup * 1e9);
    const uint64_t total = (uint64_t)((o->warmup + o->duration) * o->rate);
    uint64_t next = 0; /* index of the next request to send */
    struct epoll_event evs[64];
    for (;;) {
        uint64_t now = now_ns();
        /* Send every request that is due, as long as a connection is idle. */
        while (next < total && r.nidle > 0) {
            uint64_t due = start + (uint64_t)((double)next * interval_ns);
            if (due > now)
                break;
            struct conn *c = &r.conns[r.idle[--r.nidle]];
            next++;
            c->busy = true;
            c->intended_ns = due;
            c->measured = due >= measure_from;
            if (c->measured) {
                if (now - due > 1000000) /* sent more than 1 ms late: every connection was busy */
                    r.late_start++;
            }
            build_request(&r, c);
            send_request(&r, c);
        }
        bool outstanding = r.nidle < o->conns;
        if (next >= total && !outstanding)
            break;
        if (next < total && r.nidle > 0)
            arm_timer(&r, start + (uint64_t)((double)next * interval_ns));
        int n = epoll_wait(r.epfd, evs, 64, 10000);
        if (n < 0 && errno != EINTR)
            die("epoll_wait");
        if (n == 0 && outstanding) {
            fprintf(stderr, "ratebench: no answer for 10 s\n");
            break;
        }
        for (int i = 0; i < n; i++) {
            if (!evs[i].data.ptr) {
                uint64_t exp;
                ssize_t rd = read(r.tfd, &exp, sizeof exp);
                (void)rd;
                continue;
            }
            on_readable(&r, evs[i].data.ptr);
        }
    }
    double elapsed = (double)(now_ns() - measure_from) / 1e9;
    qsort(r.lat_us, r.nlat, sizeof *r.lat_us, cmp_u32);
    double sum = 0;
    for (size_t i = 0; i < r.nlat; i++)
        sum += r.lat_us[i];
    printf("target_rate=%.0f achieved_rate=%.0f requests=%zu errors=%" PRIu64
           " bad_status=%" PRIu64 " late_starts=%" PRIu64 " mean_us=%.0f p50_us=%u p90_us=%u"
           " p99_us=%u p999_us=%u max_us=%u\n",
           o->rate, elapsed > 0 ? (double)r.nlat / elapsed : 0.0, r.nlat, r.errors, r.bad_status,
           r.late_start, r.nlat ? sum / (double)r.nlat : 0.0, pct(&r, 50), pct(&r, 90),
           pct(&r, 99), pct(&r, 99.9), r.nlat ? r.lat_us[r.nlat - 1] : 0);
    for (int i = 0; i < o->conns; i++)
        close(r.conns[i].fd);
    close(r.tfd);
    close(r.epfd);
    free(r.lat_us);
    free(r.conns);
    free(r.idle);
    free(o->lines);
    free(o->list);
    return r.errors || r.bad_status ? 1 : 0;
}
