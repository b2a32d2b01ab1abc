/* /api/v1/reports and /api/v1/me/report: read from the daily rollups kept on every write. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "app/records.h"
#include "core/ids.h"
#include "core/money.h"
#include "util/timefmt.h"
#include "util/banned.h"

#define DAY_MS (86400LL * 1000)
#define REPORT_MAX_DAYS 3660
#define REPORT_MAX_ROWS 10000
/* How far ahead of its creation a conversion may be dated (POST /api/v1/conversions' occurred_at
 * may be up to a day in the future). */
#define OCCURRED_AHEAD_MS DAY_MS

struct report_query {
    const char *program_id, *partner_id;
    int64_t from_day, to_day; /* inclusive */
    const char *group_by;
};

static int parse_day(const char *s, const char *param, int64_t *day, struct pd_err *err)
{
    int64_t ms;
    if (!time_parse_rfc3339(s, &ms))
        return pd_err_set(err, PD_ERR_BAD_REQUEST, param,
                          "%s must be a date (2026-11-28) or an RFC 3339 time", param);
    *day = ms >= 0 ? ms / DAY_MS : -((-ms + DAY_MS - 1) / DAY_MS);
    return 0;
}

static void add_metrics(json_t *row, int64_t clicks, int64_t uniques, int64_t conversions,
                        int64_t revenue, int64_t commission)
{
    json_object_set_new(row, "clicks", json_integer(clicks));
    json_object_set_new(row, "unique_clicks", json_integer(uniques));
    json_object_set_new(row, "conversions", json_integer(conversions));
    json_object_set_new(row, "revenue", json_integer(revenue));
    json_object_set_new(row, "commission", json_integer(commission));
    /* Ratios, not money: a rate to four decimals, and earnings per click in minor units rounded
     * half to even like every other division of money. */
    double rate = clicks > 0 ? (double)(conversions * 10000 / clicks) / 10000.0 : 0.0;
    json_object_set_new(row, "conversion_rate", json_real(rate));
    int64_t epc = 0;
    if (clicks > 0)
        money_mul_div(commission, 1, clicks, &epc);
    json_object_set_new(row, "epc", json_integer(epc));
}

