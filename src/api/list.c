/* Every list of the API and how one page of it is read (the contract is in api.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "app/connections.h" /* CONNECTION_COLUMNS */
#include "app/views.h"       /* COMMISSION_COLUMNS */
#include "core/ids.h"
#include "store/store.h"
#include "util/timefmt.h"
#include "util/banned.h"

/* The indexes that serve them are in src/store/migrations (001, 005, 010): for each filter
 * combination the API and the dashboards use, one index starts with the filters' columns and
 * ends with the id. A filter implied by another (a partner's program, a conversion's partner) is
 * checked on the rows that index finds. */
/* A filter whose parameter is the column it compares with =. */
#define EQ(name)                                                                                   \
    {                                                                                              \
        name, name, API_FILTER_EQ                                                                  \
    }

const struct api_list api_list_programs = {
    .name = "programs", .select = "SELECT id FROM programs", .key = "id", .prefix = "prg_"};

const struct api_list api_list_partners = {
    .name = "partners",
    .select = "SELECT id FROM partners",
    .key = "id",
    .prefix = "ptn_",
    .filters = {EQ("program_id"), EQ("status"), EQ("email"), EQ("ref_code")},
    .leads = {8, 1 | 4, 1 | 2, 1, 2}};

#define LINK_SELECT                                                                                \
    "SELECT id, program_id, partner_id, code, destination, sub1, sub2, sub3, sub4, sub5,"          \
    " is_default, created_at, disabled, archived_at FROM links"
const struct api_list api_list_links = {.name = "links",
                                        .select = LINK_SELECT,
                                        .key = "id",
                                        .prefix = "lnk_",
                                        .filters = {EQ("partner_id"),
                                                    {"archived", "archived_at", API_FILTER_SET}},
                                        .leads = {1}};
const struct api_list api_list_me_links = {.name = "me/links",
                                           .select = LINK_SELECT,
                                           .key = "id",
                                           .prefix = "lnk_",
                                           .own = "partner_id",
                                           .filters = {{"archived", "archived_at", API_FILTER_SET}},
                                           .leads = {API_LIST_OWN}};

const struct api_list api_list_conversions = {.name = "conversions",
                                              .select = "SELECT id FROM conversions",
                                              .key = "id",
                                              .prefix = "cnv_",
                                              .filters = {EQ("program_id"),
                                                          EQ("partner_id"),
                                                          EQ("attribution_method"),
                                                          {"fraud", "fraud_reason", API_FILTER_SET},
                                                          {"created[gte]", "id", API_FILTER_SINCE},
                                                          {"created[lt]", "id", API_FILTER_BEFORE}},
                                              .leads = {2, 1}};

const struct api_list api_list_commissions = {
    .name = "commissions",
    .select = "SELECT " COMMISSION_COLUMNS " FROM commissions",
    .key = "id",
    .prefix = "com_",
    .filters = {EQ("program_id"), EQ("partner_id"), EQ("status"), EQ("conversion_id")},
    .leads = {8, 2, 1 | 4, 1, 4}};
const struct api_list api_list_me_commissions = {.name = "me/commissions",
                                                 .select = "SELECT " COMMISSION_COLUMNS
                                                           " FROM commissions",
                                                 .key = "id",
                                                 .prefix = "com_",
                                                 .own = "partner_id",
                                                 .filters = {EQ("status")},
                                                 .leads = {API_LIST_OWN}};

const struct api_list api_list_payouts = {.name = "payouts",
                                          .select = "SELECT id FROM payouts",
                                          .key = "id",
                                          .prefix = "pay_",
                                          .filters = {EQ("program_id")},
                                          .leads = {1}};
/* A partner's statements: its line of each payout batch, the batch's id as the cursor. */
const struct api_list api_list_me_payouts = {
    .name = "me/payouts",
    .select = "SELECT y.id, y.period, i.status, i.amount, i.currency, i.reference, y.created_at,"
              " i.sent_at, i.paid_at, i.failed_at, i.reason"
              " FROM payout_items i JOIN payouts y ON y.id = i.payout_id",
    .key = "i.payout_id",
    .prefix = "pay_",
    .own = "i.partner_id",
    .leads = {API_LIST_OWN}};

const struct api_list api_list_webhooks = {
    .name = "webhooks",
    .select = "SELECT id, url, events, description, created_at FROM webhook_endpoints",
    .key = "id",
    .prefix = "whe_"};
const struct api_list api_list_deliveries = {
    .name = "webhooks/deliveries",
    .select = "SELECT id, event_id, event_type, status, attempts, last_status, last_error,"
              " next_attempt_at, finished_at, created_at FROM webhook_deliveries",
    .key = "id",
    .prefix = "whd_",
    .own = "endpoint_id",
    .filters = {EQ("status")},
    .leads = {API_LIST_OWN | 1, API_LIST_OWN}};

