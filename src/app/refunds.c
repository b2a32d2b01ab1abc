/* Refunding part of an order: the refunded amount, each live commission reversed in proportion,
 * and the rollups the conversion and its commissions were added to. */
#include "app/conversions.h"

#include <string.h>

#include "app/fields.h"
#include "app/lifecycle.h"
#include "app/programs.h"
#include "app/rollups.h"
#include "app/views.h"
#include "core/ids.h"
#include "core/ledger.h"
#include "util/banned.h"

/* The refunded order's conversion. */
struct refunded {
    const char *conv_id, *partner_id, *link_id;
    int64_t amount, refunded, occurred;
};

static int load_order(struct store *s, const struct program *prog, const char *order_id,
                      struct arena *a, struct refunded *o, struct pd_err *err)
{
    struct db_val p[2] = {db_text(prog->id), db_text(order_id)};
    struct store_cursor cur;
    int rc = store_query_row(s,
                             "SELECT id, amount, refunded_amount, partner_id, occurred_at,"
                             " link_id FROM conversions WHERE program_id = ?1 AND order_id = ?2",
                             p, 2, &cur, err);
    if (rc < 0)
        return -1;
    if (rc == STORE_DONE)
        return pd_err_set(err, PD_ERR_NOT_FOUND, "order_id", "no order %s in this program",
                          order_id);
    o->conv_id = col_dup(a, &cur, 0);
    o->amount = store_col_int(&cur, 1);
    o->refunded = store_col_int(&cur, 2);
    o->partner_id = col_dup(a, &cur, 3);
    o->occurred = store_col_int(&cur, 4);
    o->link_id = col_dup(a, &cur, 5);
    store_finish(&cur);
    return 0;
}

/* Each live commission reverses round(C * R / A) - already_reversed, where R is the cumulative
 * refund; *total gets the sum, *own the part of the conversion's own partner. */
static int reverse_commissions(struct store *s, const struct program *prog,
                               const struct refunded *o, int64_t cumulative, int64_t now_ms,
                               struct arena *a, int64_t *total, int64_t *own, struct pd_err *err)
{
    struct db_val c = db_text(o->conv_id);
    struct store_cursor cur;
    if (store_query(s,
                    "SELECT id, partner_id, amount, reversed, status FROM commissions"
                    " WHERE conversion_id = ?1 AND status IN ('pending', 'approved', 'paid')"
                    " ORDER BY id",
                    &c, 1, &cur, err) < 0)
        return -1;
    struct commission_state todo[COMMISSION_MAX_LINES * 4];
    size_t n = 0;
    int rc;
    while ((rc = store_step(&cur, err)) == STORE_ROW && n < sizeof todo / sizeof todo[0]) {
        todo[n] = (struct commission_state){
            .id = col_dup(a, &cur, 0),
            .program_id = prog->id,
            .partner_id = col_dup(a, &cur, 1),
            .currency = prog->currency->code,
            .amount = store_col_int(&cur, 2),
            .reversed = store_col_int(&cur, 3),
            .status = commission_status_parse(store_col_text(&cur, 4)),
        };
        n++;
    }
    store_finish(&cur);
    if (rc < 0)
        return -1;
    *total = *own = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t rev;
        if (!commission_refund_reversal(todo[i].amount, o->amount, cumulative, todo[i].reversed,
                                        &rev))
            return pd_err_set(err, PD_ERR_INTERNAL, NULL, "refund arithmetic failed");
        if (rev == 0)
            continue;
        if (store_lock(s, "partner", todo[i].partner_id, NULL, err) < 0 ||
            commission_reverse(s, &todo[i], rev, now_ms, err) < 0)
            return -1;
        *total += rev;
        if (o->partner_id && strcmp(todo[i].partner_id, o->partner_id) != 0) {
            /* A parent's share comes off that parent's own rollup, where pay_parents put it
             * (link-less): it counts towards the parent's cap, never the child's. */
            if (stats_add(s, prog->id, todo[i].partner_id, NULL, o->occurred, 0, 0, 0, 0, -rev,
                          err) < 0)
                return -1;
        } else {
            *own += rev;
        }
    }
    return 0;
}

int refund_record(struct store *s, const struct refund_input *in, int64_t now_ms, struct arena *a,
                  json_t **out, struct pd_err *err)
{
    if (in->amount <= 0)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "amount", "a refund must be positive");
    struct program prog;
    if (program_resolve(s, in->program_id, a, &prog, err) != 0)
        return -1;
    struct refunded o = {0};
    if (store_lock(s, "order", prog.id, in->order_id, err) < 0 ||
        load_order(s, &prog, in->order_id, a, &o, err) < 0 ||
        (o.partner_id && *o.partner_id && store_lock(s, "partner", o.partner_id, NULL, err) < 0))
        return -1;
    if (in->amount > o.amount - o.refunded)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "amount",
                          "refund of %lld exceeds what is left to refund (%lld of %lld)",
                          (long long)in->amount, (long long)(o.amount - o.refunded),
                          (long long)o.amount);
    int64_t cumulative = o.refunded + in->amount;
    char refund_id[ID_MAX_LEN];
    id_new(refund_id, sizeof refund_id, "ref_", (uint64_t)now_ms);
    struct db_val r[5] = {db_text(refund_id), db_text(o.conv_id), db_int(in->amount),
                          db_text(in->reason), db_int(now_ms)};
    if (store_exec(s,
                   "INSERT INTO refunds (id, conversion_id, amount, reason, created_at)"
                   " VALUES (?1, ?2, ?3, ?4, ?5)",
                   r, 5, NULL, err) < 0 ||
        conversion_set_refunded(s, o.conv_id, cumulative, err) < 0)
        return -1;
    int64_t reversed_total, own_reversed;
    if (reverse_commissions(s, &prog, &o, cumulative, now_ms, a, &reversed_total, &own_reversed,
                            err) < 0)
        return -1;
    if (o.partner_id) {
        /* Reports show net figures: the refund comes off the conversion's own day and row. */
        if (stats_add(s, prog.id, o.partner_id, o.link_id, o.occurred, 0, 0, 0, -in->amount,
                      -own_reversed, err) < 0)
            return -1;
    }
    json_t *conv = conversion_json(s, o.conv_id, a, err);
    if (!conv)
        return -1;
    *out = json_object();
    json_object_set_new(*out, "id", json_string(refund_id));
    json_object_set_new(*out, "object", json_string("refund"));
    json_object_set_new(*out, "order_id", json_string(in->order_id));
    json_object_set_new(*out, "amount", json_integer(in->amount));
    json_object_set_new(*out, "reason", in->reason ? json_string(in->reason) : json_null());
    json_object_set_new(*out, "commission_reversed", json_integer(reversed_total));
    json_object_set_new(*out, "conversion", conv);
    return 0;
}
