/* Group commit. One writer thread owns the only writing connection. Request handlers never commit:
 * they hand a job to the writer, which gathers every job queued meanwhile into one transaction
 * (each job in its own savepoint, so one job's failure undoes only that job), commits once — one
 * fsync for the whole batch — and only then reports each job done. That is how a 302 or a 201 can
 * wait for durability without costing an fsync each. */
#ifndef PD_STORE_WRITER_H
#define PD_STORE_WRITER_H

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
    enum write_outcome outcome;
    struct write_job *next;
    uint64_t commit_seq; /* the writer's own bookkeeping */
    unsigned postponed;  /* times run again (store.h, retry) */
};

struct writer_stats {
    uint64_t batches, jobs, failed_batches;
    uint64_t postponed; /* jobs run again in a later batch (store.h, retry) */
    uint64_t max_batch;
    /* SQLite: the checkpoints the writer finished itself with commits blocked (see
     * checkpointer_main in writer.c), and the log frames they copied. */
    uint64_t catch_ups, catch_up_frames;
};

struct writer;

struct writer *writer_start(const char *db_url, int max_batch, struct pd_err *err);
/* Queues a job. Returns -1 (job untouched) when the writer is stopping. Thread-safe. */
int writer_submit(struct writer *w, struct write_job *job);
/* Finishes every queued job, then stops the thread and closes its connection. */
void writer_stop(struct writer *w);
void writer_get_stats(struct writer *w, struct writer_stats *out);
/* How long journaled jobs wait for company (GATHER_MS in writer.c unless set; tests). */
void writer_set_gather_ms(struct writer *w, int ms);
/* How long a job someone waits for may wait for company while the writer is busy (COMMIT_DELAY_US
 * in writer.c unless set; tests; 0: never). */
void writer_set_commit_delay_us(struct writer *w, int us);

/* Bumped after every committed batch that changed links, partners, programs or api_keys, before
 * its jobs are reported done: what the link cache and the API key cache compare their entries
 * with. Thread-safe. */
uint64_t writer_generation(struct writer *w);

/* A run() that writes nothing, for a job that only marks a place in the queue: its done() is
 * called once everything queued before it is. */
int writer_run_nothing(struct store *s, struct write_job *job);

/* Runs one job as its own transaction on the caller's connection (command-line tools, tests). */
int writer_run_now(struct store *s, struct write_job *job, struct pd_err *err);

#endif
