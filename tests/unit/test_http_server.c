/* Tests src/http/server.c end to end (http_server_fixture.h): connections, pipelining, limits
 * and their status codes, bodies (chunked, Expect: 100-continue, the shared budget). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "http_server_fixture.h"

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
        /* the slowloris trickle, one header every 50 ms: the pause is what the test exercises (a
         * client that keeps sending, too slowly to finish its head within the header timeout) */
        sleep_ms(50);
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
    /* the first chunk is decoded (it holds its 4 bytes of the budget) before the rest is sent, so
     * the body arrives in two reads */
    expect_body_bytes(4);
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
        cmocka_unit_test(head_response_has_no_body),
        cmocka_unit_test(expect_continue_is_answered),
        cmocka_unit_test(chunked_request_body_is_decoded),
        cmocka_unit_test(refused_head_is_answered_before_its_body),
        cmocka_unit_test(bodies_share_one_budget_given_back_on_every_path),
        cmocka_unit_test(http_1_0_request_is_answered_and_closed),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
