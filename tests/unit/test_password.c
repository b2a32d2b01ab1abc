/* Tests trivial passwords (src/core/password.c): the guesses tried first are refused, ordinary
 * passphrases pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/password.h"

static void guesses_tried_first_are_trivial(void **state)
{
    (void)state;
    const char *trivial[] = {"aaaaaaaaaa",   "ababababab",   "abcabcabcabc",
                             "1111111111",   "1234567890",   "0987654321",
                             "abcdefghijkl", "9876543210",   "qwertyuiop",
                             "QWERTYUIOP",   "asdfghjkl",    "Password123!",
                             "password1234", "1password123", "letmein2024",
                             "Passw0rd2024", "monkey!!!!!!", NULL};
    for (const char **p = trivial; *p; p++)
        if (!password_trivial(*p, NULL))
            fail_msg("%s passed", *p);
    assert_true(password_trivial("jane.doe", "jane.doe@example.com"));
    assert_true(password_trivial("JANE.DOE", "jane.doe@example.com"));
}

static void ordinary_passphrases_pass(void **state)
{
    (void)state;
    const char *fine[] = {
        "correct horse battery", "a long new password", "demo-partner-pass",     "8402957163",
        "Tr0ub4dor&3xyz",        "jane.doe.rocks",      "password manager pick", NULL};
    for (const char **p = fine; *p; p++)
        if (password_trivial(*p, "jane.doe@example.com"))
            fail_msg("%s refused", *p);
    assert_false(password_trivial("jane.doe", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(guesses_tried_first_are_trivial),
        cmocka_unit_test(ordinary_passphrases_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
