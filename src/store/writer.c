/* The group-commit writer (store/writer.h): the threads that write to the database, one connection
 * each (its lanes: one on SQLite, which has one writer; several on PostgreSQL, where a lane's
 * round trips and commit leave the database idle that another lane's batch can use). Owns the
 * queue of write jobs, the batches they are committed in (one savepoint per job, or per run of a
 * write_group's jobs), and, on SQLite, the threads that make those commits durable (the syncers)
 * and keep the log short (the checkpointer). Lanes take their batches from the one queue; what two
 * lanes' batches both touch is ordered by the row and advisory locks that order two nodes'
 * (store_lock), so a job may be postponed to a later batch like it may be on several nodes.
 *
 * Contract: each job's done() is called once, after its batch is durable (a
 * journaled job: after the commit, the journal having made it durable) or known not to commit;
 * nothing is acknowledged before the flush that covers it, and a failed flush ends the process
 * (store/flush.h). The link cache's generation is bumped after a batch that changed links,
 * partners or programs, before that batch is answered. The measurements behind each constant
 * below: bench/README.md, "Decisions, by measurement". */
#include "store/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/batch.h"
#include "store/flush.h"
#include "util/timefmt.h"
#include "util/banned.h"

#define SYNCERS 3
#define CHECKPOINT_INTERVAL_MS 100
#define CATCH_UP_FRAMES 64 /* 256 KiB of the log: what the writer may be left to copy */
#define CATCH_UP_PASSES 20
/* The writer's part costs two fsyncs while every write waits: at most once a second, not after
 * every pass, unless the log passes WAL_LIMIT_FRAMES. */
#define CATCH_UP_INTERVAL_MS 1000
#define WAL_LIMIT_FRAMES 4096  /* 16 MiB: past it the writer catches up whatever is left */
#define WAL_HARD_LIMIT "16384" /* 64 MiB: past it the writer's commit checkpoints (a backstop) */
/* Journaled jobs (clicks, durable already) wait this long for company: one batch of many clicks
 * writes each page of the click log, its index and the rollups once instead of once per few clicks
 * (the log's volume, hence the cost of every fsync and checkpoint, falls with it). */
#define GATHER_MS 20
/* Jobs someone waits for (conversions, API writes) wait a little for company too, but only while
 * the writer is busy (a batch ended less than BUSY_WINDOW_US ago) and until COMMIT_SIBLINGS are
 * queued: PostgreSQL's commit_delay and commit_siblings. Each commit writes every page it touched
 * (a conversion touches many B-trees), so fewer, larger commits write less log, and the log's
 * checkpoints and fsyncs are what the slowest requests wait for. An idle server adds no delay. */
#define COMMIT_DELAY_US 500
#define COMMIT_SIBLINGS 8
#define BUSY_WINDOW_US 2000

#define LANES_MAX 16

struct lane {
    struct writer *w;
    struct store *store; /* its connection, used only by its thread */
    int index;           /* 0: the first lane, which runs every kind of job */
    pthread_t thread;
};

struct writer {
    struct store *store; /* the first lane's connection (SQLite: the writing connection) */
    int max_batch;
    struct lane lanes[LANES_MAX];
    int nlanes, started;
    pthread_mutex_t lock;
    pthread_cond_t wake;           /* the first lane waits for jobs here */
    pthread_cond_t wake_lanes;     /* the other lanes here */
    int idle_lanes;                /* other lanes waiting for jobs */
    struct write_job *head, *tail; /* the queue, guarded by lock */
    int queued;                    /* jobs in it */
    atomic_int gather_ms;
    atomic_int commit_delay_us;
    int urgent; /* jobs in it that are not journaled */
    int shared; /* jobs in it that any lane may run (write_job.any_lane) */
    bool stopping;
    struct writer_stats stats; /* guarded by lock */
    atomic_uint_fast64_t generation;
    /* SQLite: checkpoints on a thread of their own (see checkpointer_main) */
    struct store *ckpt_store;
    pthread_t ckpt_thread;
    pthread_cond_t ckpt_wake;
    bool ckpt_running, ckpt_stopping; /* ckpt_stopping guarded by lock */
    atomic_bool ckpt_caught_up;       /* the checkpointer finished a pass; the writer catches up */
    atomic_int_fast64_t ckpt_copied;  /* frames copied when it did (the writer copies the rest) */
    /* SQLite with synchronous=FULL: the fsyncs after the commits, on threads of their own (see
     * syncer_main); wal_fd -1 when commits sync themselves (or need not). Each syncer flushes
     * through a descriptor of its own (sync_fds), opened with the writer: a failed writeback is
     * reported once per open file, so no syncer hears "success" because another was told. */
    int wal_fd;
    int sync_fds[SYNCERS];
    int nsyncers, next_syncer;
    pthread_t sync_threads[SYNCERS];
    struct flush_fault fault;
    pthread_cond_t sync_wake;
    /* All guarded by lock. Committed batches get increasing sequence numbers; an fdatasync that
     * starts after batch k was committed makes batches 1..k durable. */
    struct write_job *sync_head, *sync_tail; /* committed, not yet known durable, in order */
    uint64_t committed_seq, started_seq, durable_seq;
    bool sync_stopping;
};

