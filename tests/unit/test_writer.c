/* Tests for src/store/writer.c on SQLite: group commit on the writer thread, a failing job undoing
 * only itself, journaled jobs (clicks) gathered into one batch, a job queued after journaled
 * ones finding them applied, a job waiting for company while the writer is busy, the log
 * starting over under steady writes, and a failed flush of the log or an I/O error in a batch
 * ending the process before any of its jobs is answered (an I/O error in a checkpoint too). */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>

#include "fault_child.h"
#include "store/flush.h"
#include "store/store.h"
#include "store/writer.h"

struct test_job {
    struct write_job job;
    int64_t value;
    bool fail; /* run() inserts, then asks for its savepoint to be undone */
    atomic_int started, done_calls;
    atomic_int release; /* held_insert_run waits for it */
};

static int insert_run(struct store *s, struct write_job *j)
{
    struct test_job *t = (struct test_job *)j;
    atomic_store(&t->started, 1);
    struct db_val v = db_int(t->value);
    struct pd_err err;
    if (store_exec(s, "INSERT INTO t (x) VALUES (?1)", &v, 1, NULL, &err) < 0)
        return -1;
    return t->fail ? -1 : 0;
}

static void count_done(struct write_job *j)
{
    atomic_fetch_add(&((struct test_job *)j)->done_calls, 1);
}

static void job_init(struct test_job *t, int64_t value)
{
    memset(t, 0, sizeof *t);
    t->job.run = insert_run;
    t->job.done = count_done;
    t->job.keeps_links = true;
    t->value = value;
}

struct fixture {
    char dir[64];
    char url[160];
    struct writer *w;
};

/* The database, without a writer. */
static struct fixture *prepare(const char *sync)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/pd-test-writer-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->url, sizeof f->url, "sqlite:%s/w.db?synchronous=%s", f->dir, sync);
    struct pd_err err;
    struct store *s = store_open(f->url, false, &err);
    assert_non_null(s);
    assert_int_equal(store_exec(s, "CREATE TABLE t (x INTEGER NOT NULL)", NULL, 0, NULL, &err), 0);
    store_close(s);
    return f;
}

/* max_batch: 0 for the writer's default. */
static struct fixture *setup(const char *sync, int max_batch)
{
    struct fixture *f = prepare(sync);
    struct pd_err err;
    f->w = writer_start(f->url, max_batch, 1, &err);
    assert_non_null(f->w);
    return f;
}

static void teardown(struct fixture *f)
{
    if (f->w)
        writer_stop(f->w);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
}

/* Rows with x = value, read on a connection of its own. */
static int64_t rows_with(struct fixture *f, int64_t value)
{
    struct pd_err err;
    struct store *s = store_open(f->url, true, &err);
    assert_non_null(s);
    struct db_val v = db_int(value);
    int64_t n = -1;
    assert_int_equal(store_query_int(s, "SELECT COUNT(*) FROM t WHERE x = ?1", &v, 1, 0, &n, &err),
                     0);
    store_close(s);
    return n;
}

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* How long a wait for the writer may take before the test fails: generous, for a loaded machine
 * and the sanitizers. Every wait polls its condition and ends as soon as it holds. */
#define WAIT_MS 60000

static void wait_for_at_least(atomic_int *counter, int target)
{
    int64_t deadline = now_ms() + WAIT_MS;
    while (atomic_load(counter) < target && now_ms() < deadline)
        usleep(200);
    if (atomic_load(counter) < target)
        fail_msg("waited %d ms for %d, have %d", WAIT_MS, target, atomic_load(counter));
}

/* Runs a script on a connection of its own (closing it checkpoints the log). */
static void exec_script(struct fixture *f, const char *sql)
{
    struct pd_err err;
    struct store *s = store_open(f->url, false, &err);
    assert_non_null(s);
    assert_int_equal(s->ops->exec_script(s, sql, &err), 0);
    store_close(s);
}

