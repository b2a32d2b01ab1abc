/* Password strength beyond length: the trivial passwords a guesser tries first. Pure. */
#ifndef PD_CORE_PASSWORD_H
#define PD_CORE_PASSWORD_H

#include <stdbool.h>

/* true for fewer than four distinct characters ("aaaaaaaaaa", "ababababab"), a run of
 * consecutive characters ("1234567890", "abcdefghij", "9876543210"), a keyboard row or a common
 * password with digits or punctuation around it ("Password123!", "qwertyuiop", "letmein2024"),
 * and the local part of email ("jane.doe" for jane.doe@example.com, email may be NULL). */
bool password_trivial(const char *password, const char *email);

#endif
