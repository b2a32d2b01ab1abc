/* The email outbox (app/emails.h): the one writer of emails, email_optouts and email_digests.
 * Messages are stored as kind + vars and rendered only when sent (core/email_render.h); the
 * Message-ID's left side is fixed here, so every attempt of one message carries the same one. */
#include "app/emails.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/fields.h"
#include "core/email_render.h"
#include "core/ids.h"
#include "util/banned.h"

#define RETRY_CAP_MS (6LL * 3600 * 1000)

bool email_status_known(const char *status)
{
    static const char *const all[] = {"queued",   "sending", "sent",
                                      "retrying", "failed",  "not_sent"};
    for (size_t i = 0; status && i < sizeof all / sizeof all[0]; i++)
        if (strcmp(all[i], status) == 0)
            return true;
    return false;
}

int email_queue(struct store *s, const struct email_msg *m, int64_t now_ms, struct pd_err *err)
{
    if (!email_kind_known(m->kind))
        return pd_err_set(err, PD_ERR_INTERNAL, NULL, "unknown kind of email %.40s",
                          m->kind ? m->kind : "(none)");
    if (m->vars && !json_is_object(m->vars))
        return pd_err_set(err, PD_ERR_INTERNAL, NULL, "an email's vars must be an object");
    json_t *none = m->vars ? NULL : json_object(); /* no vars: stored as {} */
    char *vars = json_dumps(m->vars ? m->vars : none, JSON_COMPACT);
    json_decref(none);
    if (!vars)
        return pd_err_set(err, PD_ERR_INTERNAL, NULL, "out of memory");
    char id[ID_MAX_LEN];
    id_new(id, sizeof id, "eml_", (uint64_t)now_ms);
    bool usable = email_address_ok(m->to);
    struct db_val v[9] = {
        db_text(id),
        db_text(m->kind),
        db_text(m->to ? m->to : ""),
        db_text(vars),
        db_text(m->program_id),
        db_text(m->partner_id),
        db_text(usable ? "queued" : "failed"),
        db_text(usable ? NULL : "the recipient is not an address a mail server can take"),
        db_int(now_ms)};
    int rc = store_exec(s,
                        "INSERT INTO emails (id, kind, to_addr, vars, program_id, partner_id,"
                        " message_id, status, attempts, next_attempt_at, last_error, created_at)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?1, ?7, 0, ?9, ?8, ?9)",
                        v, 9, NULL, err);
    free(vars);
    return rc < 0 ? -1 : 0;
}

int email_claim(struct store *s, int64_t now_ms, int64_t lease_ms, int max, int max_attempts,
                struct arena *a, struct email_claimed *out, int *n, struct pd_err *err)
{
    struct db_val p[2] = {db_int(now_ms), db_int(max)},
                  f[2] = {db_int(now_ms), db_int(max_attempts)};
    struct store_cursor cur;
    *n = 0;
    /* nodes take turns claiming (PostgreSQL has no global write lock): never two senders of one */
    if (store_lock(s, "email claims", NULL, NULL, err) < 0)
        return -1;
    /* a last attempt whose outcome never came (the process died each time) ends here */
    if (store_exec(s,
                   "UPDATE emails SET status = 'failed', last_error = 'the outcome of the last"
                   " attempt was never recorded' WHERE status = 'sending'"
                   " AND next_attempt_at <= ?1 AND attempts >= ?2",
                   f, 2, NULL, err) < 0 ||
        store_query(s,
                    "SELECT e.id, e.kind, e.to_addr, e.vars, g.name, e.message_id, e.created_at,"
                    " e.attempts FROM emails e LEFT JOIN programs g ON g.id = e.program_id"
                    " WHERE e.status IN ('queued', 'retrying', 'sending')"
                    " AND e.next_attempt_at <= ?1 ORDER BY e.next_attempt_at, e.id LIMIT ?2",
                    p, 2, &cur, err) < 0)
        return -1;
    int rc = 0;
    while (*n < max && (rc = store_step(&cur, err)) == STORE_ROW) {
        struct email_claimed *c = &out[(*n)++];
        c->id = col_dup(a, &cur, 0);
        c->kind = col_dup(a, &cur, 1);
        c->to = col_dup(a, &cur, 2);
        c->vars = col_dup(a, &cur, 3);
        c->program_name = store_is_null(&cur, 4) ? NULL : col_dup(a, &cur, 4);
        c->message_id = col_dup(a, &cur, 5);
        c->created_at = store_col_int(&cur, 6);
        c->attempts = (int)store_col_int(&cur, 7) + 1;
    }
    store_finish(&cur);
    if (rc < 0)
        return -1;
    /* each message's lease covers the attempts before it in this batch too */
    for (int i = 0; i < *n; i++) {
        struct db_val u[3] = {db_text(out[i].id), db_int(now_ms + lease_ms * (i + 1)),
                              db_int(out[i].attempts)};
        if (store_exec(s,
                       "UPDATE emails SET status = 'sending', attempts = ?3, next_attempt_at = ?2"
                       " WHERE id = ?1",
                       u, 3, NULL, err) < 0)
            return -1;
    }
    return 0;
}