const struct api_list api_list_connections = {.name = "connections",
                                              .select = "SELECT " CONNECTION_COLUMNS
                                                        " FROM connections",
                                              .key = "id",
                                              .prefix = "con_",
                                              .own = "program_id",
                                              .leads = {API_LIST_OWN}};
const struct api_list api_list_connection_events = {.name = "connections/events",
                                                    .select = "SELECT " CONNECTION_EVENT_COLUMNS
                                                              " FROM connection_events",
                                                    .key = "id",
                                                    .prefix = "cev_",
                                                    .own = "connection_id",
                                                    .leads = {API_LIST_OWN}};

/* email: the outbox, newest first; the program's name makes each subject */
const struct api_list api_list_emails = {
    .name = "emails",
    .select = "SELECT e.id, e.kind, e.to_addr, e.status, e.attempts, e.last_error, e.created_at,"
              " e.sent_at, e.vars, g.name, e.partner_id, e.program_id FROM emails e"
              " LEFT JOIN programs g ON g.id = e.program_id",
    .key = "e.id",
    .prefix = "eml_",
    .filters = {{"status", "e.status", API_FILTER_EQ}, {"partner_id", "e.partner_id", API_FILTER_EQ}},
    .leads = {2, 1}};

const struct api_list *const api_lists[] = {
    &api_list_programs,    &api_list_partners,    &api_list_links,          &api_list_me_links,
    &api_list_conversions, &api_list_commissions, &api_list_me_commissions, &api_list_payouts,
    &api_list_me_payouts,  &api_list_webhooks,    &api_list_deliveries,     &api_list_connections,
    &api_list_connection_events, &api_list_emails, NULL};

unsigned api_list_lead(const struct api_list *list, unsigned present, bool own)
{
    unsigned asked = present | (own && list->own ? API_LIST_OWN : 0);
    for (int k = 0; k < 6 && list->leads[k]; k++)
        if ((list->leads[k] & ~asked) == 0)
            return list->leads[k];
    return 0;
}

char *api_list_sql(struct arena *a, const struct api_list *list, unsigned present, bool own,
                   enum api_list_dir dir, int *nparams)
{
    char sql[1024];
    int n = 0;
    size_t len = (size_t)snprintf(sql, sizeof sql, "%s", list->select);
    const char *glue = " WHERE ";
    unsigned asked = present | (own && list->own ? API_LIST_OWN : 0);
    unsigned lead = api_list_lead(list, present, own);
    /* `col || '' = ?` is `col = ?` (text columns) that no index serves, in both dialects. */
    if (asked & API_LIST_OWN) {
        len += (size_t)snprintf(sql + len, sizeof sql - len, "%s%s%s = ?%d", glue, list->own,
                                lead & API_LIST_OWN ? "" : " || ''", ++n);
        glue = " AND ";
    }
    for (int i = 0; i < API_LIST_MAX_FILTERS && list->filters[i].param; i++) {
        if (!(present & (1u << i)))
            continue;
        const struct api_list_filter *f = &list->filters[i];
        static const char *const form[] = {
            [API_FILTER_EQ] = "%s%s%s = ?%d",
            [API_FILTER_SET] = "%s(CASE WHEN %s IS NULL THEN 0 ELSE 1 END)%s = ?%d",
            [API_FILTER_SINCE] = "%s%s%s >= ?%d",
            [API_FILTER_BEFORE] = "%s%s%s < ?%d",
        };
        bool residual = f->kind == API_FILTER_EQ && !(lead & (1u << i));
        len += (size_t)snprintf(sql + len, sizeof sql - len, form[f->kind], glue, f->column,
                                residual ? " || ''" : "", ++n);
        glue = " AND ";
    }
    if (dir != API_LIST_FIRST)
        len += (size_t)snprintf(sql + len, sizeof sql - len, "%s%s %c ?%d", glue, list->key,
                                dir == API_LIST_AFTER ? '<' : '>', ++n);
    len += (size_t)snprintf(sql + len, sizeof sql - len, " ORDER BY %s %s LIMIT ?%d", list->key,
                            dir == API_LIST_BEFORE ? "ASC" : "DESC", ++n);
    if (len >= sizeof sql)
        abort(); /* the lists above are constants far shorter than this */
    *nparams = n;
    return arena_strdup(a, sql);
}

struct list_page {
    int limit;
    enum api_list_dir dir;
    const char *cursor;
};

