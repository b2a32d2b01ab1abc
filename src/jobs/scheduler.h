/* Background work inside `partnerd serve`: approving commissions whose hold has passed. It runs as
 * ordinary writer jobs, so it shares the group commit with requests and never races them. */
#ifndef PD_JOBS_SCHEDULER_H
#define PD_JOBS_SCHEDULER_H

#include "store/writer.h"

struct scheduler;

/* Starts the thread; every interval_ms it approves due commissions in batches of 1000. */
struct scheduler *scheduler_start(struct writer *w, int interval_ms);
/* Stops it (waits for a batch in progress). Call before writer_stop. */
void scheduler_stop(struct scheduler *s);

#endif