int email_attempted(struct store *s, const char *id, int attempt, const struct email_outcome *o,
                    int64_t now_ms, struct pd_err *err)
{
    int64_t wait = o->retry_base_ms > 0 ? o->retry_base_ms : 60000;
    for (int i = 1; i < attempt && wait < RETRY_CAP_MS; i++)
        wait *= 2;
    if (wait > RETRY_CAP_MS)
        wait = RETRY_CAP_MS;
    const char *status = o->sent                                      ? "sent"
                         : o->permanent || attempt >= o->max_attempts ? "failed"
                                                                      : "retrying";
    struct db_val v[6] = {db_text(id),
                          db_int(attempt),
                          db_text(status),
                          db_int(now_ms + wait),
                          db_text(o->sent    ? NULL
                                  : o->error ? o->error
                                             : "failed"),
                          o->sent ? db_int(now_ms) : db_null()};
    return store_exec(s,
                      "UPDATE emails SET status = ?3, next_attempt_at = ?4, last_error = ?5,"
                      " sent_at = ?6 WHERE id = ?1 AND status = 'sending' AND attempts = ?2",
                      v, 6, NULL, err) < 0
               ? -1
               : 0;
}

int email_mark_not_sent(struct store *s, int64_t now_ms, int64_t *count, struct pd_err *err)
{
    struct db_val p = db_int(now_ms);
    return store_exec(s,
                      "UPDATE emails SET status = 'not_sent', last_error = 'no smtp_url is set'"
                      " WHERE status IN ('queued', 'retrying')"
                      " OR (status = 'sending' AND next_attempt_at <= ?1)",
                      &p, 1, count, err) < 0
               ? -1
               : 0;
}

int email_purge(struct store *s, int64_t before_ms, int limit, int64_t *purged, struct pd_err *err)
{
    char floor[ID_MAX_LEN];
    id_floor(floor, sizeof floor, "eml_", before_ms); /* ids sort by the time they were queued */
    struct db_val v[2] = {db_text(floor), db_int(limit)};
    return store_exec(s,
                      "DELETE FROM emails WHERE id IN (SELECT id FROM emails WHERE id < ?1"
                      " AND status IN ('sent', 'failed', 'not_sent') ORDER BY id LIMIT ?2)",
                      v, 2, purged, err) < 0
               ? -1
               : 0;
}

/* ---- opt-out and unsubscribe ------------------------------------------------------------- */

