/* Recording a conversion: attribution, the commissions it makes (the partner's and its parents'),
 * and the conversion row. Refunds (refunds.c) and leads (leads.c) share this module's header and
 * guarantees; the attribution lookups live in attribute.c and the JSON shapes in views.c. Writes
 * the conversions table; the commissions, ledger entries, rollups and outgoing events go through
 * the modules that own them (lifecycle, postings, rollups, the outbox).
 *
 * Where it sits: POST /api/v1/conversions, /track/sale, /postback and the Dub-compatible routes
 * validate the request (src/api) and queue a write job; on the writer thread the job calls
 * conversion_record, refund_record or lead_record inside the batch's transaction, and the answer
 * goes back to the worker once the batch is durable. Every lookup (the program, the click, coupon
 * or binding, the partner's month so far) is made in that same transaction, so what is decided is
 * consistent with what is written, on every node.
 *
 * What the module guarantees:
 *  - An order id is recorded once per program: the same body again answers the stored conversion
 *    (200), another body 409, and nothing is written either way.
 *  - Attribution follows core/attribution (click > coupon > customer binding > ref, README "How it
 *    works"); a bot click or a self-referral stores the conversion with its fraud_reason and pays
 *    nothing, an inactive partner earns nothing.
 *  - Commissions are computed by core/commission from the program's rules at their current
 *    version (stored with each commission, so editing rules never changes it) and, with
 *    parent_bps, paid up the partner's ancestors; each commission's amount is posted to the ledger
 *    and the rollups in the same transaction.
 *  - A refund of cumulative amount R on an order of A reverses, of each live commission C,
 *    round(C * R / A) minus what is already reversed (half to even), so the refunds of a whole
 *    order reverse exactly C; from a paid commission the reversal is a claw-back into the approved
 *    balance (core/ledger.c).
 *  - The answer is built from the values just written and equals what conversion_json (views.c)
 *    reads back.
 *  - Any error returns -1 with err set, and the caller's savepoint undoes every write made here. */
#include "app/conversions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/attribute.h"
#include "app/fields.h"
#include "app/lifecycle.h"
#include "app/outbox.h" /* webhooks */
#include "app/partners.h"
#include "app/programs.h"
#include "app/rollups.h"
#include "app/views.h"
#include "core/attribution.h"
#include "core/ids.h"
#include "util/banned.h"

/* The commissions a new conversion wrote, so that its answer is built without reading them back. */
struct written_commission {
    struct commission_row row;
    struct written_commission *next;
};

static int by_level_then_id(const void *x, const void *y)
{
    const struct commission_row *a = *(const struct commission_row *const *)x;
    const struct commission_row *b = *(const struct commission_row *const *)y;
    if (a->level != b->level)
        return a->level < b->level ? -1 : 1;
    return strcmp(a->id, b->id);
}

/* In the order conversion_json reads them: by level, then id. */
static json_t *written_commissions_json(const struct written_commission *list, struct arena *a)
{
    size_t n = 0;
    for (const struct written_commission *c = list; c; c = c->next)
        n++;
    const struct commission_row **rows = arena_alloc(a, (n ? n : 1) * sizeof *rows);
    n = 0;
    for (const struct written_commission *c = list; c; c = c->next)
        rows[n++] = &c->row;
    qsort(rows, n, sizeof *rows, by_level_then_id);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, commission_json_from(rows[i]));
    return out;
}

/* Inserts the commission and adds it to written. */
static int insert_commission(struct store *s, const struct program *prog,
                             const struct commission_new *c, int64_t now, struct arena *a,
                             struct written_commission **written, struct pd_err *err)
{
    struct written_commission *w = arena_alloc(a, sizeof *w);
    if (commission_insert(s, prog, c, now, a, &w->row, err) < 0)
        return -1;
    w->next = *written;
    *written = w;
    return 0;
}

/* The conversion already recorded for the order and the endpoints that want a conversion's
 * events, as three more columns of the program's row (program_load_with: ?1 the program, ?2 the
 * order id). */
