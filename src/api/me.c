/* /api/v1/me: the partner behind a partner key. */
#include "api/api.h"
#include "util/banned.h"

void api_me_get(struct api_call *call)
{
    api_reply_partner(call, call->auth.partner_id);
}
