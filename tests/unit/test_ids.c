/* Tests for src/core/ids.c: ULID layout, Crockford alphabet, ordering, uniqueness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/ids.h"

#define CROCKFORD "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

static void click_id_is_26_crockford_characters(void **state)
{
    (void)state;
    char id[ID_MAX_LEN];
    assert_int_equal(id_new(id, sizeof id, "", 1795891466123), 26);
    assert_int_equal(strlen(id), 26);
    assert_int_equal(strspn(id, CROCKFORD), 26);
    assert_true(id[0] <= '7');
    assert_true(id_valid(id, ""));
    assert_true(id_valid(id, NULL));
}

static void prefixed_id_keeps_prefix_and_time(void **state)
{
    (void)state;
    char id[ID_MAX_LEN];
    assert_int_equal(id_new(id, sizeof id, "cnv_", 1795891466123), 30);
    assert_memory_equal(id, "cnv_", 4);
    assert_true(id_valid(id, "cnv_"));
    assert_false(id_valid(id, "ptn_"));
    assert_int_equal(id_time_ms(id, "cnv_"), 1795891466123);
}

static void known_bytes_encode_like_the_ulid_spec(void **state)
{
    (void)state;
    uint8_t zero[16] = {0};
    uint8_t ones[16];
    memset(ones, 0xff, sizeof ones);
    char out[ID_ULID_LEN + 1];
    id_encode_ulid(zero, out);
    assert_string_equal(out, "00000000000000000000000000");
    id_encode_ulid(ones, out);
    assert_string_equal(out, "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"); /* the largest ULID */
    /* 2^48 - 1 ms and zero randomness: the time part is all ones */
    uint8_t t[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    id_encode_ulid(t, out);
    assert_string_equal(out, "7ZZZZZZZZZ0000000000000000");
    assert_true(id_time_ms(out, "") == (UINT64_C(1) << 48) - 1);
}

static void ids_sort_by_creation_time(void **state)
{
    (void)state;
    char a[ID_MAX_LEN], b[ID_MAX_LEN], c[ID_MAX_LEN];
    id_new(a, sizeof a, "", 1000);
    id_new(b, sizeof b, "", 1001);
    id_new(c, sizeof c, "", 1795891466123);
    assert_true(strcmp(a, b) < 0);
    assert_true(strcmp(b, c) < 0);
}

static int compare_ids(const void *x, const void *y)
{
    return strcmp(x, y);
}

static void hundred_thousand_ids_in_one_millisecond_are_unique(void **state)
{
    (void)state;
    enum { N = 100000 };
    char(*ids)[ID_ULID_LEN + 1] = malloc(sizeof *ids * N);
    assert_non_null(ids);
    for (int i = 0; i < N; i++)
        assert_int_equal(id_new(ids[i], sizeof ids[i], "", 1795891466123), ID_ULID_LEN);
    qsort(ids, N, sizeof *ids, compare_ids);
    for (int i = 1; i < N; i++)
        assert_true(strcmp(ids[i - 1], ids[i]) != 0);
    free(ids);
}

static void id_new_refuses_short_buffer(void **state)
{
    (void)state;
    char small[29];
    assert_int_equal(id_new(small, sizeof small, "cnv_", 1), 0); /* needs 4 + 26 + 1 */
    assert_string_equal(small, "");
    char exact[31];
    assert_int_equal(id_new(exact, sizeof exact, "cnv_", 1), 30);
}

static void invalid_ids_are_refused(void **state)
{
    (void)state;
    assert_false(id_valid("", ""));
    assert_false(id_valid(NULL, ""));
    assert_false(id_valid("01ARZ3NDEKTSV4RRFFQ69G5FA", ""));   /* 25 */
    assert_false(id_valid("01ARZ3NDEKTSV4RRFFQ69G5FAVX", "")); /* 27 */
    assert_false(id_valid("81ARZ3NDEKTSV4RRFFQ69G5FAV", ""));  /* first > 7: beyond 128 bits */
    assert_false(id_valid("01ARZ3NDEKTSV4RRFFQ69G5FAU", ""));  /* U is not Crockford */
    assert_false(id_valid("01arz3ndektsv4rrffq69g5fav", ""));  /* one spelling: upper case */
    assert_true(id_valid("01ARZ3NDEKTSV4RRFFQ69G5FAV", ""));
    assert_false(id_valid("cnv01ARZ3NDEKTSV4RRFFQ69G5FAV", "cnv_"));
    assert_int_equal(id_time_ms("nonsense", ""), 0);
    assert_int_equal(id_time_ms("01ARZ3NDEKTSV4RRFFQ69G5FAV", ""), 1469922850259);
}

static void random_token_uses_url_safe_alphabet(void **state)
{
    (void)state;
    char a[33], b[33];
    id_random_token(a, 32);
    id_random_token(b, 32);
    assert_int_equal(strlen(a), 32);
    assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
                     32);
    assert_string_not_equal(a, b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(click_id_is_26_crockford_characters),
        cmocka_unit_test(prefixed_id_keeps_prefix_and_time),
        cmocka_unit_test(known_bytes_encode_like_the_ulid_spec),
        cmocka_unit_test(ids_sort_by_creation_time),
        cmocka_unit_test(hundred_thousand_ids_in_one_millisecond_are_unique),
        cmocka_unit_test(id_new_refuses_short_buffer),
        cmocka_unit_test(invalid_ids_are_refused),
        cmocka_unit_test(random_token_uses_url_safe_alphabet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
