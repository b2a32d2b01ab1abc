/* /api/v1/payouts (the batches: make, list, read, refresh, delete, pay, settle an item) and
 * /api/v1/me/payouts. The files are in api/payout_files.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app/payouts.h"
#include "app/records.h"
#include "util/banned.h"

struct payout_request {
    const char *program_id, *period, *id, *item, *reason;
};

/* The batch with its items and its downloads, as every answer about one batch gives it. */
static json_t *batch_json(struct store *s, const char *id, struct pd_err *err)
{
    json_t *o = payout_json(s, id, true, err);
    json_t *files = o ? payout_files_json(s, id, err) : NULL;
    if (!files) {
        json_decref(o);
        return NULL;
    }
    json_object_set_new(o, "files", files);
    if (api_payout_add_paypal(s, o, err) < 0) { /* paypal */
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *api_payout_batch_json(struct store *s, const char *id, struct pd_err *err)
{
    return batch_json(s, id, err);
}

static int answer_batch(struct store *s, struct api_write *w, const char *id, int status)
{
    w->result = batch_json(s, id, &w->err);
    w->status = status;
    return w->result ? 0 : -1;
}

static int payout_create_op(struct store *s, struct api_write *w)
{
    struct payout_request *r = w->op_arg;
    const char *id;
    bool created;
    if (payout_create(s, r->program_id, r->period, w->call->now_ms, w->call->req->arena, &id,
                      &created, NULL, NULL, &w->err) < 0)
        return -1;
    return answer_batch(s, w, id, created ? 201 : 200);
}

void api_payouts_create(struct api_call *call)
{
    static const char *const fields[] = {"program_id", "period", NULL};
    struct payout_request *r = arena_calloc(call->req->arena, sizeof *r);
    struct pd_err err = {0};
    int64_t start, end;
    if (api_check_fields(call->body, fields, &err) < 0 ||
        api_get_string(call->body, "program_id", false, 64, &r->program_id, &err) < 0 ||
        api_get_string(call->body, "period", true, 7, &r->period, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    if (!payout_period_parse(r->period, &start, &end)) {
        api_reply_errorf(call, PD_ERR_BAD_REQUEST, "period", "period must be YYYY-MM");
        return;
    }
    api_submit_write(call, payout_create_op, r);
}

static int payout_paid_op(struct store *s, struct api_write *w)
{
    struct payout_request *r = w->op_arg;
    if (payout_mark_paid(s, r->id, w->call->now_ms, &w->err) < 0)
        return -1;
    return answer_batch(s, w, r->id, 200);
}

static int payout_refresh_op(struct store *s, struct api_write *w)
{
    struct payout_request *r = w->op_arg;
    if (payout_refresh(s, r->id, w->call->now_ms, &w->err) < 0)
        return -1;
    return answer_batch(s, w, r->id, 200);
}

static int payout_delete_op(struct store *s, struct api_write *w)
{
    struct payout_request *r = w->op_arg;
    if (payout_delete(s, r->id, w->call->now_ms, &w->err) < 0)
        return -1;
    w->result = json_pack("{s:s, s:s, s:b}", "id", r->id, "object", "payout", "deleted", 1);
    w->status = 200;
    return 0;
}

/* POST /api/v1/payouts/{id}/items/{item}/paid|failed: the item by its id ("poi_" and its
 * reference) or its reference. */
static int payout_settle_op(struct store *s, struct api_write *w)
{
    struct payout_request *r = w->op_arg;
    const char *ref = strncmp(r->item, "poi_", 4) == 0 ? r->item + 4 : r->item;
    if (payout_item_settle_by_hand(s, r->id, ref, r->reason == NULL, r->reason, w->call->now_ms,
                                   &w->err) < 0)
        return -1;
    return answer_batch(s, w, r->id, 200);
}

static void submit_on_batch(struct api_call *call, api_write_op op)
{
    struct payout_request *r = arena_calloc(call->req->arena, sizeof *r);
    r->id = call->path_params[0];
    r->item = call->path_params[1];
    api_submit_write(call, op, r);
}

void api_payouts_paid(struct api_call *call)
{
    submit_on_batch(call, payout_paid_op);
}

void api_payouts_refresh(struct api_call *call)
{
    submit_on_batch(call, payout_refresh_op);
}

void api_payouts_delete(struct api_call *call)
{
    submit_on_batch(call, payout_delete_op);
}

void api_payout_item_paid(struct api_call *call)
{
    submit_on_batch(call, payout_settle_op);
}

void api_payout_item_failed(struct api_call *call)
{
    static const char *const fields[] = {"reason", NULL};
    struct payout_request *r = arena_calloc(call->req->arena, sizeof *r);
    struct pd_err err = {0};
    r->id = call->path_params[0];
    r->item = call->path_params[1];
    if (api_check_fields(call->body, fields, &err) < 0 ||
        api_get_string(call->body, "reason", true, 200, &r->reason, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    api_submit_write(call, payout_settle_op, r);
}

static void reply_csv(struct api_call *call, const char *id)
{
    struct pd_err err = {0};
    json_t *exists = payout_json(call->db, id, false, &err);
    if (!exists) {
        api_reply_error(call, &err);
        return;
    }
    json_decref(exists);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        api_reply_errorf(call, PD_ERR_INTERNAL, NULL, "out of memory");
        return;
    }
    int rc = payout_write_csv(call->db, id, f, NULL, NULL, &err);
    fclose(f);
    if (rc < 0) {
        free(text);
        api_reply_error(call, &err);
        return;
    }
    char *disposition = arena_sprintf(call->req->arena, "attachment; filename=\"%s.csv\"", id);
    struct http_header h[3] = {
        {"Content-Type", "text/csv; charset=utf-8"},
        {"Content-Disposition", disposition},
        {"Cache-Control", "no-store"},
    };
    api_reply_raw(call, 200, h, 3, text, len);
    free(text);
}

void api_payouts_get(struct api_call *call)
{
    const char *id = call->path_params[0];
    size_t len = strlen(id);
    if (len > 4 && strcmp(id + len - 4, ".csv") == 0) {
        reply_csv(call, arena_strndup(call->req->arena, id, len - 4));
        return;
    }
    struct pd_err err = {0};
    json_t *o = batch_json(call->db, id, &err);
    if (!o) {
        api_reply_error(call, &err);
        return;
    }
    api_reply_json(call, 200, o);
}

static json_t *payout_row(struct api_call *call, struct store_cursor *cur, struct pd_err *err)
{
    return payout_json(call->db, store_col_text(cur, 0), false, err);
}

void api_payouts_list(struct api_call *call)
{
    api_reply_list(call, &api_list_payouts, NULL, payout_row);
}

static json_t *statement_row(struct api_call *call, struct store_cursor *cur, struct pd_err *err)
{
    return payout_statement_json(cur);
}

void api_me_payouts(struct api_call *call)
{
    api_reply_list(call, &api_list_me_payouts, call->auth.partner_id, statement_row);
}