static void wait_for(atomic_int *counter, int target)
{
    wait_for_at_least(counter, target);
    assert_int_equal(atomic_load(counter), target);
}

/* For what the writer must NOT do yet (start a job that waits for company): gives it ms to set
 * *flag and says whether it did. A writer that wrongly runs the job at once does so well within
 * the window; a correct one never does, however long the window lasts. */
static bool becomes_set_within(atomic_int *flag, int ms)
{
    int64_t deadline = now_ms() + ms;
    while (!atomic_load(flag) && now_ms() < deadline)
        usleep(200);
    return atomic_load(flag) != 0;
}

#define WINDOW_MS 200

static void submitted_jobs_commit_and_a_failing_one_undoes_only_itself(void **state)
{
    (void)state;
    struct fixture *f = setup("normal", 0);
    struct test_job a, b, c;
    job_init(&a, 1);
    job_init(&b, 2);
    b.fail = true;
    job_init(&c, 3);
    assert_int_equal(writer_submit(f->w, &a.job), 0);
    assert_int_equal(writer_submit(f->w, &b.job), 0);
    assert_int_equal(writer_submit(f->w, &c.job), 0);
    wait_for(&a.done_calls, 1);
    wait_for(&b.done_calls, 1);
    wait_for(&c.done_calls, 1);
    assert_int_equal(a.job.outcome, WRITE_COMMITTED);
    assert_int_equal(b.job.outcome, WRITE_ROLLED_BACK);
    assert_int_equal(c.job.outcome, WRITE_COMMITTED);
    assert_int_equal(rows_with(f, 1), 1);
    assert_int_equal(rows_with(f, 2), 0);
    assert_int_equal(rows_with(f, 3), 1);
    teardown(f);
}

/* A job that meets another node's lock (store.h, retry) on its first run. */
struct retry_job {
    struct test_job t;
    atomic_int runs;
    bool try_only_second; /* locks_try_only when it ran the second time */
};

static int retry_once_run(struct store *s, struct write_job *j)
{
    struct retry_job *r = (struct retry_job *)j;
    int n = atomic_fetch_add(&r->runs, 1);
    if (n == 1)
        r->try_only_second = s->locks_try_only;
    if (insert_run(s, j) < 0)
        return -1;
    if (n == 0) {
        s->retry = true;
        return -1;
    }
    return 0;
}

static void a_job_that_meets_another_nodes_lock_is_undone_and_runs_again_first(void **state)
{
    (void)state;
    struct fixture *f = setup("normal", 0);
    struct test_job a, c;
    struct retry_job r;
    job_init(&a, 1);
    job_init(&r.t, 2);
    atomic_init(&r.runs, 0);
    r.t.job.run = retry_once_run;
    job_init(&c, 3);
    assert_int_equal(writer_submit(f->w, &a.job), 0);
    assert_int_equal(writer_submit(f->w, &r.t.job), 0);
    assert_int_equal(writer_submit(f->w, &c.job), 0);
    wait_for(&a.done_calls, 1);
    wait_for(&r.t.done_calls, 1);
    wait_for(&c.done_calls, 1);
    assert_int_equal(atomic_load(&r.runs), 2);
    assert_false(r.try_only_second); /* first of its batch: it may wait for its locks */
    assert_int_equal(r.t.job.outcome, WRITE_COMMITTED);
    assert_int_equal(a.job.outcome, WRITE_COMMITTED);
    assert_int_equal(c.job.outcome, WRITE_COMMITTED);
    assert_int_equal(rows_with(f, 1), 1);
    assert_int_equal(rows_with(f, 2), 1); /* the first run's row was undone */
    assert_int_equal(rows_with(f, 3), 1);
    struct writer_stats st;
    writer_get_stats(f->w, &st);
    assert_int_equal(st.postponed, 1);
    assert_int_equal(atomic_load(&r.t.done_calls), 1);
    teardown(f);
}

