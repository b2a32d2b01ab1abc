/* Partner credentials: the dashboard login a merchant gives a partner (a password, or a one-time
 * invite link), the acceptance of an invite (a partner's or a merchant user's), and the demo's known
 * logins. The rows are written through app/partners.h and app/users.h, the sessions through
 * session.c. */
#include <stdio.h>
#include <string.h>

#include "app/partners.h"
#include "app/users.h"
#include "auth/auth.h"
#include "util/banned.h"

int auth_partner_credentials_prepare(const char *password, const char *email, int64_t now_ms,
                                     struct auth_partner_credentials *c, struct pd_err *err)
{
    memset(c, 0, sizeof *c);
    if (!password) {
        auth_invite_new(now_ms, c->invite_token, sizeof c->invite_token, c->invite_hash);
        return 0;
    }
    if (auth_password_check_policy(password, email, err) < 0)
        return -1;
    /* Rare (a merchant creating a partner with a password), so hashed here on the worker. */
    return auth_password_hash(password, c->password_hash, err);
}

int auth_partner_credentials_store(struct store *s, const char *partner_id,
                                   const struct auth_partner_credentials *c, const char *public_url,
                                   json_t *result, struct pd_err *err)
{
    bool invite = c->password_hash[0] == '\0';
    int rc = invite ? partner_set_invite(s, partner_id, c->invite_hash, err)
                    : partner_set_password(s, partner_id, c->password_hash, err);
    if (rc < 0)
        return -1;
    if (invite) {
        char url[700];
        snprintf(url, sizeof url, "%s/invite/%s", public_url, c->invite_token);
        json_object_set_new(result, "invite_url", json_string(url));
    }
    return 0;
}

int auth_invite_accept(struct store *s, const char *partner_id, const char *token_hash,
                       const char *password_hash, int64_t now, char token[AUTH_TOKEN_LEN + 1],
                       struct pd_err *err)
{
    int64_t changed = 0;
    if (partner_accept_invite(s, partner_id, token_hash, password_hash, now, &changed, err) < 0)
        return -1;
    if (changed != 1)
        return 1;
    if (auth_sessions_end(s, partner_id, err) < 0 ||
        auth_session_insert(s, "partner", partner_id, now, token, err) < 0)
        return -1;
    return 0;
}

int auth_user_invite_accept(struct store *s, const char *user_id, const char *token_hash,
                            const char *password_hash, int64_t now, char token[AUTH_TOKEN_LEN + 1],
                            struct pd_err *err)
{
    int64_t changed = 0;
    if (user_accept_invite(s, user_id, token_hash, password_hash, now, &changed, err) < 0)
        return -1;
    if (changed != 1)
        return 1;
    if (auth_sessions_end(s, user_id, err) < 0 ||
        auth_session_insert(s, "admin", user_id, now, token, err) < 0)
        return -1;
    return 0;
}

int auth_demo_logins(struct store *s, char *admin_email, size_t len, struct pd_err *err)
{
    char partner_hash[AUTH_HASH_MAX];
    if (auth_password_hash(AUTH_DEMO_PARTNER_PASSWORD, partner_hash, err) < 0 ||
        partner_set_every_password(s, partner_hash, err) < 0)
        return -1;
    struct store_cursor cur;
    int rc = store_query_row(s, "SELECT email FROM admins ORDER BY created_at, id LIMIT 1", NULL, 0,
                             &cur, err);
    if (rc < 0)
        return -1;
    snprintf(admin_email, len, "%s", rc == STORE_ROW ? store_col_text(&cur, 0) : "");
    if (rc == STORE_ROW)
        store_finish(&cur);
    return 0;
}
