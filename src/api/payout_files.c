/* GET /api/v1/payouts/{id}/sepa.xml, /paypal.csv and /wise.csv: the export (the items leave
 * through that file the first time) is a write, committed before the file is answered; the file
 * is then written from the worker's read connection, so the writer is not held while it is
 * made. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app/payouts.h"
#include "util/banned.h"

/* A file is as large as its batch: far above the JSON bodies' limit. */
#define FILE_MAX ((size_t)1 << 31)

struct file_request {
    struct payout_file_request req;
    const char *id;
};

static int export_op(struct store *s, struct api_write *w)
{
    struct file_request *f = w->op_arg;
    size_t parts = 0;
    if (payout_export(s, &f->req, f->id, w->call->now_ms, &parts, &w->err) < 0)
        return -1;
    w->result = json_object();
    w->status = 200;
    return 0;
}

static void reply_file(struct api_write *w)
{
    struct api_call *call = w->call;
    struct file_request *f = w->op_arg;
    struct strbuf b;
    strbuf_init(&b, FILE_MAX);
    struct pd_err err = {0};
    if (payout_file_write(call->db, &f->req, f->id, &b, &err) < 0 ||
        strbuf_check(&b, "id", &err) < 0) {
        strbuf_free(&b);
        api_reply_error(call, &err);
        return;
    }
    static const char *const names[] = {"sepa", "paypal", "wise"};
    bool xml = f->req.kind == PAYOUT_FILE_SEPA;
    char *disposition =
        f->req.part ? arena_sprintf(call->req->arena, "attachment; filename=\"%s-%s-%zu.csv\"",
                                    f->id, names[f->req.kind], f->req.part)
                    : arena_sprintf(call->req->arena, "attachment; filename=\"%s-%s.%s\"", f->id,
                                    names[f->req.kind], xml ? "xml" : "csv");
    struct http_header h[3] = {
        {"Content-Type", xml ? "application/xml; charset=utf-8" : "text/csv; charset=utf-8"},
        {"Content-Disposition", disposition},
        {"Cache-Control", "no-store"},
    };
    api_reply_raw(call, 200, h, 3, b.data ? b.data : "", b.len);
    strbuf_free(&b);
}

static void submit_file(struct api_call *call, enum payout_file kind)
{
    static const char *const sepa_query[] = {"version", NULL};
    static const char *const csv_query[] = {"part", NULL};
    struct file_request *f = arena_calloc(call->req->arena, sizeof *f);
    struct pd_err err = {0};
    f->id = call->path_params[0];
    f->req.kind = kind;
    if (api_check_query(call, kind == PAYOUT_FILE_SEPA ? sepa_query : csv_query, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    const char *version = api_query(call, "version");
    const char *part = api_query(call, "part");
    if (version && strcmp(version, "03") != 0 && strcmp(version, "09") != 0) {
        api_reply_errorf(call, PD_ERR_BAD_REQUEST, "version", "version must be 09 or 03");
        return;
    }
    f->req.sepa_v03 = version && strcmp(version, "03") == 0;
    if (part) {
        char *end = NULL;
        long n = strtol(part, &end, 10);
        if (!*part || *end || n < 1 || n > 1000000) {
            api_reply_errorf(call, PD_ERR_BAD_REQUEST, "part", "part must be a number from 1");
            return;
        }
        f->req.part = (size_t)n;
    }
    if (call->req->method == HTTP_HEAD) { /* a link checker's HEAD exports nothing */
        struct http_header h[2] = {
            {"Content-Type", kind == PAYOUT_FILE_SEPA ? "application/xml; charset=utf-8"
                                                      : "text/csv; charset=utf-8"},
            {"Cache-Control", "no-store"},
        };
        api_reply_raw(call, 200, h, 2, "", 0);
        return;
    }
    api_submit_write_reply(call, export_op, f, reply_file);
}

void api_payouts_sepa(struct api_call *call)
{
    submit_file(call, PAYOUT_FILE_SEPA);
}

void api_payouts_paypal_csv(struct api_call *call)
{
    submit_file(call, PAYOUT_FILE_PAYPAL);
}

void api_payouts_wise_csv(struct api_call *call)
{
    submit_file(call, PAYOUT_FILE_WISE);
}