/* Batches of three: the third job fills the batch, which ends the gathering, so the batch does
 * not depend on the gathering time (set past any wait here). */
static void journaled_jobs_are_gathered_into_one_batch(void **state)
{
    (void)state;
    struct fixture *f = setup("full", 3);
    writer_set_gather_ms(f->w, 600000);
    struct test_job j[3];
    for (int i = 0; i < 3; i++) {
        job_init(&j[i], 41 + i);
        j[i].job.journaled = true;
        assert_int_equal(writer_submit(f->w, &j[i].job), 0);
        if (i < 2) /* the writer waits for company instead of running the first alone */
            assert_false(becomes_set_within(&j[0].started, WINDOW_MS));
    }
    for (int i = 0; i < 3; i++) {
        wait_for(&j[i].done_calls, 1);
        assert_int_equal(j[i].job.outcome, WRITE_COMMITTED);
        assert_int_equal(rows_with(f, 41 + i), 1);
    }
    struct writer_stats st;
    writer_get_stats(f->w, &st);
    assert_int_equal(st.batches, 1);
    assert_int_equal(st.jobs, 3);
    teardown(f);
}

static void
a_job_queued_after_journaled_ones_ends_the_gathering_and_finds_them_applied(void **state)
{
    (void)state;
    struct fixture *f = setup("normal", 0);
    /* Past any wait here: the barrier is done within WAIT_MS only if it ends the gathering. */
    writer_set_gather_ms(f->w, 10 * WAIT_MS);
    struct test_job journaled, barrier;
    job_init(&journaled, 50);
    journaled.job.journaled = true;
    job_init(&barrier, 51);
    barrier.job.writes_nothing = true;
    assert_int_equal(writer_submit(f->w, &journaled.job), 0);
    assert_false(becomes_set_within(&journaled.started, WINDOW_MS)); /* it is gathering */
    assert_int_equal(writer_submit(f->w, &barrier.job), 0);
    wait_for(&barrier.done_calls, 1);
    /* done() of the journaled job ran before (or in the same batch as) the barrier's */
    assert_int_equal(atomic_load(&journaled.done_calls), 1);
    assert_int_equal(rows_with(f, 50), 1);
    teardown(f);
}

static void a_lone_journaled_job_is_applied_without_another_job(void **state)
{
    (void)state;
    struct fixture *f = setup("normal", 0);
    struct test_job j;
    job_init(&j, 60);
    j.job.journaled = true;
    assert_int_equal(writer_submit(f->w, &j.job), 0);
    wait_for(&j.done_calls, 1); /* after the gathering time, not never */
    assert_int_equal(rows_with(f, 60), 1);
    teardown(f);
}

static int held_insert_run(struct store *s, struct write_job *j)
{
    struct test_job *t = (struct test_job *)j;
    atomic_store(&t->started, 1);
    int64_t deadline = now_ms() + WAIT_MS;
    while (!atomic_load(&t->release) && now_ms() < deadline)
        usleep(200);
    return insert_run(s, j);
}

/* writer.c's COMMIT_SIBLINGS: a job waiting for company stops waiting once this many are queued. */
enum { COMMIT_SIBLINGS = 8 };

/* Job 0 (value 70) keeps the writer busy until A (71) is queued; returns once job 0 is done, with
 * A queued behind it. */
static void busy_writer_then_a(struct fixture *f, struct test_job *j0, struct test_job *a)
{
    job_init(j0, 70);
    j0->job.run = held_insert_run;
    job_init(a, 71);
    assert_int_equal(writer_submit(f->w, &j0->job), 0);
    wait_for(&j0->started, 1);
    assert_int_equal(writer_submit(f->w, &a->job), 0);
    atomic_store(&j0->release, 1);
    wait_for(&j0->done_calls, 1);
}

