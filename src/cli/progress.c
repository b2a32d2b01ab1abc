/* The command line's progress bar (cli/progress.h): redrawn in place on a terminal, one line per
 * stage otherwise, always on stderr so stdout stays the command's output. */
#include "cli/progress.h"

#include <stdbool.h>

#include <stdio.h>
#include <unistd.h>

#include "util/banned.h"

void progress_show(const char *stage, int64_t done, int64_t total, void *arg)
{
    (void)arg;
    int width = 30;
    int filled = total > 0 ? (int)(done * width / total) : width;
    if (filled > width)
        filled = width;
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[width] = '\0';
    bool tty = isatty(STDERR_FILENO);
    if (!tty && done != total)
        return;
    fprintf(stderr, "%s%-10s [%s] %lld/%lld%s", tty ? "\r" : "", stage, bar, (long long)done,
            (long long)total, tty && done != total ? "" : "\n");
    fflush(stderr);
}
