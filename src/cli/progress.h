/* A one-line progress bar on stderr for long command-line jobs (redrawn in place on a terminal,
 * a line per stage otherwise). */
#ifndef PD_CLI_PROGRESS_H
#define PD_CLI_PROGRESS_H

#include <stdint.h>

void progress_show(const char *stage, int64_t done, int64_t total, void *arg);

#endif
