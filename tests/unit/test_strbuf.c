/* Tests util/strbuf.c: content grows past its first allocation, a write past the limit is refused
 * whole and sticks until a reset, and decimal digits are exact at the ends of uint64. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/strbuf.h"

static void content_grows(void **state)
{
    (void)state;
    struct strbuf b;
    strbuf_init(&b, SIZE_MAX);
    for (int i = 0; i < 1000; i++)
        strbuf_puts(&b, "0123456789");
    assert_int_equal(b.len, 10000);
    assert_int_equal(strlen(b.data), 10000);
    assert_int_equal(strbuf_status(&b), STRBUF_OK);
    assert_int_equal(strbuf_check(&b, "x", NULL), 0);
    strbuf_free(&b);
}

static void the_limit_is_sticky(void **state)
{
    (void)state;
    struct strbuf b;
    struct pd_err err = {0};
    strbuf_init(&b, 5);
    strbuf_puts(&b, "abcd");
    strbuf_puts(&b, "ef"); /* 6 > 5: refused whole */
    strbuf_putc(&b, 'g');  /* would fit, but the buffer already failed */
    assert_string_equal(b.data, "abcd");
    assert_int_equal(strbuf_status(&b), STRBUF_TOO_LARGE);
    assert_int_equal(strbuf_check(&b, "doc", &err), -1);
    assert_int_equal(err.kind, PD_ERR_TOO_LARGE);
    assert_string_equal(err.param, "doc");
    strbuf_reset(&b);
    strbuf_puts(&b, "abcde");
    assert_string_equal(b.data, "abcde");
    assert_int_equal(strbuf_status(&b), STRBUF_OK);
    strbuf_free(&b);
}

static void digits(void **state)
{
    (void)state;
    struct strbuf b;
    strbuf_init(&b, 100);
    strbuf_put_u64(&b, 0);
    strbuf_putc(&b, ' ');
    strbuf_put_u64(&b, UINT64_MAX);
    strbuf_putc(&b, ' ');
    strbuf_put_u64(&b, 1000);
    assert_string_equal(b.data, "0 18446744073709551615 1000");
    strbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(content_grows),
        cmocka_unit_test(the_limit_is_sticky),
        cmocka_unit_test(digits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
