/* src/http/client.c against a one-connection server on 127.0.0.1 run by a thread of this test:
 * the request's bytes, a 200 with a body, a 500, a refused connection, a server that accepts and
 * never answers (a bounded wait), a cancel, an address the caller's policy refuses (no connection
 * is made), and the answer head parser. */
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "http/client.h"

/* A server for one connection: reads the request's head and its Content-Length body, then sends
 * reply whole and closes; with reply NULL it answers nothing and waits for the client to go. */
struct one_server {
    int lfd;
    int port;
    const char *reply;
    char request[4096];
    size_t request_len;
    pthread_t thread;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int listen_local(int *port, bool do_listen)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    if (do_listen)
        assert_int_equal(listen(fd, 4), 0);
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

static bool request_complete(const char *buf, size_t len)
{
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (!end)
        return false;
    const char *cl = strstr(buf, "Content-Length: ");
    size_t body = cl && cl < end ? strtoul(cl + 16, NULL, 10) : 0;
    return len >= (size_t)(end + 4 - buf) + body;
}

static void *serve_one(void *arg)
{
    struct one_server *s = arg;
    int fd = accept(s->lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    while (s->request_len < sizeof s->request - 1 &&
           !request_complete(s->request, s->request_len)) {
        ssize_t r = recv(fd, s->request + s->request_len, sizeof s->request - 1 - s->request_len, 0);
        if (r <= 0)
            break;
        s->request_len += (size_t)r;
        s->request[s->request_len] = '\0';
    }
    if (s->reply) {
        (void)!send(fd, s->reply, strlen(s->reply), MSG_NOSIGNAL);
    } else {
        char c;
        while (recv(fd, &c, 1, 0) > 0) /* until the client gives up */
            ;
    }
    close(fd);
    return NULL;
}

static void server_start(struct one_server *s, const char *reply)
{
    memset(s, 0, sizeof *s);
    s->reply = reply;
    s->lfd = listen_local(&s->port, true);
    assert_int_equal(pthread_create(&s->thread, NULL, serve_one, s), 0);
}

static void server_join(struct one_server *s)
{
    pthread_join(s->thread, NULL);
    close(s->lfd);
}

static struct http_client *client(void)
{
    struct pd_err err = {0};
    struct http_client *c = http_client_new(NULL, &err);
    assert_non_null(c);
    return c;
}

static const char *url_of(char *buf, size_t len, int port, const char *path)
{
    snprintf(buf, len, "http://127.0.0.1:%d%s", port, path);
    return buf;
}

static void ok_with_body(void **state)
{
    struct one_server s;
    server_start(&s, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n"
                     "hello");
    struct http_client *c = client();
    char url[128];
    struct http_client_header h[] = {{"User-Agent", "t/1"}, {"Content-Type", "application/json"}};
    struct http_client_req req = {.method = "POST",
                                  .url = url_of(url, sizeof url, s.port, "/in?x=1#frag"),
                                  .headers = h,
                                  .nheaders = 2,
                                  .body = "{\"a\":1}",
                                  .body_len = 7,
                                  .timeout_ms = 5000,
                                  .body_max = 64};
    struct http_client_resp resp;
    struct pd_err err = {0};
    assert_int_equal(http_client_request(c, &req, &resp, &err), 0);
    assert_int_equal(resp.status, 200);
    assert_int_equal(resp.body_len, 5);
    assert_string_equal(resp.body, "hello");
    assert_false(resp.truncated);
    server_join(&s);
    char want[512];
    snprintf(want, sizeof want,
             "POST /in?x=1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: t/1\r\n"
             "Content-Type: application/json\r\nContent-Length: 7\r\nConnection: close\r\n\r\n"
             "{\"a\":1}",
             s.port);
    assert_string_equal(s.request, want);
    http_client_resp_free(&resp);
    http_client_free(c);
}

/* A body longer than body_max is cut there and said to be; without a Content-Length the body ends
 * with the connection. */
static void body_bounded(void **state)
{
    struct one_server s;
    server_start(&s, "HTTP/1.1 200 OK\r\n\r\n0123456789abcdef");
    struct http_client *c = client();
    char url[128];
    struct http_client_req req = {.method = "GET",
                                  .url = url_of(url, sizeof url, s.port, ""),
                                  .timeout_ms = 5000,
                                  .body_max = 10};
    struct http_client_resp resp;
    struct pd_err err = {0};
    assert_int_equal(http_client_request(c, &req, &resp, &err), 0);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.body, "0123456789");
    assert_true(resp.truncated);
    server_join(&s);
    assert_non_null(strstr(s.request, "GET / HTTP/1.1\r\n"));
    assert_null(strstr(s.request, "Content-Length"));
    http_client_resp_free(&resp);
    http_client_free(c);
}

/* A GET of path on 127.0.0.1:port with a client of its own; *err cleared first. */
static int get(int port, const char *path, int timeout_ms, const atomic_bool *cancel,
               struct http_client_resp *resp, struct pd_err *err)
{
    struct http_client *c = client();
    char url[128];
    struct http_client_req req = {.method = "GET",
                                  .url = url_of(url, sizeof url, port, path),
                                  .timeout_ms = timeout_ms,
                                  .cancel = cancel};
    pd_err_clear(err);
    int rc = http_client_request(c, &req, resp, err);
    http_client_free(c);
    return rc;
}

static void expect_unavailable(int rc, const struct http_client_resp *resp,
                               const struct pd_err *err, const char *message)
{
    assert_int_equal(rc, -1);
    assert_int_equal(resp->status, 0);
    assert_null(resp->body);
    assert_int_equal(err->kind, PD_ERR_UNAVAILABLE);
    assert_string_equal(err->message, message);
}

/* Any status is an answer: the caller decides what a 500 means. */
static void server_error(void **state)
{
    struct one_server s;
    server_start(&s, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops");
    struct http_client_resp resp;
    struct pd_err err;
    assert_int_equal(get(s.port, "/x", 5000, NULL, &resp, &err), 0);
    assert_int_equal(resp.status, 500);
    assert_null(resp.body); /* body_max 0: the status line alone */
    server_join(&s);
    assert_non_null(strstr(s.request, "GET /x HTTP/1.1\r\n"));
    http_client_resp_free(&resp);
}

static void not_http(void **state)
{
    struct one_server s;
    server_start(&s, "SSH-2.0-OpenSSH\r\n");
    struct http_client_resp resp;
    struct pd_err err;
    int rc = get(s.port, "/", 5000, NULL, &resp, &err);
    expect_unavailable(rc, &resp, &err, "not an HTTP answer");
    server_join(&s);
}

static void connection_refused(void **state)
{
    int port;
    int fd = listen_local(&port, false); /* bound, never listening: the port refuses */
    struct http_client_resp resp;
    struct pd_err err;
    int rc = get(port, "/", 5000, NULL, &resp, &err);
    expect_unavailable(rc, &resp, &err, "cannot connect");
    close(fd);
}

/* The server accepts and never answers: the request ends at its deadline. */
static void timeout(void **state)
{
    struct one_server s;
    server_start(&s, NULL);
    struct http_client_resp resp;
    struct pd_err err;
    uint64_t t0 = now_ms();
    int rc = get(s.port, "/slow", 300, NULL, &resp, &err);
    uint64_t took = now_ms() - t0;
    expect_unavailable(rc, &resp, &err, "no HTTP answer in time");
    assert_true(took >= 250);
    assert_true(took < 3000);
    server_join(&s);
}

/* A set cancel flag ends the wait long before the deadline. */
static void cancelled(void **state)
{
    struct one_server s;
    server_start(&s, NULL);
    atomic_bool stop;
    atomic_init(&stop, true);
    struct http_client_resp resp;
    struct pd_err err;
    uint64_t t0 = now_ms();
    int rc = get(s.port, "/", 60000, &stop, &resp, &err);
    expect_unavailable(rc, &resp, &err, "cannot connect");
    assert_true(now_ms() - t0 < 5000);
    /* whether or not the client's connection got through, one of ours lets the server's accept
     * return (a second one waits in the backlog) */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)s.port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    shutdown(fd, SHUT_WR);
    close(fd);
    server_join(&s);
}

static int policy_calls;

static const char *no_loopback(const struct sockaddr *sa, void *arg)
{
    policy_calls++;
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    if (sa->sa_family == AF_INET && ntohl(in->sin_addr.s_addr) >> 24 == 127)
        return arg;
    return NULL;
}

/* The caller's policy sees the resolved address and refuses it: nothing is connected. */
static void private_refused(void **state)
{
    int port;
    int lfd = listen_local(&port, true);
    struct http_client *c = client();
    char url[128];
    policy_calls = 0;
    struct http_client_req req = {.method = "GET",
                                  .url = url_of(url, sizeof url, port, "/"),
                                  .timeout_ms = 5000,
                                  .addr_check = no_loopback,
                                  .addr_arg = "loopback refused"};
    struct http_client_resp resp;
    struct pd_err err = {0};
    assert_int_equal(http_client_request(c, &req, &resp, &err), -1);
    assert_int_equal(policy_calls, 1);
    assert_int_equal(err.kind, PD_ERR_FORBIDDEN);
    assert_string_equal(err.message, "loopback refused");
    struct pollfd pfd = {.fd = lfd, .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, 0), 0); /* no connection waits to be accepted */
    close(lfd);
    http_client_free(c);
}

