/* Group commit. The writer's threads own the writing connections (one on SQLite). Request
 * handlers never commit: they hand a job to the writer, which gathers every job queued meanwhile
 * into one transaction (each job in its own savepoint, so one job's failure undoes only that job),
 * commits once — one fsync for the whole batch — and only then reports each job done. That is how
 * a 302 or a 201 can wait for durability without costing an fsync each. */
#ifndef PD_STORE_WRITER_H
#define PD_STORE_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/job.h"
#include "store/store.h"

struct writer_stats {
    uint64_t batches, jobs, failed_batches;
    uint64_t postponed; /* jobs run again in a later batch (store.h, retry) */
    uint64_t reruns;    /* batches run again, their totals not deferred (store/batch.h) */
    uint64_t max_batch;
    /* SQLite: the checkpoints the writer finished itself with commits blocked (see
     * checkpointer_main in writer.c), and the log frames they copied. */
    uint64_t catch_ups, catch_up_frames;
};

struct writer;

/* lanes: writing connections and threads on PostgreSQL (at most 16); SQLite always has one. */
struct writer *writer_start(const char *db_url, int max_batch, int lanes, struct pd_err *err);
/* Queues a job. Returns -1 (job untouched) when the writer is stopping. Thread-safe. */
int writer_submit(struct writer *w, struct write_job *job);
/* Queues n jobs linked by next (the last one's next is ignored), in that order, under one lock.
 * Returns -1 (jobs untouched) when the writer is stopping. Thread-safe. */
int writer_submit_list(struct writer *w, struct write_job *first, size_t n);
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
 * called once everything queued before it is (with one lane: SQLite). */
int writer_run_nothing(struct store *s, struct write_job *job);

/* Runs one job as its own transaction on the caller's connection (command-line tools, tests). */
int writer_run_now(struct store *s, struct write_job *job, struct pd_err *err);

#endif
