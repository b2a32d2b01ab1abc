/* Tests for src/util/json_encode.c: the same bytes as jansson's json_dumps(JSON_COMPACT) for every
 * kind of value and escape, for random documents, and a refusal past the nesting limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/json_encode.h"

static void assert_same_as_jansson(json_t *v)
{
    char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    size_t len = 0;
    char *got = pd_json_encode(v, &len);
    assert_non_null(want);
    assert_non_null(got);
    assert_string_equal(got, want);
    assert_int_equal(len, strlen(want));
    free(want);
    free(got);
}

static void every_kind_of_value_matches_jansson(void **state)
{
    (void)state;
    json_t *o = json_object();
    json_object_set_new(o, "z_first", json_integer(1)); /* insertion order, not sorted */
    json_object_set_new(o, "a", json_string("plain"));
    json_object_set_new(o, "escapes", json_string("q\" b\\ s/ \b\f\n\r\t \x01\x1f\x7f end"));
    json_object_set_new(o, "utf8", json_string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
    json_object_set_new(o, "nul", json_stringn("a\0b", 3));
    json_object_set_new(o, "empty", json_string(""));
    json_object_set_new(o, "min", json_integer(INT64_MIN));
    json_object_set_new(o, "max", json_integer(INT64_MAX));
    json_object_set_new(o, "zero", json_integer(0));
    json_object_set_new(o, "neg", json_integer(-4999));
    json_t *reals = json_array();
    double r[] = {1.0, 0.1, -2.5, 1e20, 1e-5, 123456789012345678.0, -2.5e300, 5e-324, 0.0};
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        json_array_append_new(reals, json_real(r[i]));
    json_object_set_new(o, "reals", reals);
    json_object_set_new(o, "t", json_true());
    json_object_set_new(o, "f", json_false());
    json_object_set_new(o, "n", json_null());
    json_object_set_new(o, "obj", json_object());
    json_object_set_new(o, "arr", json_array());
    json_object_set_new(o, "key \"with\" \n escapes", json_pack("[{s:[i,s]}]", "k", 1, "v"));
    assert_same_as_jansson(o);
    json_decref(o);

    json_t *s = json_string("top-level string");
    assert_same_as_jansson(s);
    json_decref(s);
}

static uint64_t next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static json_t *random_value(uint64_t *x, int depth)
{
    static const char alphabet[] = "ab\"\\/\n\t\x01 \xc3\xa9z09";
    unsigned kind = (unsigned)(next(x) % (depth > 4 ? 6 : 8));
    switch (kind) {
    case 0:
        return json_null();
    case 1:
        return json_boolean(next(x) & 1);
    case 2:
        return json_integer((json_int_t)next(x));
    case 3:
        return json_real((double)(int64_t)next(x) / (double)(1 + next(x) % 100000));
    case 4:
    case 5: {
        char text[24];
        size_t n = next(x) % 20, k = 0;
        while (k < n) {
            char c = alphabet[next(x) % (sizeof alphabet - 1)];
            if (c == '\xc3') {
                if (k + 2 > n)
                    break;
                text[k++] = '\xc3';
                text[k++] = '\xa9';
                continue;
            }
            if (c == '\xa9')
                continue;
            text[k++] = c;
        }
        return json_stringn(text, k);
    }
    case 6: {
        json_t *a = json_array();
        for (unsigned i = 0, n = (unsigned)(next(x) % 5); i < n; i++)
            json_array_append_new(a, random_value(x, depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (unsigned i = 0, n = (unsigned)(next(x) % 5); i < n; i++) {
            char key[16];
            snprintf(key, sizeof key, "k%u\"%u", (unsigned)(next(x) % 100), i);
            json_object_set_new(o, key, random_value(x, depth + 1));
        }
        return o;
    }
    }
}

static void random_documents_match_jansson(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 2000; i++) {
        json_t *v = random_value(&x, 0);
        assert_non_null(v);
        assert_same_as_jansson(v);
        json_decref(v);
    }
}

static json_t *nested_arrays(int levels)
{
    json_t *v = json_integer(7);
    for (int i = 0; i < levels; i++) {
        json_t *a = json_array();
        json_array_append_new(a, v);
        v = a;
    }
    return v;
}

static void nesting_deeper_than_jansson_parses_is_refused(void **state)
{
    (void)state;
    json_t *ok = nested_arrays(2047); /* 2047 arrays and the integer: 2048 levels */
    char *text = pd_json_encode(ok, NULL);
    assert_non_null(text);
    assert_int_equal(strlen(text), 2047 * 2 + 1);
    free(text);
    json_decref(ok);

    json_t *deep = nested_arrays(2048);
    assert_null(pd_json_encode(deep, NULL));
    json_decref(deep);
    assert_null(pd_json_encode(NULL, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_kind_of_value_matches_jansson),
        cmocka_unit_test(random_documents_match_jansson),
        cmocka_unit_test(nesting_deeper_than_jansson_parses_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
