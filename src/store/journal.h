/* The journal: an append-only file of records that are acknowledged before the database has them on
 * disk. A record is durable once it is in the journal (written for kill -9, flushed for a power
 * cut); the database gets the same write soon after, in its own batches, and the journal forgets a
 * record only once the database has it durably. After a crash the records still held are replayed.
 *
 * Why: the click path's 302 waits for durability. A flush of a few hundred bytes appended to a
 * file that is already allocated costs one small write; a flush of SQLite's log after a click batch
 * costs every page the batch touched (the click row, its indexes, the uniqueness table, the
 * rollup), and the checkpoints that follow. bench/README.md ("The click journal") has the
 * measurements.
 *
 * Layout: files PREFIX.0, PREFIX.1, ... ("segments") of JOURNAL_SEGMENT_BYTES each, written with
 * zeros when made so that appends never change a file's size (a flush then writes data only) and
 * never need more disk. Each segment is mapped shared: without flush an append is stores into the
 * page cache, no system call on the click path; with flush it is one pwrite (each fdatasync would
 * write-protect the mapped pages, and the next stores would fault). A
 * segment holds the records of one epoch (a number that never repeats); each record is
 *   u32 length of the payload, u32 CRC-32C of (epoch, length, payload), u64 epoch, payload
 * little-endian. Reading a segment stops at the first record whose length is 0, whose checksum
 * fails or whose epoch differs: what a torn write or an older use of the file left there.
 *
 * Threads: append and applied from any thread; the flushes run on threads of their own. */
#ifndef PD_STORE_JOURNAL_H
#define PD_STORE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define JOURNAL_SEGMENT_BYTES (8u << 20)
#define JOURNAL_APPEND_MAX (1u << 20) /* most bytes in one append (records with headers) */
#define JOURNAL_RECORD_HEADER 16
#define JOURNAL_RECORD_MAX (64u << 10) /* largest payload */

struct journal;

/* Told once the records of an append are durable (ok), or could not be made so (!ok: only when
 * journal_forget_all fails with waiters left). A failed flush of appended records is never told:
 * it ends the process (src/store/flush.h). On a journal opened with flush, on a flushing thread:
 * must not block. */
struct journal_waiter {
    void (*durable)(struct journal_waiter *w, bool ok);
    uint64_t seq; /* the journal's own bookkeeping */
    struct journal_waiter *next;
};

/* Told when every record of a segment the journal has moved past is applied (journal_applied):
 * the owner makes the database's copy durable, then calls journal_release. May be called on any
 * thread that calls journal_applied; must not block. */
typedef void (*journal_drained_fn)(void *arg, struct journal *j, uint32_t segment);

/* Opens (making them when missing) the segments of prefix. flush: an append is durable once
 * fdatasync'd (a power cut), otherwise once written (kill -9); a failed fdatasync of appended
 * records aborts the process (src/store/flush.h; the site "journal" of its fault injection). One
 * process at a time: while another holds the journal (PREFIX.lock), NULL with err->kind
 * PD_ERR_CONFLICT. */
struct journal *journal_open(const char *prefix, bool flush, journal_drained_fn drained,
                             void *drained_arg, struct pd_err *err);
/* Flushes, stops the flushing threads, closes. Does not forget records: see journal_forget_all. */
void journal_close(struct journal *j);

/* Before the first append: calls apply for every record held, oldest segment first, in the order
 * they were appended. apply returns 0 to go on, -1 to stop (journal_replay then returns -1). */
int journal_replay(struct journal *j, int (*apply)(void *arg, const uint8_t *payload, size_t len),
                   void *arg, struct pd_err *err);
/* Every record held is in the database durably (after a replay, or at a clean stop): forget them
 * all. Before the first append, or once nothing is being appended. */
int journal_forget_all(struct journal *j, struct pd_err *err);

/* Appends n records, each payload[i] of len[i] bytes (≤ JOURNAL_RECORD_MAX, all of them with
 * headers ≤ JOURNAL_APPEND_MAX), together. On success *segment tells which segment holds them
 * (for journal_applied) and: with flush, w->durable is called later, once they are on disk (w must
 * live until then); without, they are durable now and w is not used (may be NULL). -1 when the
 * write failed (flush) or no segment could be had (a new one could not be made, or the full one
 * not flushed): nothing of it counts, and w is not called. */
int journal_append(struct journal *j, const uint8_t *const *payload, const size_t *len, size_t n,
                   struct journal_waiter *w, uint32_t *segment, struct pd_err *err);
/* n records appended to segment are in the database (committed, maybe not yet durable there). */
void journal_applied(struct journal *j, uint32_t segment, size_t n);
/* The database holds a drained segment's records durably: the segment may be written over. */
void journal_release(struct journal *j, uint32_t segment);

struct journal_stats {
    uint64_t appends, records, flushes;
    uint64_t flush_us; /* time spent in fdatasync */
    uint64_t pending;  /* records appended and not yet applied */
    uint32_t segments; /* files */
};
void journal_get_stats(struct journal *j, struct journal_stats *out);

/* CRC-32C (Castagnoli) of n bytes, continuing from crc (0 to start): with the CPU's instruction
 * where there is one, else journal_crc32c_portable (a table; the same result). */
uint32_t journal_crc32c(uint32_t crc, const uint8_t *p, size_t n);
uint32_t journal_crc32c_portable(uint32_t crc, const uint8_t *p, size_t n);

#endif