int email_digest_get(struct store *s, const char *partner_id, bool *on, struct pd_err *err)
{
    struct db_val p = db_text(partner_id);
    int64_t n = 0;
    if (store_query_int(s,
                        "SELECT COUNT(*) FROM email_optouts WHERE partner_id = ?1"
                        " AND kind = 'digest'",
                        &p, 1, 0, &n, err) < 0)
        return -1;
    *on = n == 0;
    return 0;
}

int email_digest_set(struct store *s, const char *partner_id, bool on, int64_t now_ms,
                     struct pd_err *err)
{
    struct db_val p[2] = {db_text(partner_id), db_int(now_ms)};
    int rc =
        on ? store_exec(s, "DELETE FROM email_optouts WHERE partner_id = ?1 AND kind = 'digest'", p,
                        1, NULL, err)
           : store_exec(s,
                        "INSERT INTO email_optouts (partner_id, kind, created_at)"
                        " VALUES (?1, 'digest', ?2) ON CONFLICT (partner_id, kind) DO NOTHING",
                        p, 2, NULL, err);
    return rc < 0 ? -1 : 0;
}

static void unsubscribe_mac(const uint8_t key[16], const char *partner_id, char hex[33])
{
    uint8_t mac[16];
    crypto_generichash_state st;
    crypto_generichash_init(&st, key, 16, sizeof mac);
    crypto_generichash_update(&st, (const unsigned char *)"partnerd unsubscribe digest\n", 28);
    crypto_generichash_update(&st, (const unsigned char *)partner_id, strlen(partner_id));
    crypto_generichash_final(&st, mac, sizeof mac);
    sodium_bin2hex(hex, 33, mac, sizeof mac);
}

void email_unsubscribe_token(const uint8_t key[16], const char *partner_id, char *out, size_t len)
{
    char hex[33];
    unsubscribe_mac(key, partner_id, hex);
    snprintf(out, len, "%s.%s", partner_id, hex);
}

bool email_unsubscribe_check(const uint8_t key[16], const char *token, char *partner_id, size_t len)
{
    const char *dot = token ? strchr(token, '.') : NULL;
    size_t idlen = dot ? (size_t)(dot - token) : 0;
    if (!dot || idlen == 0 || idlen >= len || idlen >= ID_MAX_LEN || strlen(dot + 1) != 32)
        return false;
    char id[ID_MAX_LEN];
    memcpy(id, token, idlen);
    id[idlen] = '\0';
    if (!id_valid(id, "ptn_"))
        return false;
    char hex[33];
    unsubscribe_mac(key, id, hex);
    if (sodium_memcmp(hex, dot + 1, 32) != 0)
        return false;
    snprintf(partner_id, len, "%s", id);
    return true;
}

/* ---- the digest -------------------------------------------------------------------------- */

struct digest_partner {
    const char *id, *program_id, *email;
    int64_t since;
};

/* The partner's commissions made in [since, through): their count and totals per currency. */
static int digest_totals(struct store *s, const struct digest_partner *p, int64_t through,
                         json_t *totals, int64_t *count, struct pd_err *err)
{
    char lo[ID_MAX_LEN], hi[ID_MAX_LEN];
    id_floor(lo, sizeof lo, "com_", p->since);
    id_floor(hi, sizeof hi, "com_", through);
    struct db_val v[3] = {db_text(p->id), db_text(lo), db_text(hi)};
    struct store_cursor cur;
    if (store_query(s,
                    "SELECT currency, COUNT(*), SUM(amount) FROM commissions"
                    " WHERE partner_id = ?1 AND id >= ?2 AND id < ?3"
                    " GROUP BY currency ORDER BY currency",
                    v, 3, &cur, err) < 0)
        return -1;
    int rc = 0;
    *count = 0;
    while ((rc = store_step(&cur, err)) == STORE_ROW) {
        int64_t sum = 0;
        if (!store_col_int_exact(&cur, 2, &sum))
            sum = 0;
        *count += store_col_int(&cur, 1);
        json_array_append_new(totals, json_pack("{s:s, s:I}", "currency", store_col_text(&cur, 0),
                                                "amount", (json_int_t)sum));
    }
    store_finish(&cur);
    return rc < 0 ? -1 : 0;
}

