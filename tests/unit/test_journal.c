/* Tests for src/store/journal.c: what is appended is replayed after a crash, in order; a torn or
 * corrupted tail and the records of an older use of a segment are not; segments are left, drained,
 * released and reused; with flush, waiters hear once the records are on disk; a write the disk
 * refuses counts for nothing and the journal goes on after it; a flush the disk fails ends the
 * process before any waiter hears, and the records are read back at the next open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fault_child.h"
#include "store/flush.h"
#include "store/journal.h"

struct dir {
    char path[64];
    char prefix[128];
};

static void dir_make(struct dir *d)
{
    snprintf(d->path, sizeof d->path, "/tmp/pd-test-journal-XXXXXX");
    assert_non_null(mkdtemp(d->path));
    snprintf(d->prefix, sizeof d->prefix, "%s/db-clicks", d->path);
}

static void dir_remove(struct dir *d)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", d->path);
    assert_int_equal(system(cmd), 0);
}

/* What a replay saw: the records' first bytes as numbers, and their lengths. */
struct seen {
    size_t n;
    uint32_t tag[4096];
    size_t len[4096];
};

static int collect(void *arg, const uint8_t *p, size_t len)
{
    struct seen *s = arg;
    assert_true(s->n < 4096);
    uint32_t tag = 0;
    memcpy(&tag, p, len < 4 ? len : 4);
    s->tag[s->n] = tag;
    s->len[s->n++] = len;
    return 0;
}

/* n records tagged first, first + 1, ... each len bytes long (len ≥ 4). */
static void append_tagged(struct journal *j, uint32_t first, size_t n, size_t len,
                          struct journal_waiter *w, uint32_t *segment)
{
    uint8_t *bufs = calloc(n, len);
    const uint8_t *p[64];
    size_t l[64];
    assert_true(n <= 64 && bufs);
    for (size_t i = 0; i < n; i++) {
        uint32_t tag = first + (uint32_t)i;
        memcpy(bufs + i * len, &tag, 4);
        memset(bufs + i * len + 4, (int)(tag & 0xff), len - 4);
        p[i] = bufs + i * len;
        l[i] = len;
    }
    struct pd_err err;
    assert_int_equal(journal_append(j, p, l, n, w, segment, &err), 0);
    free(bufs);
}

static struct journal *open_journal(struct dir *d, bool flush)
{
    struct pd_err err = {0};
    struct journal *j = journal_open(d->prefix, flush, NULL, NULL, &err);
    if (!j)
        fail_msg("journal_open: %s", err.message);
    return j;
}

static void replay(struct journal *j, struct seen *s)
{
    struct pd_err err;
    memset(s, 0, sizeof *s);
    assert_int_equal(journal_replay(j, collect, s, &err), 0);
}

static void appended_records_are_replayed_in_order_after_a_crash(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct journal *j = open_journal(&d, false);
    struct seen s;
    replay(j, &s);
    assert_int_equal(s.n, 0); /* a new journal holds nothing */
    uint32_t seg;
    append_tagged(j, 100, 3, 40, NULL, &seg);
    append_tagged(j, 103, 1, 7, NULL, &seg);
    append_tagged(j, 104, 2, 300, NULL, &seg);
    journal_close(j); /* as after kill -9: nothing was forgotten */
    j = open_journal(&d, false);
    replay(j, &s);
    assert_int_equal(s.n, 6);
    for (uint32_t i = 0; i < 6; i++)
        assert_int_equal(s.tag[i], 100 + i);
    assert_int_equal(s.len[3], 7);
    assert_int_equal(s.len[5], 300);
    /* forgotten once the database has them: nothing the next time */
    struct pd_err err;
    assert_int_equal(journal_forget_all(j, &err), 0);
    journal_close(j);
    j = open_journal(&d, false);
    replay(j, &s);
    assert_int_equal(s.n, 0);
    journal_close(j);
    dir_remove(&d);
}