static void bad_url_and_ca(void **state)
{
    struct http_client *c = client();
    struct http_client_req req = {.method = "GET", .url = "ftp://example.org/", .timeout_ms = 100};
    struct http_client_resp resp;
    struct pd_err err = {0};
    assert_int_equal(http_client_request(c, &req, &resp, &err), -1);
    assert_int_equal(err.kind, PD_ERR_BAD_REQUEST);
    assert_string_equal(err.message, "the URL is not valid");
    http_client_free(c);
    pd_err_clear(&err);
    assert_null(http_client_new("/nonexistent/ca.pem", &err));
    assert_int_equal(err.kind, PD_ERR_BAD_REQUEST);
    assert_string_equal(err.message, "cannot load the CA certificates from /nonexistent/ca.pem");
}

static void parse_head(void **state)
{
    struct http_client_head h;
    const char *a = "HTTP/1.1 204 No Content\r\ncontent-length:  12 \r\n\r\nrest";
    assert_int_equal(http_client_parse_head(a, strlen(a), &h), 0);
    assert_int_equal(h.status, 204);
    assert_int_equal(h.content_length, 12);
    assert_int_equal(h.body_off, strlen(a) - 4);
    assert_false(h.chunked);
    const char *b = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: x\r\n";
    assert_int_equal(http_client_parse_head(b, strlen(b), &h), 0);
    assert_int_equal(h.status, 200);
    assert_int_equal(h.body_off, 0); /* the head has not ended */
    const char *b2 = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: x\r\n\r\n";
    assert_int_equal(http_client_parse_head(b2, strlen(b2), &h), 0);
    assert_true(h.chunked);
    assert_int_equal(h.content_length, -1);
    const char *bad[] = {"HTTP/1.1 20", "HTTP/2 200 OK\r\n", "HTTP/1.1 099 x\r\n",
                         "HTTP/1.1 600 x\r\n", "HTTP/1.1x200 OK\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(http_client_parse_head(bad[i], strlen(bad[i]), &h), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ok_with_body),       cmocka_unit_test(body_bounded),
        cmocka_unit_test(server_error),       cmocka_unit_test(not_http),
        cmocka_unit_test(connection_refused), cmocka_unit_test(timeout),
        cmocka_unit_test(cancelled),          cmocka_unit_test(private_refused),
        cmocka_unit_test(bad_url_and_ca),     cmocka_unit_test(parse_head),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
