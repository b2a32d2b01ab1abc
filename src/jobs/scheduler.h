/* Background work inside `partnerd serve`: approving commissions whose hold has passed, and
 * deleting what is kept only for a time: raw clicks older than the retention period (the daily
 * rollups stay), idempotency keys past their window, finished webhook deliveries. It runs as
 * ordinary writer jobs, so it shares the group commit with requests and never races them. */
#ifndef PD_JOBS_SCHEDULER_H
#define PD_JOBS_SCHEDULER_H

#include "store/writer.h"

struct scheduler;

/* Starts the thread; every interval_ms it approves due commissions in batches of 1000, then deletes,
 * in batches of 10,000, oldest first: clicks older than click_retention_days (0: keeps them all),
 * or than the longest attribution window of any program if that is longer; idempotency keys older
 * than IDEMPOTENCY_KEY_HOURS; delivered and failed webhook deliveries (and postbacks) finished
 * more than webhook_retention_days ago (0: keeps them all; pending ones always stay). */
struct scheduler *scheduler_start(struct writer *w, int interval_ms, int click_retention_days,
                                  int webhook_retention_days);
/* Stops it (waits for a batch in progress). Call before writer_stop. */
void scheduler_stop(struct scheduler *s);

#endif