#define ORDER_COLUMNS                                                                              \
    "(SELECT id FROM conversions WHERE program_id = ?1 AND order_id = ?2),"                        \
    " (SELECT request_hash FROM conversions WHERE program_id = ?1 AND order_id = "                 \
    "?2), " OUTBOX_CONVERSION_SUBSCRIBERS

/* The program and the conversion already recorded for the order (found[0] its id, found[1] its
 * request hash, NULL without one); *subscribed as outbox_conversion takes it. The order's lock
 * comes before the look: another node's conversion of the same order id either committed (and is
 * found) or waits for this one. */
static int load_program_and_order(struct store *s, const struct conversion_input *in,
                                  struct arena *a, struct program *prog, const char *found[2],
                                  bool *subscribed, struct pd_err *err)
{
    const char *program_id = in->program_id;
    if (!program_id) { /* the only program: its id, then as when it is named */
        if (program_resolve(s, NULL, a, prog, err) != 0)
            return -1;
        program_id = prog->id;
    }
    /* One round trip: the lock goes ahead of the read. */
    const char *cols[3];
    if (store_lock(s, "order", program_id, in->order_id, err) < 0 ||
        program_load_with(s, program_id, ORDER_COLUMNS, in->order_id, 3, a, prog, cols, err) != 0)
        return -1;
    found[0] = cols[0];
    found[1] = cols[1];
    *subscribed = !cols[2] || strcmp(cols[2], "0") != 0;
    return 0;
}

/* Canonical JSON text in the arena; takes the reference. */
static const char *pd_json_text(json_t *j, struct arena *a)
{
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    const char *copy = arena_strdup(a, text);
    free(text);
    return copy;
}

/* Whether id is among the n partners of seen. */
static bool seen_before(const char *const *seen, int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (strcmp(seen[i], id) == 0)
            return true;
    return false;
}

/* Multi-tier: each active ancestor, up to parent_levels, earns parent_bps of the level below. The
 * walk stops at a partner already met (a loop of parents, refused on write but possible in older
 * data), so nobody earns on its own sale or twice on one. */
static int pay_parents(struct store *s, const struct program *prog, const struct partner *child,
                       const char *conv_id, int64_t child_commission, int64_t occurred, int64_t now,
                       struct arena *a, struct written_commission **written, struct pd_err *err)
{
    const char *parent_id = child->parent_id;
    const char *below = child->id;
    const char *seen[PARENT_LEVELS_MAX + 1] = {child->id};
    for (int level = 1; level <= prog->parent_levels && level <= PARENT_LEVELS_MAX && parent_id &&
                        !seen_before(seen, level, parent_id);
         level++) {
        struct partner parent;
        if (store_lock(s, "partner", parent_id, NULL, err) < 0 ||
            partner_load(s, parent_id, a, &parent, err) != 0)
            return -1;
        int64_t share;
        if (!commission_parent_share(child_commission, prog->parent_bps, &share))
            return pd_err_set(err, PD_ERR_UNPROCESSABLE, "amount", "parent commission overflows");
        if (share <= 0)
            break;
        if (strcmp(parent.status, "active") == 0) {
            char rule_id[24];
            snprintf(rule_id, sizeof rule_id, "parent:%d", level);
            const char *explanation = arena_sprintf(
                a, "level %d parent of %s: %lld * %d bps / 10000 = %lld (half to even)", level,
                below, (long long)child_commission, prog->parent_bps, (long long)share);
            const char *details =
                pd_json_text(json_pack("{s:i, s:s, s:I, s:i}", "level", level, "child_partner_id",
                                       below, "child_commission", (json_int_t)child_commission,
                                       "parent_bps", prog->parent_bps),
                             a);
            struct commission_new c = {.partner_id = parent.id,
                                       .conversion_id = conv_id,
                                       .level = level,
                                       .rule_id = rule_id,
                                       .base = child_commission,
                                       .amount = share,
                                       .explanation = explanation,
                                       .details = details};
            if (insert_commission(s, prog, &c, now, a, written, err) < 0 ||
                stats_add(s, prog->id, parent.id, NULL, occurred, 0, 0, 0, 0, share, err) < 0)
                return -1;
        }
        child_commission = share;
        below = seen[level] = parent.id;
        parent_id = parent.parent_id;
    }
    return 0;
}

