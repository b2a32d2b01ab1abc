/* Flushing files to disk, and what a failed flush means.
 *
 * A flush (fsync, fdatasync) that fails leaves the file in an unknown state: Linux may have
 * dropped the dirty pages it could not write and marked them clean, so a later flush that succeeds
 * proves nothing about what the failed one was to write. By then the records it covered have been
 * handed on (a journaled click to the writer, a batch committed in the database's log): answering
 * them with an error invites a retry that duplicates them, and answering them with success may be
 * a lie. So, as PostgreSQL does (data_sync_retry = off), a failed flush of anything an answer
 * waits for ends the process (flush_failed: one log line, then abort) before it acknowledges
 * anything more; the next start reads the journal and the database back from the disk and
 * recovers from what is really there.
 *
 * Fault injection for tests: the environment variable PARTNERD_TEST_FAIL_FLUSH=SITE:N[,SITE:N]
 * makes the Nth flush of SITE in the process fail with EIO (sites: "journal", the click journal's
 * flushes; "wal", the writer's flushes of SQLite's log). Unset (production), nothing changes. */
#ifndef PD_STORE_FLUSH_H
#define PD_STORE_FLUSH_H

#include <stdatomic.h>
#include <stdint.h>

#define FLUSH_FAULT_ENV "PARTNERD_TEST_FAIL_FLUSH"

/* One site's flushes: counted only while armed. */
struct flush_fault {
    uint64_t fail_at; /* the flush of this site that fails; 0: none (not armed) */
    atomic_uint_fast64_t count;
};

/* Arms f from FLUSH_FAULT_ENV for site, or leaves it unarmed (the variable unset or naming
 * another site). */
void flush_fault_init(struct flush_fault *f, const char *site);

/* fdatasync(fd), unless f is armed and this is its failing flush (then -1 with errno EIO).
 * f may be NULL. */
int flush_data(int fd, struct flush_fault *f);

/* A flush that answers wait for failed (or the database reported an I/O error, which may hide
 * one): logs what and why, then aborts. */
_Noreturn void flush_failed(const char *what, const char *why);

#endif