/* ?limit, ?starting_after, ?ending_before (the query was checked: no other parameter). */
static int page_params(struct api_call *call, const struct api_list *list, struct list_page *pg,
                       struct pd_err *err)
{
    pg->limit = 10;
    const char *l = api_query(call, "limit");
    if (l) {
        char *end = NULL;
        long v = strtol(l, &end, 10);
        if (!*l || *end || v < 1 || v > 100)
            return pd_err_set(err, PD_ERR_BAD_REQUEST, "limit",
                              "limit must be an integer from 1 to 100");
        pg->limit = (int)v;
    }
    const char *after = api_query(call, "starting_after");
    const char *before = api_query(call, "ending_before");
    if (after && before)
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "ending_before",
                          "starting_after and ending_before cannot be used together");
    pg->dir = after ? API_LIST_AFTER : before ? API_LIST_BEFORE : API_LIST_FIRST;
    pg->cursor = after ? after : before;
    if (pg->cursor && !id_valid(pg->cursor, list->prefix)) {
        const char *param = after ? "starting_after" : "ending_before";
        return pd_err_set(err, PD_ERR_BAD_REQUEST, param, "%s must be an id of this list (%s…)",
                          param, list->prefix);
    }
    return 0;
}

/* A filter's value as its statement binds it. */
static int filter_value(struct api_call *call, const struct api_list *list,
                        const struct api_list_filter *f, const char *v, struct db_val *out,
                        struct pd_err *err)
{
    int64_t ms;
    switch (f->kind) {
    case API_FILTER_SET:
        if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
            return pd_err_set(err, PD_ERR_BAD_REQUEST, f->param, "%s must be true or false",
                              f->param);
        *out = db_int(strcmp(v, "true") == 0);
        return 0;
    case API_FILTER_SINCE:
    case API_FILTER_BEFORE:
        if (!time_parse_rfc3339(v, &ms))
            return pd_err_set(err, PD_ERR_BAD_REQUEST, f->param,
                              "%s must be a date (2026-11-28) or an RFC 3339 time", f->param);
        char *id = arena_alloc(call->req->arena, ID_MAX_LEN);
        id_floor(id, ID_MAX_LEN, list->prefix, ms);
        *out = db_text(id);
        return 0;
    default:
        *out = db_text(v);
        return 0;
    }
}

/* Checks the query against the list's parameters and binds what it asks: own value, filters
 * present, cursor, limit + 1 (one more row than asked says whether there are more). */
static char *page_statement(struct api_call *call, const struct api_list *list,
                            const char *own_value, struct list_page *pg, struct db_val *params,
                            int *nparams, struct pd_err *err)
{
    const char *allowed[API_LIST_MAX_FILTERS + 4] = {"limit", "starting_after", "ending_before"};
    for (int i = 0; i < API_LIST_MAX_FILTERS && list->filters[i].param; i++)
        allowed[3 + i] = list->filters[i].param;
    if (api_check_query(call, allowed, err) < 0 || page_params(call, list, pg, err) < 0)
        return NULL;
    int n = 0;
    if (list->own)
        params[n++] = db_text(own_value);
    unsigned present = 0;
    for (int i = 0; i < API_LIST_MAX_FILTERS && list->filters[i].param; i++) {
        const char *v = api_query(call, list->filters[i].param);
        if (v) {
            present |= 1u << i;
            if (filter_value(call, list, &list->filters[i], v, &params[n++], err) < 0)
                return NULL;
        }
    }
    if (pg->cursor)
        params[n++] = db_text(pg->cursor);
    params[n++] = db_int(pg->limit + 1);
    char *sql = api_list_sql(call->req->arena, list, present, list->own != NULL, pg->dir, nparams);
    if (*nparams != n)
        abort();
    return sql;
}

void api_reply_list(struct api_call *call, const struct api_list *list, const char *own_value,
                    api_row_json row_json)
{
    struct list_page pg = {0};
    struct pd_err err = {0};
    struct db_val params[API_LIST_MAX_FILTERS + 3];
    int nparams = 0;
    const char *sql = page_statement(call, list, own_value, &pg, params, &nparams, &err);
    struct store_cursor cur;
    if (!sql || store_query(call->db, sql, params, nparams, &cur, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    json_t *data = json_array();
    int n = 0, rc;
    while ((rc = store_step(&cur, &err)) == STORE_ROW && ++n <= pg.limit) {
        json_t *o = row_json(call, &cur, &err);
        if (!o) {
            rc = -1;
            break;
        }
        /* ending_before reads towards the newer rows, oldest first: the page is turned around. */
        if (pg.dir == API_LIST_BEFORE)
            json_array_insert_new(data, 0, o);
        else
            json_array_append_new(data, o);
    }
    store_finish(&cur);
    if (rc < 0) {
        json_decref(data);
        api_reply_error(call, &err);
        return;
    }
    api_reply_json(call, 200, json_pack("{s:o, s:b}", "data", data, "has_more", n > pg.limit));
}
