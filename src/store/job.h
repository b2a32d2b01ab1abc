/* A write job, what the group-commit writer (store/writer.h) runs on its thread inside a batch's
 * transaction (store/batch.h), and the group of jobs that can share one savepoint. */
#ifndef PD_STORE_JOB_H
#define PD_STORE_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

enum write_outcome {
    WRITE_COMMITTED = 0, /* run() returned 0 and the batch is durable */
    WRITE_ROLLED_BACK,   /* run() returned -1: its savepoint was undone, the rest committed */
    WRITE_FAILED,        /* the batch could not commit: nothing of this job was written */
};

struct write_job;

/* Jobs of one kind that can run back to back without a savepoint each (clicks): the writer hands a
 * run of consecutive jobs of the same group to run_many inside one savepoint. When run_many fails,
 * that savepoint is undone and the jobs run again one by one, each in its own savepoint, so one
 * bad job still undoes only itself. */
struct write_group {
    /* n jobs linked by next, starting at first. 0 to keep all their writes, -1 otherwise. */
    int (*run_many)(struct store *s, struct write_job *first, size_t n);
};

struct write_job {
    /* On the writer thread, inside a savepoint. Return 0 to keep the job's writes, -1 to undo them
     * (the job keeps its own error to report). May run more than once: a job that met another
     * node's lock is undone and run again in a later batch (store.h, retry), so it starts from
     * its inputs every time. */
    int (*run)(struct store *s, struct write_job *job);
    /* On the writer thread, once, after the batch is committed or has failed. Must not block; it
     * typically posts the response back to the request's worker thread. */
    void (*done)(struct write_job *job);
    const struct write_group *group; /* optional */
    /* Optional: the job may defer the totals it adds to (store/totals.h), and this writes a
     * batch's deferred totals (all of them, whichever job's they are), outside any job's
     * savepoint; -1 when one cannot be written as it is (a limit, another node's lock), and the
     * batch then runs again with every job writing its own totals. */
    int (*write_totals)(struct store *s, struct pd_err *err);
    /* The job never changes links, partners or programs (so it need not invalidate the link
     * cache on a backend that cannot count such changes). */
    bool keeps_links;
    /* The job's write is already durable elsewhere (a click in the journal): nobody waits for it,
     * so the writer gathers such jobs for up to GATHER_MS (writer.c) into larger batches, and
     * reports them done at commit, without an fsync of the database's log. Any other job ends the
     * gathering, so a request queued after a journaled job still finds it applied. */
    bool journaled;
    /* The job only marks a place in the queue (what was queued before it is done when it is):
     * it ends the gathering but needs no fsync. */
    bool writes_nothing;
    /* PostgreSQL: the job may run in any of the writer's lanes, at the same time as another batch
     * of this node (store/writer.h). Only for jobs whose every read-then-write is ordered by
     * store_lock or a constraint, as two nodes' must be; the others run in the first lane, one
     * batch at a time, as on a node with one writer. */
    bool any_lane;
    enum write_outcome outcome;
    struct write_job *next;
    uint64_t commit_seq; /* the writer's own bookkeeping */
    unsigned postponed;  /* times run again (store.h, retry) */
};

#endif
