/* Password reset links: the password_resets table (the one file that writes it). A link's token
 * is "<expiry seconds>-<32 of [A-Za-z0-9]>" like an invite's; only its digest is stored, with the
 * email it resets, its expiry and the time it was used. Using it sets the password of every
 * partner account with that email (one email is one person) and ends all their sessions. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "app/fields.h"
#include "app/partners.h"
#include "auth/auth.h"
#include "core/ids.h"
#include "util/banned.h"

int auth_reset_create(struct store *s, const char *email, int64_t now, char *token, size_t tokenlen,
                      struct pd_err *err)
{
    struct db_val e = db_text(email);
    int64_t accounts = 0;
    if (store_query_int(s, "SELECT COUNT(*) FROM partners WHERE email = ?1", &e, 1, 0, &accounts,
                        err) < 0)
        return -1;
    struct db_val old = db_int(now);
    if (store_exec(s, "DELETE FROM password_resets WHERE expires_at <= ?1", &old, 1, NULL, err) < 0)
        return -1;
    if (accounts == 0)
        return 0;
    char random[AUTH_INVITE_RANDOM_LEN + 1], hash[65];
    id_random_token(random, AUTH_INVITE_RANDOM_LEN);
    random[AUTH_INVITE_RANDOM_LEN] = '\0';
    snprintf(token, tokenlen, "%lld-%s", (long long)((now + AUTH_RESET_TTL_MS) / 1000), random);
    sodium_memzero(random, sizeof random);
    auth_token_hash(token, hash);
    struct db_val v[4] = {db_text(hash), db_text(email), db_int(now),
                          db_int(now + AUTH_RESET_TTL_MS)};
    if (store_exec(s,
                   "INSERT INTO password_resets (token_hash, email, created_at, expires_at)"
                   " VALUES (?1, ?2, ?3, ?4)",
                   v, 4, NULL, err) < 0)
        return -1;
    return 1;
}

int auth_reset_find(struct store *db, const char *token, int64_t now, struct arena *a,
                    const char **email, struct pd_err *err)
{
    int64_t expires;
    if (!auth_invite_token_parse(token, &expires) || expires <= now)
        return 0;
    char hash[65];
    auth_token_hash(token, hash);
    struct db_val v[2] = {db_text(hash), db_int(now)};
    struct store_cursor cur;
    int rc = store_query_row(db,
                             "SELECT email FROM password_resets WHERE token_hash = ?1"
                             " AND used_at IS NULL AND expires_at > ?2",
                             v, 2, &cur, err);
    if (rc < 0)
        return -1;
    if (rc != STORE_ROW)
        return 0;
    *email = col_dup(a, &cur, 0);
    store_finish(&cur);
    return 1;
}

int auth_reset_use(struct store *s, const char *token, const char *password_hash, int64_t now,
                   struct arena *a, const char **email, struct pd_err *err)
{
    int rc = auth_reset_find(s, token, now, a, email, err);
    if (rc <= 0)
        return rc < 0 ? -1 : 1;
    char hash[65];
    auth_token_hash(token, hash);
    struct db_val v[2] = {db_text(hash), db_int(now)};
    int64_t used = 0;
    if (store_exec(s,
                   "UPDATE password_resets SET used_at = ?2 WHERE token_hash = ?1"
                   " AND used_at IS NULL AND expires_at > ?2",
                   v, 2, &used, err) < 0)
        return -1;
    if (used != 1)
        return 1;
    /* The email's other links end with this one: a reset is one event. */
    struct db_val o[3] = {db_text(*email), db_text(hash), db_int(now)};
    int64_t changed = 0;
    if (store_exec(s,
                   "UPDATE password_resets SET used_at = ?3 WHERE email = ?1 AND token_hash <> ?2"
                   " AND used_at IS NULL",
                   o, 3, NULL, err) < 0 ||
        partner_reset_password(s, *email, password_hash, now, &changed, err) < 0 ||
        auth_sessions_end_email(s, *email, err) < 0)
        return -1;
    return 0;
}
