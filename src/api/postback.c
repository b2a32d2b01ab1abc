/* GET /postback: a conversion from a cart that can only fire a URL. Authenticated by the program's
 * postback token (the token is never logged nor echoed), recorded by conversion_record through the
 * group-commit writer like POST /api/v1/conversions. */
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/postback.h"
#include "app/conversions.h"
#include "app/records.h"
#include "core/money.h"
#include "http/query.h"
#include "util/banned.h"

struct postback_field {
    const char *name;
    size_t offset;
    size_t max_len;
};

#define PB_FIELD(n, f, max)                                                                        \
    {                                                                                              \
        n, offsetof(struct postback_params, f), max                                                \
    }
static const struct postback_field postback_fields[] = {
    PB_FIELD("token", token, 64),
    PB_FIELD("click_id", click_id, 64),
    PB_FIELD("transaction_id", click_id, 64),
    PB_FIELD("clickid", click_id, 64),
    PB_FIELD("subid", click_id, 64),
    PB_FIELD("cid", click_id, 64),
    PB_FIELD("r", click_id, 64), /* CAKE: the request (session) id */
    PB_FIELD("order_id", order_id, 255),
    PB_FIELD("txid", order_id, 255),
    PB_FIELD("tid", order_id, 255),
    PB_FIELD("action_id", order_id, 255), /* Affise */
    PB_FIELD("t", order_id, 255),         /* CAKE: the advertiser's transaction id */
    PB_FIELD("amount", amount, 32),
    PB_FIELD("sum", amount, 32),
    PB_FIELD("payout", amount, 32),
    PB_FIELD("p", amount, 32), /* CAKE: the price (received amount) */
    PB_FIELD("currency", currency, 3),
    PB_FIELD("status", status, 32),
};

int postback_params_parse(struct arena *a, const char *query, struct postback_params *out,
                          struct pd_err *err)
{
    memset(out, 0, sizeof *out);
    if (!query)
        return 0;
    struct http_param *params = NULL;
    size_t n = 0;
    if (http_query_parse(a, query, POSTBACK_MAX_PARAMS, &params, &n) < 0)
        return pd_err_set(err, PD_ERR_BAD_REQUEST, NULL,
                          "malformed query string (bad %%-escape, NUL, or more than %d parameters)",
                          POSTBACK_MAX_PARAMS);
    for (size_t i = 0; i < n; i++) {
        const struct postback_field *f = NULL;
        for (size_t j = 0; j < sizeof postback_fields / sizeof postback_fields[0] && !f; j++)
            if (strcmp(params[i].key, postback_fields[j].name) == 0)
                f = &postback_fields[j];
        if (!f || params[i].value[0] == '\0')
            continue;
        const char *v = params[i].value;
        /* The token's value is never put into a message. */
        if (strlen(v) > f->max_len)
            return pd_err_set(err, PD_ERR_BAD_REQUEST, f->name, "%s is longer than %zu characters",
                              f->name, f->max_len);
        const char **slot = (const char **)((char *)out + f->offset);
        if (*slot && strcmp(*slot, v) != 0)
            return pd_err_set(err, PD_ERR_BAD_REQUEST, f->name,
                              "%s is given twice with different values (it has aliases)", f->name);
        *slot = v;
    }
    return 0;
}

char *postback_amount_trim(struct arena *a, const char *amount, int exponent)
{
    char *s = arena_strdup(a, amount);
    char *dot = strchr(s, '.');
    if (!dot)
        return s;
    size_t len = strlen(s);
    while (len > (size_t)(dot - s) + 1 + (size_t)exponent && s[len - 1] == '0')
        s[--len] = '\0';
    if (s[len - 1] == '.' && len > 1)
        s[--len] = '\0';
    return s;
}

/* The numeric codes are Affise's: 1 approved, 2 pending, 5 hold (recorded; the hold period and the
 * merchant approve commissions, never the network), 3 declined (refused like "declined"). */
enum postback_status postback_status_kind(const char *status)
{
    static const char *const record[] = {"approved",  "approve", "pending", "completed", "complete",
                                         "confirmed", "paid",    "success", "succeeded", "hold",
                                         "1",         "2",       "5",       NULL};
    static const char *const refuse[] = {
        "rejected", "reject",     "declined", "decline", "cancelled", "canceled", "refunded",
        "reversed", "chargeback", "fraud",    "failed",  "0",         "3",        NULL};
    if (!status)
        return POSTBACK_RECORD;
    for (const char *const *s = record; *s; s++)
        if (strcasecmp(*s, status) == 0)
            return POSTBACK_RECORD;
    for (const char *const *s = refuse; *s; s++)
        if (strcasecmp(*s, status) == 0)
            return POSTBACK_REFUSE;
    return POSTBACK_UNKNOWN;
}

static int postback_op(struct store *s, struct api_write *w)
{
    const struct conversion_input *in = w->op_arg;
    int status = 0;
    json_t *conv = NULL;
    if (conversion_record(s, in, w->call->now_ms, w->call->req->arena, &status, &conv, &w->err) < 0)
        return -1;
    if (status == 201)
        atomic_fetch_add(&w->call->app->metrics.conversions, 1);
    json_t *partner = json_object_get(conv, "partner_id");
    w->result =
        json_pack("{s:b, s:O, s:O, s:b, s:O}", "success", 1, "conversion_id",
                  json_object_get(conv, "id"), "order_id", json_object_get(conv, "order_id"),
                  "duplicate", status != 201, "partner_id", partner ? partner : json_null());
    json_decref(conv);
    if (!w->result)
        return pd_err_set(&w->err, PD_ERR_INTERNAL, NULL, "out of memory");
    w->status = 200;
    return 0;
}

