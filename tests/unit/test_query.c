/* Tests src/http/query.c and the JSON error body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "http/http.h"
#include "http/query.h"

static int setup(void **state)
{
    struct arena *a = test_malloc(sizeof *a);
    arena_init(a, 1024);
    *state = a;
    return 0;
}

static int teardown(void **state)
{
    arena_free(*state);
    test_free(*state);
    return 0;
}

static void pairs_are_split_and_decoded(void **state)
{
    struct http_param *p;
    size_t n;
    assert_int_equal(
        http_query_parse(*state, "sub1=x%20y&sub2=a+b&empty=&bare&k%3D=v%26", 10, &p, &n), 0);
    assert_int_equal(n, 5);
    assert_string_equal(p[0].key, "sub1");
    assert_string_equal(p[0].value, "x y");
    assert_string_equal(p[1].value, "a b");
    assert_string_equal(p[2].key, "empty");
    assert_string_equal(p[2].value, "");
    assert_string_equal(p[3].key, "bare");
    assert_string_equal(p[3].value, "");
    assert_string_equal(p[4].key, "k=");
    assert_string_equal(p[4].value, "v&");
}

static void value_may_contain_equals_signs(void **state)
{
    struct http_param *p;
    size_t n;
    assert_int_equal(http_query_parse(*state, "url=https://s.example/?a=1", 10, &p, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(p[0].value, "https://s.example/?a=1");
}

static void empty_pieces_are_skipped(void **state)
{
    struct http_param *p;
    size_t n;
    assert_int_equal(http_query_parse(*state, "&&a=1&&b=2&", 2, &p, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(http_param_get(p, n, "b"), "2");
    assert_int_equal(http_query_parse(*state, "", 2, &p, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(http_query_parse(*state, NULL, 2, &p, &n), 0);
    assert_int_equal(n, 0);
    assert_null(p);
}

static void too_many_pairs_is_an_error(void **state)
{
    struct http_param *p;
    size_t n;
    assert_int_equal(http_query_parse(*state, "a=1&b=2&c=3", 2, &p, &n), -1);
    assert_int_equal(http_query_parse(*state, "a=1&b=2&c=3", 3, &p, &n), 0);
}

static void malformed_escapes_are_errors(void **state)
{
    struct http_param *p;
    size_t n;
    assert_int_equal(http_query_parse(*state, "a=%zz", 10, &p, &n), -1);
    assert_int_equal(http_query_parse(*state, "a=%2", 10, &p, &n), -1);
    assert_int_equal(http_query_parse(*state, "a=%", 10, &p, &n), -1);
    assert_int_equal(http_query_parse(*state, "%4=1", 10, &p, &n), -1);
    assert_int_equal(http_query_parse(*state, "a=x%00y", 10, &p, &n), -1);
}

static void first_value_wins(void **state)
{
    struct http_param *p;
    size_t n;
    assert_int_equal(http_query_parse(*state, "a=1&a=2", 10, &p, &n), 0);
    assert_string_equal(http_param_get(p, n, "a"), "1");
    assert_null(http_param_get(p, n, "b"));
}

static void percent_decode_handles_plus_by_choice(void **state)
{
    char *s = http_percent_decode(*state, "a+b%2Bc%e2%82%ac", 16, 0);
    assert_string_equal(s, "a+b+c\xe2\x82\xac");
    s = http_percent_decode(*state, "a+b", 3, 1);
    assert_string_equal(s, "a b");
    /* only len bytes are read */
    s = http_percent_decode(*state, "abc%41", 3, 1);
    assert_string_equal(s, "abc");
    assert_null(http_percent_decode(*state, "%4", 2, 1));
}

static void percent_encode_keeps_unreserved_only(void **state)
{
    assert_string_equal(http_percent_encode(*state, "AZaz09-._~"), "AZaz09-._~");
    assert_string_equal(http_percent_encode(*state, "a b&c=d/e?\xe2\x82\xac"),
                        "a%20b%26c%3Dd%2Fe%3F%E2%82%AC");
    assert_string_equal(http_percent_encode(*state, ""), "");
    assert_string_equal(http_percent_encode(*state, NULL), "");
}

static void encode_then_decode_round_trips(void **state)
{
    const char *s = "pd_click=clk_123 &x=\"y\"\t\xc3\xa9+%";
    char *e = http_percent_encode(*state, s);
    assert_string_equal(http_percent_decode(*state, e, strlen(e), 1), s);
}

static void json_error_body_is_valid_json(void **state)
{
    size_t len;
    const char *b =
        http_json_error_body(*state, 400, NULL, "amount must be \"an\" integer", "amount", &len);
    assert_int_equal(strlen(b), len);
    assert_string_equal(b, "{\"error\":{\"code\":\"bad_request\",\"message\":\"amount must be "
                           "\\\"an\\\" integer\",\"param\":\"amount\"}}");
    b = http_json_error_body(*state, 413, NULL, "too big", NULL, &len);
    assert_string_equal(b, "{\"error\":{\"code\":\"payload_too_large\",\"message\":\"too big\",\"param\":null}}");
    b = http_json_error_body(*state, 409, "conflict", "bad \xff utf8", "p\xc3", &len);
    json_error_t err;
    json_t *j = json_loads(b, 0, &err);
    assert_non_null(j);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(pairs_are_split_and_decoded, setup, teardown),
        cmocka_unit_test_setup_teardown(value_may_contain_equals_signs, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_pieces_are_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(too_many_pairs_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(malformed_escapes_are_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(first_value_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(percent_decode_handles_plus_by_choice, setup, teardown),
        cmocka_unit_test_setup_teardown(percent_encode_keeps_unreserved_only, setup, teardown),
        cmocka_unit_test_setup_teardown(encode_then_decode_round_trips, setup, teardown),
        cmocka_unit_test_setup_teardown(json_error_body_is_valid_json, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
