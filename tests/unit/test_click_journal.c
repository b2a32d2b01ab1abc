/* Tests for src/app/click_codec.c, src/app/click_journal.c and the batches of src/app/clicks.c: a
 * click survives the trip through its journal record unchanged; malformed records are refused;
 * after a crash the replay writes each journaled click the database lacks exactly once, with its
 * uniqueness and rollup, and then forgets the journal; a clean stop never forgets a click the
 * database does not have; a batch stores, adds up and decides uniqueness as single clicks do. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/click_codec.h"
#include "app/click_journal.h"
#include "app/clicks.h"
#include "store/journal.h"
#include "store/store.h"

static void sample_click(struct click *c, const char *id, int64_t at, uint64_t fingerprint)
{
    memset(c, 0, sizeof *c);
    snprintf(c->id, sizeof c->id, "%s", id);
    c->program_id = "prg_01M8HRFEDHYQH4W081S7TS3RFH";
    c->partner_id = "ptn_01M8HRFEDHYQH4W081S7TS3RFH";
    c->link_id = "lnk_01M8HRFEDHYQH4W081S7TS3RFH";
    c->ip = "203.0.113.0";
    c->user_agent = "Mozilla/5.0 (X11; Linux x86_64)";
    c->referrer = NULL;
    c->landing_url = NULL;
    c->sub[0] = "spring";
    c->sub[4] = "";
    c->fingerprint = fingerprint;
    c->agent_id = 123456789;
    c->referrer_id = 0;
    c->created_at = at;
}

static void assert_same_text(const char *a, const char *b)
{
    if (!a || !b)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static void a_click_survives_its_record_unchanged(void **state)
{
    (void)state;
    struct click c, d;
    sample_click(&c, "01M8HRFEDHYQH4W081S7TS3RFH", 1700000000123, 0xfedcba9876543210ULL);
    c.bot = true;
    c.over_limit = true;
    uint8_t rec[1024];
    size_t len = click_encode(&c, rec, sizeof rec);
    assert_true(len > 0);
    char strings[1024];
    assert_int_equal(click_decode(rec, len, &d, strings, len), 0);
    assert_string_equal(d.id, c.id);
    assert_same_text(d.program_id, c.program_id);
    assert_same_text(d.partner_id, c.partner_id);
    assert_same_text(d.link_id, c.link_id);
    assert_same_text(d.ip, c.ip);
    assert_same_text(d.user_agent, c.user_agent);
    assert_null(d.referrer);
    assert_null(d.landing_url);
    for (int i = 0; i < 5; i++)
        assert_same_text(d.sub[i], c.sub[i]); /* NULL stays NULL, "" stays "" */
    assert_true(d.bot);
    assert_true(d.over_limit);
    assert_true(d.fingerprint == c.fingerprint);
    assert_true(d.agent_id == c.agent_id && d.referrer_id == 0);
    assert_true(d.created_at == c.created_at);
    /* too small a buffer: nothing */
    assert_int_equal(click_encode(&c, rec, len - 1), 0);
}

static void malformed_records_are_refused(void **state)
{
    (void)state;
    struct click c, d;
    sample_click(&c, "01M8HRFEDHYQH4W081S7TS3RFH", 1, 2);
    uint8_t rec[1024];
    size_t len = click_encode(&c, rec, sizeof rec);
    char strings[1024];
    for (size_t cut = 0; cut < len; cut++) /* every truncation */
        assert_int_equal(click_decode(rec, cut, &d, strings, sizeof strings), -1);
    uint8_t longer[1025];
    memcpy(longer, rec, len);
    longer[len] = 0;
    assert_int_equal(click_decode(longer, len + 1, &d, strings, sizeof strings), -1);
    rec[0] = 2; /* an unknown version */
    assert_int_equal(click_decode(rec, len, &d, strings, sizeof strings), -1);
    rec[0] = 1;
    rec[1] = 7; /* bot is 0 or 1 */
    assert_int_equal(click_decode(rec, len, &d, strings, sizeof strings), -1);
    /* a click without its link */
    c.link_id = NULL;
    len = click_encode(&c, rec, sizeof rec);
    assert_int_equal(click_decode(rec, len, &d, strings, sizeof strings), -1);
}

