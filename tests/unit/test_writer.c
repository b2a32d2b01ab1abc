/* Tests for src/store/writer.c on SQLite: group commit on the writer thread, a failing job undoing
 * only itself, jobs run on the caller's thread (writer_run_here: answered now with
 * synchronous=normal, after the fdatasync with synchronous=full), and a caller that finds the
 * connection in use told so instead of waiting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>

#include "store/store.h"
#include "store/writer.h"

struct test_job {
    struct write_job job;
    int64_t value;
    bool fail;               /* run() inserts, then asks for its savepoint to be undone */
    pthread_mutex_t *gate;   /* when set, run() waits until the test releases it */
    atomic_int started, done_calls;
};

static int insert_run(struct store *s, struct write_job *j)
{
    struct test_job *t = (struct test_job *)j;
    atomic_store(&t->started, 1);
    if (t->gate) {
        pthread_mutex_lock(t->gate);
        pthread_mutex_unlock(t->gate);
    }
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

static struct fixture *setup(const char *sync)
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
    f->w = writer_start(f->url, 0, &err);
    assert_non_null(f->w);
    return f;
}

static void teardown(struct fixture *f)
{
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

static void wait_for(atomic_int *counter, int target)
{
    for (int i = 0; i < 5000 && atomic_load(counter) < target; i++)
        usleep(1000);
    assert_int_equal(atomic_load(counter), target);
}

static void submitted_jobs_commit_and_a_failing_one_undoes_only_itself(void **state)
{
    (void)state;
    struct fixture *f = setup("normal");
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

static void run_here_answers_now_with_synchronous_normal(void **state)
{
    (void)state;
    struct fixture *f = setup("normal");
    assert_true(writer_can_run_here(f->w));
    struct test_job a, b;
    job_init(&a, 10);
    job_init(&b, 11);
    b.fail = true;
    a.job.next = &b.job;
    assert_int_equal(writer_run_here(f->w, &a.job), WRITER_ANSWER_NOW);
    assert_int_equal(a.job.outcome, WRITE_COMMITTED);
    assert_int_equal(b.job.outcome, WRITE_ROLLED_BACK);
    assert_int_equal(atomic_load(&a.done_calls), 0); /* the caller answers, not done() */
    assert_int_equal(rows_with(f, 10), 1);
    assert_int_equal(rows_with(f, 11), 0);
    teardown(f);
}

static void run_here_answers_after_the_fdatasync_with_synchronous_full(void **state)
{
    (void)state;
    struct fixture *f = setup("full");
    struct test_job a;
    job_init(&a, 20);
    assert_int_equal(writer_run_here(f->w, &a.job), WRITER_ANSWER_LATER);
    wait_for(&a.done_calls, 1);
    assert_int_equal(a.job.outcome, WRITE_COMMITTED);
    assert_int_equal(rows_with(f, 20), 1);
    teardown(f);
}

static void run_here_is_refused_while_the_writer_thread_holds_the_connection(void **state)
{
    (void)state;
    struct fixture *f = setup("normal");
    pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&gate);
    struct test_job slow, quick;
    job_init(&slow, 30);
    slow.gate = &gate;
    job_init(&quick, 31);
    assert_int_equal(writer_submit(f->w, &slow.job), 0);
    wait_for(&slow.started, 1); /* the writer thread is inside its batch */
    assert_int_equal(writer_run_here(f->w, &quick.job), WRITER_BUSY);
    assert_int_equal(atomic_load(&quick.started), 0); /* nothing of it ran */
    pthread_mutex_unlock(&gate);
    wait_for(&slow.done_calls, 1);
    assert_int_equal(writer_run_here(f->w, &quick.job), WRITER_ANSWER_NOW);
    assert_int_equal(quick.job.outcome, WRITE_COMMITTED);
    assert_int_equal(rows_with(f, 30), 1);
    assert_int_equal(rows_with(f, 31), 1);
    teardown(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(submitted_jobs_commit_and_a_failing_one_undoes_only_itself),
        cmocka_unit_test(run_here_answers_now_with_synchronous_normal),
        cmocka_unit_test(run_here_answers_after_the_fdatasync_with_synchronous_full),
        cmocka_unit_test(run_here_is_refused_while_the_writer_thread_holds_the_connection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