static void a_corrupted_record_ends_the_replay(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct journal *j = open_journal(&d, false);
    uint32_t seg;
    append_tagged(j, 1, 4, 100, NULL, &seg);
    journal_close(j);
    /* flip one payload byte of the third record, as a torn write would leave it */
    char path[160];
    snprintf(path, sizeof path, "%s.%u", d.prefix, seg);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    off_t at = 2 * (JOURNAL_RECORD_HEADER + 100) + JOURNAL_RECORD_HEADER + 50;
    uint8_t b;
    assert_int_equal(pread(fd, &b, 1, at), 1);
    b ^= 0x40;
    assert_int_equal(pwrite(fd, &b, 1, at), 1);
    close(fd);
    j = open_journal(&d, false);
    struct seen s;
    replay(j, &s);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.tag[1], 2);
    journal_close(j);
    dir_remove(&d);
}

static void records_of_an_older_use_of_a_segment_are_not_replayed(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct journal *j = open_journal(&d, false);
    uint32_t seg_a, seg_b;
    append_tagged(j, 1, 5, 64, NULL, &seg_a);
    struct pd_err err;
    assert_int_equal(journal_forget_all(j, &err), 0);
    append_tagged(j, 50, 2, 64, NULL, &seg_b); /* over the first two of the older five */
    assert_int_equal(seg_a, seg_b);
    journal_close(j);
    j = open_journal(&d, false);
    struct seen s;
    replay(j, &s);
    assert_int_equal(s.n, 2); /* not the three older records that follow in the file */
    assert_int_equal(s.tag[0], 50);
    assert_int_equal(s.tag[1], 51);
    journal_close(j);
    dir_remove(&d);
}

struct drain_log {
    atomic_int calls;
    uint32_t last;
};

static void note_drained(void *arg, struct journal *j, uint32_t segment)
{
    (void)j;
    struct drain_log *l = arg;
    l->last = segment;
    atomic_fetch_add(&l->calls, 1);
}

static void a_full_segment_is_left_drained_released_and_reused(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct drain_log log = {0};
    struct pd_err err = {0};
    struct journal *j = journal_open(d.prefix, false, note_drained, &log, &err);
    assert_non_null(j);
    const size_t len = 60000;
    const size_t per_segment = JOURNAL_SEGMENT_BYTES / (JOURNAL_RECORD_HEADER + len);
    uint32_t first, seg;
    append_tagged(j, 0, 1, len, NULL, &first);
    for (size_t i = 1; i < per_segment; i++) {
        append_tagged(j, (uint32_t)i, 1, len, NULL, &seg);
        assert_int_equal(seg, first);
    }
    append_tagged(j, 9999, 1, len, NULL, &seg); /* does not fit: the next segment */
    assert_int_not_equal(seg, first);
    assert_int_equal(atomic_load(&log.calls), 0); /* none of the first is applied yet */
    journal_applied(j, first, per_segment - 1);
    assert_int_equal(atomic_load(&log.calls), 0);
    journal_applied(j, first, 1);
    assert_int_equal(atomic_load(&log.calls), 1);
    assert_int_equal(log.last, first);
    journal_release(j, first);
    /* the active one is not drained by being applied; the released one is used next */
    journal_applied(j, seg, 1);
    assert_int_equal(atomic_load(&log.calls), 1);
    uint32_t next;
    for (size_t i = 1; i < per_segment; i++)
        append_tagged(j, (uint32_t)(20000 + i), 1, len, NULL, &next);
    append_tagged(j, 30000, 1, len, NULL, &next);
    assert_int_equal(next, first);
    struct journal_stats st;
    journal_get_stats(j, &st);
    assert_int_equal(st.segments, 2); /* no third file was needed */
    assert_int_equal(st.pending, per_segment);
    journal_close(j);
    /* a crash now: the unapplied records of the second segment, then the one in the first */
    j = open_journal(&d, false);
    struct seen *s = calloc(1, sizeof *s);
    assert_non_null(s);
    replay(j, s);
    assert_int_equal(s->n, per_segment + 1);
    assert_int_equal(s->tag[0], 9999);
    assert_int_equal(s->tag[per_segment], 30000);
    free(s);
    journal_close(j);
    dir_remove(&d);
}

