/* Idempotency-Key answers (the idempotency_keys table), their one writer: stored with the write
 * they answer, in its transaction, and deleted by the retention job once old enough. */
#ifndef PD_APP_IDEMPOTENCY_H
#define PD_APP_IDEMPOTENCY_H

#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

/* An Idempotency-Key replays its answer for at least 24 hours (the API's promise); kept twice
 * that, so a client retrying across a day boundary or a clock skew still finds it. */
#define IDEMPOTENCY_KEY_HOURS 48

/* Keeps the answer (status and JSON body) of the request of key in scope (the API key's id). */
int idempotency_save(struct store *s, const char *scope, const char *key,
                     const char *request_hash, int status, const char *body, int64_t now_ms,
                     struct pd_err *err);
/* Deletes up to `limit` keys stored before before_ms, oldest first; *purged: how many. */
int idempotency_purge(struct store *s, int64_t before_ms, int limit, int64_t *purged,
                      struct pd_err *err);

#endif
