/* POST /track/lead and POST /track/sale: Dub-compatible conversion tracking, so a store using the
 * official `dub` SDK can point serverURL at partnerd with a partnerd secret key. Same request and
 * response shapes as Dub's API; the mapping onto lead_record / conversion_record is in README
 * ("Integrations"). Fields partnerd does not use are accepted and ignored, as Dub's API does. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app/conversions.h"
#include "app/records.h"
#include "core/ids.h"
#include "core/money.h"
#include "util/banned.h"

#define TRACK_META_MAX 10000 /* Dub: metadata at most 10,000 characters */

/* The program: "program_id" in the body (a partnerd extension), else the Partnerd-Program header,
 * else the only program. */
static int track_program(struct api_call *call, const char **program_id, struct pd_err *err)
{
    if (api_get_string(call->body, "program_id", false, 64, program_id, err) < 0)
        return -1;
    if (!*program_id)
        *program_id = http_header_get(call->req, "Partnerd-Program");
    return 0;
}

/* The customer's external id: customerExternalId, or the older names customerId / externalId. */
static int track_customer(json_t *b, const char **out, struct pd_err *err)
{
    static const char *const names[] = {"customerExternalId", "customerId", "externalId"};
    *out = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !*out; i++)
        if (api_get_string(b, names[i], false, 100, out, err) < 0)
            return -1;
    if (!*out || !**out)
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "customerExternalId",
                          "customerExternalId is required");
    return 0;
}

/* metadata: an object of at most 10,000 characters as JSON; *out is its compact text in the
 * request arena, NULL when absent. */
static int track_metadata(struct api_call *call, const char **out, struct pd_err *err)
{
    *out = NULL;
    json_t *m = json_object_get(call->body, "metadata");
    if (!m || json_is_null(m))
        return 0;
    if (!json_is_object(m))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "metadata", "metadata must be an object");
    char *text = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        return pd_err_set(err, PD_ERR_INTERNAL, "metadata", "out of memory");
    size_t len = strlen(text);
    if (len <= TRACK_META_MAX)
        *out = arena_strdup(call->req->arena, text);
    free(text);
    if (len > TRACK_META_MAX)
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "metadata",
                          "metadata is longer than %d characters", TRACK_META_MAX);
    return 0;
}