static int64_t count(struct store *s, const char *sql)
{
    struct pd_err err;
    int64_t n = -1;
    assert_int_equal(store_query_int(s, sql, NULL, 0, 0, &n, &err), 0);
    return n;
}

/* A fresh directory dir (char[64]) with a migrated database t.db opened with the URL's options. */
static struct store *open_store_in(char *dir, const char *options)
{
    snprintf(dir, 64, "/tmp/pd-test-click-journal-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char url[160];
    snprintf(url, sizeof url, "sqlite:%s/t.db%s", dir, options);
    struct pd_err err = {0};
    struct store *s = store_open(url, false, &err);
    assert_non_null(s);
    assert_true(store_migrate(s, &err) >= 0);
    return s;
}

static void remove_dir(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void replay_writes_each_missing_click_once_then_forgets(void **state)
{
    (void)state;
    char dir[64], prefix[128];
    struct store *s = open_store_in(dir, "");
    snprintf(prefix, sizeof prefix, "%s/t.db-clicks", dir);
    struct pd_err err = {0};
    /* three clicks journaled; the first also reached the database before the crash */
    struct click c[3];
    sample_click(&c[0], "01M8HRFEDHYQH4W081S7TS3RF0", 1700000000000, 11);
    sample_click(&c[1], "01M8HRFEDHYQH4W081S7TS3RF1", 1700000000001, 11); /* same visitor */
    sample_click(&c[2], "01M8HRFEDHYQH4W081S7TS3RF2", 1700000000002, 22);
    struct journal *j = journal_open(prefix, false, NULL, NULL, &err);
    assert_non_null(j);
    uint8_t rec[3][1024];
    const uint8_t *p[3];
    size_t len[3];
    for (int i = 0; i < 3; i++) {
        len[i] = click_encode(&c[i], rec[i], sizeof rec[i]);
        p[i] = rec[i];
    }
    uint32_t seg;
    assert_int_equal(journal_append(j, p, len, 3, NULL, &seg, &err), 0);
    journal_close(j);
    assert_int_equal(store_begin(s, &err), 0);
    assert_int_equal(click_record(s, &c[0], &err), 0);
    assert_int_equal(store_commit(s, &err), 0);

    j = journal_open(prefix, false, NULL, NULL, &err);
    assert_non_null(j);
    size_t replayed = 0;
    assert_int_equal(click_journal_replay(j, s, &replayed, &err), 0);
    assert_int_equal(replayed, 2);
    assert_int_equal(count(s, "SELECT count(*) FROM click_log"), 3);
    assert_int_equal(count(s, "SELECT count(DISTINCT id) FROM click_log"), 3);
    /* uniqueness in journal order: the second click of the same visitor is not unique */
    assert_int_equal(count(s, "SELECT sum(is_unique) FROM click_log"), 2);
    assert_int_equal(count(s, "SELECT sum(clicks) FROM daily_stats"), 3);
    assert_int_equal(count(s, "SELECT sum(unique_clicks) FROM daily_stats"), 2);
    /* forgotten: a second start replays nothing */
    journal_close(j);
    j = journal_open(prefix, false, NULL, NULL, &err);
    assert_non_null(j);
    assert_int_equal(click_journal_replay(j, s, &replayed, &err), 0);
    assert_int_equal(replayed, 0);
    assert_int_equal(count(s, "SELECT count(*) FROM click_log"), 3);
    journal_close(j);
    store_close(s);
    remove_dir(dir);
}

/* A batch of 300 clicks over 100 links, two days, 120 user agents and 40 referrers (more than the
 * batch's tables hold before they grow): every click is stored, every (link, day) rollup row adds
 * up, and every text is there once. */
static void a_batch_adds_up_every_link_and_day_and_keeps_every_text(void **state)
{
    (void)state;
    char dir[64];
    struct store *s = open_store_in(dir, "");
    struct pd_err err = {0};
    enum { N = 300 };
    static struct click c[N];
    static char ids[N][32], links[N][40], agents[N][48], referrers[N][48];
    struct click *batch[N];
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "01M8HRFEDHYQH4W081S7T%05d", i);
        sample_click(&c[i], ids[i], 1700000000000 + (i < 150 ? 0 : 86400000), (uint64_t)i);
        snprintf(links[i], sizeof links[i], "lnk_%03d", i % 100);
        c[i].link_id = links[i];
        snprintf(agents[i], sizeof agents[i], "agent %d", i % 120);
        c[i].user_agent = agents[i];
        c[i].agent_id = 1000 + i % 120;
        if (i % 3 == 0) {
            snprintf(referrers[i], sizeof referrers[i], "https://ref%d.example/", i % 40);
            c[i].referrer = referrers[i];
            c[i].referrer_id = 5000 + i % 40;
        }
        batch[i] = &c[i];
    }
    assert_int_equal(store_begin(s, &err), 0);
    assert_int_equal(click_record_many(s, batch, N, &err), 0);
    assert_int_equal(store_commit(s, &err), 0);
    assert_int_equal(count(s, "SELECT count(*) FROM click_log"), N);
    assert_int_equal(count(s, "SELECT count(*) FROM daily_stats"), 200);
    assert_int_equal(count(s, "SELECT sum(clicks) FROM daily_stats"), N);
    assert_int_equal(count(s, "SELECT sum(unique_clicks) FROM daily_stats"),
                     N); /* visitors differ */
    /* day one: links 0-49 twice (clicks 0-49 and 100-149); day two: links 50-99 twice */
    assert_int_equal(count(s, "SELECT count(*) FROM daily_stats WHERE clicks = 2 AND"
                              " ((day = 19675 AND link_id < 'lnk_050') OR"
                              " (day = 19676 AND link_id >= 'lnk_050'))"),
                     100);
    assert_int_equal(count(s, "SELECT count(*) FROM daily_stats WHERE clicks = 1"), 100);
    assert_int_equal(count(s, "SELECT count(*) FROM click_texts"), 160);
    assert_int_equal(
        count(s, "SELECT count(*) FROM click_log c JOIN click_texts t"
                 " ON t.id = c.agent AND t.text = 'agent ' || ((1 * substr(c.id, 22)) % 120)"),
        N);
    store_close(s);
    remove_dir(dir);
}

