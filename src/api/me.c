/* /api/v1/me: the partner behind a partner key, with whether it receives the daily digest. */
#include "api/api.h"
#include "app/emails.h"
#include "util/banned.h"

void api_me_get(struct api_call *call)
{
    struct pd_err err = {0};
    bool digest = true;
    json_t *o = api_partner_json(call, call->auth.partner_id, &err);
    if (!o || email_digest_get(call->db, call->auth.partner_id, &digest, &err) < 0) {
        json_decref(o);
        api_reply_error(call, &err);
        return;
    }
    json_object_set_new(o, "email_digest", json_boolean(digest));
    api_reply_json(call, 200, o);
}
