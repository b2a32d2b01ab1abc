/* The durable email outbox: a message is queued inside the caller's transaction, next to the change
 * that causes it, so a committed change always has its email and a rolled-back one never does. The
 * sender (src/jobs/) renders and delivers it over SMTP when `smtp_url` is set. Templates are chosen
 * by kind; vars carries what the template needs (all values JSON strings unless noted):
 *   "invite"               link (where the partner chooses a password)
 *   "user_invite"          link (a merchant user's invitation), role
 *   "application_received" (none)
 *   "application_approved" link (the login page)
 *   "application_rejected" reason (may be absent)
 *   "signup_existing"      link (the login page; sent instead of a second account, no enumeration)
 *   "password_reset"       link (one-time, valid one hour)
 *   "password_changed"     (none)
 *   "digest"               built by the sender's own daily job
 *   "payout_sent"          amount (integer, minor units), currency, reference */
#ifndef PD_APP_EMAILS_H
#define PD_APP_EMAILS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"

struct email_msg {
    const char *program_id; /* the sender's name is the program's name; NULL: "partnerd" */
    const char *partner_id; /* the partner it is about, or NULL */
    const char *kind;       /* one of the kinds above */
    const char *to;         /* one address */
    json_t *vars;           /* borrowed; NULL for none */
};

/* Queues one message; 0 or -1 with err (an unknown kind). A recipient no mail server could take
 * (not a plain local@domain: control characters, spaces, several '@') is kept as "failed" rather
 * than failing the caller's change. */
int email_queue(struct store *s, const struct email_msg *m, int64_t now_ms, struct pd_err *err);

/* The statuses of a message: queued → sending (claimed, with a lease) → sent, or retrying (then
 * sending again) until the attempts run out → failed; not_sent when no smtp_url is set. */
#define EMAIL_STATUSES "queued, sending, sent, retrying, failed, not_sent"
bool email_status_known(const char *status);

/* ---- the mailer's side (src/jobs/mailer.c) ------------------------------------------------ */

struct email_claimed {
    const char *id, *kind, *to, *vars, *program_name, *message_id; /* program_name may be NULL */
    int64_t created_at;
    int attempts; /* this attempt's number, which email_attempted is given back */
};
/* Claims up to max due messages (queued, retrying, or sending whose lease ended: an outcome never
 * recorded, sent again with the same Message-ID, unless that was attempt max_attempts: then
 * failed), each until now_ms + lease_ms; strings in a. */
int email_claim(struct store *s, int64_t now_ms, int64_t lease_ms, int max, int max_attempts,
                struct arena *a, struct email_claimed *out, int *n, struct pd_err *err);
struct email_outcome {
    bool sent;
    bool permanent;        /* no retry can mend it (a message that cannot be rendered) */
    const char *error;     /* when not sent */
    int64_t retry_base_ms; /* the first retry's wait, doubled each time, at most 6 h */
    int max_attempts;      /* then failed */
};
/* Records the outcome of attempt number `attempt` (nothing when the message was claimed again). */
int email_attempted(struct store *s, const char *id, int attempt, const struct email_outcome *o,
                    int64_t now_ms, struct pd_err *err);
/* Without smtp_url: the queued and retrying messages (and sending ones whose lease ended) become
 * not_sent; *count how many. */
int email_mark_not_sent(struct store *s, int64_t now_ms, int64_t *count, struct pd_err *err);

/* Deletes up to limit messages that are done (sent, failed, not_sent) and were queued before
 * before_ms, oldest first; *purged: how many. */
int email_purge(struct store *s, int64_t before_ms, int limit, int64_t *purged, struct pd_err *err);

/* ---- the daily digest of new commissions and its opt-out --------------------------------- */

struct email_digest_cfg {
    const char *public_url;
    const uint8_t *key;  /* 16 bytes: signs the unsubscribe links */
    int64_t interval_ms; /* at most one digest per partner per interval */
};
/* Queues a digest for each active partner (not opted out, id after *cursor, up to limit) whose
 * last digest is older than the interval and who earned commissions since it (since it joined
 * for a first digest). *cursor: the last partner looked at ("" to start); *seen: how many. */
int email_digests_queue(struct store *s, const struct email_digest_cfg *cfg, int64_t now_ms,
                        int limit, char *cursor, size_t cursorlen, int *seen, int64_t *queued,
                        struct pd_err *err);
/* Whether the partner receives the digest (the default), and setting it. */
int email_digest_get(struct store *s, const char *partner_id, bool *on, struct pd_err *err);
int email_digest_set(struct store *s, const char *partner_id, bool on, int64_t now_ms,
                     struct pd_err *err);
/* The one-click unsubscribe token of a partner's digest ("<partner id>.<signature>"), and its
 * check: true with the partner id (out, ≥ 64 bytes) when the signature is the key's. */
void email_unsubscribe_token(const uint8_t key[16], const char *partner_id, char *out, size_t len);
bool email_unsubscribe_check(const uint8_t key[16], const char *token, char *partner_id,
                             size_t len);

#endif
