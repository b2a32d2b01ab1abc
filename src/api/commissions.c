/* /api/v1/commissions and /api/v1/me/commissions */
#include <string.h>

#include "api/api.h"
#include "app/views.h"
#include "app/lifecycle.h"
#include "util/banned.h"

static json_t *commission_row(struct api_call *call, struct store_cursor *cur,
                              struct pd_err *err)
{
    return commission_json_row(cur);
}

void api_commissions_list(struct api_call *call)
{
    api_reply_list(call, &api_list_commissions, NULL, commission_row);
}

void api_me_commissions(struct api_call *call)
{
    api_reply_list(call, &api_list_me_commissions, call->auth.partner_id, commission_row);
}

void api_commissions_get(struct api_call *call)
{
    struct pd_err err = {0};
    json_t *o = commission_explained(call->db, call->path_params[0], call->req->arena, &err);
    if (!o) {
        api_reply_error(call, &err);
        return;
    }
    api_reply_json(call, 200, o);
}

struct decision {
    const char *id, *reason;
    bool approve;
};

static int decision_op(struct store *s, struct api_write *w)
{
    struct decision *d = w->op_arg;
    int rc = d->approve ? commission_approve(s, d->id, w->call->now_ms, &w->err)
                        : commission_reject(s, d->id, d->reason, w->call->now_ms, &w->err);
    if (rc < 0)
        return -1;
    w->result = commission_explained(s, d->id, w->call->req->arena, &w->err);
    w->status = 200;
    return w->result ? 0 : -1;
}

void api_commissions_approve(struct api_call *call)
{
    struct decision *d = arena_calloc(call->req->arena, sizeof *d);
    d->id = call->path_params[0];
    d->approve = true;
    api_submit_write(call, decision_op, d);
}

void api_commissions_reject(struct api_call *call)
{
    static const char *const fields[] = {"reason", NULL};
    struct decision *d = arena_calloc(call->req->arena, sizeof *d);
    struct pd_err err = {0};
    d->id = call->path_params[0];
    if (call->req->body_len > 0) {
        if (api_parse_body(call, &err) < 0 || api_check_fields(call->body, fields, &err) < 0 ||
            api_get_string(call->body, "reason", false, 500, &d->reason, &err) < 0) {
            api_reply_error(call, &err);
            return;
        }
    }
    if (!d->reason) {
        api_reply_errorf(call, PD_ERR_BAD_REQUEST, "reason", "reason is required to reject");
        return;
    }
    api_submit_write(call, decision_op, d);
}
