/* Tests login throttling (src/auth/throttle.c) and public forms' throttle and tokens (forms.c):
 * per-account counters survive any number of other accounts and addresses and end with their
 * window; per-address counters take an IPv6 /64 as one address and an IPv4-mapped address as its
 * IPv4 address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "auth/auth.h"

#define T0 1800000000000LL

static int setup(void **state)
{
    struct pd_err err = {0};
    struct auth_state *as = auth_state_new("http://127.0.0.1:8080", &err);
    assert_non_null(as);
    *state = as;
    return 0;
}

static int teardown(void **state)
{
    auth_state_free(*state);
    return 0;
}

static bool blocked(struct auth_state *as, const char *ip, const char *account, int64_t now)
{
    int retry = -1;
    bool b = auth_throttle_blocked(as, ip, account, now, &retry);
    assert_true(b ? retry > 0 && retry <= AUTH_LOGIN_WINDOW_MS / 1000 + 1 : retry == 0);
    return b;
}

static void account_counters_survive_floods_and_end_with_their_window(void **state)
{
    struct auth_state *as = *state;
    char account[64], ip[64];
    /* 2,000 accounts reach their limit, interleaved with 20,000 failures of other addresses. */
    for (int i = 0; i < 2000; i++) {
        snprintf(account, sizeof account, "user%d@partners.example", i);
        for (int k = 0; k < AUTH_LOGIN_MAX_PER_EMAIL; k++) {
            snprintf(ip, sizeof ip, "10.%d.%d.%d", i / 250, i % 250, k);
            assert_false(blocked(as, ip, account, T0 + i));
            auth_throttle_fail(as, ip, account, T0 + i);
        }
        for (int k = 0; k < 10; k++) {
            snprintf(ip, sizeof ip, "198.18.%d.%d", (i * 10 + k) / 250 % 256, (i * 10 + k) % 250);
            auth_throttle_fail(as, ip, NULL, T0 + i);
        }
    }
    for (int i = 0; i < 2000; i++) {
        snprintf(account, sizeof account, "user%d@partners.example", i);
        if (!blocked(as, "192.0.2.1", account, T0 + 5000))
            fail_msg("%s is no longer blocked", account);
    }
    assert_false(blocked(as, "192.0.2.1", "someone-else@partners.example", T0 + 5000));
    /* Once a window has ended its account starts again, and new accounts still find room. */
    int64_t later = T0 + AUTH_LOGIN_WINDOW_MS + 2000;
    for (int i = 0; i < 2000; i++) {
        snprintf(ip, sizeof ip, "172.16.%d.%d", i / 250, i % 250);
        snprintf(account, sizeof account, "user%d@partners.example", i);
        assert_false(blocked(as, ip, account, later));
        snprintf(account, sizeof account, "new%d@partners.example", i);
        auth_throttle_fail(as, ip, account, later);
    }
    assert_false(blocked(as, "192.0.2.2", "new1999@partners.example", later));
}

static void a_refund_takes_back_one_failure(void **state)
{
    struct auth_state *as = *state;
    const char *a = "refund@partners.example";
    for (int k = 0; k < AUTH_LOGIN_MAX_PER_EMAIL; k++)
        auth_throttle_fail(as, "203.0.113.1", a, T0);
    assert_true(blocked(as, "203.0.113.9", a, T0));
    auth_throttle_refund(as, "203.0.113.1", a, T0);
    assert_false(blocked(as, "203.0.113.9", a, T0));
    auth_throttle_refund(as, "203.0.113.1", "never-failed@partners.example", T0); /* nothing to refund */
}

static void addresses_count_per_ipv6_64(void **state)
{
    struct auth_state *as = *state;
    char ip[64];
    for (int k = 0; k < AUTH_LOGIN_MAX_PER_IP; k++) {
        snprintf(ip, sizeof ip, "2001:db8:1:2:%x::%x", k, k + 1);
        assert_false(blocked(as, ip, NULL, T0));
        auth_throttle_fail(as, ip, NULL, T0);
    }
    assert_true(blocked(as, "2001:db8:1:2:ffff:ffff:ffff:fffe", NULL, T0));
    assert_true(blocked(as, "2001:0db8:0001:0002::1", NULL, T0));
    assert_false(blocked(as, "2001:db8:1:3::1", NULL, T0));
    for (int k = 0; k < AUTH_LOGIN_MAX_PER_IP; k++)
        auth_throttle_fail(as, "203.0.113.77", NULL, T0);
    assert_true(blocked(as, "::ffff:203.0.113.77", NULL, T0)); /* the same IPv4 address */
    assert_false(blocked(as, "203.0.113.78", NULL, T0));
    assert_false(blocked(as, "2001:db8:1:2::1", NULL, T0 + AUTH_LOGIN_WINDOW_MS));
}