static void a_job_queued_while_the_writer_is_busy_waits_for_company(void **state)
{
    (void)state;
    struct fixture *f = setup("normal", 0);
    writer_set_commit_delay_us(f->w, 600 * 1000000); /* past any wait: only company ends it */
    struct test_job j0, a, company[COMMIT_SIBLINGS - 1];
    struct writer_stats before, after;
    writer_get_stats(f->w, &before);
    busy_writer_then_a(f, &j0, &a);
    assert_false(becomes_set_within(&a.started, WINDOW_MS)); /* A waits */
    for (int i = 0; i < COMMIT_SIBLINGS - 1; i++) {
        job_init(&company[i], 72);
        assert_int_equal(writer_submit(f->w, &company[i].job), 0);
    }
    wait_for(&a.done_calls, 1);
    for (int i = 0; i < COMMIT_SIBLINGS - 1; i++)
        wait_for(&company[i].done_calls, 1);
    writer_get_stats(f->w, &after);
    assert_int_equal(after.batches - before.batches, 2); /* job 0's, then A's with its company */
    assert_int_equal(rows_with(f, 71), 1);
    assert_int_equal(rows_with(f, 72), COMMIT_SIBLINGS - 1);
    teardown(f);
}

static void without_a_commit_delay_a_job_queued_while_the_writer_is_busy_goes_alone(void **state)
{
    (void)state;
    struct fixture *f = setup("normal", 0);
    writer_set_commit_delay_us(f->w, 0);
    struct test_job j0, a, b;
    struct writer_stats before, after;
    writer_get_stats(f->w, &before);
    busy_writer_then_a(f, &j0, &a);
    wait_for(&a.done_calls, 1); /* without B */
    job_init(&b, 72);
    assert_int_equal(writer_submit(f->w, &b.job), 0);
    wait_for(&b.done_calls, 1);
    writer_get_stats(f->w, &after);
    assert_int_equal(after.batches - before.batches, 3);
    assert_int_equal(rows_with(f, 71) + rows_with(f, 72), 2);
    teardown(f);
}

struct blob_job {
    struct write_job job;
    atomic_int *done;
};

static int blobs_run(struct store *s, struct write_job *j)
{
    (void)j;
    struct pd_err err;
    return store_exec(s, "INSERT INTO b (v) SELECT randomblob(3000) FROM sixteen", NULL, 0, NULL,
                      &err);
}

static void blobs_done(struct write_job *j)
{
    atomic_fetch_add(((struct blob_job *)j)->done, 1);
}

/* The log's header holds a checkpoint sequence number (bytes 12-15), one more each time the log
 * starts over. False when there is no log (yet). */
static bool wal_checkpoint_seq(const char *wal, uint32_t *seq)
{
    int fd = open(wal, O_RDONLY);
    if (fd < 0)
        return false;
    uint8_t header[16];
    bool ok = pread(fd, header, sizeof header, 0) == (ssize_t)sizeof header;
    close(fd);
    if (ok)
        *seq = (uint32_t)header[12] << 24 | (uint32_t)header[13] << 16 | (uint32_t)header[14] << 8 |
               header[15];
    return ok;
}

/* The log started over twice, and the writer finished checkpoints itself (what lets the log start
 * over) and counted them. */
static bool started_over_twice(struct writer *w, bool seen, uint32_t first_seq, uint32_t last_seq,
                               struct writer_stats *ws)
{
    writer_get_stats(w, ws);
    return seen && last_seq - first_seq >= 2 && ws->catch_ups >= 1 && ws->catch_up_frames > 0;
}

/* Under steady writes (jobs of 16 pages, 32 in flight) the writer finishes checkpoints itself and
 * so lets the log start over now and then (see checkpointer_main). The jobs go on until the log has
 * started over twice, for at most MAX_JOBS and WAIT_MS: how many that takes depends on how fast the
 * checkpoint passes run next to the writes, which depends on the machine's load. */
