/* The click journal's use on the click path (app/click_journal.h): appended clicks handed to the
 * writer as journaled jobs, the segments released once the database has their clicks durably,
 * and the replay at start. Invariant: a segment is forgotten only after every click in it is
 * committed (and, with synchronous=full, flushed) in the database, so a click acknowledged from
 * the journal is always in one of the two; a replayed click already in the database is skipped,
 * so none is recorded twice. */
#include "app/click_journal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/click_codec.h"
#include "app/clicks.h"
#include "util/banned.h"

/* ---- draining: a segment may be written over once the database has its clicks durably ------ */

struct barrier_job {
    struct write_job job;
    struct journal *journal;
    uint32_t segment;
};

/* Called once the batch is durable (with synchronous=full, after the fsync of the database's log
 * that followed the commits of every click of the segment). */
static void barrier_done(struct write_job *job)
{
    struct barrier_job *b = (struct barrier_job *)job;
    if (b->job.outcome == WRITE_COMMITTED)
        journal_release(b->journal, b->segment);
    free(b);
}

static void segment_drained(void *arg, struct journal *j, uint32_t segment)
{
    struct click_journal *cj = arg;
    if (!cj->flush) {
        journal_release(j, segment); /* committed is as durable as the journal's own write */
        return;
    }
    struct barrier_job *b = calloc(1, sizeof *b);
    if (!b)
        abort();
    b->job.run = writer_run_nothing;
    b->job.done = barrier_done;
    b->job.keeps_links = true;
    b->journal = j;
    b->segment = segment;
    if (!cj->writer || writer_submit(cj->writer, &b->job) < 0)
        free(b); /* stopping: the clean stop forgets every record anyway */
}

/* ---- handing a click to the writer thread --------------------------------------------------- */

struct handed_click {
    struct write_job job;
    struct click_journal *cj;
    uint32_t segment;
    struct click click;
    char strings[]; /* the click's strings, decoded */
};

static int handed_run(struct store *s, struct write_job *job)
{
    struct pd_err err;
    return click_record(s, &((struct handed_click *)job)->click, &err);
}

static int handed_run_many(struct store *s, struct write_job *first, size_t n)
{
    struct click **clicks = malloc(n * sizeof *clicks);
    if (!clicks)
        abort();
    struct write_job *j = first;
    for (size_t i = 0; i < n; i++, j = j->next)
        clicks[i] = &((struct handed_click *)j)->click;
    struct pd_err err;
    int rc = click_record_many(s, clicks, n, &err);
    free(clicks);
    return rc;
}

static const struct write_group handed_clicks = {.run_many = handed_run_many};

static void handed_done(struct write_job *job)
{
    struct handed_click *h = (struct handed_click *)job;
    atomic_fetch_sub(&h->cj->in_flight, 1);
    if (h->job.outcome == WRITE_COMMITTED)
        journal_applied(h->cj->journal, h->segment, 1);
    else /* it stays in the journal (its segment is kept) and is replayed at the next start */
        fprintf(stderr,
                "level=error msg=\"a journaled click could not be stored; kept for the next"
                " start\" click=%s\n",
                h->click.id);
    free(h);
}

/* One decoded click as a journaled writer job; NULL when the record does not decode (cannot
 * happen: the record was encoded by this process). */
static struct handed_click *handed_new(struct click_journal *cj, const uint8_t *record, size_t len,
                                       uint32_t segment)
{
    struct handed_click *h = calloc(1, sizeof *h + len);
    if (!h)
        abort();
    if (click_decode(record, len, &h->click, h->strings, len) < 0) {
        free(h);
        return NULL;
    }
    h->job.run = handed_run;
    h->job.done = handed_done;
    h->job.group = &handed_clicks;
    h->job.keeps_links = true;
    h->job.journaled = true;
    h->cj = cj;
    h->segment = segment;
    return h;
}

int click_journal_hand_over(struct click_journal *cj, const uint8_t *const *record,
                            const size_t *len, size_t n, uint32_t segment)
{
    struct write_job *first = NULL, **tail = &first;
    size_t made = 0;
    for (size_t i = 0; i < n; i++) {
        struct handed_click *h = handed_new(cj, record[i], len[i], segment);
        if (!h)
            continue;
        *tail = &h->job;
        tail = &h->job.next;
        made++;
    }
    *tail = NULL;
    atomic_fetch_add(&cj->in_flight, made);
    if (writer_submit_list(cj->writer, first, made) < 0) {
        atomic_fetch_sub(&cj->in_flight, made);
        for (struct write_job *j = first, *next; j; j = next) {
            next = j->next;
            free(j); /* the job is the first member of its handed_click */
        }
        return -1;
    }
    return made == n ? 0 : -1;
}

