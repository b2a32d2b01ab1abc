/* One batch of the group-commit writer (store/writer.h) in one transaction: each job in its own
 * savepoint, a run of a write_group's jobs in one (store/job.h). A job that meets another node's
 * lock or a deadlock (store.h, retry) is undone and handed back to run in a later batch; the first
 * job of a transaction waits for its locks, the later ones only try (store.h, locks_try_only), so
 * two nodes' batches never wait for each other in a circle on those locks. Totals the jobs deferred
 * (store/totals.h) are written before a job that writes its own (or a group) and before the commit;
 * when they cannot be (a limit, a lock), the batch runs again with no job deferring. */
#ifndef PD_STORE_BATCH_H
#define PD_STORE_BATCH_H

#include <stdbool.h>

#include "store/job.h"

/* How many times a job that met another node's lock (or a deadlock) runs again before it fails
 * with that error. The first job of a batch waits for its locks, so a job put back at the front
 * of the queue normally runs the next time. */
#define MAX_POSTPONED 100

struct batch_result {
    struct write_job *ran;       /* the jobs that ran, linked, outcomes set (unless !committed) */
    struct write_job *postponed; /* the jobs to run again, linked, nothing of them written */
    bool committed;              /* false: nothing of the batch was written */
    bool links_changed;          /* links, partners, programs or api_keys changed */
    bool rerun;                  /* its deferred totals could not be written: it ran again */
};

/* Runs the jobs (linked by next) in one transaction on s and commits it (on PostgreSQL the grouped
 * jobs last: batch.c, groups_last). Ends the process on an
 * I/O error of the database (store/flush.h). */
void batch_execute(struct store *s, struct write_job *jobs, struct batch_result *res);

#endif