/* A new conversion as its steps share it. */
struct order {
    const struct conversion_input *in;
    struct program prog;
    struct attr_result ar;
    struct partner partner; /* the attributed partner, when have_partner */
    bool have_partner;
    const char *fraud;   /* why it earns nothing, or NULL */
    const char *link_id; /* the rollup row of the partner's own commission */
    char id[ID_MAX_LEN];
    int64_t occurred, now;
    int64_t commission_total, month_revenue;
    bool subscribed; /* an endpoint wants its events (outbox_conversion) */
    struct written_commission *written;
};

static int insert_conversion(struct store *s, const struct order *o, struct pd_err *err)
{
    const struct conversion_input *in = o->in;
    struct db_val v[20] = {
        db_text(o->id),
        db_text(o->prog.id),
        db_text(in->order_id),
        db_int(in->amount),
        db_text(o->prog.currency->code),
        db_text(o->ar.partner_id),
        db_text(attr_method_name(o->ar.method)),
        db_text(o->ar.click_id ? o->ar.click_id : in->click_id),
        db_text(o->ar.reason),
        db_text(in->customer_id),
        db_text(in->email),
        db_text(in->coupon),
        db_text(in->ref),
        db_text(in->items_json),
        db_text(in->metadata_json),
        db_text(o->fraud),
        db_text(in->request_hash),
        db_int(o->occurred),
        db_int(o->now),
        db_text(o->link_id),
    };
    return store_write(s,
                       "INSERT INTO conversions (id, program_id, order_id, amount, currency,"
                       " partner_id, attribution_method, click_id, attribution_reason, customer_id,"
                       " email, coupon, ref, items, metadata, fraud_reason, refunded_amount,"
                       " request_hash, occurred_at, created_at, link_id) VALUES (?1, ?2, ?3, ?4,"
                       " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, 0, ?17, ?18, ?19,"
                       " ?20)",
                       v, 20, err);
}

/* Whether the order is its customer's first in the program (always, without a customer). */
static int first_purchase(struct store *s, const struct order *o, bool *first, struct pd_err *err)
{
    *first = true;
    if (!o->in->customer_id)
        return 0;
    int64_t n = 0;
    struct db_val q[3] = {db_text(o->prog.id), db_text(o->in->customer_id), db_text(o->id)};
    if (store_query_int(s,
                        "SELECT COUNT(*) FROM (SELECT 1 FROM conversions WHERE program_id = ?1"
                        " AND customer_id = ?2 AND id <> ?3 LIMIT 1) AS earlier",
                        q, 3, 0, &n, err) < 0)
        return -1;
    *first = n == 0;
    return 0;
}

/* The attributed partner's own commissions (one per rule line that pays, within its monthly cap),
 * then its parents' shares. */
