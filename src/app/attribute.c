/* Attribution in the store: the facts the pure rules of core/attribution.c need (the click, the
 * coupon, the customer's binding, the ref code), looked up in the caller's transaction so that the
 * decision is consistent with what the caller writes; and the customer bindings it makes. */
#include "app/attribute.h"

#include <string.h>

#include "app/fields.h"
#include "util/banned.h"

#define DAY_MS (86400LL * 1000)

/* The facts attribution needs, looked up in this transaction. */
static int lookup_click(struct store *s, const char *program_id, const char *click_id,
                        struct arena *a, struct attr_click *out, const char **link_id,
                        struct pd_err *err)
{
    memset(out, 0, sizeof *out);
    if (!click_id)
        return 0;
    out->given = true;
    out->click_id = click_id;
    struct db_val p = db_text(click_id);
    struct store_cursor cur;
    int rc = store_query_row(s,
                             "SELECT c.program_id, c.partner_id, c.created_at, c.bot, p.status,"
                             " c.link_id FROM clicks c JOIN partners p ON p.id = c.partner_id"
                             " WHERE c.id = ?1",
                             &p, 1, &cur, err);
    if (rc < 0)
        return -1;
    if (rc == STORE_ROW) {
        out->found = true;
        out->same_program = strcmp(store_col_text(&cur, 0), program_id) == 0;
        out->partner_id = col_dup(a, &cur, 1);
        out->clicked_at_ms = store_col_int(&cur, 2);
        out->bot = store_col_int(&cur, 3) != 0;
        out->partner_active = strcmp(store_col_text(&cur, 4), "active") == 0;
        *link_id = col_dup(a, &cur, 5);
        store_finish(&cur);
    }
    return 0;
}

static int lookup_code(struct store *s, const char *sql, const char *program_id, const char *code,
                       struct arena *a, struct attr_code *out, struct pd_err *err)
{
    memset(out, 0, sizeof *out);
    if (!code)
        return 0;
    out->given = true;
    struct db_val p[2] = {db_text(program_id), db_text(code)};
    struct store_cursor cur;
    int rc = store_query_row(s, sql, p, 2, &cur, err);
    if (rc < 0)
        return -1;
    if (rc == STORE_ROW) {
        out->found = true;
        out->partner_id = col_dup(a, &cur, 0);
        out->partner_active = strcmp(store_col_text(&cur, 1), "active") == 0;
        store_finish(&cur);
    }
    return 0;
}

static const char coupon_sql[] =
    "SELECT c.partner_id, p.status FROM coupons c JOIN partners p ON p.id = c.partner_id"
    " WHERE c.program_id = ?1 AND c.code = UPPER(?2)";
static const char ref_sql[] =
    "SELECT id, status FROM partners WHERE program_id = ?1 AND ref_code = ?2";

static int lookup_binding(struct store *s, const char *program_id, const char *customer_id,
                          struct arena *a, struct attr_binding *out, struct pd_err *err)
{
    memset(out, 0, sizeof *out);
    if (!customer_id)
        return 0;
    /* The customer's lock covers its binding and whether an order is its first. */
    if (store_lock(s, "customer", program_id, customer_id, err) < 0)
        return -1;
    struct db_val p[2] = {db_text(program_id), db_text(customer_id)};
    struct store_cursor cur;
    int rc = store_query_row(s,
                             "SELECT b.partner_id, b.click_id, b.since, p.status FROM customers b"
                             " JOIN partners p ON p.id = b.partner_id"
                             " WHERE b.program_id = ?1 AND b.customer_id = ?2",
                             p, 2, &cur, err);
    if (rc < 0)
        return -1;
    if (rc == STORE_ROW) {
        out->found = true;
        out->partner_id = col_dup(a, &cur, 0);
        out->click_id = col_dup(a, &cur, 1);
        out->since_ms = store_col_int(&cur, 2);
        out->partner_active = strcmp(store_col_text(&cur, 3), "active") == 0;
        store_finish(&cur);
    }
    return 0;
}

int attribute_in_store(struct store *s, const struct program *prog, int64_t occurred,
                              const char *click_id, const char *coupon, const char *customer_id,
                              const char *ref, struct arena *a, const char **click_link_id,
                              struct attr_result *ar, struct pd_err *err)
{
    struct attr_input ai = {.occurred_at_ms = occurred};
    ai.program.window_ms = (int64_t)prog->attribution_window_days * DAY_MS;
    ai.program.model = prog->model;
    ai.program.lifetime = prog->lifetime;
    ai.program.recurring_months = prog->recurring_months;
    if (lookup_click(s, prog->id, click_id, a, &ai.click, click_link_id, err) < 0 ||
        lookup_code(s, coupon_sql, prog->id, coupon, a, &ai.coupon, err) < 0 ||
        lookup_binding(s, prog->id, customer_id, a, &ai.binding, err) < 0 ||
        lookup_code(s, ref_sql, prog->id, ref, a, &ai.ref, err) < 0)
        return -1;
    attribute(&ai, ar);
    return 0;
}

int customer_bind(struct store *s, const char *program_id, const char *customer_id,
                         const char *partner_id, const char *click_id, int64_t since,
                         int64_t now, struct pd_err *err)
{
    struct db_val v[6] = {db_text(program_id), db_text(customer_id), db_text(partner_id),
                          db_text(click_id),   db_int(since),        db_int(now)};
    if (store_lock(s, "customer", program_id, customer_id, err) < 0)
        return -1;
    return store_exec(s,
                      "INSERT INTO customers (program_id, customer_id, partner_id, click_id, since,"
                      " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                      " ON CONFLICT (program_id, customer_id) DO UPDATE SET"
                      " partner_id = excluded.partner_id, click_id = excluded.click_id,"
                      " since = excluded.since, updated_at = excluded.updated_at",
                      v, 6, NULL, err);
}