struct flag_waiter {
    struct journal_waiter w;
    atomic_int calls, ok;
};

static void note_durable(struct journal_waiter *w, bool ok)
{
    struct flag_waiter *f = (struct flag_waiter *)w;
    atomic_store(&f->ok, ok);
    atomic_fetch_add(&f->calls, 1);
}

static void with_flush_the_waiter_hears_once_the_records_are_on_disk(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct journal *j = open_journal(&d, true);
    struct flag_waiter f[3];
    memset(f, 0, sizeof f);
    uint32_t seg;
    for (int i = 0; i < 3; i++) {
        f[i].w.durable = note_durable;
        append_tagged(j, (uint32_t)i, 2, 32, &f[i].w, &seg);
    }
    for (int i = 0; i < 3; i++) {
        for (int k = 0; k < 5000 && atomic_load(&f[i].calls) == 0; k++)
            usleep(1000);
        assert_int_equal(atomic_load(&f[i].calls), 1);
        assert_int_equal(atomic_load(&f[i].ok), 1);
    }
    struct journal_stats st;
    journal_get_stats(j, &st);
    assert_true(st.flushes >= 1);
    assert_int_equal(st.records, 6);
    journal_close(j);
    dir_remove(&d);
}

/* With flush, appends that fill several segments in a row: the segments left behind are flushed
 * by the flushing threads (not by the appending thread), and every waiter still hears, once, with
 * every record kept in order. */
static void with_flush_appends_across_segments_are_all_made_durable(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct journal *j = open_journal(&d, true);
    enum { APPENDS = 30, PER = 16, LEN = 60000 };
    static struct flag_waiter f[APPENDS];
    memset(f, 0, sizeof f);
    uint32_t seg, first_seg = 0;
    for (int i = 0; i < APPENDS; i++) {
        f[i].w.durable = note_durable;
        append_tagged(j, (uint32_t)(i * PER), PER, LEN, &f[i].w, &seg);
        if (i == 0)
            first_seg = seg;
    }
    assert_int_not_equal(seg, first_seg); /* the appends did leave segments behind */
    for (int i = 0; i < APPENDS; i++) {
        for (int k = 0; k < 10000 && atomic_load(&f[i].calls) == 0; k++)
            usleep(1000);
        assert_int_equal(atomic_load(&f[i].calls), 1);
        assert_int_equal(atomic_load(&f[i].ok), 1);
    }
    journal_close(j);
    j = open_journal(&d, true);
    static struct seen s;
    replay(j, &s);
    assert_int_equal(s.n, APPENDS * PER);
    for (uint32_t i = 0; i < APPENDS * PER; i++)
        assert_int_equal(s.tag[i], i);
    journal_close(j);
    dir_remove(&d);
}

static void oversized_appends_are_refused_and_write_nothing(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct journal *j = open_journal(&d, false);
    uint8_t *big = calloc(1, JOURNAL_RECORD_MAX + 1);
    assert_non_null(big);
    const uint8_t *p[1] = {big};
    size_t l[1] = {JOURNAL_RECORD_MAX + 1};
    uint32_t seg;
    struct pd_err err;
    assert_int_equal(journal_append(j, p, l, 1, NULL, &seg, &err), -1);
    l[0] = 0;
    assert_int_equal(journal_append(j, p, l, 1, NULL, &seg, &err), -1);
    free(big);
    journal_close(j);
    j = open_journal(&d, false);
    struct seen s;
    replay(j, &s);
    assert_int_equal(s.n, 0);
    journal_close(j);
    dir_remove(&d);
}