/* The statement of a report by group_by (NULL for an unknown one), for one partner or all. */
static const char *report_sql(const char *group_by, int one)
{
    /* One statement per (group_by, one partner or all): with a partner the rollups are read
     * through daily_stats_partner (partner_id, day), only that partner's rows of the period; a
     * generic "?2 IS NULL OR partner_id = ?2" would make SQLite scan the whole program's rows. */
    static const char *const rollup_sql[3][2] = {
        {"SELECT day, SUM(clicks), SUM(unique_clicks), SUM(conversions), SUM(revenue),"
         " SUM(commission) FROM daily_stats WHERE program_id = ?1 AND ?2 IS NULL"
         " AND day >= ?3 AND day <= ?4 GROUP BY day ORDER BY day",
         "SELECT day, SUM(clicks), SUM(unique_clicks), SUM(conversions), SUM(revenue),"
         " SUM(commission) FROM daily_stats WHERE partner_id = ?2 AND program_id = ?1"
         " AND day >= ?3 AND day <= ?4 GROUP BY day ORDER BY day"},
        {"SELECT partner_id, SUM(clicks), SUM(unique_clicks), SUM(conversions),"
         " SUM(revenue), SUM(commission) FROM daily_stats WHERE program_id = ?1 AND ?2 IS NULL"
         " AND day >= ?3 AND day <= ?4 GROUP BY partner_id ORDER BY partner_id",
         "SELECT partner_id, SUM(clicks), SUM(unique_clicks), SUM(conversions),"
         " SUM(revenue), SUM(commission) FROM daily_stats WHERE partner_id = ?2"
         " AND program_id = ?1 AND day >= ?3 AND day <= ?4 GROUP BY partner_id"
         " ORDER BY partner_id"},
        {"SELECT link_id, SUM(clicks), SUM(unique_clicks), SUM(conversions),"
         " SUM(revenue), SUM(commission) FROM daily_stats WHERE program_id = ?1 AND ?2 IS NULL"
         " AND day >= ?3 AND day <= ?4 GROUP BY link_id ORDER BY link_id",
         "SELECT link_id, SUM(clicks), SUM(unique_clicks), SUM(conversions),"
         " SUM(revenue), SUM(commission) FROM daily_stats WHERE partner_id = ?2"
         " AND program_id = ?1 AND day >= ?3 AND day <= ?4 GROUP BY link_id ORDER BY link_id"},
    };
    if (strcmp(group_by, "day") == 0)
        return rollup_sql[0][one];
    else if (strcmp(group_by, "partner") == 0)
        return rollup_sql[1][one];
    else if (strcmp(group_by, "link") == 0)
        return rollup_sql[2][one];
    else if (strcmp(group_by, "sub1") == 0)
        /* Sub-ids are not rolled up (a sub-id may be unique per click): this reads the period's
         * clicks, found by their ids (a click id starts with its time, so the period is a range
         * of ids), and its conversions, found from the first id that could be dated in it (an
         * occurred_at is at most a day ahead of its conversion's creation). It counts what the
         * rollups count, so its totals are every other group_by's: all clicks; attributed
         * conversions and their revenue net of refunds on the day they occurred; commissions net
         * of reversals, rejected ones left out, a parent's share in the "no sub1" row (it is
         * link-less in the rollups too). The sub1 of a conversion is its click's. */
        return "SELECT sub1, SUM(clicks), SUM(uniques), SUM(conversions), SUM(revenue),"
              " SUM(commission) FROM ("
              "SELECT COALESCE(c.sub1, '') AS sub1, COUNT(*) AS clicks, SUM(c.is_unique) AS uniques,"
              " 0 AS conversions, 0 AS revenue, 0 AS commission FROM clicks c"
              " WHERE c.id >= ?5 AND c.id < ?6 AND c.program_id = ?1"
              " AND (?2 IS NULL OR c.partner_id = ?2)"
              " AND c.created_at >= ?3 * 86400000 AND c.created_at < (?4 + 1) * 86400000"
              " GROUP BY COALESCE(c.sub1, '')"
              " UNION ALL SELECT COALESCE(c.sub1, ''), 0, 0, COUNT(*),"
              " SUM(v.amount - v.refunded_amount), 0 FROM conversions v"
              " LEFT JOIN clicks c ON v.attribution_method = 'click' AND c.id = v.click_id"
              " WHERE v.id >= ?7 AND v.program_id = ?1 AND v.partner_id IS NOT NULL"
              " AND (?2 IS NULL OR v.partner_id = ?2)"
              " AND v.occurred_at >= ?3 * 86400000 AND v.occurred_at < (?4 + 1) * 86400000"
              " GROUP BY COALESCE(c.sub1, '')"
              " UNION ALL SELECT CASE WHEN k.level = 0 THEN COALESCE(c.sub1, '') ELSE '' END,"
              " 0, 0, 0, 0, SUM(k.amount - k.reversed) FROM conversions v"
              " JOIN commissions k ON k.conversion_id = v.id"
              " LEFT JOIN clicks c ON v.attribution_method = 'click' AND c.id = v.click_id"
              " WHERE v.id >= ?7 AND v.program_id = ?1 AND k.status <> 'rejected'"
              " AND (?2 IS NULL OR k.partner_id = ?2)"
              " AND v.occurred_at >= ?3 * 86400000 AND v.occurred_at < (?4 + 1) * 86400000"
              " GROUP BY CASE WHEN k.level = 0 THEN COALESCE(c.sub1, '') ELSE '' END"
              ") t GROUP BY sub1 ORDER BY sub1";
    return NULL;
}

