/* Attribution in the store: the facts the pure rules of core/attribution.c need (the click, the
 * coupon, the customer's binding, the ref code), looked up in the caller's transaction so that the
 * decision is consistent with what the caller writes; and the customer bindings it makes. */
#include "app/attribute.h"

#include <string.h>

#include "app/fields.h"
#include "util/banned.h"

#define DAY_MS (86400LL * 1000)

/* Every fact attribution needs, in one statement: a row per fact found, tagged 'c' the click (in
 * any program), 'k' the program's coupon, 'b' the customer's binding, 'r' the ref code, each with
 * its partner's status. The statement holds a part for each fact the request asks about and no
 * other (a part given NULL would make the server plan the statement anew at every run, to leave
 * it out). ?1 is the program; each part's value the next parameter. Columns: tag, program,
 * partner, time, bot, status, link, click. */
static const char *const fact_parts[4] = {
    "SELECT 'c', c.program_id, c.partner_id, c.created_at, c.bot, p.status, c.link_id, c.id"
    " FROM clicks c JOIN partners p ON p.id = c.partner_id WHERE c.id = ?%d",
    "SELECT 'k', NULL, k.partner_id, NULL, NULL, p.status, NULL, NULL"
    " FROM coupons k JOIN partners p ON p.id = k.partner_id"
    " WHERE k.program_id = ?1 AND k.code = UPPER(?%d)",
    "SELECT 'b', NULL, b.partner_id, b.since, NULL, p.status, NULL, b.click_id"
    " FROM customers b JOIN partners p ON p.id = b.partner_id"
    " WHERE b.program_id = ?1 AND b.customer_id = ?%d",
    "SELECT 'r', NULL, id, NULL, NULL, status, NULL, NULL FROM partners"
    " WHERE program_id = ?1 AND ref_code = ?%d",
};

static bool active(struct store_cursor *cur)
{
    return strcmp(store_col_text(cur, 5), "active") == 0;
}

static void code_found(struct store_cursor *cur, struct arena *a, struct attr_code *out)
{
    out->found = true;
    out->partner_id = col_dup(a, cur, 2);
    out->partner_active = active(cur);
}

/* One fact's row into ai. */
static void fact_from_row(struct store_cursor *cur, const char *program_id, struct arena *a,
                          struct attr_input *ai, const char **link_id)
{
    switch (store_col_text(cur, 0)[0]) {
    case 'c':
        ai->click.found = true;
        ai->click.same_program = strcmp(store_col_text(cur, 1), program_id) == 0;
        ai->click.partner_id = col_dup(a, cur, 2);
        ai->click.clicked_at_ms = store_col_int(cur, 3);
        ai->click.bot = store_col_int(cur, 4) != 0;
        ai->click.partner_active = active(cur);
        *link_id = col_dup(a, cur, 6);
        break;
    case 'k':
        code_found(cur, a, &ai->coupon);
        break;
    case 'b':
        ai->binding.found = true;
        ai->binding.partner_id = col_dup(a, cur, 2);
        ai->binding.click_id = col_dup(a, cur, 7);
        ai->binding.since_ms = store_col_int(cur, 3);
        ai->binding.partner_active = active(cur);
        break;
    default:
        code_found(cur, a, &ai->ref);
        break;
    }
}

static int lookup_facts(struct store *s, const char *program_id, const char *click_id,
                        const char *coupon, const char *customer_id, const char *ref,
                        struct arena *a, struct attr_input *ai, const char **link_id,
                        struct pd_err *err)
{
    /* The customer's lock covers its binding and whether an order is its first. */
    if (customer_id && store_lock(s, "customer", program_id, customer_id, err) < 0)
        return -1;
    memset(&ai->click, 0, sizeof ai->click);
    memset(&ai->coupon, 0, sizeof ai->coupon);
    memset(&ai->binding, 0, sizeof ai->binding);
    memset(&ai->ref, 0, sizeof ai->ref);
    ai->click.given = click_id != NULL;
    ai->click.click_id = click_id;
    ai->coupon.given = coupon != NULL;
    ai->ref.given = ref != NULL;
    if (!click_id && !coupon && !customer_id && !ref)
        return 0;
    const char *asked[4] = {click_id, coupon, customer_id, ref};
    struct db_val p[5] = {db_text(program_id)};
    char sql[1200];
    size_t len = 0;
    int n = 1;
    for (int i = 0; i < 4; i++) {
        if (!asked[i])
            continue;
        p[n++] = db_text(asked[i]);
        if (n > 2)
            len += (size_t)snprintf(sql + len, sizeof sql - len, " UNION ALL ");
        len += (size_t)snprintf(sql + len, sizeof sql - len, fact_parts[i], n);
    }
    struct store_cursor cur;
    int rc;
    if (store_query(s, sql, p, n, &cur, err) < 0)
        return -1;
    while ((rc = store_step(&cur, err)) == STORE_ROW)
        fact_from_row(&cur, program_id, a, ai, link_id);
    store_finish(&cur);
    return rc == STORE_DONE ? 0 : -1;
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
    if (lookup_facts(s, prog->id, click_id, coupon, customer_id, ref, a, &ai, click_link_id, err) <
        0)
        return -1;
    attribute(&ai, ar);
    return 0;
}

int customer_bind(struct store *s, const char *program_id, const char *customer_id,
                  const char *partner_id, const char *click_id, int64_t since, int64_t now,
                  struct pd_err *err)
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
