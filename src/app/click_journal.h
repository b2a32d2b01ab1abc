/* The click path's journal (SQLite): a 302 is acknowledged once its click is in the journal
 * (src/store/journal.h) — written for synchronous=normal, flushed for synchronous=full — and the
 * database gets the click from the writer thread soon after, in its batches. A crash leaves at
 * most the clicks not yet in the database in the journal; the next start replays them before
 * serving. PostgreSQL has no journal (each click is committed there before its 302). */
#ifndef PD_APP_CLICK_JOURNAL_H
#define PD_APP_CLICK_JOURNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "store/journal.h"
#include "store/store.h"
#include "store/writer.h"

struct click_journal {
    struct journal *journal;
    char db_path[1024];
    bool flush;              /* synchronous=full */
    struct writer *writer;   /* set once the writer runs: drained segments go through it */
    atomic_size_t in_flight; /* clicks handed to the writer, not yet in the database */
};

/* Whether some acknowledged clicks may not be in the database yet. */
static inline bool click_journal_in_flight(struct click_journal *cj)
{
    return cj && atomic_load(&cj->in_flight) > 0;
}

/* Opens the journal beside the database s is connected to (PATH-clicks.N) and replays into s what
 * it holds. Returns NULL with err->kind PD_ERR_NONE on a backend without a journal, or when
 * another process on the same database file holds it (the second node on one SQLite file). */
struct click_journal *click_journal_open(struct store *s, size_t *replayed, struct pd_err *err);
/* Replays the records a journal holds into s (each click not yet there, with its uniqueness and
 * rollup), then forgets them. *replayed: clicks written. */
int click_journal_replay(struct journal *j, struct store *s, size_t *replayed, struct pd_err *err);
/* After the writer has stopped: makes the database's copy durable and forgets the records (unless
 * some could not be stored: those wait for the next start), closes. */
void click_journal_close(struct click_journal *cj);

/* n journaled clicks, from their journal records (record[i] of len[i] bytes, appended together
 * to segment), to the writer thread (which gathers clicks into large batches), queued at once. -1
 * when the writer is stopping (the clicks stay in the journal for the next start). */
int click_journal_hand_over(struct click_journal *cj, const uint8_t *const *record,
                            const size_t *len, size_t n, uint32_t segment);

#endif
