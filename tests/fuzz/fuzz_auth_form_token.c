/* Fuzzes src/auth/parse.c's form tokens ("<issued seconds>.<32 lower-case hex digits>") and the
 * check of src/auth/forms.c: an accepted token has exactly that shape, and no input but a token
 * this process signed passes the check. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct auth_state *state(void)
{
    static struct auth_state *as;
    struct pd_err err = {0};
    if (!as && !(as = auth_state_new("http://127.0.0.1:8080", &err)))
        abort();
    return as;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    int64_t issued = -1;
    char mac[33] = "";
    if (auth_form_token_parse(s, &issued, mac)) {
        const char *dot = strchr(s, '.');
        if (!dot || issued < 0 || dot == s || dot - s > 12 || strlen(dot + 1) != 32 ||
            strlen(mac) != 32 || strspn(mac, "0123456789abcdef") != 32)
            abort();
    }
    /* Forged tokens never pass (a signed one needs the process's random key). */
    if (auth_form_token_ok(state(), "join", "abcdefghijklmnopqrstuvwxyz012345", s, 1800000000000LL))
        abort();
    free(s);
    return 0;
}
