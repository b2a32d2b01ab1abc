/* Trivial passwords (password.h). */
#include "core/password.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "util/banned.h"

/* Lower-cased, compared after the digits and punctuation around them are dropped. */
static const char *const common[] = {
    "password",  "passw0rd", "qwerty",   "qwertyuiop", "qwertz",   "azerty",        "asdfghjkl",
    "zxcvbnm",   "letmein",  "iloveyou", "welcome",    "admin",    "administrator", "monkey",
    "dragon",    "football", "baseball", "sunshine",   "princess", "trustno",       "changeme",
    "secret",    "master",   "login",    "abc",        "qwe",      "asd",           "partner",
    "affiliate", "default",  "test",     "guest",      "hello",    "starwars",      NULL,
};

static bool distinct_below(const char *p, int n)
{
    char seen[4] = {0};
    int k = 0;
    for (; *p; p++) {
        bool found = false;
        for (int i = 0; i < k; i++)
            found = found || seen[i] == *p;
        if (!found) {
            if (k == n)
                return false;
            seen[k++] = *p;
        }
    }
    return true;
}

static bool consecutive(const char *p)
{
    size_t len = strlen(p);
    if (len < 3)
        return false;
    int step = (unsigned char)p[1] - (unsigned char)p[0];
    if (step != 1 && step != -1)
        return false;
    for (size_t i = 2; i < len; i++)
        if ((unsigned char)p[i] - (unsigned char)p[i - 1] != step)
            return false;
    return true;
}

/* A run along the keyboard's rows (either way), which `consecutive` misses at "90". */
static bool keyboard_run(const char *p)
{
    static const char *const rows[] = {"1234567890", "0987654321", "qwertyuiop",
                                       "poiuytrewq", "asdfghjkl",  "lkjhgfdsa",
                                       "zxcvbnm",    "mnbvcxz",    NULL};
    char lower[129];
    size_t n = 0;
    for (; p[n] && n < sizeof lower - 1; n++)
        lower[n] = p[n] >= 'A' && p[n] <= 'Z' ? (char)(p[n] + 32) : p[n];
    lower[n] = '\0';
    for (const char *const *r = rows; *r && n >= 3; r++)
        if (strstr(*r, lower))
            return true;
    return false;
}

static bool letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool password_trivial(const char *password, const char *email)
{
    if (distinct_below(password, 3) || consecutive(password) || keyboard_run(password))
        return true;
    /* The letters in the middle, without the digits and punctuation people add around a word. */
    size_t len = strlen(password), start = 0, end = len;
    while (start < len && !letter(password[start]))
        start++;
    while (end > start && !letter(password[end - 1]))
        end--;
    char core[129];
    size_t n = end - start < sizeof core - 1 ? end - start : sizeof core - 1;
    for (size_t i = 0; i < n; i++) {
        char c = password[start + i];
        core[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
    }
    core[n] = '\0';
    if (n == 0)
        return false; /* digits and punctuation only: long enough and not a run is accepted */
    for (const char *const *w = common; *w; w++)
        if (strcmp(core, *w) == 0)
            return true;
    const char *at = email ? strchr(email, '@') : NULL;
    if (at && (size_t)(at - email) == len && strncasecmp(password, email, len) == 0)
        return true;
    return false;
}