/* In a fault-injection child: any write past `bytes` of a file fails with EFBIG (not SIGXFSZ);
 * RLIM_INFINITY lifts it. false when the limit cannot be set. */
static bool limit_file_size(rlim_t bytes)
{
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = {bytes, RLIM_INFINITY};
    return setrlimit(RLIMIT_FSIZE, &lim) == 0;
}

/* The fault-injection child's exit status, then what a replay of its journal reads: the records
 * tagged 0 .. accepted - 1, then the one tagged 1000 appended once the disk recovered. */
static int child_status(pid_t pid)
{
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void assert_replays_accepted_then_recovered(struct dir *d, int accepted)
{
    struct journal *j = open_journal(d, false);
    struct seen s;
    replay(j, &s);
    assert_int_equal(s.n, (size_t)accepted + 1);
    for (int i = 0; i < accepted; i++)
        assert_int_equal(s.tag[i], (uint32_t)i);
    assert_int_equal(s.tag[accepted], 1000);
    journal_close(j);
}

/* Fault injection, with flush (appends are written with pwrite): the disk refuses a write
 * (RLIMIT_FSIZE makes any write past 8 KiB fail with EFBIG). The append is refused, nothing of it
 * counts, and the next append after the disk recovers continues where the refused one began, so the
 * replay reads every record that was accepted and nothing torn between them. In a child, since the
 * limit is per process. */
static void a_refused_write_counts_for_nothing_and_the_journal_goes_on(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct journal *j = open_journal(&d, true); /* the segments are made before the limit */
    journal_close(j);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct journal *k = open_journal(&d, true);
        static struct flag_waiter fw[16];
        if (!limit_file_size(8192))
            _exit(10);
        uint8_t rec[1000];
        const uint8_t *p[1] = {rec};
        size_t l[1] = {sizeof rec};
        uint32_t seg;
        struct pd_err err;
        uint32_t tag = 0;
        int accepted = 0;
        for (;; tag++) {
            memcpy(rec, &tag, 4);
            if (tag == 15)
                _exit(11); /* nothing refused */
            fw[tag].w.durable = note_durable;
            if (journal_append(k, p, l, 1, &fw[tag].w, &seg, &err) < 0)
                break;
            accepted++;
        }
        if (accepted < 5 || accepted > 8)
            _exit(11); /* 8 KiB hold 8 records of 1016 bytes, the 9th is refused */
        if (!limit_file_size(RLIM_INFINITY))
            _exit(12);
        tag = 1000;
        memcpy(rec, &tag, 4);
        fw[15].w.durable = note_durable;
        if (journal_append(k, p, l, 1, &fw[15].w, &seg, &err) < 0)
            _exit(13);
        journal_close(k);
        _exit(accepted);
    }
    int accepted = child_status(pid);
    assert_in_range(accepted, 5, 8);
    assert_replays_accepted_then_recovered(&d, accepted);
    dir_remove(&d);
}

/* Fault injection: the disk refuses a new segment (RLIMIT_FSIZE makes any write past 8 KiB fail
 * with EFBIG). Appends go into segments already made (their space is written when they are made,
 * so an append never needs more disk); the append that needs a new one is refused, nothing of it
 * counts, and the next append after the disk recovers makes the segment and goes on, so the
 * replay reads every record that was accepted and nothing else. In a child, since the limit is per
 * process. */
