/* Idempotency-Key answers (the idempotency_keys table), their one module: found again, stored
 * with the write they answer (in its transaction), deleted by the retention job once old enough. */
#ifndef PD_APP_IDEMPOTENCY_H
#define PD_APP_IDEMPOTENCY_H

#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

/* An Idempotency-Key replays its answer for at least 24 hours (the API's promise); kept twice
 * that, so a client retrying across a day boundary or a clock skew still finds it. */
#define IDEMPOTENCY_KEY_HOURS 48

/* The stored answer of key in scope: 1 when the key is new; 0 with *status and *body (malloc'd,
 * the caller frees it); -1 on a store error or, 422, when the key was used with another request
 * (request_hash differs). */
int idempotency_find(struct store *s, const char *scope, const char *key,
                     const char *request_hash, int *status, char **body, struct pd_err *err);
/* Keeps the answer (status and JSON body) of the request of key in scope (the API key's id). */
int idempotency_save(struct store *s, const char *scope, const char *key,
                     const char *request_hash, int status, const char *body, int64_t now_ms,
                     struct pd_err *err);
/* Deletes up to `limit` keys stored before before_ms, oldest first; *purged: how many. */
int idempotency_purge(struct store *s, int64_t before_ms, int limit, int64_t *purged,
                      struct pd_err *err);

#endif