/* An error from lead_record / conversion_record names partnerd's field; say Dub's instead. */
static void track_err_param(struct pd_err *err)
{
    static const char *const map[][2] = {{"click_id", "clickId"},
                                         {"ref", "clickId"},
                                         {"customer_id", "customerExternalId"},
                                         {"order_id", "invoiceId"},
                                         {"email", "customerEmail"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(err->param, map[i][0]) == 0) {
            snprintf(err->param, sizeof err->param, "%s", map[i][1]);
            return;
        }
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* ---- /track/lead ---------------------------------------------------------------------------- */

struct track_lead {
    struct lead_input in;
    const char *click_id; /* as sent ("" for a deferred lead) */
    const char *name, *avatar;
};

/* Dub's link object for the click's link, or null. */
static json_t *track_link_json(struct store *s, const char *public_url, const char *click_id,
                               struct pd_err *err)
{
    if (!click_id)
        return json_null();
    struct db_val p = db_text(click_id);
    struct store_cursor cur;
    int rc = store_query_row(s,
                             "SELECT l.id, l.code, l.destination, l.partner_id, l.program_id"
                             " FROM clicks c JOIN links l ON l.id = c.link_id WHERE c.id = ?1",
                             &p, 1, &cur, err);
    if (rc < 0)
        return NULL;
    if (rc != STORE_ROW)
        return json_null();
    const char *host = strstr(public_url, "://");
    host = host ? host + 3 : public_url;
    size_t hostlen = strcspn(host, "/");
    char shortlink[1024];
    snprintf(shortlink, sizeof shortlink, "%s/c/%s", public_url, store_col_text(&cur, 1));
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(store_col_text(&cur, 0)));
    json_object_set_new(o, "domain", json_stringn(host, hostlen));
    json_object_set_new(o, "key", json_string(store_col_text(&cur, 1)));
    json_object_set_new(o, "shortLink", json_string(shortlink));
    json_object_set_new(o, "url", json_string(store_col_text(&cur, 2)));
    json_object_set_new(o, "partnerId", json_string(store_col_text(&cur, 3)));
    json_object_set_new(o, "programId", json_string(store_col_text(&cur, 4)));
    json_object_set_new(o, "tenantId", json_null());
    json_object_set_new(o, "externalId", json_null());
    store_finish(&cur);
    return o;
}

static int track_lead_op(struct store *s, struct api_write *w)
{
    struct track_lead *tl = w->op_arg;
    json_t *lead = NULL;
    if (lead_record(s, &tl->in, w->call->now_ms, w->call->req->arena, &lead, &w->err) < 0) {
        track_err_param(&w->err);
        return -1;
    }
    const char *click_id = json_string_value(json_object_get(lead, "click_id"));
    json_t *link = track_link_json(s, w->call->app->cfg.public_url, click_id, &w->err);
    if (!link) {
        json_decref(lead);
        return -1;
    }
    json_t *click = json_object();
    json_object_set_new(click, "id", json_string(click_id ? click_id : tl->click_id));
    json_t *customer = json_object();
    json_object_set_new(customer, "name", str_or_null(tl->name));
    json_object_set_new(customer, "email", str_or_null(tl->in.email));
    json_object_set_new(customer, "avatar", str_or_null(tl->avatar));
    json_object_set_new(customer, "externalId", json_string(tl->in.customer_id));
    json_t *ext = json_object();
    json_object_set(ext, "lead_id", json_object_get(lead, "id"));
    json_object_set(ext, "partner_id", json_object_get(lead, "partner_id"));
    json_object_set(ext, "method", json_object_get(lead, "method"));
    json_object_set(ext, "bound", json_object_get(lead, "bound"));
    json_decref(lead);
    w->result = json_object();
    json_object_set_new(w->result, "click", click);
    json_object_set_new(w->result, "link", link);
    json_object_set_new(w->result, "customer", customer);
    json_object_set_new(w->result, "partnerd", ext);
    w->status = 200;
    return 0;
}

void api_track_lead(struct api_call *call)
{
    struct track_lead *tl = arena_calloc(call->req->arena, sizeof *tl);
    struct pd_err err = {0};
    json_t *b = call->body;
    const char *event = NULL, *mode = NULL, *meta = NULL;
    if (track_program(call, &tl->in.program_id, &err) < 0 ||
        api_get_string(b, "clickId", false, 64, &tl->click_id, &err) < 0 ||
        api_get_string(b, "eventName", true, 255, &event, &err) < 0 ||
        track_customer(b, &tl->in.customer_id, &err) < 0 ||
        api_get_string(b, "customerName", false, 100, &tl->name, &err) < 0 ||
        api_get_string(b, "customerEmail", false, 254, &tl->in.email, &err) < 0 ||
        api_get_string(b, "customerAvatar", false, 2048, &tl->avatar, &err) < 0 ||
        api_get_string(b, "mode", false, 16, &mode, &err) < 0 ||
        track_metadata(call, &meta, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    (void)meta; /* checked like Dub's; a lead keeps no metadata here */
    if (!tl->click_id) {
        api_reply_errorf(call, PD_ERR_BAD_REQUEST, "clickId",
                         "clickId is required (\"\" for a lead of an already bound customer)");
        return;
    }
    if (mode && strcmp(mode, "async") != 0 && strcmp(mode, "wait") != 0 &&
        strcmp(mode, "deferred") != 0) {
        api_reply_errorf(call, PD_ERR_BAD_REQUEST, "mode", "mode must be async, wait or deferred");
        return;
    }
    tl->in.click_id = tl->click_id[0] ? tl->click_id : NULL;
    api_submit_write(call, track_lead_op, tl);
}

/* ---- /track/sale ---------------------------------------------------------------------------- */

struct track_sale {
    struct conversion_input in;
    const char *event, *processor, *invoice_id, *name, *avatar;
    const char *metadata; /* compact JSON text or NULL */
};

static int track_sale_op(struct store *s, struct api_write *w)
{
    struct track_sale *ts = w->op_arg;
    int status = 0;
    json_t *conv = NULL;
    if (conversion_record(s, &ts->in, w->call->now_ms, w->call->req->arena, &status, &conv,
                          &w->err) < 0) {
        track_err_param(&w->err);
        return -1;
    }
    if (status == 201)
        atomic_fetch_add(&w->call->app->metrics.conversions, 1);
    char lower[4] = {0};
    const char *code = json_string_value(json_object_get(conv, "currency"));
    for (size_t i = 0; code && i < 3 && code[i]; i++)
        lower[i] = (char)(code[i] | 0x20);
    json_t *customer = json_object();
    json_object_set_new(customer, "id", json_string(ts->in.customer_id));
    json_object_set_new(customer, "name", str_or_null(ts->name));
    json_object_set_new(customer, "email", str_or_null(ts->in.email));
    json_object_set_new(customer, "avatar", str_or_null(ts->avatar));
    json_object_set_new(customer, "externalId", json_string(ts->in.customer_id));
    json_t *sale = json_object();
    json_object_set(sale, "amount", json_object_get(conv, "amount"));
    json_object_set_new(sale, "currency", json_string(lower));
    json_object_set_new(sale, "paymentProcessor", json_string(ts->processor));
    json_object_set_new(sale, "invoiceId", str_or_null(ts->invoice_id));
    json_object_set_new(sale, "metadata",
                        ts->metadata ? json_loads(ts->metadata, 0, NULL) : json_null());
    json_t *ext = json_object();
    json_object_set(ext, "conversion_id", json_object_get(conv, "id"));
    json_object_set(ext, "order_id", json_object_get(conv, "order_id"));
    json_object_set(ext, "partner_id", json_object_get(conv, "partner_id"));
    json_object_set(ext, "attribution", json_object_get(conv, "attribution"));
    json_object_set_new(ext, "duplicate", json_boolean(status != 201));
    json_decref(conv);
    w->result = json_object();
    json_object_set_new(w->result, "eventName", json_string(ts->event));
    json_object_set_new(w->result, "customer", customer);
    json_object_set_new(w->result, "sale", sale);
    json_object_set_new(w->result, "partnerd", ext);
    w->status = 200;
    return 0;
}

void api_track_sale(struct api_call *call)
{
    struct arena *a = call->req->arena;
    struct track_sale *ts = arena_calloc(a, sizeof *ts);
    struct conversion_input *in = &ts->in;
    struct pd_err err = {0};
    json_t *b = call->body;
    const char *lead_event = NULL;
    if (track_program(call, &in->program_id, &err) < 0 ||
        track_customer(b, &in->customer_id, &err) < 0 ||
        api_get_int(b, "amount", true, 0, MONEY_MAX_AMOUNT, &in->amount, &err) < 0 ||
        api_get_string(b, "currency", false, 3, &in->currency, &err) < 0 ||
        api_get_string(b, "eventName", false, 255, &ts->event, &err) < 0 ||
        api_get_string(b, "paymentProcessor", false, 32, &ts->processor, &err) < 0 ||
        api_get_string(b, "invoiceId", false, 190, &ts->invoice_id, &err) < 0 ||
        api_get_string(b, "leadEventName", false, 255, &lead_event, &err) < 0 ||
        api_get_string(b, "clickId", false, 64, &in->click_id, &err) < 0 ||
        api_get_string(b, "customerName", false, 100, &ts->name, &err) < 0 ||
        api_get_string(b, "customerEmail", false, 254, &in->email, &err) < 0 ||
        api_get_string(b, "customerAvatar", false, 2048, &ts->avatar, &err) < 0 ||
        track_metadata(call, &ts->metadata, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    if (!ts->event)
        ts->event = "Purchase";
    if (!ts->processor)
        ts->processor = "custom";
    if (in->click_id && !in->click_id[0])
        in->click_id = NULL;
    if (ts->invoice_id && !ts->invoice_id[0])
        ts->invoice_id = NULL;
    /* Dub defaults to usd; here a sale without currency is in the program's currency. */
    if (in->currency && !currency_find(in->currency)) {
        api_reply_errorf(call, PD_ERR_BAD_REQUEST, "currency",
                         "currency must be an ISO 4217 code such as usd");
        return;
    }
    if (!in->currency) {
        struct program prog;
        if (program_resolve(call->db, in->program_id, a, &prog, &err) != 0) {
            api_reply_error(call, &err);
            return;
        }
        in->currency = prog.currency->code;
    }
    /* With an invoiceId the same sale sent again answers the first (200, same body); a different
     * body under it is 409. Without one every call is a new sale under a generated order id. */
    if (ts->invoice_id) {
        in->order_id = ts->invoice_id;
    } else {
        char id[ID_MAX_LEN];
        id_new(id, sizeof id, "dub_", (uint64_t)call->now_ms);
        in->order_id = arena_strdup(a, id);
    }
    json_t *stored = json_pack("{s:s, s:s, s:s}", "source", "dub", "eventName", ts->event,
                               "paymentProcessor", ts->processor);
    if (lead_event)
        json_object_set_new(stored, "leadEventName", json_string(lead_event));
    if (ts->metadata)
        json_object_set_new(stored, "metadata", json_loads(ts->metadata, 0, NULL));
    char *text = json_dumps(stored, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(stored);
    in->metadata_json = arena_strdup(a, text);
    free(text);
    char *canonical = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
    unsigned char digest[32];
    crypto_generichash(digest, sizeof digest, (const unsigned char *)canonical, strlen(canonical),
                       NULL, 0);
    free(canonical);
    sodium_bin2hex(in->request_hash, sizeof in->request_hash, digest, sizeof digest);
    api_submit_write_any_lane(call, track_sale_op, ts);
}
