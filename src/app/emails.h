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
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

struct email_msg {
    const char *program_id; /* the sender's name is the program's name; NULL: "partnerd" */
    const char *partner_id; /* the partner it is about, or NULL */
    const char *kind;       /* one of the kinds above */
    const char *to;         /* one address */
    json_t *vars;           /* borrowed; NULL for none */
};

/* Queues one message; 0 or -1 with err. */
int email_queue(struct store *s, const struct email_msg *m, int64_t now_ms, struct pd_err *err);

#endif
