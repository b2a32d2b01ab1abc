/* Tests for src/app/key_cache.c: a key filed under a generation is found under it until its time
 * is up, not under the next generation, and a key sharing its slot replaces it without being
 * taken for it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app/key_cache.h"

static struct key_cache_entry entry(uint8_t first, uint8_t last, uint64_t generation)
{
    struct key_cache_entry e;
    memset(&e, 0, sizeof e);
    e.digest[0] = first;
    e.digest[31] = last;
    e.kind = 1;
    snprintf(e.key_id, sizeof e.key_id, "key_%u_%u", first, last);
    snprintf(e.partner_id, sizeof e.partner_id, "ptn_%u", last);
    e.generation = generation;
    return e;
}

static void a_key_is_found_under_its_generation_until_it_expires(void **state)
{
    (void)state;
    struct key_cache *c = calloc(1, sizeof *c);
    assert_non_null(c);
    struct key_cache_entry e = entry(7, 9, 3);
    assert_null(key_cache_get(c, e.digest, 3, 1000));
    key_cache_put(c, &e, 1000);
    const struct key_cache_entry *hit = key_cache_get(c, e.digest, 3, 1000 + KEY_CACHE_TTL_MS - 1);
    assert_non_null(hit);
    assert_string_equal(hit->key_id, "key_7_9");
    assert_string_equal(hit->partner_id, "ptn_9");
    assert_int_equal(hit->kind, 1);
    assert_null(key_cache_get(c, e.digest, 4, 1001));                    /* a change since */
    assert_null(key_cache_get(c, e.digest, 3, 1000 + KEY_CACHE_TTL_MS)); /* time is up */
    free(c);
}

static void a_key_in_the_same_slot_replaces_it_and_is_not_taken_for_it(void **state)
{
    (void)state;
    struct key_cache *c = calloc(1, sizeof *c);
    assert_non_null(c);
    struct key_cache_entry a = entry(7, 1, 3), b = entry(7, 2, 3); /* same first bytes */
    key_cache_put(c, &a, 1000);
    assert_null(key_cache_get(c, b.digest, 3, 1000));
    key_cache_put(c, &b, 1000);
    assert_null(key_cache_get(c, a.digest, 3, 1000));
    assert_non_null(key_cache_get(c, b.digest, 3, 1000));
    struct key_cache_entry other = entry(8, 1, 3); /* another slot: both stay */
    key_cache_put(c, &other, 1000);
    assert_non_null(key_cache_get(c, b.digest, 3, 1000));
    assert_non_null(key_cache_get(c, other.digest, 3, 1000));
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_key_is_found_under_its_generation_until_it_expires),
        cmocka_unit_test(a_key_in_the_same_slot_replaces_it_and_is_not_taken_for_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
