/* Tests program slugs (src/core/slug.c): what is valid, and the slug a name gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/slug.h"

static void valid_slugs_are_lower_case_words_joined_by_single_dashes(void **state)
{
    (void)state;
    assert_true(slug_valid("acme"));
    assert_true(slug_valid("acme-kitchen-2"));
    assert_true(slug_valid("a1"));
    const char *bad[] = {"",      "a",    "Acme",  "-acme", "acme-", "ac--me",
                         "ac me", "acmé", "ac_me", "ac/me", NULL};
    for (const char **b = bad; *b; b++)
        assert_false(slug_valid(*b));
    char long_one[66];
    memset(long_one, 'a', 65);
    long_one[65] = '\0';
    assert_false(slug_valid(long_one));
    long_one[64] = '\0';
    assert_true(slug_valid(long_one));
    assert_false(slug_valid(NULL));
}

static void a_name_gives_a_valid_slug(void **state)
{
    (void)state;
    char out[SLUG_MAX + 1];
    slug_from_name("Acme Kitchen", out, sizeof out);
    assert_string_equal(out, "acme-kitchen");
    slug_from_name("  Jane's  Café & Co. 2026! ", out, sizeof out);
    assert_string_equal(out, "jane-s-caf-co-2026");
    slug_from_name("¡¡¡", out, sizeof out);
    assert_string_equal(out, "program");
    slug_from_name("x", out, sizeof out);
    assert_string_equal(out, "program");
    slug_from_name(NULL, out, sizeof out);
    assert_string_equal(out, "program");
    /* Long names stop at a word boundary within the limit. */
    slug_from_name("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi", out,
                   sizeof out);
    assert_true(slug_valid(out));
    assert_true(strlen(out) <= SLUG_MAX);
    assert_string_equal(out, "alpha-beta-gamma-delta-epsilon-zeta-eta-theta-iota-kappa-lambda");
    char word[200];
    memset(word, 'w', 199);
    word[199] = '\0';
    slug_from_name(word, out, sizeof out);
    assert_int_equal(strlen(out), SLUG_MAX);
    assert_true(slug_valid(out));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_slugs_are_lower_case_words_joined_by_single_dashes),
        cmocka_unit_test(a_name_gives_a_valid_slug),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