static uint64_t next_random(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void exec_window(struct store *s, int64_t fingerprint, int64_t last_at)
{
    struct pd_err err;
    struct db_val v[2] = {db_int(fingerprint), db_int(last_at)};
    assert_int_equal(store_exec(s,
                                "INSERT INTO click_fingerprints (fingerprint, last_at)"
                                " VALUES (?1, ?2)",
                                v, 2, NULL, &err),
                     0);
}

/* A batch decides uniqueness as click_record one click at a time does, also when a visitor's
 * window ends or starts within the batch: 600 clicks of 8 visitors (6 with windows already open,
 * some about to end), gaps of up to 6 hours, bots and clicks over the rate limit among them, in
 * batches of random sizes. */
static void a_batch_decides_uniqueness_as_one_click_at_a_time(void **state)
{
    (void)state;
    char dir_one[64], dir_many[64];
    struct store *one = open_store_in(dir_one, ""), *many = open_store_in(dir_many, "");
    enum { N = 600, VISITORS = 8 };
    static struct click c[N];
    static char ids[N][32];
    static bool unique_one[N];
    struct click *batch[N];
    uint64_t rnd = 0x9e3779b97f4a7c15ULL;
    const int64_t t0 = 1700000000000;
    for (int v = 0; v < 6; v++) {
        int64_t last_at = t0 - (int64_t)(next_random(&rnd) % (30 * 3600000ULL));
        exec_window(one, 1000 + v, last_at);
        exec_window(many, 1000 + v, last_at);
    }
    int64_t t = t0;
    for (int i = 0; i < N; i++) {
        t += next_random(&rnd) % 50 == 0 ? (int64_t)(next_random(&rnd) % (6 * 3600000ULL))
                                         : (int64_t)(next_random(&rnd) % 1000);
        snprintf(ids[i], sizeof ids[i], "01M8HRFEDHYQH4W081S7T%05d", i);
        sample_click(&c[i], ids[i], t, 1000 + next_random(&rnd) % VISITORS);
        c[i].bot = next_random(&rnd) % 10 == 0;
        c[i].over_limit = next_random(&rnd) % 15 == 0;
        batch[i] = &c[i];
    }
    struct pd_err err;
    assert_int_equal(store_begin(one, &err), 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(click_record(one, &c[i], &err), 0);
        unique_one[i] = c[i].unique;
    }
    assert_int_equal(store_commit(one, &err), 0);
    assert_int_equal(store_begin(many, &err), 0);
    for (size_t i = 0, k; i < N; i += k) {
        k = 1 + next_random(&rnd) % 200;
        if (k > N - i)
            k = N - i;
        assert_int_equal(click_record_many(many, batch + i, k, &err), 0);
    }
    assert_int_equal(store_commit(many, &err), 0);
    int uniques = 0;
    for (int i = 0; i < N; i++) {
        assert_int_equal(c[i].unique, unique_one[i]);
        uniques += unique_one[i];
    }
    assert_in_range(uniques, 10, N / 2); /* windows did start and end within the run */
    assert_int_equal(count(many, "SELECT sum(is_unique) FROM click_log"), uniques);
    /* the windows still open at the end are the same (the batches also swept closed ones) */
    char open_windows[160];
    snprintf(open_windows, sizeof open_windows,
             "SELECT count(*) * 1000003 + sum(last_at %% 1000003) FROM click_fingerprints"
             " WHERE last_at > %lld",
             (long long)(t - UNIQUE_WINDOW_MS));
    assert_int_equal(count(many, open_windows), count(one, open_windows));
    store_close(one);
    store_close(many);
    remove_dir(dir_one);
    remove_dir(dir_many);
}

static void a_clean_stop_keeps_clicks_the_database_does_not_have(void **state)
{
    (void)state;
    char dir[64];
    struct store *s = open_store_in(dir, "?synchronous=normal"); /* no flush waiter */
    struct pd_err err = {0};
    size_t replayed = 9;
    struct click_journal *cj = click_journal_open(s, &replayed, &err);
    assert_non_null(cj);
    assert_int_equal(replayed, 0);
    /* journaled, never applied (as when the database refused it) */
    struct click c;
    sample_click(&c, "01M8HRFEDHYQH4W081S7TS3RF9", 1700000000000, 33);
    uint8_t rec[1024];
    const uint8_t *p[1] = {rec};
    size_t len[1] = {click_encode(&c, rec, sizeof rec)};
    uint32_t seg;
    assert_int_equal(journal_append(cj->journal, p, len, 1, NULL, &seg, &err), 0);
    click_journal_close(cj);
    assert_int_equal(count(s, "SELECT count(*) FROM click_log"), 0);
    cj = click_journal_open(s, &replayed, &err); /* the next start */
    assert_non_null(cj);
    assert_int_equal(replayed, 1);
    assert_int_equal(count(s, "SELECT count(*) FROM click_log"), 1);
    click_journal_close(cj);
    store_close(s);
    remove_dir(dir);
}

static void a_second_process_cannot_take_the_journal(void **state)
{
    (void)state;
    char dir[64], prefix[128];
    snprintf(dir, sizeof dir, "/tmp/pd-test-click-journal-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(prefix, sizeof prefix, "%s/x-clicks", dir);
    struct pd_err err = {0};
    struct journal *j = journal_open(prefix, false, NULL, NULL, &err);
    assert_non_null(j);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* flock is per open file: a child opening the journal anew is refused */
        struct pd_err e2 = {0};
        struct journal *k = journal_open(prefix, false, NULL, NULL, &e2);
        _exit(k == NULL && e2.kind == PD_ERR_CONFLICT ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    journal_close(j);
    remove_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_click_survives_its_record_unchanged),
        cmocka_unit_test(malformed_records_are_refused),
        cmocka_unit_test(replay_writes_each_missing_click_once_then_forgets),
        cmocka_unit_test(a_batch_adds_up_every_link_and_day_and_keeps_every_text),
        cmocka_unit_test(a_batch_decides_uniqueness_as_one_click_at_a_time),
        cmocka_unit_test(a_clean_stop_keeps_clicks_the_database_does_not_have),
        cmocka_unit_test(a_second_process_cannot_take_the_journal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
