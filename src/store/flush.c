/* Flushing a file to disk, and what a failed flush means: the process stops before it acknowledges
 * anything more (a failed fdatasync may have dropped the dirty pages). Test-only fault injection. */
#include "store/flush.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/banned.h"

void flush_fault_init(struct flush_fault *f, const char *site)
{
    f->fail_at = 0;
    atomic_init(&f->count, 0);
    const char *spec = getenv(FLUSH_FAULT_ENV);
    size_t n = strlen(site);
    for (const char *p = spec; p && *p;) {
        if (strncmp(p, site, n) == 0 && p[n] == ':') {
            char *end = NULL;
            unsigned long long at = strtoull(p + n + 1, &end, 10);
            if (end != p + n + 1 && (*end == ',' || *end == '\0') && at > 0) {
                f->fail_at = at;
                fprintf(stderr,
                        "level=warn msg=\"test fault injection: flush %llu of %s will fail\"\n",
                        at, site);
            }
        }
        p = strchr(p, ',');
        if (p)
            p++;
    }
}

int flush_data(int fd, struct flush_fault *f)
{
    if (f && f->fail_at && atomic_fetch_add(&f->count, 1) + 1 == f->fail_at) {
        errno = EIO;
        return -1;
    }
    return fdatasync(fd);
}

_Noreturn void flush_failed(const char *what, const char *why)
{
    fprintf(stderr,
            "level=fatal msg=\"%s failed: stopping without acknowledging anything more; the next"
            " start recovers from the journal and the database\" error=\"%s\"\n",
            what, why);
    fflush(stderr);
    abort();
}
