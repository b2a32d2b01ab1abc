/* The outgoing HTTP/1.1 client (http/client.h): name resolution and the caller's address policy,
 * a non-blocking connection (plain or TLS) waited on with poll in short slices so a cancel is
 * noticed, the request written whole, and the answer's head (and, when asked, a bounded body)
 * read before the deadline. */
#include "http/client.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include "core/url.h"
#include "util/timefmt.h"
#include "util/banned.h"

#define HEAD_MAX 8192  /* the longest answer head read when a body is wanted */
#define STATUS_MAX 512 /* what is read for the status line alone */

struct http_client {
    SSL_CTX *tls; /* https: verifies the chain and the host name */
};

struct http_client *http_client_new(const char *ca_file, struct pd_err *err)
{
    SSL_CTX *tls = SSL_CTX_new(TLS_client_method());
    if (!tls) {
        pd_err_set(err, PD_ERR_INTERNAL, NULL, "cannot make a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(tls, TLS1_2_VERSION);
    SSL_CTX_set_verify(tls, SSL_VERIFY_PEER, NULL);
    int ok = ca_file && *ca_file ? SSL_CTX_load_verify_locations(tls, ca_file, NULL)
                                 : SSL_CTX_set_default_verify_paths(tls);
    if (ok != 1) {
        SSL_CTX_free(tls);
        pd_err_set(err, PD_ERR_BAD_REQUEST, NULL, "cannot load the CA certificates%s%s",
                   ca_file && *ca_file ? " from " : "", ca_file ? ca_file : "");
        return NULL;
    }
    struct http_client *c = calloc(1, sizeof *c);
    if (!c) {
        SSL_CTX_free(tls);
        pd_err_set(err, PD_ERR_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    c->tls = tls;
    return c;
}

void http_client_free(struct http_client *c)
{
    if (!c)
        return;
    SSL_CTX_free(c->tls);
    free(c);
}

void http_client_resp_free(struct http_client_resp *resp)
{
    free(resp->body);
    resp->body = NULL;
    resp->body_len = 0;
}

/* One connection, plain or TLS, on a non-blocking socket. */
struct conn {
    const atomic_bool *cancel;
    int fd;
    SSL *ssl;
    int64_t deadline;
};

/* Waits for the socket to be ready (events) until the deadline, in short slices so a cancel is
 * noticed. */
static int wait_fd(const struct conn *c, short events)
{
    for (;;) {
        if (c->cancel && atomic_load(c->cancel))
            return -1;
        int64_t left = c->deadline - time_now_ms();
        if (left <= 0)
            return -1;
        struct pollfd pfd = {.fd = c->fd, .events = events};
        int r = poll(&pfd, 1, left < 200 ? (int)left : 200);
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

/* Waits for what the last TLS call wants; -1 on a real error. */
static int tls_wait(const struct conn *c, int rc)
{
    int e = SSL_get_error(c->ssl, rc);
    if (e == SSL_ERROR_WANT_READ)
        return wait_fd(c, POLLIN);
    if (e == SSL_ERROR_WANT_WRITE)
        return wait_fd(c, POLLOUT);
    return -1;
}

static int conn_send(const struct conn *c, const char *buf, size_t len)
{
    size_t off = 0;
    while (off < len) {
        if (c->ssl) {
            size_t w = 0;
            int rc = SSL_write_ex(c->ssl, buf + off, len - off, &w);
            if (rc == 1)
                off += w;
            else if (tls_wait(c, rc) < 0)
                return -1;
            continue;
        }
        ssize_t w = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
        if (w > 0) {
            off += (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (wait_fd(c, POLLOUT) < 0)
                return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

/* Some bytes into buf: > 0, 0 at the end of the stream, -1 on error or timeout. */
static ssize_t conn_recv(const struct conn *c, char *buf, size_t len)
{
    for (;;) {
        if (c->ssl) {
            size_t r = 0;
            int rc = SSL_read_ex(c->ssl, buf, len, &r);
            if (rc == 1)
                return (ssize_t)r;
            int e = SSL_get_error(c->ssl, rc);
            if (e == SSL_ERROR_ZERO_RETURN)
                return 0;
            if (tls_wait(c, rc) < 0)
                return -1;
            continue;
        }
        if (wait_fd(c, POLLIN) < 0)
            return -1;
        ssize_t r = recv(c->fd, buf, len, 0);
        if (r >= 0)
            return r;
        if (errno != EAGAIN && errno != EINTR)
            return -1;
    }
}

/* The TLS handshake, checking the certificate chain and that it names host. */
static int tls_start(struct conn *c, SSL_CTX *tls, const char *host, const char **why)
{
    *why = "TLS setup failed";
    c->ssl = SSL_new(tls);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
        return -1;
    unsigned char ip[16];
    bool is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
    if (is_ip) {
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host) != 1)
            return -1;
    } else if (SSL_set_tlsext_host_name(c->ssl, host) != 1 || SSL_set1_host(c->ssl, host) != 1) {
        return -1;
    }
    for (;;) {
        int rc = SSL_connect(c->ssl);
        if (rc == 1)
            return 0;
        if (tls_wait(c, rc) < 0) {
            long v = SSL_get_verify_result(c->ssl);
            *why = v != X509_V_OK ? X509_verify_cert_error_string(v) : "the TLS handshake failed";
            return -1;
        }
    }
}

/* The address to connect to, in *ai (freed by the caller). The policy is applied to the very
 * address connected to, after resolution, so a name cannot lead past it. -1 with why (and
 * *refused when the policy said no). */
static int resolve(const struct http_client_req *req, const struct url_parts *u,
                   struct addrinfo **ai, bool *refused, const char **why)
{
    char port[8];
    snprintf(port, sizeof port, "%d", u->port ? u->port : u->https ? 443 : 80);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    *ai = NULL;
    if (getaddrinfo(u->host, port, &hints, ai) != 0 || !*ai) {
        *ai = NULL;
        *why = "the host name does not resolve";
        return -1;
    }
    const char *no = req->addr_check ? req->addr_check((*ai)->ai_addr, req->addr_arg) : NULL;
    if (no) {
        *why = no;
        *refused = true;
        return -1;
    }
    return 0;
}

/* Connects c to ai, then the TLS handshake for an https URL. -1 with why. */
static int conn_open(struct conn *c, SSL_CTX *tls, const struct addrinfo *ai,
                     const struct url_parts *u, const char **why)
{
    *why = "cannot connect";
    c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (c->fd < 0)
        return -1;
    if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
        return -1;
    if (wait_fd(c, POLLOUT) < 0)
        return -1;
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr != 0)
        return -1;
    if (u->https && tls_start(c, tls, u->host, why) < 0)
        return -1;
    return 0;
}

static void put(char **p, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t ncap = (*len + n + 1) * 2;
        char *np = realloc(*p, ncap);
        if (!np)
            abort();
        *p = np;
        *cap = ncap;
    }
    memcpy(*p + *len, s, n);
    *len += n;
    (*p)[*len] = '\0';
}

static void puts_(char **p, size_t *len, size_t *cap, const char *s)
{
    put(p, len, cap, s, strlen(s));
}

/* The request's bytes (malloc'd, *len long): request line, Host, the caller's headers,
 * Content-Length with a body, Connection: close, the body. */
static char *build_request(const struct http_client_req *req, const struct url_parts *u,
                           size_t *len)
{
    const char *path = req->url + u->rest_off;
    size_t plen = strcspn(path, "#");
    char *out = NULL;
    size_t cap = 0;
    *len = 0;
    char line[320];
    puts_(&out, len, &cap, req->method);
    puts_(&out, len, &cap, " ");
    if (plen == 0 || *path == '?')
        puts_(&out, len, &cap, "/");
    put(&out, len, &cap, path, plen);
    if (u->port)
        snprintf(line, sizeof line, " HTTP/1.1\r\nHost: %s:%d\r\n", u->host, u->port);
    else
        snprintf(line, sizeof line, " HTTP/1.1\r\nHost: %s\r\n", u->host);
    puts_(&out, len, &cap, line);
    for (size_t i = 0; i < req->nheaders; i++) {
        puts_(&out, len, &cap, req->headers[i].name);
        puts_(&out, len, &cap, ": ");
        puts_(&out, len, &cap, req->headers[i].value);
        puts_(&out, len, &cap, "\r\n");
    }
    if (req->body) {
        snprintf(line, sizeof line, "Content-Length: %zu\r\n", req->body_len);
        puts_(&out, len, &cap, line);
    }
    puts_(&out, len, &cap, "Connection: close\r\n\r\n");
    if (req->body)
        put(&out, len, &cap, req->body, req->body_len);
    return out;
}

/* Whether a header line (name: value, without its line end) names name; *value after the colon. */
static bool header_is(const char *line, size_t len, const char *name, const char **value,
                      size_t *vlen)
{
    size_t n = strlen(name);
    if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0)
        return false;
    *value = line + n + 1;
    *vlen = len - n - 1;
    while (*vlen && (**value == ' ' || **value == '\t')) {
        (*value)++;
        (*vlen)--;
    }
    while (*vlen && ((*value)[*vlen - 1] == ' ' || (*value)[*vlen - 1] == '\t'))
        (*vlen)--;
    return true;
}

static void head_field(const char *line, size_t len, struct http_client_head *out)
{
    const char *v;
    size_t vl;
    if (header_is(line, len, "Content-Length", &v, &vl)) {
        long long n = 0;
        size_t i = 0;
        for (; i < vl && i < 18 && v[i] >= '0' && v[i] <= '9'; i++)
            n = n * 10 + (v[i] - '0');
        out->content_length = i > 0 && i == vl ? n : -1;
    } else if (header_is(line, len, "Transfer-Encoding", &v, &vl)) {
        out->chunked = vl >= 7 && strncasecmp(v + vl - 7, "chunked", 7) == 0;
    }
}

int http_client_parse_head(const char *buf, size_t len, struct http_client_head *out)
{
    *out = (struct http_client_head){.content_length = -1};
    int code = 0;
    if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ' ||
        sscanf(buf + 9, "%3d", &code) != 1 || code < 100 || code > 599)
        return -1;
    out->status = code;
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (!end)
        return 0;
    const char *line = memchr(buf, '\n', len);
    for (line = line ? line + 1 : end; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end + 2 - line));
        if (!eol)
            break;
        size_t ll = (size_t)(eol - line);
        if (ll && line[ll - 1] == '\r')
            ll--;
        head_field(line, ll, out);
        line = eol + 1;
    }
    out->body_off = (size_t)(end + 4 - buf);
    return 0;
}

/* Whether what has come holds all that is wanted: the status line alone, or the head and the
 * body (all of it, or more than body_max). */
static bool answer_complete(const char *buf, size_t got, size_t body_max)
{
    if (!body_max)
        return memchr(buf, '\n', got) != NULL;
    struct http_client_head h;
    if (http_client_parse_head(buf, got, &h) < 0)
        return memchr(buf, '\n', got) != NULL; /* not HTTP: no need to wait for more */
    if (!h.body_off)
        return false;
    size_t have = got - h.body_off;
    return have > body_max || (h.content_length >= 0 && (long long)have >= h.content_length);
}

/* Reads the answer into resp. -1 with why. */
static int read_answer(const struct conn *c, const struct http_client_req *req,
                       struct http_client_resp *resp, const char **why)
{
    size_t cap = req->body_max ? HEAD_MAX + req->body_max + 2 : STATUS_MAX;
    char *buf = malloc(cap);
    if (!buf)
        abort();
    size_t got = 0;
    bool late = false;
    buf[0] = '\0';
    while (got < cap - 1 && !answer_complete(buf, got, req->body_max)) {
        ssize_t r = conn_recv(c, buf + got, cap - 1 - got);
        if (r < 0) {
            late = true;
            break;
        }
        if (r == 0)
            break;
        got += (size_t)r;
        buf[got] = '\0';
    }
    struct http_client_head h;
    int rc = -1;
    if (http_client_parse_head(buf, got, &h) < 0) {
        *why = late ? "no HTTP answer in time" : "not an HTTP answer";
        goto out;
    }
    if (late && !req->body_max) {
        *why = "no HTTP answer in time";
        goto out;
    }
    resp->status = h.status;
    if (!req->body_max) {
        rc = 0;
        goto out;
    }
    if (!h.body_off) {
        *why = late ? "the answer did not end in time" : "the answer's head did not end";
        goto out;
    }
    size_t have = got - h.body_off;
    if (h.content_length >= 0 && (long long)have > h.content_length)
        have = (size_t)h.content_length;
    resp->truncated = have > req->body_max ||
                      (h.content_length >= 0 && (unsigned long long)h.content_length > req->body_max);
    resp->body_len = have > req->body_max ? req->body_max : have;
    resp->chunked = h.chunked;
    if (late && !resp->truncated && (h.content_length < 0 || (long long)have < h.content_length)) {
        *why = "the answer did not end in time";
        goto out;
    }
    memmove(buf, buf + h.body_off, resp->body_len);
    buf[resp->body_len] = '\0';
    resp->body = buf;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    return rc;
}

int http_client_request(struct http_client *c, const struct http_client_req *req,
                        struct http_client_resp *resp, struct pd_err *err)
{
    *resp = (struct http_client_resp){0};
    struct url_parts u;
    if (!url_parse(req->url, &u))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "url", "the URL is not valid");
    struct conn cn = {.cancel = req->cancel, .fd = -1, .deadline = time_now_ms() + req->timeout_ms};
    struct addrinfo *ai = NULL;
    char *msg = NULL;
    const char *why = NULL;
    bool refused = false;
    int rc = -1;
    if (resolve(req, &u, &ai, &refused, &why) < 0 || conn_open(&cn, c->tls, ai, &u, &why) < 0)
        goto out;
    size_t len;
    msg = build_request(req, &u, &len);
    why = "the request could not be sent";
    if (conn_send(&cn, msg, len) < 0)
        goto out;
    rc = read_answer(&cn, req, resp, &why);
out:
    if (rc < 0)
        pd_err_set(err, refused ? PD_ERR_FORBIDDEN : PD_ERR_UNAVAILABLE, NULL, "%s", why);
    free(msg);
    if (cn.ssl)
        SSL_free(cn.ssl);
    if (cn.fd >= 0)
        close(cn.fd);
    if (ai)
        freeaddrinfo(ai);
    return rc;
}
