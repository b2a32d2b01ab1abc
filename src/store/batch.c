/* One batch in one transaction (store/batch.h): savepoints per job or per run of a group's jobs,
 * the jobs that must run again sorted out, the deferred totals written (store/totals.h), the
 * commit. */
#include "store/batch.h"

#include <stdio.h>

#include "store/flush.h"
#include "store/totals.h"
#include "util/banned.h"

/* What became of a job (or a run of a group's jobs) in the batch. */
enum run_result {
    RUN_KEPT,      /* its writes stay in the batch */
    RUN_UNDONE,    /* it failed: its savepoint was undone, its outcome says so */
    RUN_POSTPONED, /* store->retry: undone, to run again in a later batch */
    RUN_BROKEN,    /* the batch can no longer commit */
};

/* One run of a batch's jobs in one transaction. */
struct batch {
    struct store *s;
    bool defer;        /* jobs with write_totals may defer their totals */
    bool holds_locks;  /* the transaction holds locks of kept jobs */
    bool locks_beside; /* ... of jobs that wrote their own totals, or of groups */
    bool totals_failed;
    /* how the waiting totals are written (a deferring job's write_totals) */
    int (*write_totals)(struct store *s, struct pd_err *err);
};

/* Before a job: its store_lock calls only try once the transaction holds an earlier job's
 * locks (a job undone to its savepoint released its own). */
static void job_starts(struct batch *b, const struct write_job *j)
{
    b->s->retry = false;
    b->s->locks_try_only = b->holds_locks;
    b->s->defer_totals = b->defer && j->write_totals;
    b->s->totals_first = false;
    if (b->s->defer_totals)
        b->write_totals = j->write_totals;
}

/* A job that met a lock held elsewhere or a deadlock: undone, and run again (a few times). */
static bool must_postpone(struct store *s, const struct write_job *j)
{
    return s->retry && j->postponed < MAX_POSTPONED;
}

/* Writes the totals that wait, outside any job's savepoint. They take their own locks in an order
 * all batches share, so they wait for them, unless the transaction holds locks taken in another
 * order (then they only try). false: the batch cannot commit as it ran (b->totals_failed). */
static bool write_totals(struct batch *b)
{
    struct store *s = b->s;
    if (!store_totals_pending(s))
        return true;
    struct pd_err err = {0};
    s->retry = false;
    s->locks_try_only = b->locks_beside;
    s->defer_totals = false;
    int rc = b->write_totals(s, &err);
    store_totals_clear(s);
    if (rc < 0) {
        b->totals_failed = true;
        return false;
    }
    b->holds_locks = true; /* the partners' locks: later jobs only try theirs */
    return true;
}

/* One job in its own savepoint. A job that must see the totals written first (it reads one) is
 * undone, they are written, and it runs again writing its own. */
static enum run_result run_one(struct batch *b, struct write_job *j)
{
    struct store *s = b->s;
    struct pd_err err;
    if (store_begin(s, &err) < 0)
        return RUN_BROKEN;
    job_starts(b, j);
    int rc = j->run(s, j);
    if (s->totals_first && b->defer) {
        store_rollback(s);
        if (!write_totals(b) || store_begin(s, &err) < 0)
            return RUN_BROKEN;
        job_starts(b, j);
        s->defer_totals = false;
        rc = j->run(s, j);
    }
    if (must_postpone(s, j)) {
        store_rollback(s);
        return RUN_POSTPONED;
    }
    if (rc == 0) {
        j->outcome = WRITE_COMMITTED;
        if (store_commit(s, &err) < 0)
            return RUN_BROKEN;
        b->holds_locks = true;
        b->locks_beside |= !s->defer_totals;
        return RUN_KEPT;
    }
    j->outcome = WRITE_ROLLED_BACK;
    store_rollback(s);
    return RUN_UNDONE;
}

/* The jobs of a run, each filed under what became of it: kept (or undone) ones stay in the batch,
 * postponed ones leave it. */
struct sorted_jobs {
    struct write_job *batch, **batch_tail;
    struct write_job *postponed, **postponed_tail;
};

static void file_job(struct sorted_jobs *out, struct write_job *j, enum run_result r)
{
    j->next = NULL;
    if (r == RUN_POSTPONED) {
        j->postponed++;
        *out->postponed_tail = j;
        out->postponed_tail = &j->next;
    } else {
        *out->batch_tail = j;
        out->batch_tail = &j->next;
    }
}

/* Files n jobs from j on (the rest of a run, when the batch broke) with the batch. */
static void file_rest(struct sorted_jobs *out, struct write_job *j, size_t n)
{
    for (struct write_job *next; n > 0; n--, j = next) {
        next = j->next;
        file_job(out, j, RUN_BROKEN);
    }
}

/* n consecutive jobs of one group in one savepoint; one by one when that fails. false when the
 * batch can no longer commit. Every job is filed in out. */
