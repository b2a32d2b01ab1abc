/* Tests src/http/server.c end to end (http_server_fixture.h): answers from other threads and
 * deferred work, worker start failures, binding errors, and a stop that lets in-flight
 * requests finish (last: it stops the shared server). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "http_server_fixture.h"

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
    int started = atomic_load(&async_started), before = atomic_load(&async_done);
    for (int i = 0; i < 4; i++) {
        struct client *c = client_open();
        send_str(c, "GET /async?delay=150 HTTP/1.1\r\nHost: t\r\n\r\n"
                    "GET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
        if (i % 2) {
            /* an abortive close: the server's write meets a reset */
            struct linger lg = {.l_onoff = 1, .l_linger = 0};
            setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        /* the client goes once its request is with the handler */
        assert_true(wait_count(&async_started, started + i + 1));
        client_close(c);
    }
    /* async_done counts an answer once http_respond() returned: its write to the gone client
     * has happened by then */
    assert_true(wait_count(&async_done, before + 4));
    assert_int_equal(atomic_load(&async_done), before + 4);
    /* and the server still serves */
    struct client *c = client_open();
    struct response r;
    send_str(c, "GET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_int_equal(read_response(c, &r), 0);
    assert_int_equal(r.status, 200);
    client_close(c);
}

static void stop_lets_in_flight_requests_finish_and_returns(void **state)
{
    struct client *busy = client_open();
    struct client *idle = client_open();
    struct response r;
    /* the idle connection is one the server has served and keeps alive */
    send_str(idle, "GET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
    expect_answer(idle, 200, "1 /echo -||");
    int started = atomic_load(&async_started);
    send_str(busy, "GET /async?n=9&delay=300 HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_true(wait_count(&async_started, started + 1)); /* in flight when the stop comes */
    uint64_t t0 = now_ms();
    http_server_stop(srv);
    /* the idle connection is closed, the busy one gets its answer and then is closed */
    assert_true(closed_within(idle, 2000));
    assert_int_equal(read_response(busy, &r), 0);
    assert_string_equal(r.body, "async 9");
    assert_true(has_header(&r, "\r\nConnection: close\r\n"));
    assert_true(closed_within(busy, 2000));
    assert_true(wait_count(&run_finished, 1));
    assert_true(now_ms() - t0 < 3000); /* well before the 5 s grace period would end it */
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
        cmocka_unit_test(async_response_is_delivered),
        cmocka_unit_test(client_gone_before_async_response_is_harmless),
        cmocka_unit_test(deferred_work_answers_after_the_turn),
        cmocka_unit_test(failing_worker_init_makes_run_fail),
        cmocka_unit_test(binding_an_unavailable_address_fails_with_a_message),
        cmocka_unit_test(stop_lets_in_flight_requests_finish_and_returns),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
