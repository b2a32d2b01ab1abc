/* The outgoing HTTP/1.1 client: one blocking request to an http or https URL on a non-blocking
 * socket, bounded by a deadline and by an optional cancel flag; https verifies the certificate
 * chain (against a CA file, or the system's) and that it names the host. Which addresses may be
 * reached is the caller's policy, applied to the resolved address before connecting. Redirects are
 * never followed; every request says `Connection: close`. Used by the webhook sender; knows nothing
 * of webhooks. */
#ifndef PD_HTTP_CLIENT_H
#define PD_HTTP_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "util/err.h"

/* The TLS context (trusted certificates, TLS 1.2 or later), shared by the requests of one thread
 * at a time. */
struct http_client;

/* ca_file: PEM certificates trusted for https ("" or NULL: the system's). NULL with err
 * (PD_ERR_BAD_REQUEST when the certificates cannot be loaded). */
struct http_client *http_client_new(const char *ca_file, struct pd_err *err);
void http_client_free(struct http_client *c);

struct http_client_header {
    const char *name, *value;
};

/* The caller's address policy: NULL to allow the resolved address addr, or the text of the
 * refusal. */
typedef const char *(*http_client_addr_check)(const struct sockaddr *addr, void *arg);

struct http_client_req {
    const char *method; /* "GET", "POST", ... */
    const char *url;    /* an absolute http(s) URL (core/url.h's url_parse); a #fragment is not sent */
    /* Sent after Host, in this order; Content-Length and Connection are the client's. */
    const struct http_client_header *headers;
    size_t nheaders;
    const char *body; /* NULL: no body and no Content-Length */
    size_t body_len;
    int timeout_ms;   /* for connecting, TLS, sending and the answer (name resolution excepted) */
    http_client_addr_check addr_check; /* NULL: any address */
    void *addr_arg;
    const atomic_bool *cancel; /* NULL, or a flag that ends the wait at its next poll when set */
    /* 0: the answer's status line is enough (the request ends when it arrives); otherwise the body
     * is read too, up to this many bytes (the rest is left unread). */
    size_t body_max;
};

struct http_client_resp {
    int status;       /* the HTTP status, 0 when no HTTP answer came */
    char *body;       /* with body_max: the body, NUL-terminated (free with http_client_resp_free) */
    size_t body_len;
    bool truncated;   /* the body was longer than body_max */
    bool chunked;     /* sent with Transfer-Encoding: chunked; body keeps the chunk framing */
};

/* Sends req and reads the answer into resp (resp->status is set whenever a status line came).
 * 0 when an HTTP answer came, whatever its status; -1 with err otherwise, err->message saying why:
 * PD_ERR_FORBIDDEN when addr_check refused the address (no retry can mend that),
 * PD_ERR_BAD_REQUEST for a URL that is not valid, PD_ERR_UNAVAILABLE for the rest (name
 * resolution, connection, TLS, timeout, cancel, an answer that is not HTTP). */
int http_client_request(struct http_client *c, const struct http_client_req *req,
                        struct http_client_resp *resp, struct pd_err *err);
void http_client_resp_free(struct http_client_resp *resp);

/* The head of an answer in buf[0, len) (NUL-terminated at len): the status from the status line,
 * and once the blank line that ends the head is in buf, where the body starts, its Content-Length
 * (-1 when absent or not a number) and whether it is chunked. */
struct http_client_head {
    int status;          /* 0: not (yet) an HTTP status line */
    size_t body_off;     /* 0: the head has not ended within buf */
    long long content_length;
    bool chunked;
};
/* 0, or -1 when buf's first line is not an HTTP/1.x status line. */
int http_client_parse_head(const char *buf, size_t len, struct http_client_head *out);

#endif
