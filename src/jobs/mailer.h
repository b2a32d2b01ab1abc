/* The mailer inside `partnerd serve`: claims due messages of the email outbox through the writer
 * (with a lease, so a message whose outcome never got recorded, after a kill -9, is sent again
 * with the same Message-ID), renders each (core/email_render.h) and sends it over SMTP with
 * libcurl outside the writer (STARTTLS when the server offers it, a deadline for the whole
 * exchange), then records the outcome through the writer: sent, or retried with exponential
 * backoff until the attempts run out, then failed. It also queues the daily digest of new
 * commissions, and deletes the messages that are done once they are older than the retention.
 * Without an SMTP URL it sends nothing: queued messages become not_sent. */
#ifndef PD_JOBS_MAILER_H
#define PD_JOBS_MAILER_H

#include <stdint.h>

#include "store/writer.h"

struct mailer;

struct mailer_cfg {
    const char *db_url;    /* read on a connection of the mailer's own: is anything due? */
    const char *smtp_url;  /* smtp://host[:port] or smtps://…; "" or NULL: nothing is sent */
    const char *smtp_from; /* the sending address */
    const char *smtp_user, *smtp_password; /* "" or NULL: no authentication */
    const char *public_url;                /* the links of the digest */
    const uint8_t *key;                    /* 16 bytes: signs the digest's unsubscribe links */
    int timeout_ms;                        /* one attempt, everything included */
    int retry_base_ms;                     /* the first retry's wait (then doubled, at most 6 h) */
    int max_attempts;                      /* then failed */
    int poll_ms;                           /* how often the outbox is looked at */
    int digest_interval_s; /* at most one digest per partner per interval; 0: no digest */
    int retention_days;    /* done messages queued longer ago are deleted; 0: kept */
};

/* Starts the thread (cfg's strings must outlive it); NULL with err when the setup fails. */
struct mailer *mailer_start(struct writer *w, const struct mailer_cfg *cfg, struct pd_err *err);
/* Stops it (an attempt in progress is abandoned within a fraction of a second and retried
 * later). Call before writer_stop. */
void mailer_stop(struct mailer *m);

#endif