static void the_log_starts_over_under_steady_writes(void **state)
{
    (void)state;
    struct fixture *f = setup("normal", 0);
    struct pd_err err;
    struct store *s = store_open(f->url, false, &err);
    assert_non_null(s);
    assert_int_equal(
        s->ops->exec_script(s,
                            "CREATE TABLE b (v BLOB);"
                            "CREATE TABLE sixteen (n INTEGER);"
                            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1"
                            " FROM c WHERE n < 16) INSERT INTO sixteen SELECT n FROM c;",
                            &err),
        0);
    store_close(s);
    enum { MAX_JOBS = 18000, IN_FLIGHT = 32 };
    struct blob_job *jobs = calloc(MAX_JOBS, sizeof *jobs);
    assert_non_null(jobs);
    atomic_int done = 0;
    char wal[200];
    snprintf(wal, sizeof wal, "%s/w.db-wal", f->dir);
    uint32_t first_seq = 0, last_seq = 0;
    bool seen = false;
    int n = 0;
    int64_t deadline = now_ms() + WAIT_MS;
    struct writer_stats ws;
    for (; n < MAX_JOBS && now_ms() < deadline; n++) {
        if (started_over_twice(f->w, seen, first_seq, last_seq, &ws))
            break;
        jobs[n].job.run = blobs_run;
        jobs[n].job.done = blobs_done;
        jobs[n].job.keeps_links = true;
        jobs[n].done = &done;
        wait_for_at_least(&done, n - IN_FLIGHT + 1);
        assert_int_equal(writer_submit(f->w, &jobs[n].job), 0);
        if (wal_checkpoint_seq(wal, seen ? &last_seq : &first_seq) && !seen) {
            seen = true;
            last_seq = first_seq;
        }
    }
    wait_for(&done, n);
    for (int i = 0; i < n; i++)
        assert_int_equal(jobs[i].job.outcome, WRITE_COMMITTED);
    bool started_over = started_over_twice(f->w, seen, first_seq, last_seq, &ws);
    teardown(f);
    free(jobs);
    if (!started_over)
        fail_msg("in %d jobs the log started over %u times, the writer caught up %llu times"
                 " (%llu frames)",
                 n, last_seq - first_seq, (unsigned long long)ws.catch_ups,
                 (unsigned long long)ws.catch_up_frames);
}

/* In a fault-injection child: a job told anything means an answer could have been sent. */
static void exit_if_done(struct write_job *j)
{
    _exit(j->outcome == WRITE_COMMITTED ? 3 : 4);
}

static int big_row_run(struct store *s, struct write_job *j)
{
    (void)j;
    struct pd_err err;
    return store_exec(s, "INSERT INTO t (x) VALUES (randomblob(300000))", NULL, 0, NULL,
                      &err);
}

/* In a child of a database made by prepare("full"): starts the writer, lets arm() break the disk
 * (or not), submits one job (run), and waits for an answer it must never get. */
static void child_submits_one_job(struct fixture *f, int (*run)(struct store *, struct write_job *),
                                  bool (*arm)(void))
{
    struct pd_err err;
    f->w = writer_start(f->url, 0, 1, &err);
    if (!f->w)
        _exit(10);
    if (arm && !arm())
        _exit(11);
    static struct write_job job;
    job.run = run;
    job.done = exit_if_done;
    job.keeps_links = true;
    if (writer_submit(f->w, &job) < 0)
        _exit(12);
    sleep(10); /* the writer aborts long before */
    _exit(5);
}

static int value_7_run(struct store *s, struct write_job *j)
{
    (void)j;
    struct db_val v = db_int(7);
    struct pd_err err;
    return store_exec(s, "INSERT INTO t (x) VALUES (?1)", &v, 1, NULL, &err);
}

/* Fault injection (PARTNERD_TEST_FAIL_FLUSH=wal:1): the first fdatasync of the log fails after
 * the batch committed. Answering it with an error invites a retry that duplicates it; with
 * success, a lie (a later flush proves nothing): the process aborts before its job hears, and the
 * committed row is what the next start finds. In a child, since it dies. */
