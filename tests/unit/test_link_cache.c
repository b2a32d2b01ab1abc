/* Tests for src/app/link_cache.c: hits, generation and TTL invalidation, strings copied out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "app/link_cache.h"

static struct link_target sample(void)
{
    struct link_target t = {
        .link_id = "lnk_01JDTZ8W5K3V4Y6Q2N7M9P0R1S",
        .program_id = "prg_01JDTZ8W5K3V4Y6Q2N7M9P0R1S",
        .partner_id = "ptn_01JDTZ8W5K3V4Y6Q2N7M9P0R1S",
        .destination = "https://shop.example/shoes?x=1",
        .partner_status = "active",
        .click_param = "pd_click",
        .default_url = "https://shop.example/",
        .sub = {"a", NULL, "c", NULL, NULL},
    };
    return t;
}

static void a_stored_link_comes_back_with_every_field(void **state)
{
    (void)state;
    struct link_cache *c = link_cache_new(64);
    struct arena a;
    arena_init(&a, 4096);
    struct link_target t = sample(), got;
    assert_int_equal(link_cache_get(c, "alice", 7, 1000, &a, &got), 1);
    link_cache_put(c, "alice", 7, 1000, &t);
    assert_int_equal(link_cache_get(c, "alice", 7, 1500, &a, &got), 0);
    assert_string_equal(got.link_id, t.link_id);
    assert_string_equal(got.program_id, t.program_id);
    assert_string_equal(got.partner_id, t.partner_id);
    assert_string_equal(got.destination, t.destination);
    assert_string_equal(got.partner_status, "active");
    assert_string_equal(got.click_param, "pd_click");
    assert_string_equal(got.default_url, t.default_url);
    assert_string_equal(got.sub[0], "a");
    assert_null(got.sub[1]);
    assert_string_equal(got.sub[2], "c");
    /* The answer is a copy in the arena: the slot may be reused at once. */
    struct link_target other = sample();
    other.partner_status = "suspended";
    link_cache_put(c, "alice", 7, 1600, &other);
    assert_string_equal(got.partner_status, "active");
    struct link_cache_stats st;
    link_cache_get_stats(c, &st);
    assert_int_equal(st.hits, 1);
    assert_int_equal(st.misses, 1);
    arena_free(&a);
    link_cache_free(c);
}

static void a_new_generation_invalidates_every_entry(void **state)
{
    (void)state;
    struct link_cache *c = link_cache_new(64);
    struct arena a;
    arena_init(&a, 4096);
    struct link_target t = sample(), got;
    link_cache_put(c, "alice", 7, 1000, &t);
    assert_int_equal(link_cache_get(c, "alice", 8, 1001, &a, &got), 1);
    arena_free(&a);
    link_cache_free(c);
}

static void entries_expire_after_the_ttl(void **state)
{
    (void)state;
    struct link_cache *c = link_cache_new(64);
    struct arena a;
    arena_init(&a, 4096);
    struct link_target t = sample(), got;
    link_cache_put(c, "alice", 1, 1000, &t);
    assert_int_equal(link_cache_get(c, "alice", 1, 1000 + LINK_CACHE_TTL_MS - 1, &a, &got), 0);
    assert_int_equal(link_cache_get(c, "alice", 1, 1000 + LINK_CACHE_TTL_MS, &a, &got), 1);
    /* A clock that went backwards does not make an entry live forever. */
    assert_int_equal(link_cache_get(c, "alice", 1, 999, &a, &got), 1);
    arena_free(&a);
    link_cache_free(c);
}

static void codes_sharing_a_slot_are_told_apart(void **state)
{
    (void)state;
    struct link_cache *c = link_cache_new(1); /* one slot: every code collides */
    struct arena a;
    arena_init(&a, 4096);
    struct link_target t = sample(), got;
    link_cache_put(c, "alice", 1, 1000, &t);
    assert_int_equal(link_cache_get(c, "bob", 1, 1000, &a, &got), 1);
    link_cache_put(c, "bob", 1, 1000, &t);
    assert_int_equal(link_cache_get(c, "alice", 1, 1000, &a, &got), 1);
    assert_int_equal(link_cache_get(c, "bob", 1, 1000, &a, &got), 0);
    arena_free(&a);
    link_cache_free(c);
}

static void links_too_long_for_a_slot_are_not_cached(void **state)
{
    (void)state;
    struct link_cache *c = link_cache_new(64);
    struct arena a;
    arena_init(&a, 4096);
    char dest[700];
    memset(dest, 'x', sizeof dest - 1);
    dest[sizeof dest - 1] = '\0';
    struct link_target t = sample(), got;
    t.destination = dest;
    link_cache_put(c, "alice", 1, 1000, &t);
    assert_int_equal(link_cache_get(c, "alice", 1, 1000, &a, &got), 1);
    arena_free(&a);
    link_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_stored_link_comes_back_with_every_field),
        cmocka_unit_test(a_new_generation_invalidates_every_entry),
        cmocka_unit_test(entries_expire_after_the_ttl),
        cmocka_unit_test(codes_sharing_a_slot_are_told_apart),
        cmocka_unit_test(links_too_long_for_a_slot_are_not_cached),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