static void a_refused_segment_counts_for_nothing_and_the_journal_goes_on(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct journal *j = open_journal(&d, false); /* the segments are made before the limit */
    journal_close(j);
    const size_t len = JOURNAL_RECORD_MAX;
    const int fit = 2 * (int)(JOURNAL_SEGMENT_BYTES / (JOURNAL_RECORD_HEADER + len));
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct journal *k = open_journal(&d, false);
        if (!limit_file_size(8192))
            _exit(10);
        uint8_t *rec = calloc(1, len);
        if (!rec)
            _exit(14);
        const uint8_t *p[1] = {rec};
        size_t l[1] = {len};
        uint32_t seg;
        struct pd_err err;
        uint32_t tag = 0;
        int accepted = 0;
        for (;; tag++) {
            memcpy(rec, &tag, 4);
            if (journal_append(k, p, l, 1, NULL, &seg, &err) < 0)
                break;
            if (++accepted > fit)
                _exit(11); /* a third segment was made past the limit */
        }
        if (!limit_file_size(RLIM_INFINITY))
            _exit(12);
        tag = 1000;
        memcpy(rec, &tag, 4);
        if (journal_append(k, p, l, 1, NULL, &seg, &err) < 0)
            _exit(13);
        journal_close(k);
        free(rec);
        _exit(accepted == fit ? 0 : 15);
    }
    assert_int_equal(child_status(pid), 0);
    assert_replays_accepted_then_recovered(&d, fit);
    dir_remove(&d);
}

/* In the fault-injection child: a waiter told anything means an answer could have been sent. */
static void exit_if_told(struct journal_waiter *w, bool ok)
{
    (void)w;
    _exit(ok ? 3 : 4);
}

/* Fault injection, with flush: the first fdatasync fails (PARTNERD_TEST_FAIL_FLUSH=journal:1).
 * The appended records may have been handed on already, and a later flush proves nothing about
 * them, so the process aborts before the waiter hears either way; the next open replays them. In
 * a child, since it dies. */
static void a_failed_flush_ends_the_process_before_any_waiter_hears(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setenv(FLUSH_FAULT_ENV, "journal:1", 1) < 0)
            _exit(10);
        struct journal *k = open_journal(&d, true);
        static struct journal_waiter w = {.durable = exit_if_told};
        uint32_t seg;
        append_tagged(k, 7, 3, 64, &w, &seg);
        sleep(10); /* the flusher aborts long before */
        _exit(5);
    }
    assert_child_aborted(pid);
    struct journal *j = open_journal(&d, true);
    struct seen s;
    replay(j, &s);
    assert_int_equal(s.n, 3);
    for (uint32_t i = 0; i < 3; i++)
        assert_int_equal(s.tag[i], 7 + i);
    journal_close(j);
    dir_remove(&d);
}

static void crc32c_matches_the_known_check_value(void **state)
{
    (void)state;
    /* the standard check: CRC-32C of "123456789" */
    assert_int_equal(journal_crc32c(0, (const uint8_t *)"123456789", 9), 0xE3069283u);
    assert_int_equal(journal_crc32c_portable(0, (const uint8_t *)"123456789", 9), 0xE3069283u);
    /* The CPU's instruction (where used) and the table agree at every length and alignment,
     * also when continued from an earlier value. */
    uint8_t data[300];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 131 + 7);
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; off + n <= sizeof data; n += 13) {
            uint32_t seed = (uint32_t)(n * 2654435761u);
            assert_int_equal(journal_crc32c(seed, data + off, n),
                             journal_crc32c_portable(seed, data + off, n));
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(appended_records_are_replayed_in_order_after_a_crash),
        cmocka_unit_test(a_corrupted_record_ends_the_replay),
        cmocka_unit_test(records_of_an_older_use_of_a_segment_are_not_replayed),
        cmocka_unit_test(a_full_segment_is_left_drained_released_and_reused),
        cmocka_unit_test(with_flush_the_waiter_hears_once_the_records_are_on_disk),
        cmocka_unit_test(with_flush_appends_across_segments_are_all_made_durable),
        cmocka_unit_test(oversized_appends_are_refused_and_write_nothing),
        cmocka_unit_test(a_refused_write_counts_for_nothing_and_the_journal_goes_on),
        cmocka_unit_test(a_refused_segment_counts_for_nothing_and_the_journal_goes_on),
        cmocka_unit_test(a_failed_flush_ends_the_process_before_any_waiter_hears),
        cmocka_unit_test(crc32c_matches_the_known_check_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