static bool run_group(struct batch *b, struct write_job *first, size_t n, struct sorted_jobs *out)
{
    struct store *s = b->s;
    struct pd_err err;
    if (store_begin(s, &err) < 0) {
        file_rest(out, first, n);
        return false;
    }
    job_starts(b, first);
    int rc = first->group->run_many(s, first, n);
    enum run_result r = must_postpone(s, first) ? RUN_POSTPONED : rc == 0 ? RUN_KEPT : RUN_UNDONE;
    if (r == RUN_KEPT && store_commit(s, &err) < 0) {
        file_rest(out, first, n);
        return false;
    }
    if (r != RUN_KEPT)
        store_rollback(s);
    struct write_job *j = first, *next;
    for (size_t i = 0; i < n; i++, j = next) {
        next = j->next;
        if (r == RUN_UNDONE) {
            enum run_result one = run_one(b, j);
            if (one == RUN_BROKEN) {
                file_rest(out, j, n - i);
                return false;
            }
            file_job(out, j, one);
            continue;
        }
        if (r == RUN_KEPT)
            j->outcome = WRITE_COMMITTED;
        file_job(out, j, r);
    }
    if (r == RUN_KEPT)
        b->holds_locks = b->locks_beside = true;
    return true;
}

/* PostgreSQL: the batch's grouped jobs (clicks) after the others, in their order. The rows a click
 * batch updates — a busy link's rollup, a returning visitor's window — are the ones other nodes'
 * batches wait for, and a row stays locked from its update until the commit: updated last, they
 * are held for the shortest time. A batch's jobs are answered together after its commit, so no
 * request can see the order they ran in. */
static struct write_job *groups_last(struct write_job *jobs)
{
    struct write_job *others = NULL, **others_tail = &others;
    struct write_job *grouped = NULL, **grouped_tail = &grouped;
    for (struct write_job *j = jobs, *next; j; j = next) {
        next = j->next;
        j->next = NULL;
        if (j->group) {
            *grouped_tail = j;
            grouped_tail = &j->next;
        } else {
            *others_tail = j;
            others_tail = &j->next;
        }
    }
    *others_tail = grouped;
    return others;
}

/* Runs the jobs in one transaction and commits it; false when it failed. */
static bool run_batch(struct batch *b, struct write_job *jobs, struct batch_result *res)
{
    struct store *s = b->s;
    struct pd_err err = {0};
    bool may_change_links = false;
    struct sorted_jobs out = {.batch_tail = &out.batch, .postponed_tail = &out.postponed};
    bool ok = store_begin(s, &err) == 0;
    if (!ok)
        fprintf(stderr, "level=error msg=\"writer: begin failed\" error=\"%s\"\n", err.message);
    struct write_job *j = jobs;
    while (ok && j) {
        size_t run = 1;
        struct write_job *last = j;
        if (!j->keeps_links)
            may_change_links = true;
        if (j->group) {
            while (last->next && last->next->group == j->group) {
                last = last->next;
                run++;
            }
        }
        struct write_job *after = last->next;
        /* Jobs that write their own totals, and groups, after the waiting ones: they read or
         * lock those rows as they are. */
        if (!(b->defer && j->write_totals) && !write_totals(b)) {
            ok = false;
            break;
        }
        if (j->group) {
            ok = run_group(b, j, run, &out);
        } else {
            enum run_result r = run_one(b, j);
            ok = r != RUN_BROKEN;
            file_job(&out, j, r);
        }
        j = after;
    }
    ok = ok && write_totals(b);
    if (!ok) /* the jobs not yet run stay in the batch, which fails */
        *out.batch_tail = j;
    res->ran = out.batch;
    res->postponed = out.postponed;
    s->locks_try_only = false;
    s->defer_totals = false;
    if (ok && store_commit(s, &err) < 0) {
        fprintf(stderr, "level=error msg=\"writer: commit failed\" error=\"%s\"\n", err.message);
        ok = false;
    }
    /* An I/O error anywhere in the batch: whether (and how much of) it is in the log is unknown,
     * and SQLite may have rolled it back midway, so no answer can be given for it. */
    if (s->io_error)
        flush_failed("writer: a write to the database",
                     err.message[0] ? err.message : "a statement of the batch failed with one");
    if (!ok) {
        while (s->tx_depth > 0)
            store_rollback(s);
    }
    res->committed = ok;
    res->links_changed = ok && may_change_links;
    return ok;
}

/* The jobs of a failed run, each once: those it ran, then those it put off. */
static struct write_job *all_jobs(struct batch_result *res)
{
    struct write_job **tail = &res->ran;
    while (*tail)
        tail = &(*tail)->next;
    *tail = res->postponed;
    struct write_job *jobs = res->ran;
    res->ran = res->postponed = NULL;
    return jobs;
}

void batch_execute(struct store *s, struct write_job *jobs, struct batch_result *res)
{
    if (s->dialect == STORE_POSTGRES)
        jobs = groups_last(jobs);
    uint64_t link_changes = s->link_changes;
    struct batch b = {.s = s, .defer = true};
    res->rerun = !run_batch(&b, jobs, res) && b.totals_failed;
    if (res->rerun) {
        /* The deferred totals could not be written as they were: every job again, each writing
         * its own, so the one a limit refuses is refused alone. */
        jobs = all_jobs(res);
        if (s->dialect == STORE_POSTGRES)
            jobs = groups_last(jobs);
        b = (struct batch){.s = s};
        run_batch(&b, jobs, res);
    }
    if (res->committed && s->counts_link_changes)
        res->links_changed = s->link_changes != link_changes;
}
