/* Tests for src/core/bot_list.c: the operator's list of bot user agents — comments and blank lines,
 * case-insensitive substrings anywhere in the agent, bad lines refused with their number, and a
 * list of many patterns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/bot_list.h"

static struct bot_list *parse(const char *text)
{
    char err[128];
    struct bot_list *l = bot_list_parse(text, strlen(text), err, sizeof err);
    if (!l)
        fail_msg("%s", err);
    return l;
}

static void patterns_match_anywhere_whatever_the_case(void **state)
{
    (void)state;
    struct bot_list *l = parse("# from the IAB list\n\nExampleScanner\r\n  uptime-probe  \nzz9\n");
    assert_int_equal(bot_list_count(l), 3);
    assert_true(bot_list_match(l, "Mozilla/5.0 (compatible; EXAMPLESCANNER/1.0)"));
    assert_true(bot_list_match(l, "Uptime-Probe"));
    assert_true(bot_list_match(l, "prefix zz9")); /* at the very end */
    assert_true(bot_list_match(l, "ZZ9 at the start"));
    assert_false(bot_list_match(l, "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"));
    assert_false(bot_list_match(l, "zz")); /* shorter than the pattern */
    assert_false(bot_list_match(l, NULL));
    assert_false(bot_list_match(NULL, "ExampleScanner"));
    bot_list_free(l);
}

static void bad_lines_are_refused_with_their_number(void **state)
{
    (void)state;
    char err[128] = "";
    const char *text = "goodbot\nab\n";
    assert_null(bot_list_parse(text, strlen(text), err, sizeof err));
    assert_non_null(strstr(err, "line 2"));
    char longline[400];
    memset(longline, 'x', sizeof longline - 1);
    longline[sizeof longline - 1] = '\0';
    assert_null(bot_list_parse(longline, strlen(longline), err, sizeof err));
    const char with_nul[] = "abc\0def\n";
    assert_null(bot_list_parse(with_nul, sizeof with_nul - 1, err, sizeof err));
}

static void a_long_list_matches_each_of_its_patterns(void **state)
{
    (void)state;
    size_t n = 5000;
    char *text = malloc(n * 24);
    assert_non_null(text);
    size_t used = 0;
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(text + used, 24, "crawler-%05zu\n", i);
    char err[128];
    struct bot_list *l = bot_list_parse(text, used, err, sizeof err);
    assert_non_null(l);
    assert_int_equal(bot_list_count(l), n);
    char ua[64];
    for (size_t i = 0; i < n; i += 499) {
        snprintf(ua, sizeof ua, "Mozilla/5.0 Crawler-%05zu/2.0", i);
        assert_true(bot_list_match(l, ua));
    }
    assert_false(bot_list_match(l, "Mozilla/5.0 crawler-99999"));
    bot_list_free(l);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(patterns_match_anywhere_whatever_the_case),
        cmocka_unit_test(bad_lines_are_refused_with_their_number),
        cmocka_unit_test(a_long_list_matches_each_of_its_patterns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