static int pay_partner(struct store *s, struct order *o, struct arena *a, struct pd_err *err)
{
    const struct conversion_input *in = o->in;
    const struct program *prog = &o->prog;
    bool first;
    if (first_purchase(s, o, &first, err) < 0)
        return -1;
    struct commission_input ci = {
        .amount = in->amount,
        .items = in->items,
        .nitems = in->nitems,
        .partner_id = o->partner.id,
        .partner_group = o->partner.group,
        .first_purchase = first,
        .month_revenue_before = o->month_revenue,
    };
    struct commission_result cr;
    if (commission_compute(&prog->rules, &ci, &cr, err) < 0)
        return -1;
    int64_t earned = 0, cut = 0;
    if (prog->monthly_cap >= 0) {
        if (stats_month_commission(s, o->partner.id, o->occurred, &earned, err) < 0)
            return -1;
        cut = commission_apply_cap(&cr, prog->monthly_cap, earned);
    }
    for (size_t i = 0; i < cr.nlines; i++) {
        const struct commission_line *line = &cr.lines[i];
        if (line->amount <= 0)
            continue;
        const struct rule *rule = &prog->rules.rules[line->rule_index];
        json_t *d = json_pack(
            "{s:s, s:i, s:s, s:I, s:I, s:I, s:b, s:I}", "rule_id", rule->id, "rule_version",
            prog->rules.version, "type", rule->type == RULE_FLAT ? "flat" : "percent", "bps",
            (json_int_t)line->bps, "base", (json_int_t)line->base, "order_amount",
            (json_int_t)in->amount, "first_purchase", first, "items", (json_int_t)in->nitems);
        if (rule->ntiers > 0) /* what chose the tier */
            json_object_set_new(d, "month_revenue_before", json_integer(o->month_revenue));
        if (prog->monthly_cap >= 0)
            json_object_set_new(d, "cap",
                                json_pack("{s:I, s:I, s:I}", "monthly_cap",
                                          (json_int_t)prog->monthly_cap, "earned_before",
                                          (json_int_t)earned, "cut", (json_int_t)cut));
        struct commission_new c = {.partner_id = o->partner.id,
                                   .conversion_id = o->id,
                                   .rule_id = rule->id,
                                   .base = line->base,
                                   .amount = line->amount,
                                   .explanation = cr.explanation,
                                   .details = pd_json_text(d, a)};
        if (insert_commission(s, prog, &c, o->now, a, &o->written, err) < 0)
            return -1;
        o->commission_total += line->amount;
    }
    if (o->commission_total > 0 && prog->parent_bps > 0 &&
        pay_parents(s, prog, &o->partner, o->id, o->commission_total, o->occurred, o->now, a,
                    &o->written, err) < 0)
        return -1;
    return 0;
}

/* The answer from what was just written (conversion_json would read the same back). */
static json_t *conversion_answer(const struct order *o, struct arena *a)
{
    const struct conversion_input *in = o->in;
    struct conversion_row row = {
        .id = o->id,
        .program_id = o->prog.id,
        .order_id = in->order_id,
        .currency = o->prog.currency->code,
        .partner_id = o->ar.partner_id,
        .method = attr_method_name(o->ar.method),
        .click_id = o->ar.click_id ? o->ar.click_id : in->click_id,
        .reason = o->ar.reason,
        .customer_id = in->customer_id,
        .coupon = in->coupon,
        .ref = in->ref,
        .fraud_reason = o->fraud,
        .items = in->items_json,
        .metadata = in->metadata_json,
        .amount = in->amount,
        .refunded_amount = 0,
        .occurred_at = o->occurred,
        .created_at = o->now,
    };
    json_t *out = conversion_json_from(&row);
    json_object_set_new(out, "commissions", written_commissions_json(o->written, a));
    return out;
}

/* Whether the program's commissions depend on the partner's month (tiers, a cap) or reach its
 * parents: such a sale reads its totals as they are. */
static bool reads_month(const struct program *p)
{
    if (p->monthly_cap >= 0 || p->parent_bps > 0)
        return true;
    for (size_t i = 0; i < p->rules.nrules; i++)
        if (p->rules.rules[i].ntiers > 0)
            return true;
    return false;
}