/* Finds the program whose postback token this is: looked up by value (the column is UNIQUE), then
 * compared again in constant time. 0 found, -1 with err. */
static int postback_program(struct api_call *call, const char *token, struct program *prog,
                            struct pd_err *err)
{
    if (!token)
        return pd_err_set(err, PD_ERR_UNAUTHORIZED, "token",
                          "token is required (the program's postback_token)");
    struct db_val p = db_text(token);
    struct store_cursor cur;
    int rc = store_query_row(call->db,
                             "SELECT id, postback_token FROM programs"
                             " WHERE postback_token = ?1",
                             &p, 1, &cur, err);
    if (rc < 0)
        return -1;
    bool same = false;
    const char *id = NULL;
    if (rc == STORE_ROW) {
        const char *stored = store_col_text(&cur, 1);
        size_t len = strlen(token);
        same = strlen(stored) == len && sodium_memcmp(stored, token, len) == 0;
        id = col_dup(call->req->arena, &cur, 0);
        store_finish(&cur);
    }
    if (!same)
        return pd_err_set(err, PD_ERR_FORBIDDEN, "token",
                          "invalid postback token, or postbacks are off for the program");
    rc = program_load(call->db, id, call->req->arena, prog, err);
    return rc == 0 ? 0 : -1;
}

void api_postback(struct api_call *call)
{
    struct arena *a = call->req->arena;
    struct postback_params pp;
    struct pd_err err = {0};
    struct program prog;
    if (call->req->method == HTTP_HEAD) { /* a link checker's HEAD records nothing */
        api_reply_errorf(call, PD_ERR_BAD_REQUEST, NULL, "a postback is a GET");
        return;
    }
    if (postback_params_parse(a, call->req->query, &pp, &err) < 0 ||
        postback_program(call, pp.token, &prog, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    if (!pp.order_id) {
        api_reply_errorf(call, PD_ERR_BAD_REQUEST, "order_id",
                         "order_id (or txid, tid, action_id, t) is required");
        return;
    }
    if (!pp.amount) {
        api_reply_errorf(call, PD_ERR_BAD_REQUEST, "amount",
                         "amount (or sum, payout, p) is required, e.g. amount=12.34");
        return;
    }
    struct conversion_input *in = arena_calloc(a, sizeof *in);
    const char *amount = postback_amount_trim(a, pp.amount, prog.currency->exponent);
    if (!money_parse_decimal(amount, prog.currency->exponent, false, &in->amount)) {
        api_reply_errorf(call, PD_ERR_BAD_REQUEST, "amount",
                         "amount must be a decimal number in %s with at most %d decimals",
                         prog.currency->code, prog.currency->exponent);
        return;
    }
    if (in->amount > MONEY_MAX_AMOUNT) {
        char max[32];
        money_format(MONEY_MAX_AMOUNT, prog.currency->exponent, max, sizeof max);
        api_reply_errorf(call, PD_ERR_UNPROCESSABLE, "amount",
                         "amount must be at most %s %s", max, prog.currency->code);
        return;
    }
    const struct currency *cur = pp.currency ? currency_find(pp.currency) : prog.currency;
    if (!cur) {
        api_reply_errorf(call, PD_ERR_BAD_REQUEST, "currency",
                         "currency must be an ISO 4217 code such as USD");
        return;
    }
    enum postback_status sk = postback_status_kind(pp.status);
    if (sk == POSTBACK_UNKNOWN) {
        api_reply_errorf(call, PD_ERR_BAD_REQUEST, "status",
                         "status must be approved or pending (or omitted)");
        return;
    }
    if (sk == POSTBACK_REFUSE) {
        api_reply_errorf(call, PD_ERR_UNPROCESSABLE, "status",
                         "a %s conversion is not recorded; refunds go through the API", pp.status);
        return;
    }
    in->program_id = prog.id;
    in->order_id = pp.order_id;
    in->currency = cur->code;
    in->click_id = pp.click_id;
    json_t *meta = json_pack("{s:s}", "source", "postback");
    if (pp.status)
        json_object_set_new(meta, "postback_status", json_string(pp.status));
    char *text = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(meta);
    in->metadata_json = arena_strdup(a, text);
    free(text);
    /* A replay is the same order, amount, currency and click; the status may change between two
     * fires of the same postback (pending, then approved) and still answers the first conversion.
     */
    char *canonical =
        arena_sprintf(a, "postback\n%s\n%lld\n%s\n%s", pp.order_id, (long long)in->amount,
                      cur->code, pp.click_id ? pp.click_id : "");
    unsigned char digest[32];
    crypto_generichash(digest, sizeof digest, (const unsigned char *)canonical, strlen(canonical),
                       NULL, 0);
    sodium_bin2hex(in->request_hash, sizeof in->request_hash, digest, sizeof digest);
    /* An Idempotency-Key on a postback is scoped to its program. */
    snprintf(call->auth.key_id, sizeof call->auth.key_id, "postback:%.32s", prog.id);
    api_submit_write_any_lane(call, postback_op, in);
}