static void run_report(struct api_call *call, const struct report_query *q)
{
    struct pd_err err = {0};
    struct program prog;
    if (program_resolve(call->db, q->program_id, call->req->arena, &prog, &err) != 0) {
        api_reply_error(call, &err);
        return;
    }
    const char *sql = report_sql(q->group_by, q->partner_id != NULL);
    if (!sql) {
        api_reply_errorf(call, PD_ERR_BAD_REQUEST, "group_by",
                         "group_by must be day, partner, link or sub1");
        return;
    }
    char id_from[ID_MAX_LEN], id_to[ID_MAX_LEN], conv_from[ID_MAX_LEN];
    id_floor(id_from, sizeof id_from, "", q->from_day * DAY_MS);
    id_floor(id_to, sizeof id_to, "", (q->to_day + 1) * DAY_MS);
    id_floor(conv_from, sizeof conv_from, "cnv_", q->from_day * DAY_MS - OCCURRED_AHEAD_MS);
    struct db_val v[7] = {db_text(prog.id),  db_text(q->partner_id), db_int(q->from_day),
                          db_int(q->to_day), db_text(id_from),       db_text(id_to),
                          db_text(conv_from)};
    int nparams = strcmp(q->group_by, "sub1") == 0 ? 7 : 4;
    struct store_cursor cur;
    if (store_query(call->db, sql, v, nparams, &cur, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    json_t *data = json_array();
    __int128 t[5] = {0}; /* 2^64 rows of int64 cannot overflow it */
    bool exact = true;
    int rc, rows = 0;
    bool by_day = strcmp(q->group_by, "day") == 0;
    while ((rc = store_step(&cur, &err)) == STORE_ROW && rows++ < REPORT_MAX_ROWS) {
        json_t *row = json_object();
        if (by_day) {
            int64_t y;
            unsigned m, d;
            time_civil_from_days(store_col_int(&cur, 0), &y, &m, &d);
            char buf[16];
            snprintf(buf, sizeof buf, "%04lld-%02u-%02u", (long long)y, m, d);
            json_object_set_new(row, "day", json_string(buf));
        } else {
            const char *key = strcmp(q->group_by, "partner") == 0 ? "partner_id"
                              : strcmp(q->group_by, "link") == 0  ? "link_id"
                                                                  : "sub1";
            const char *val = store_col_text(&cur, 0);
            json_object_set_new(row, key, *val ? json_string(val) : json_null());
        }
        int64_t m[5];
        for (int i = 0; i < 5; i++) {
            m[i] = 0;
            exact = exact &&
                    (store_is_null(&cur, i + 1) || store_col_int_exact(&cur, i + 1, &m[i]));
            t[i] += m[i];
        }
        add_metrics(row, m[0], m[1], m[2], m[3], m[4]);
        json_array_append_new(data, row);
    }
    store_finish(&cur);
    if (rc < 0) {
        json_decref(data);
        api_reply_error(call, &err);
        return;
    }
    for (int i = 0; i < 5; i++)
        exact = exact && t[i] >= INT64_MIN && t[i] <= INT64_MAX;
    if (!exact) {
        json_decref(data);
        api_reply_errorf(call, PD_ERR_UNPROCESSABLE, "from",
                         "this report's figures pass 2^63 - 1 minor units, more than a JSON "
                         "integer holds exactly here; ask for a shorter period or one partner");
        return;
    }
    json_t *totals = json_object();
    add_metrics(totals, (int64_t)t[0], (int64_t)t[1], (int64_t)t[2], (int64_t)t[3], (int64_t)t[4]);
    char from[16], to[16];
    int64_t y;
    unsigned mo, d;
    time_civil_from_days(q->from_day, &y, &mo, &d);
    snprintf(from, sizeof from, "%04lld-%02u-%02u", (long long)y, mo, d);
    time_civil_from_days(q->to_day, &y, &mo, &d);
    snprintf(to, sizeof to, "%04lld-%02u-%02u", (long long)y, mo, d);
    json_t *o = json_object();
    json_object_set_new(o, "object", json_string("report"));
    json_object_set_new(o, "program_id", json_string(prog.id));
    json_object_set_new(o, "partner_id", q->partner_id ? json_string(q->partner_id) : json_null());
    json_object_set_new(o, "currency", json_string(prog.currency->code));
    json_object_set_new(o, "group_by", json_string(q->group_by));
    json_object_set_new(o, "from", json_string(from));
    json_object_set_new(o, "to", json_string(to));
    json_object_set_new(o, "data", data);
    json_object_set_new(o, "totals", totals);
    api_reply_json(call, 200, o);
}

static int parse_report_query(struct api_call *call, struct report_query *q, struct pd_err *err)
{
    int64_t today = call->now_ms / DAY_MS;
    q->to_day = today;
    q->from_day = today - 29;
    const char *from = api_query(call, "from"), *to = api_query(call, "to");
    if (from && parse_day(from, "from", &q->from_day, err) < 0)
        return -1;
    if (to && parse_day(to, "to", &q->to_day, err) < 0)
        return -1;
    if (q->to_day < q->from_day || q->to_day - q->from_day > REPORT_MAX_DAYS)
        return pd_err_set(err, PD_ERR_BAD_REQUEST, "from",
                          "from must not be after to, and the period at most %d days",
                          REPORT_MAX_DAYS);
    q->group_by = api_query(call, "group_by");
    if (!q->group_by)
        q->group_by = "day";
    q->program_id = api_query(call, "program_id");
    return 0;
}

void api_reports_get(struct api_call *call)
{
    static const char *const params[] = {"from", "to", "group_by", "program_id", "partner_id",
                                         NULL};
    struct report_query q = {0};
    struct pd_err err = {0};
    if (api_check_query(call, params, &err) < 0 || parse_report_query(call, &q, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    q.partner_id = api_query(call, "partner_id");
    run_report(call, &q);
}

void api_me_report(struct api_call *call)
{
    /* A partner's report is its own: it names no partner or program. */
    static const char *const params[] = {"from", "to", "group_by", NULL};
    struct report_query q = {0};
    struct pd_err err = {0};
    if (api_check_query(call, params, &err) < 0 || parse_report_query(call, &q, &err) < 0) {
        api_reply_error(call, &err);
        return;
    }
    struct partner p;
    if (partner_load(call->db, call->auth.partner_id, call->req->arena, &p, &err) != 0) {
        api_reply_error(call, &err);
        return;
    }
    q.partner_id = p.id;
    q.program_id = p.program_id;
    if (strcmp(q.group_by, "partner") == 0) {
        api_reply_errorf(call, PD_ERR_BAD_REQUEST, "group_by",
                         "group_by must be day, link or sub1");
        return;
    }
    run_report(call, &q);
}
