/* The webhook sender inside `partnerd serve`: picks due deliveries from the outbox (claiming them
 * with a writer job, so several nodes never send the same one at once), sends them — signed POSTs
 * to endpoints, GETs for partner postbacks — with a blocking client (10 s for everything, no
 * redirects followed; https with the certificate chain and host name verified), and records each
 * outcome with a writer job: delivered on 2xx, otherwise retried with exponential backoff until 3
 * days after the event, then failed. */
#ifndef PD_JOBS_WEBHOOKS_H
#define PD_JOBS_WEBHOOKS_H

#include <stdbool.h>
#include <stdint.h>

#include "store/writer.h"

struct webhook_sender;

/* db_url: the database, read (on a connection of the sender's own) to see whether anything is
 * due before a writer job claims it, so an idle outbox costs no write transactions.
 * retry_base_ms: the first retry's wait (then doubled, capped at 1 h); poll_ms: how often the
 * outbox is looked at. 0 for the defaults (30 s, 1 s). ca_file: PEM certificates trusted for https
 * endpoints ("" or NULL: the system's). A partner postback, or a delivery to an endpoint, whose
 * host resolves to an address webhook_address_private refuses fails at once (no retry) unless
 * postback_allow_private, respectively webhook_allow_private. NULL with err when the setup
 * fails. */
struct webhook_sender *webhook_sender_start(struct writer *w, const char *db_url,
                                            int64_t retry_base_ms, int poll_ms, const char *ca_file,
                                            bool postback_allow_private,
                                            bool webhook_allow_private, struct pd_err *err);
/* Stops it (an attempt in progress ends within a fraction of a second). Call before writer_stop. */
void webhook_sender_stop(struct webhook_sender *ws);

#endif
