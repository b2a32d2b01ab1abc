/* Idempotency-Key answers: found again, stored, deleted once old (see idempotency.h). */
#include "app/idempotency.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

int idempotency_find(struct store *s, const char *scope, const char *key,
                     const char *request_hash, int *status, char **body, struct pd_err *err)
{
    /* The key's lock before the look: the same key sent to another node at once either
     * committed its answer (found here) or waits for this one. */
    if (store_lock(s, "idempotency", scope, key, err) < 0)
        return -1;
    struct db_val p[2] = {db_text(scope), db_text(key)};
    struct store_cursor cur;
    int rc = store_query_row(s,
                             "SELECT request_hash, status, body FROM idempotency_keys"
                             " WHERE scope = ?1 AND idem_key = ?2",
                             p, 2, &cur, err);
    if (rc < 0)
        return -1;
    if (rc == STORE_DONE)
        return 1;
    int result = 0;
    if (strcmp(store_col_text(&cur, 0), request_hash) != 0) {
        pd_err_set(err, PD_ERR_UNPROCESSABLE, "Idempotency-Key",
                   "this Idempotency-Key was used with a different request");
        result = -1;
    } else {
        *status = (int)store_col_int(&cur, 1);
        *body = strdup(store_col_text(&cur, 2));
        if (!*body)
            abort();
    }
    store_finish(&cur);
    return result;
}

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