/* Durability without a stall per commit. With synchronous=FULL SQLite fsyncs the WAL inside each
 * COMMIT, and the writer cannot start the next batch until the disk answers, so the write rate
 * would be bounded by the clients in flight divided by the flush time. Instead the writer's
 * connection commits with synchronous=NORMAL (the commit is in the WAL, in the OS) and hands the
 * batch to these threads: one fdatasyncs the WAL and only then are the batches committed before
 * it started reported done, so no 302 or 2xx leaves before its record is on disk. Meanwhile the
 * writer runs the next batch, and another syncer starts the next fdatasync at once rather than
 * after the current one (a disk completes overlapping flushes sooner than a queue of them).
 * SQLite keeps the WAL consistent in NORMAL mode (it syncs the WAL header when the log
 * restarts, and the WAL before each checkpoint); what NORMAL alone loses on a power cut, the last
 * commits, is exactly what has not been acknowledged yet. A reader may see a commit up to one
 * fdatasync before it is durable. */
static void *syncer_main(void *arg)
{
    struct writer *w = arg;
    pthread_mutex_lock(&w->lock);
    int fd = w->sync_fds[w->next_syncer++];
    for (;;) {
        while (w->started_seq == w->committed_seq && !w->sync_stopping)
            pthread_cond_wait(&w->sync_wake, &w->lock);
        if (w->started_seq == w->committed_seq)
            break; /* stopping, and every commit has had its fdatasync started */
        uint64_t covers = w->committed_seq;
        w->started_seq = covers;
        pthread_mutex_unlock(&w->lock);
        /* What it covers is committed (readers see it): failing ends the process. */
        if (flush_data(fd, &w->fault) < 0)
            flush_failed("writer: fdatasync of the database's log", strerror(errno));
        pthread_mutex_lock(&w->lock);
        if (covers > w->durable_seq)
            w->durable_seq = covers;
        struct write_job *done = NULL, **tail = &done;
        while (w->sync_head && w->sync_head->commit_seq <= w->durable_seq) {
            struct write_job *j = w->sync_head;
            w->sync_head = j->next;
            j->next = NULL;
            *tail = j;
            tail = &j->next;
        }
        if (!w->sync_head)
            w->sync_tail = NULL;
        pthread_mutex_unlock(&w->lock);
        for (struct write_job *j = done, *next; j; j = next) {
            next = j->next; /* done() may free the job */
            j->done(j);
        }
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void syncer_stop(struct writer *w);

/* Descriptors of the WAL for the syncers, one each (the first is wal_fd); false when one cannot
 * be opened. */
static bool open_sync_fds(struct writer *w)
{
    bool full;
    char wal[1100];
    snprintf(wal, sizeof wal, "%s-wal", store_sqlite_path(w->store, &full));
    w->sync_fds[0] = w->wal_fd;
    for (int i = 1; i < SYNCERS; i++) {
        w->sync_fds[i] = open(wal, O_RDWR | O_CLOEXEC);
        if (w->sync_fds[i] < 0) {
            while (--i > 0)
                close(w->sync_fds[i]);
            return false;
        }
    }
    return true;
}

static void close_sync_fds(struct writer *w)
{
    for (int i = 1; i < SYNCERS; i++)
        close(w->sync_fds[i]);
}

static void syncer_start(struct writer *w)
{
    w->wal_fd = store_sqlite_defer_wal_sync(w->store);
    if (w->wal_fd < 0)
        return;
    flush_fault_init(&w->fault, "wal");
    if (!open_sync_fds(w))
        goto fail_fds;
    if (pthread_cond_init(&w->sync_wake, NULL) != 0)
        goto fail_cond;
    for (; w->nsyncers < SYNCERS; w->nsyncers++)
        if (pthread_create(&w->sync_threads[w->nsyncers], NULL, syncer_main, w) != 0)
            break;
    if (w->nsyncers > 0)
        return;
    pthread_cond_destroy(&w->sync_wake);
fail_cond:
    close_sync_fds(w);
fail_fds:;
    /* Back to an fsync in every commit. */
    struct pd_err err;
    w->store->ops->exec_script(w->store, "PRAGMA synchronous = FULL", &err);
    close(w->wal_fd);
    w->wal_fd = -1;
}

/* After the writer thread has stopped: the last committed batches are synced and answered. */
static void syncer_stop(struct writer *w)
{
    if (w->wal_fd < 0)
        return;
    pthread_mutex_lock(&w->lock);
    w->sync_stopping = true;
    pthread_cond_broadcast(&w->sync_wake);
    pthread_mutex_unlock(&w->lock);
    for (int i = 0; i < w->nsyncers; i++)
        pthread_join(w->sync_threads[i], NULL);
    /* Nothing is left: every commit had its fdatasync started before the syncers stopped, and a
     * failed one ended the process. */
    pthread_cond_destroy(&w->sync_wake);
    close_sync_fds(w);
    close(w->wal_fd);
    w->wal_fd = -1;
}

/* SQLite in WAL mode copies the log back into the database file (a checkpoint, with an fsync of
 * the database) once the log passes 1000 pages, by default on the connection that just committed:
 * every click waiting for the writer's next commit would wait for the checkpoint too. Instead the
 * writer's connection checkpoints only past WAL_HARD_LIMIT (a backstop), and this thread, on its
 * own connection, runs a PASSIVE checkpoint (it never blocks the writer) every
 * CHECKPOINT_INTERVAL_MS.
 *
 * Under steady writes a PASSIVE checkpoint never catches up: the writer appends while it copies,
 * and SQLite starts the log over only when a transaction begins with every frame copied. The log
 * would grow without end, and every fdatasync of a growing file also commits the file system's
 * journal. So this thread repeats its pass until a pass copies only a
 * few frames (CATCH_UP_FRAMES), each pass copying what was added during the previous one (a pass
 * sees the log as it was when the pass began, so what a pass copied, not what it left, tells
 * how much the writer adds during one), and then the writer thread (never an event loop) copies
 * the rest itself between two batches (see writer_catch_up), blocking commits meanwhile: the
 * next commit reuses the log from the start (at most once every CATCH_UP_INTERVAL_MS). The
 * writer's part is bounded so: what it copies, and what the fsyncs of its checkpoint must flush.
 * (Judged by what a pass left instead, one pass would always look enough, and the writer would be
 * left everything appended during it, copied with commits blocked.)
 *
 * The writer catches up even when this thread copied every frame: its next transaction restarts
 * the log only if it begins before another commit lands, which under steady commits almost never
 * happens, so the log would grow without bound. And when the log passes WAL_LIMIT_FRAMES, whatever
 * is left, without waiting for the interval: a steady write load can fill it in well under a
 * second. */
/* One PASSIVE checkpoint on connection s: false when it could not run (an error, or the other
 * connection checkpointing: the checkpointer's pass, the writer's catch-up or its commits past
 * WAL_HARD_LIMIT), else in *frames the log's length and in *copied how many of its frames are in
 * the database. */
static bool checkpoint_pass(struct store *s, int64_t *frames, int64_t *copied)
{
    struct pd_err err;
    struct store_cursor cur;
    if (store_query_row(s, "PRAGMA wal_checkpoint(PASSIVE)", NULL, 0, &cur, &err) != STORE_ROW) {
        /* The checkpoint's own fsyncs: a failed one may have lost pages of the database file
         * that a later checkpoint would take for copied, and let the log start over. */
        if (s->io_error)
            flush_failed("checkpoint", err.message);
        fprintf(stderr, "level=warn msg=\"checkpoint failed\" error=\"%s\"\n", err.message);
        return false;
    }
    int64_t log_frames = store_col_int(&cur, 1), copied_frames = store_col_int(&cur, 2);
    store_finish(&cur);
    if (log_frames < 0 || copied_frames < 0)
        return false;
    *frames = log_frames;
    *copied = copied_frames;
    return true;
}

/* Frames copied since a count of `before`: only the writer starts the log over (with its next
 * write), so a smaller count is a log that started over since, all of whose copied frames are
 * new. */
static int64_t frames_copied_since(int64_t copied, int64_t before)
{
    return copied >= before ? copied - before : copied;
}

/* Passes until one copies at most CATCH_UP_FRAMES: true then (the writer will find about that
 * many to copy). A pass copies what the writer appended since the pass before began, so the next
 * one copies less only if this one took less time than that: when it did not (the writer appends
 * faster than passes copy), or the passes run out or fail, false. *frames: the log's length,
 * *copied: how many of its frames are in the database (both 0 when no pass ran); *last_start_us:
 * when the last pass began, kept between calls. */
static bool checkpoint_passes(struct writer *w, int64_t *frames, int64_t *copied,
                              uint64_t *last_start_us)
{
    int64_t copied_before = 0;
    for (int pass = 0; pass < CATCH_UP_PASSES; pass++) {
        uint64_t start = time_mono_us(), appended_over = start - *last_start_us;
        *last_start_us = start;
        if (!checkpoint_pass(w->ckpt_store, frames, copied))
            return false;
        if (frames_copied_since(*copied, copied_before) <= CATCH_UP_FRAMES && *copied >= *frames)
            return true;
        if (time_mono_us() - start >= appended_over)
            return false;
        copied_before = *copied;
    }
    return false;
}

static void *checkpointer_main(void *arg)
{
    struct writer *w = arg;
    int64_t last_catch_up = 0, frames_at_catch_up = 0;
    uint64_t last_pass_us = time_mono_us();
    pthread_mutex_lock(&w->lock);
    while (!w->ckpt_stopping) {
        struct timespec until = time_deadline_in_us(CHECKPOINT_INTERVAL_MS * 1000);
        pthread_cond_timedwait(&w->ckpt_wake, &w->lock, &until);
        if (w->ckpt_stopping)
            break;
        pthread_mutex_unlock(&w->lock);
        int64_t frames = 0, copied = 0;
        bool few_left = checkpoint_passes(w, &frames, &copied, &last_pass_us);
        int64_t now_ms = (int64_t)(time_mono_us() / 1000);
        pthread_mutex_lock(&w->lock);
        few_left = few_left && now_ms - last_catch_up >= CATCH_UP_INTERVAL_MS;
        if (frames > 0 && frames != frames_at_catch_up &&
            (few_left || frames >= WAL_LIMIT_FRAMES)) {
            frames_at_catch_up = frames;
            atomic_store(&w->ckpt_copied, copied);
            atomic_store(&w->ckpt_caught_up, true);
            pthread_cond_signal(&w->wake); /* the writer thread does it, even when idle */
            last_catch_up = now_ms;
        }
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* Best effort: without it SQLite checkpoints on the writer's connection as usual. */
static void checkpointer_start(struct writer *w, const char *db_url)
{
    struct pd_err err;
    if (w->store->dialect != STORE_SQLITE)
        return;
    w->ckpt_store = store_open(db_url, false, &err);
    if (!w->ckpt_store)
        return;
    if (pthread_cond_init(&w->ckpt_wake, NULL) != 0)
        goto fail_cond;
    if (pthread_create(&w->ckpt_thread, NULL, checkpointer_main, w) != 0)
        goto fail_thread;
    if (w->store->ops->exec_script(w->store, "PRAGMA wal_autocheckpoint = " WAL_HARD_LIMIT, &err) <
        0)
        fprintf(stderr, "level=warn msg=\"cannot limit automatic checkpoints\" error=\"%s\"\n",
                err.message);
    w->ckpt_running = true;
    return;
fail_thread:
    pthread_cond_destroy(&w->ckpt_wake);
fail_cond:
    store_close(w->ckpt_store);
    w->ckpt_store = NULL;
}

static void checkpointer_stop(struct writer *w)
{
    if (!w->ckpt_running)
        return;
    pthread_mutex_lock(&w->lock);
    w->ckpt_stopping = true;
    pthread_cond_signal(&w->ckpt_wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->ckpt_thread, NULL);
    pthread_cond_destroy(&w->ckpt_wake);
    store_close(w->ckpt_store);
    w->ckpt_running = false;
}

/* After batch_execute. Returns true when the syncers will report the jobs
 * done once the batch is on disk; false when they are done now (outcomes set, done() not called).
 */
static bool settle_batch(struct writer *w, struct write_job *batch, bool ok, bool links_changed,
                         bool rerun)
{
    /* Before any job is reported done: a request that follows an acknowledged change of a link,
     * partner or program never sees the link cache's older copy. */
    if (links_changed)
        atomic_fetch_add(&w->generation, 1);
    uint64_t n = 0;
    bool needs_sync = false;
    struct write_job *last = batch;
    for (struct write_job *j = batch; j; j = j->next, n++) {
        last = j;
        needs_sync |= !j->journaled && !j->writes_nothing;
    }
    pthread_mutex_lock(&w->lock);
    w->stats.batches++;
    w->stats.reruns += rerun;
    w->stats.jobs += n;
    if (n > w->stats.max_batch)
        w->stats.max_batch = n;
    if (!ok)
        w->stats.failed_batches++;
    if (ok && w->wal_fd >= 0 && needs_sync) {
        /* Committed, not yet on disk: a syncer answers once it is. Sequence numbers are taken
         * after the commit, so whatever a number covers had committed before it was taken. */
        uint64_t seq = ++w->committed_seq;
        for (struct write_job *j = batch; j; j = j->next)
            j->commit_seq = seq;
        if (w->sync_tail)
            w->sync_tail->next = batch;
        else
            w->sync_head = batch;
        w->sync_tail = last;
        pthread_cond_signal(&w->sync_wake);
        pthread_mutex_unlock(&w->lock);
        return true;
    }
    pthread_mutex_unlock(&w->lock);
    if (!ok)
        for (struct write_job *j = batch; j; j = j->next)
            j->outcome = WRITE_FAILED;
    return false;
}

static void writer_catch_up(struct writer *w);

/* Postponed jobs go back to the front of the queue: the next batch starts with them, and its first
 * job may wait for its locks. */
static void requeue(struct writer *w, struct write_job *postponed)
{
    struct write_job *last = postponed;
    int n = 1, urgent = !postponed->journaled, shared = postponed->any_lane;
    for (; last->next; last = last->next, n++) {
        urgent += !last->next->journaled;
        shared += last->next->any_lane;
    }
    pthread_mutex_lock(&w->lock);
    last->next = w->head;
    w->head = postponed;
    if (!w->tail)
        w->tail = last;
    w->queued += n;
    w->urgent += urgent;
    w->shared += shared;
    w->stats.postponed += (uint64_t)n;
    pthread_mutex_unlock(&w->lock);
}

static void run_batch(struct writer *w, struct store *s, struct write_job *batch)
{
    writer_catch_up(w);
    struct batch_result r;
    batch_execute(s, batch, &r);
    if (r.postponed)
        requeue(w, r.postponed);
    batch = r.ran;
    if (!batch)
        return;
    if (settle_batch(w, batch, r.committed, r.links_changed, r.rerun))
        return;
    for (struct write_job *j = batch, *next; j; j = next) {
        next = j->next; /* done() may free the job */
        j->done(j);
    }
}

/* The rest of a checkpoint pass, on the writer's connection between two batches (see
 * checkpointer_main). */
static void writer_catch_up(struct writer *w)
{
    if (!atomic_exchange(&w->ckpt_caught_up, false))
        return;
    int64_t frames, copied, before = atomic_load(&w->ckpt_copied);
    if (!checkpoint_pass(w->store, &frames, &copied))
        return;
    pthread_mutex_lock(&w->lock);
    w->stats.catch_ups++;
    w->stats.catch_up_frames += (uint64_t)frames_copied_since(copied, before);
    pthread_mutex_unlock(&w->lock);
}

/* Only journaled jobs are queued: wait up to GATHER_MS for more of them, unless a job that someone
 * waits for arrives, the batch is full or the writer stops. Under lock. */
static void gather(struct writer *w, pthread_cond_t *wake)
{
    struct timespec until = time_deadline_in_us((int64_t)atomic_load(&w->gather_ms) * 1000);
    while (w->urgent == 0 && w->queued < w->max_batch && !w->stopping)
        if (pthread_cond_timedwait(wake, &w->lock, &until) != 0)
            break;
}

/* A job someone waits for is queued and the writer has just been busy: wait up to the commit delay
 * for COMMIT_SIBLINGS jobs (see COMMIT_DELAY_US). Under lock. */
static void wait_for_siblings(struct writer *w, pthread_cond_t *wake)
{
    struct timespec until = time_deadline_in_us(atomic_load(&w->commit_delay_us));
    while (w->queued < COMMIT_SIBLINGS && !w->stopping)
        if (pthread_cond_timedwait(wake, &w->lock, &until) != 0)
            break;
}

/* Under lock: whether the lane has jobs to take (the first lane any job, the others only jobs
 * that may run in any lane). */
static bool lane_has_work(const struct writer *w, const struct lane *lane)
{
    return lane->index == 0 ? w->head != NULL : w->shared > 0;
}

/* Under lock: unlinks up to max_batch jobs the lane may run, in the order they were queued. */
static struct write_job *take_batch(struct writer *w, const struct lane *lane)
{
    struct write_job *batch = NULL, **tail = &batch, **link = &w->head, *kept = NULL;
    for (int n = 0; *link && n < w->max_batch;) {
        struct write_job *j = *link;
        if (lane->index != 0 && !j->any_lane) {
            kept = j;
            link = &j->next;
            continue;
        }
        *link = j->next;
        if (w->tail == j)
            w->tail = kept;
        j->next = NULL;
        *tail = j;
        tail = &j->next;
        n++;
        w->queued--;
        w->urgent -= !j->journaled;
        w->shared -= j->any_lane;
    }
    return batch;
}

static void *writer_main(void *arg)
{
    struct lane *lane = arg;
    struct writer *w = lane->w;
    pthread_cond_t *wake = lane->index == 0 ? &w->wake : &w->wake_lanes;
    uint64_t last_batch_end_us = 0;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        while (!lane_has_work(w, lane) && !w->stopping && !atomic_load(&w->ckpt_caught_up)) {
            w->idle_lanes += lane->index != 0;
            pthread_cond_wait(wake, &w->lock);
            w->idle_lanes -= lane->index != 0;
        }
        if (!lane_has_work(w, lane) && w->stopping) {
            pthread_mutex_unlock(&w->lock);
            break;
        }
        if (!lane_has_work(w, lane)) {
            /* Only the checkpoint's catch-up to do. */
            pthread_mutex_unlock(&w->lock);
            writer_catch_up(w);
            continue;
        }
        if (w->urgent == 0)
            gather(w, wake);
        else if (w->queued < COMMIT_SIBLINGS && atomic_load(&w->commit_delay_us) > 0 &&
                 time_mono_us() - last_batch_end_us < BUSY_WINDOW_US)
            wait_for_siblings(w, wake);
        /* Take up to max_batch jobs; whatever arrives while they commit forms the next batch
         * (another lane's, or this one's). */
        struct write_job *batch = take_batch(w, lane);
        pthread_mutex_unlock(&w->lock);
        if (!batch) /* another lane took them while this one waited */
            continue;
        run_batch(w, lane->store, batch);
        last_batch_end_us = time_mono_us();
    }
    return NULL;
}

/* Opens the lanes' connections: lanes of them on PostgreSQL, one on SQLite. */
static int lanes_open(struct writer *w, const char *db_url, int lanes, struct pd_err *err)
{
    w->store = store_open(db_url, false, err);
    if (!w->store)
        return -1;
    w->lanes[0] = (struct lane){.w = w, .store = w->store, .index = 0};
    w->nlanes = 1;
    if (w->store->dialect != STORE_POSTGRES)
        return 0;
    for (; w->nlanes < lanes && w->nlanes < LANES_MAX; w->nlanes++) {
        struct store *s = store_open(db_url, false, err);
        if (!s)
            return -1;
        w->lanes[w->nlanes] = (struct lane){.w = w, .store = s, .index = w->nlanes};
    }
    return 0;
}

static void lanes_close(struct writer *w)
{
    for (int i = 0; i < w->nlanes; i++)
        store_close(w->lanes[i].store);
}

struct writer *writer_start(const char *db_url, int max_batch, int lanes, struct pd_err *err)
{
    struct writer *w = calloc(1, sizeof *w);
    if (!w)
        abort();
    w->max_batch = max_batch > 0 ? max_batch : 1024;
    atomic_init(&w->gather_ms, GATHER_MS);
    atomic_init(&w->commit_delay_us, COMMIT_DELAY_US);
    w->wal_fd = -1;
    if (lanes_open(w, db_url, lanes, err) < 0)
        goto fail_store;
    if (pthread_mutex_init(&w->lock, NULL) != 0)
        goto fail_lock;
    if (pthread_cond_init(&w->wake, NULL) != 0)
        goto fail_cond;
    if (pthread_cond_init(&w->wake_lanes, NULL) != 0)
        goto fail_cond_lanes;
    /* Both before the writer thread uses its connection. */
    checkpointer_start(w, db_url);
    syncer_start(w);
    for (; w->started < w->nlanes; w->started++)
        if (pthread_create(&w->lanes[w->started].thread, NULL, writer_main,
                           &w->lanes[w->started]) != 0)
            goto fail_thread;
    return w;
fail_thread:
    writer_stop(w); /* the lanes started so far */
    pd_err_set(err, PD_ERR_INTERNAL, NULL, "cannot start the writer threads");
    return NULL;
fail_cond_lanes:
    pthread_cond_destroy(&w->wake);
fail_cond:
    pthread_mutex_destroy(&w->lock);
fail_lock:
    pd_err_set(err, PD_ERR_INTERNAL, NULL, "cannot start the writer thread");
fail_store:
    lanes_close(w);
    free(w);
    return NULL;
}

int writer_submit(struct writer *w, struct write_job *job)
{
    return writer_submit_list(w, job, 1);
}

int writer_submit_list(struct writer *w, struct write_job *first, size_t n)
{
    if (n == 0)
        return 0;
    struct write_job *last = first;
    size_t urgent = !first->journaled, shared = first->any_lane;
    for (size_t i = 1; i < n; i++) {
        last = last->next;
        urgent += !last->journaled;
        shared += last->any_lane;
    }
    last->next = NULL;
    pthread_mutex_lock(&w->lock);
    if (w->stopping) {
        pthread_mutex_unlock(&w->lock);
        return -1;
    }
    if (w->tail)
        w->tail->next = first;
    else
        w->head = first;
    w->tail = last;
    bool was_idle = w->queued == 0;
    w->queued += (int)n;
    w->urgent += (int)urgent;
    w->shared += (int)shared;
    /* Journaled jobs alone do not wake a gathering writer (they wake an idle one). A job only the
     * first lane may run wakes that lane; one any lane may run, another lane if one waits. */
    if (shared > 0 && w->idle_lanes > 0)
        pthread_cond_signal(&w->wake_lanes);
    if (shared < n || (shared > 0 && w->idle_lanes == 0)) {
        if (urgent || was_idle || w->queued >= w->max_batch)
            pthread_cond_signal(&w->wake);
    }
    pthread_mutex_unlock(&w->lock);
    return 0;
}

void writer_stop(struct writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_broadcast(&w->wake);
    pthread_cond_broadcast(&w->wake_lanes);
    pthread_mutex_unlock(&w->lock);
    for (int i = 0; i < w->started; i++)
        pthread_join(w->lanes[i].thread, NULL);
    syncer_stop(w);
    checkpointer_stop(w);
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->wake_lanes);
    pthread_mutex_destroy(&w->lock);
    lanes_close(w);
    free(w);
}

void writer_set_gather_ms(struct writer *w, int ms)
{
    atomic_store(&w->gather_ms, ms);
}

void writer_set_commit_delay_us(struct writer *w, int us)
{
    atomic_store(&w->commit_delay_us, us);
}

void writer_get_stats(struct writer *w, struct writer_stats *out)
{
    pthread_mutex_lock(&w->lock);
    *out = w->stats;
    pthread_mutex_unlock(&w->lock);
}

uint64_t writer_generation(struct writer *w)
{
    return atomic_load(&w->generation);
}

int writer_run_nothing(struct store *s, struct write_job *job)
{
    (void)s;
    (void)job;
    return 0;
}

int writer_run_now(struct store *s, struct write_job *job, struct pd_err *err)
{
    if (store_begin(s, err) < 0)
        return -1;
    if (job->run(s, job) != 0) {
        store_rollback(s);
        job->outcome = WRITE_ROLLED_BACK;
        return 0;
    }
    if (store_commit(s, err) < 0) {
        job->outcome = WRITE_FAILED;
        return -1;
    }
    job->outcome = WRITE_COMMITTED;
    return 0;
}
