/* Tests for url_append_param (src/core/url.c), the Location of every click's 302: the parameter
 * goes into the query before any #fragment, with the right separator, and an output buffer too
 * small by one byte is refused whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/url.h"

static void check(const char *url, const char *want)
{
    char out[256];
    int n = url_append_param(url, "pd_click", "01JD", out, sizeof out);
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(out, want);
    /* exactly large enough works; one byte less is refused */
    char *exact = malloc(strlen(want) + 1);
    assert_non_null(exact);
    assert_int_equal(url_append_param(url, "pd_click", "01JD", exact, strlen(want) + 1), n);
    assert_string_equal(exact, want);
    assert_int_equal(url_append_param(url, "pd_click", "01JD", exact, strlen(want)), -1);
    free(exact);
}

static void the_parameter_goes_into_the_query_before_the_fragment(void **state)
{
    (void)state;
    check("https://shop.example/", "https://shop.example/?pd_click=01JD");
    check("https://shop.example/p?a=1", "https://shop.example/p?a=1&pd_click=01JD");
    check("https://shop.example/p?", "https://shop.example/p?pd_click=01JD");
    check("https://shop.example/p?a=1&", "https://shop.example/p?a=1&pd_click=01JD");
    check("https://shop.example/p#top", "https://shop.example/p?pd_click=01JD#top");
    check("https://shop.example/p?a=1#x?y", "https://shop.example/p?a=1&pd_click=01JD#x?y");
    check("https://shop.example/p#x?y", "https://shop.example/p?pd_click=01JD#x?y");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_parameter_goes_into_the_query_before_the_fragment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