/* Public forms: every attempt counts, one address is refused past its limit with a retry time,
 * another address and another form go on, and the window's end lets the address in again. */
static void public_form_attempts_count_per_address_and_form(void **state)
{
    struct auth_state *as = *state;
    int retry = -1;
    for (int i = 0; i < AUTH_SIGNUP_MAX_PER_IP; i++)
        assert_true(auth_throttle_take(as, "signup", "203.0.113.9", AUTH_SIGNUP_MAX_PER_IP, T0 + i,
                                       &retry));
    for (int i = 0; i < 1000; i++)
        assert_false(auth_throttle_take(as, "signup", "203.0.113.9", AUTH_SIGNUP_MAX_PER_IP,
                                        T0 + 100 + i, &retry));
    assert_true(retry > 0 && retry <= AUTH_LOGIN_WINDOW_MS / 1000 + 1);
    assert_true(
        auth_throttle_take(as, "signup", "203.0.113.10", AUTH_SIGNUP_MAX_PER_IP, T0, &retry));
    assert_true(auth_throttle_take(as, "reset", "203.0.113.9", AUTH_RESET_MAX_PER_IP, T0, &retry));
    assert_false(blocked(as, "203.0.113.9", NULL, T0 + 2000)); /* logins count apart */
    assert_true(auth_throttle_take(as, "signup", "203.0.113.9", AUTH_SIGNUP_MAX_PER_IP,
                                   T0 + AUTH_LOGIN_WINDOW_MS, &retry));
}

/* A public form's token holds for its purpose, its browser's cookie and its lifetime only, and is
 * this process's. */
static void form_tokens_hold_for_their_purpose_and_lifetime(void **state)
{
    struct auth_state *as = *state;
    const char *cookie = "abcdefghijklmnopqrstuvwxyz012345",
               *other_cookie = "Abcdefghijklmnopqrstuvwxyz012345";
    char token[AUTH_FORM_TOKEN_LEN + 1];
    auth_form_token(as, "join", cookie, T0, token);
    assert_true(auth_form_token_ok(as, "join", cookie, token, T0 + 1000));
    assert_true(auth_form_token_ok(as, "join", cookie, token, T0 + AUTH_FORM_TTL_MS));
    assert_false(auth_form_token_ok(as, "join", cookie, token, T0 + AUTH_FORM_TTL_MS + 1000));
    assert_false(auth_form_token_ok(as, "join", cookie, token, T0 - 5000));
    assert_false(auth_form_token_ok(as, "forgot", cookie, token, T0 + 1000));
    assert_false(auth_form_token_ok(as, "join", other_cookie, token, T0 + 1000));
    assert_false(auth_form_token_ok(as, "join", NULL, token, T0 + 1000));
    assert_false(auth_form_token_ok(as, "join", "short", token, T0 + 1000));
    assert_false(auth_form_token_ok(as, "join", cookie, NULL, T0));
    token[strlen(token) - 1] = token[strlen(token) - 1] == 'a' ? 'b' : 'a';
    assert_false(auth_form_token_ok(as, "join", cookie, token, T0 + 1000));
    struct pd_err err = {0};
    struct auth_state *other = auth_state_new("http://127.0.0.1:8080", &err);
    assert_non_null(other);
    auth_form_token(as, "join", cookie, T0, token);
    assert_false(auth_form_token_ok(other, "join", cookie, token, T0 + 1000));
    auth_state_free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(account_counters_survive_floods_and_end_with_their_window,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_refund_takes_back_one_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(addresses_count_per_ipv6_64, setup, teardown),
        cmocka_unit_test_setup_teardown(public_form_attempts_count_per_address_and_form, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(form_tokens_hold_for_their_purpose_and_lifetime, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