static void a_failed_flush_of_the_log_ends_the_process_before_any_answer(void **state)
{
    (void)state;
    struct fixture *f = prepare("full");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setenv(FLUSH_FAULT_ENV, "wal:1", 1) < 0)
            _exit(13);
        child_submits_one_job(f, value_7_run, NULL);
    }
    assert_child_aborted(pid);
    assert_int_equal(rows_with(f, 7), 1);
    teardown(f);
}

/* In the child: any write past 64 KiB of a file fails with EFBIG (SQLite: an I/O error). */
static bool limit_writes(void)
{
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = {64 << 10, RLIM_INFINITY};
    return setrlimit(RLIMIT_FSIZE, &lim) == 0;
}

/* Fault injection: the disk refuses the log's writes (RLIMIT_FSIZE), so SQLite reports an I/O
 * error for the batch. What reached the log is unknown (and SQLite may have rolled the
 * transaction back midway, leaving later savepoints to commit on their own): the process aborts
 * before the job hears. */
static void an_io_error_in_a_batch_ends_the_process_before_any_answer(void **state)
{
    (void)state;
    struct fixture *f = prepare("full");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        child_submits_one_job(f, big_row_run, limit_writes);
    assert_child_aborted(pid);
    teardown(f);
}

static int update_last_run(struct store *s, struct write_job *j)
{
    (void)j;
    struct pd_err err;
    return store_exec(s, "UPDATE big SET v = 1 WHERE rowid = (SELECT max(rowid) FROM big)", NULL,
                      0, NULL, &err);
}

static void ignore_done(struct write_job *j)
{
    (void)j;
}

/* Fault injection: the disk refuses writes past 64 KiB of a file, and the database file is larger
 * (50 rows of a page each, the last one near its end). A small update commits (its frame is near
 * the start of the log), and the checkpoint that copies it to the end of the database file gets
 * an I/O error: a page of the database may be lost, which a later checkpoint would take for
 * copied before starting the log over, so the process aborts. In a child, since it dies. */
static void an_io_error_in_a_checkpoint_ends_the_process(void **state)
{
    (void)state;
    struct fixture *f = prepare("full");
    /* Closing its connection checkpoints: the database file holds every page. */
    exec_script(f, "CREATE TABLE big (v BLOB);"
                   "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 50)"
                   " INSERT INTO big SELECT randomblob(4000) FROM c;");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct pd_err err;
        f->w = writer_start(f->url, 0, 1, &err);
        if (!f->w || !limit_writes())
            _exit(10);
        static struct write_job job = {
            .run = update_last_run, .done = ignore_done, .keeps_links = true};
        if (writer_submit(f->w, &job) < 0)
            _exit(12);
        sleep(10); /* the checkpointer runs every 100 ms */
        _exit(5);
    }
    assert_child_aborted(pid);
    teardown(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(submitted_jobs_commit_and_a_failing_one_undoes_only_itself),
        cmocka_unit_test(a_job_that_meets_another_nodes_lock_is_undone_and_runs_again_first),
        cmocka_unit_test(journaled_jobs_are_gathered_into_one_batch),
        cmocka_unit_test(
            a_job_queued_after_journaled_ones_ends_the_gathering_and_finds_them_applied),
        cmocka_unit_test(a_lone_journaled_job_is_applied_without_another_job),
        cmocka_unit_test(a_job_queued_while_the_writer_is_busy_waits_for_company),
        cmocka_unit_test(without_a_commit_delay_a_job_queued_while_the_writer_is_busy_goes_alone),
        cmocka_unit_test(the_log_starts_over_under_steady_writes),
        cmocka_unit_test(a_failed_flush_of_the_log_ends_the_process_before_any_answer),
        cmocka_unit_test(an_io_error_in_a_batch_ends_the_process_before_any_answer),
        cmocka_unit_test(an_io_error_in_a_checkpoint_ends_the_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