/* Who earns the order, and whether it is fraud (a bot's click, the partner's own purchase). */
static int attribute_order(struct store *s, struct order *o, struct arena *a, struct pd_err *err)
{
    const struct conversion_input *in = o->in;
    const char *click_link_id = NULL;
    if (attribute_in_store(s, &o->prog, o->occurred, in->click_id, in->coupon, in->customer_id,
                           in->ref, a, &click_link_id, &o->ar, err) < 0)
        return -1;
    if (o->ar.partner_id) {
        if (s->defer_totals && !reads_month(&o->prog)) {
            /* Its balance and rollups wait for the batch, which writes them under the partner's
             * lock and checks the month's revenue then (app/totals.h). */
            if (partner_load(s, o->ar.partner_id, a, &o->partner, err) != 0)
                return -1;
        } else {
            /* The partner's lock covers its month (tiers, caps) and its rollup and balance
             * rows, written as they change. */
            s->defer_totals = false;
            if (store_lock(s, "partner", o->ar.partner_id, NULL, err) < 0 ||
                stats_partner_month(s, o->ar.partner_id, o->occurred, in->amount, a, &o->partner,
                                    &o->month_revenue, err) != 0)
                return -1;
        }
        o->have_partner = true;
        if (o->ar.bot)
            o->fraud = "bot_click";
        else if (in->email && strcasecmp(in->email, o->partner.email) == 0)
            o->fraud = "self_referral";
    }
    /* The rollup row of the partner's own commission: its refunds and rejection come off it,
     * also once the click itself is deleted by retention. */
    o->link_id = o->ar.method == ATTR_CLICK ? click_link_id : NULL;
    return 0;
}

int conversion_record(struct store *s, const struct conversion_input *in, int64_t now_ms,
                      struct arena *a, int *status, json_t **out, struct pd_err *err)
{
    if (commission_order_check(in->amount, in->items, in->nitems, err) < 0)
        return -1;
    struct order *o = arena_alloc(a, sizeof *o);
    memset(o, 0, sizeof *o);
    o->in = in;
    o->now = now_ms;
    const char *existing[2];
    if (load_program_and_order(s, in, a, &o->prog, existing, &o->subscribed, err) < 0)
        return -1;
    const struct program *prog = &o->prog;
    const struct currency *cur = currency_find(in->currency);
    if (!cur || strcmp(cur->code, prog->currency->code) != 0)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "currency",
                          "this program is in %s; the conversion must be too",
                          prog->currency->code);
    const char *existing_id = existing[0], *existing_hash = existing[1];
    if (existing_id) {
        if (strcmp(existing_hash, in->request_hash) != 0)
            return pd_err_set(err, PD_ERR_CONFLICT, "order_id",
                              "order %s was already recorded with a different body", in->order_id);
        *out = conversion_json(s, existing_id, a, err);
        *status = 200;
        return *out ? 0 : -1;
    }

    o->occurred = in->occurred_at ? in->occurred_at : now_ms;
    if (attribute_order(s, o, a, err) < 0)
        return -1;
    id_new(o->id, sizeof o->id, "cnv_", (uint64_t)now_ms);
    if (insert_conversion(s, o, err) < 0)
        return -1;
    if (o->have_partner && !o->fraud && strcmp(o->partner.status, "active") == 0 &&
        pay_partner(s, o, a, err) < 0)
        return -1;
    const struct attr_result *ar = &o->ar;
    if (ar->partner_id && in->customer_id && ar->rebind) {
        if (customer_bind(s, prog->id, in->customer_id, ar->partner_id, ar->click_id,
                          ar->since_ms ? ar->since_ms : o->occurred, now_ms, err) < 0)
            return -1;
    }
    if (ar->partner_id && stats_add(s, prog->id, ar->partner_id, o->link_id, o->occurred, 0, 0, 1,
                                    in->amount, o->commission_total, err) < 0)
        return -1;
    *out = conversion_answer(o, a);
    *status = 201;
    /* webhooks: its events and the partner's postback, in this transaction */
    if (*out &&
        outbox_conversion(s, *out, o->subscribed, o->have_partner ? o->partner.postback_url : NULL,
                          now_ms, err) < 0)
        return -1;
    return *out ? 0 : -1;
}

int conversion_set_refunded(struct store *s, const char *conversion_id, int64_t refunded,
                            struct pd_err *err)
{
    struct db_val u[2] = {db_text(conversion_id), db_int(refunded)};
    return store_exec(s, "UPDATE conversions SET refunded_amount = ?2 WHERE id = ?1", u, 2, NULL,
                      err);
}
