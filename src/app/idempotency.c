/* Idempotency-Key answers, their one writer (see idempotency.h). */
#include "app/idempotency.h"

#include <stddef.h>

#include "util/banned.h"

int idempotency_save(struct store *s, const char *scope, const char *key,
                     const char *request_hash, int status, const char *body, int64_t now_ms,
                     struct pd_err *err)
{
    struct db_val p[6] = {db_text(scope),  db_text(key),  db_text(request_hash),
                          db_int(status),  db_text(body), db_int(now_ms)};
    return store_exec(s,
                      "INSERT INTO idempotency_keys (scope, idem_key, request_hash, status, body,"
                      " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                      p, 6, NULL, err);
}

int idempotency_purge(struct store *s, int64_t before_ms, int limit, int64_t *purged,
                      struct pd_err *err)
{
    struct db_val v[2] = {db_int(before_ms), db_int(limit)};
    return store_exec(s,
                      "DELETE FROM idempotency_keys WHERE (scope, idem_key) IN"
                      " (SELECT scope, idem_key FROM idempotency_keys WHERE created_at < ?1"
                      " ORDER BY created_at LIMIT ?2)",
                      v, 2, purged, err);
}
