/* /api/v1/partners/{id}/invite: the merchant sends a partner a new one-time invite link (the old
 * one stops working; the "invite" email is queued with the link, which the answer carries too) or
 * revokes the pending one. A partner who has set a password has no invite to send: it uses the
 * forgotten-password link instead. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "app/emails.h"
#include "app/records.h"
#include "util/banned.h"

/* 0 with p loaded (and *has_password), -1 with w->err. */
static int invite_partner(struct store *s, struct api_write *w, struct partner *p,
                          bool *has_password)
{
    int rc = partner_load(s, w->call->path_params[0], w->call->req->arena, p, &w->err);
    if (rc != 0) {
        if (rc > 0)
            snprintf(w->err.param, sizeof w->err.param, "id");
        return -1;
    }
    struct db_val id = db_text(p->id);
    int64_t n = 0;
    if (store_query_int(s,
                        "SELECT COUNT(*) FROM partners WHERE id = ?1 AND password_hash IS NOT NULL",
                        &id, 1, 0, &n, &w->err) < 0)
        return -1;
    *has_password = n > 0;
    return 0;
}

static int invite_send_op(struct store *s, struct api_write *w)
{
    struct partner p;
    bool has_password;
    if (invite_partner(s, w, &p, &has_password) < 0)
        return -1;
    if (has_password)
        return pd_err_set(&w->err, PD_ERR_CONFLICT, "id",
                          "this partner has already set a password; it can ask for a new one at "
                          "/forgot");
    char token[80], hash[65];
    auth_invite_new(w->call->now_ms, token, sizeof token, hash);
    if (partner_set_invite(s, p.id, hash, &w->err) < 0)
        return -1;
    const char *url =
        arena_sprintf(w->call->req->arena, "%s/invite/%s", w->call->app->cfg.public_url, token);
    json_t *vars = json_pack("{s:s}", "link", url);
    struct email_msg m = {.program_id = p.program_id,
                          .partner_id = p.id,
                          .kind = "invite",
                          .to = p.email,
                          .vars = vars};
    int rc = email_queue(s, &m, w->call->now_ms, &w->err);
    json_decref(vars);
    if (rc < 0)
        return -1;
    w->status = 200;
    w->result =
        json_pack("{s:s, s:s, s:s, s:o}", "object", "invite", "partner_id", p.id, "invite_url", url,
                  "expires", pd_json_time(w->call->now_ms + AUTH_INVITE_TTL_MS));
    return 0;
}

static int invite_revoke_op(struct store *s, struct api_write *w)
{
    struct partner p;
    bool has_password;
    if (invite_partner(s, w, &p, &has_password) < 0 ||
        partner_set_invite(s, p.id, NULL, &w->err) < 0)
        return -1;
    w->status = 200;
    w->result = json_pack("{s:s, s:s, s:b}", "object", "invite", "partner_id", p.id, "revoked", 1);
    return 0;
}

void api_partner_invite_send(struct api_call *call)
{
    api_submit_write(call, invite_send_op, NULL);
}

void api_partner_invite_revoke(struct api_call *call)
{
    api_submit_write(call, invite_revoke_op, NULL);
}