/* One partner's digest, of its commissions made in [p->since, through). */
static int digest_one(struct store *s, const struct email_digest_cfg *cfg,
                      const struct digest_partner *p, int64_t through, int64_t now_ms,
                      int64_t *queued, struct pd_err *err)
{
    json_t *totals = json_array();
    int64_t count = 0;
    int rc = digest_totals(s, p, through, totals, &count, err);
    if (rc < 0 || count == 0) {
        json_decref(totals);
        return rc;
    }
    char token[128];
    email_unsubscribe_token(cfg->key, p->id, token, sizeof token);
    json_t *vars = json_pack("{s:I, s:o, s:s+, s:s++}", "count", (json_int_t)count, "totals",
                             totals, "link", cfg->public_url, "/partner", "unsubscribe",
                             cfg->public_url, "/unsubscribe/", token);
    if (!vars)
        return pd_err_set(err, PD_ERR_INTERNAL, NULL, "out of memory");
    struct email_msg m = {p->program_id, p->id, "digest", p->email, vars};
    rc = email_queue(s, &m, now_ms, err);
    json_decref(vars);
    struct db_val v[2] = {db_text(p->id), db_int(through)};
    if (rc < 0 || store_exec(s,
                             "INSERT INTO email_digests (partner_id, through_at) VALUES (?1, ?2)"
                             " ON CONFLICT (partner_id) DO UPDATE SET through_at = ?2",
                             v, 2, NULL, err) < 0)
        return -1;
    (*queued)++;
    return 0;
}

int email_digests_queue(struct store *s, const struct email_digest_cfg *cfg, int64_t now_ms,
                        int limit, char *cursor, size_t cursorlen, int *seen, int64_t *queued,
                        struct pd_err *err)
{
    /* A commission's id carries the time its request arrived, which can precede its commit a
     * little: a digest counts only commissions older than a moment, so none is committed behind
     * it with an id it already passed. */
    int64_t settle = cfg->interval_ms / 2 < 60000 ? cfg->interval_ms / 2 : 60000;
    int64_t through = now_ms - settle;
    struct db_val v[3] = {db_int(through - cfg->interval_ms), db_text(cursor), db_int(limit)};
    struct store_cursor cur;
    if (store_query(s,
                    "SELECT p.id, p.program_id, p.email, COALESCE(d.through_at, p.created_at)"
                    " FROM partners p"
                    " LEFT JOIN email_digests d ON d.partner_id = p.id"
                    " WHERE p.status = 'active' AND p.id > ?2"
                    " AND (d.through_at IS NULL OR d.through_at <= ?1)"
                    " AND NOT EXISTS (SELECT 1 FROM email_optouts o WHERE o.partner_id = p.id"
                    " AND o.kind = 'digest') ORDER BY p.id LIMIT ?3",
                    v, 3, &cur, err) < 0)
        return -1;
    struct arena a;
    arena_init(&a, 8192);
    struct digest_partner *ps = arena_alloc(&a, sizeof *ps * (size_t)limit);
    int n = 0, rc = 0;
    while (n < limit && (rc = store_step(&cur, err)) == STORE_ROW) {
        ps[n].id = col_dup(&a, &cur, 0);
        ps[n].program_id = col_dup(&a, &cur, 1);
        ps[n].email = col_dup(&a, &cur, 2);
        ps[n].since = store_col_int(&cur, 3);
        n++;
    }
    store_finish(&cur);
    for (int i = 0; rc >= 0 && i < n; i++)
        rc = digest_one(s, cfg, &ps[i], through, now_ms, queued, err);
    if (n > 0)
        snprintf(cursor, cursorlen, "%s", ps[n - 1].id);
    *seen = n;
    arena_free(&a);
    return rc < 0 ? -1 : 0;
}