/* ---- replay at start ------------------------------------------------------------------------ */

struct replay {
    struct store *s;
    size_t written, skipped;
    struct pd_err *err;
};

static int replay_one(void *arg, const uint8_t *p, size_t len)
{
    struct replay *r = arg;
    char *strings = malloc(len);
    if (!strings)
        abort();
    struct click c;
    int rc = 0;
    if (click_decode(p, len, &c, strings, len) < 0) {
        fprintf(stderr, "level=error msg=\"journal: a malformed click record, skipped\"\n");
        r->skipped++;
        goto done;
    }
    struct db_val id = db_text(c.id);
    int64_t there = 0;
    if (store_query_int(r->s, "SELECT count(*) FROM click_log WHERE id = ?1", &id, 1, 0, &there,
                        r->err) < 0) {
        rc = -1;
        goto done;
    }
    if (there)
        goto done;
    /* Each click in a savepoint: one that cannot be stored is reported, not a reason to refuse
     * to start. */
    struct pd_err err;
    if (store_begin(r->s, r->err) < 0) {
        rc = -1;
        goto done;
    }
    if (click_record(r->s, &c, &err) < 0) {
        store_rollback(r->s);
        fprintf(stderr,
                "level=error msg=\"journal: a click could not be replayed\" click=%s"
                " error=\"%s\"\n",
                c.id, err.message);
        r->skipped++;
        goto done;
    }
    if (store_commit(r->s, r->err) < 0) {
        rc = -1;
        goto done;
    }
    r->written++;
done:
    free(strings);
    return rc;
}

int click_journal_replay(struct journal *j, struct store *s, size_t *replayed, struct pd_err *err)
{
    struct replay r = {.s = s, .err = err};
    *replayed = 0;
    if (store_begin(s, err) < 0)
        return -1;
    if (journal_replay(j, replay_one, &r, err) < 0 || store_commit(s, err) < 0) {
        while (s->tx_depth > 0)
            store_rollback(s);
        return -1;
    }
    *replayed = r.written;
    if (r.skipped)
        fprintf(stderr, "level=error msg=\"journal: clicks skipped at replay\" count=%zu\n",
                r.skipped);
    /* The commit above was durable (the connection's own synchronous level): forget them. */
    return journal_forget_all(j, err);
}

struct click_journal *click_journal_open(struct store *s, size_t *replayed, struct pd_err *err)
{
    bool full = false;
    const char *path = store_sqlite_path(s, &full);
    *replayed = 0;
    pd_err_clear(err);
    if (!path)
        return NULL;
    char prefix[1100];
    snprintf(prefix, sizeof prefix, "%s-clicks", path);
    struct click_journal *cj = calloc(1, sizeof *cj);
    if (!cj)
        abort();
    cj->flush = full;
    snprintf(cj->db_path, sizeof cj->db_path, "%s", path);
    cj->journal = journal_open(prefix, full, segment_drained, cj, err);
    if (!cj->journal && err->kind == PD_ERR_CONFLICT) {
        /* Another partnerd on this database file keeps the journal: this one commits each click
         * before its 302, as on PostgreSQL. */
        fprintf(stderr, "level=info msg=\"click journal in use by another process; clicks are"
                        " committed before their 302\"\n");
        pd_err_clear(err);
    }
    if (!cj->journal)
        goto fail;
    if (click_journal_replay(cj->journal, s, replayed, err) < 0)
        goto fail_replay;
    return cj;
fail_replay:
    journal_close(cj->journal);
fail:
    free(cj);
    return NULL;
}

/* fsync of a file that may not exist (the log after SQLite removed it). */
static bool sync_file(const char *path)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return true;
    bool ok = fsync(fd) == 0;
    close(fd);
    return ok;
}

void click_journal_close(struct click_journal *cj)
{
    if (!cj)
        return;
    struct journal_stats st;
    journal_get_stats(cj->journal, &st);
    char wal[sizeof cj->db_path + 8];
    snprintf(wal, sizeof wal, "%s-wal", cj->db_path);
    /* Clicks committed without an fsync of the log (the journal was their durability) are
     * made durable in the database before the journal forgets them. */
    bool durable = !cj->flush || (sync_file(wal) && sync_file(cj->db_path));
    /* Nothing waits for this flush: when it fails the journal keeps the clicks and the next
     * start replays them (each once), so the stop goes on. */
    if (!durable)
        fprintf(stderr, "level=error msg=\"journal: cannot flush the database at stop; the journal"
                        " keeps its clicks for the next start\"\n");
    struct pd_err err;
    if (st.pending == 0 && durable && journal_forget_all(cj->journal, &err) < 0)
        fprintf(stderr, "level=warn msg=\"journal: %s\"\n", err.message);
    journal_close(cj->journal);
    free(cj);
}
