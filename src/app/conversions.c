/* Conversions, refunds and leads: the operations that make and reverse commissions, and the JSON
 * a conversion and a commission are answered with. Writes conversions, refunds, leads, the
 * customers' bindings to partners and the commissions when they are made or reversed; the ledger
 * entries, rollups and outgoing events go through the functions that own them (ledger_append,
 * stats_add, the outbox).
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
 *  - The answer is built from the values just written and equals what conversion_json reads back.
 *  - Any error returns -1 with err set, and the caller's savepoint undoes every write made here. */
#include "app/conversions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/clicks.h"
#include "app/lifecycle.h"
#include "app/outbox.h" /* webhooks */
#include "app/records.h"
#include "core/attribution.h"
#include "core/ids.h"
#include "core/ledger.h"
#include "util/timefmt.h"
#include "util/banned.h"

#define DAY_MS (86400LL * 1000)

/* A commission as stored, as the API shows it. */
struct commission_row {
    const char *id, *program_id, *partner_id, *conversion_id, *lead_id, *rule_id, *currency,
        *status, *explanation;
    int64_t level, rule_version, base, amount, reversed, hold_until, created_at;
};

static json_t *commission_json_from(const struct commission_row *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(c->id));
    json_object_set_new(o, "object", json_string("commission"));
    json_object_set_new(o, "program_id", json_string(c->program_id));
    json_object_set_new(o, "partner_id", json_string(c->partner_id));
    json_object_set_new(o, "conversion_id", json_str_or_null(c->conversion_id));
    json_object_set_new(o, "lead_id", json_str_or_null(c->lead_id));
    json_object_set_new(o, "level", json_integer(c->level));
    json_object_set_new(o, "rule_id", json_string(c->rule_id));
    json_object_set_new(o, "rule_version", json_integer(c->rule_version));
    json_object_set_new(o, "base", json_integer(c->base));
    json_object_set_new(o, "amount", json_integer(c->amount));
    json_object_set_new(o, "reversed", json_integer(c->reversed));
    json_object_set_new(o, "net", json_integer(c->amount - c->reversed));
    json_object_set_new(o, "currency", json_string(c->currency));
    json_object_set_new(o, "status", json_string(c->status));
    json_object_set_new(o, "explanation", json_string(c->explanation));
    json_object_set_new(o, "hold_until", json_time(c->hold_until));
    json_object_set_new(o, "created", json_time(c->created_at));
    return o;
}

static const char *col_text_or_null(struct store_cursor *cur, int col)
{
    return store_is_null(cur, col) ? NULL : store_col_text(cur, col);
}

json_t *commission_json_row(struct store_cursor *cur)
{
    struct commission_row c = {
        .id = store_col_text(cur, 0),
        .program_id = store_col_text(cur, 1),
        .partner_id = store_col_text(cur, 2),
        .conversion_id = col_text_or_null(cur, 3),
        .lead_id = col_text_or_null(cur, 4),
        .level = store_col_int(cur, 5),
        .rule_id = store_col_text(cur, 6),
        .rule_version = store_col_int(cur, 7),
        .base = store_col_int(cur, 8),
        .amount = store_col_int(cur, 9),
        .reversed = store_col_int(cur, 10),
        .currency = store_col_text(cur, 11),
        .status = store_col_text(cur, 12),
        .explanation = store_col_text(cur, 13),
        .hold_until = store_col_int(cur, 14),
        .created_at = store_col_int(cur, 15),
    };
    return commission_json_from(&c);
}

/* A conversion as stored (items and metadata: canonical JSON text or NULL). */
struct conversion_row {
    const char *id, *program_id, *order_id, *currency, *partner_id, *method, *click_id, *reason,
        *customer_id, *coupon, *ref, *fraud_reason, *items, *metadata;
    int64_t amount, refunded_amount, occurred_at, created_at;
};

/* Without its commissions. */
static json_t *conversion_json_from(const struct conversion_row *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(r->id));
    json_object_set_new(o, "object", json_string("conversion"));
    json_object_set_new(o, "program_id", json_string(r->program_id));
    json_object_set_new(o, "order_id", json_string(r->order_id));
    json_object_set_new(o, "amount", json_integer(r->amount));
    json_object_set_new(o, "currency", json_string(r->currency));
    json_object_set_new(o, "partner_id", json_str_or_null(r->partner_id));
    json_t *attr = json_object();
    json_object_set_new(attr, "method", json_string(r->method));
    json_object_set_new(attr, "click_id", json_str_or_null(r->click_id));
    json_object_set_new(attr, "reason", json_str_or_null(r->reason));
    json_object_set_new(o, "attribution", attr);
    json_object_set_new(o, "customer_id", json_str_or_null(r->customer_id));
    json_object_set_new(o, "coupon", json_str_or_null(r->coupon));
    json_object_set_new(o, "ref", json_str_or_null(r->ref));
    json_object_set_new(o, "fraud_reason", json_str_or_null(r->fraud_reason));
    json_object_set_new(o, "refunded_amount", json_integer(r->refunded_amount));
    json_object_set_new(o, "items", r->items ? json_loads(r->items, 0, NULL) : json_null());
    json_object_set_new(o, "metadata", r->metadata ? json_loads(r->metadata, 0, NULL) : json_null());
    json_object_set_new(o, "occurred_at", json_time(r->occurred_at));
    json_object_set_new(o, "created", json_time(r->created_at));
    return o;
}

json_t *conversion_json(struct store *s, const char *id, struct arena *a, struct pd_err *err)
{
    struct db_val p = db_text(id);
    struct store_cursor cur;
    int rc = store_query_row(s,
                             "SELECT id, program_id, order_id, amount, currency, partner_id,"
                             " attribution_method, click_id, attribution_reason, customer_id,"
                             " coupon, ref, fraud_reason, refunded_amount, items, metadata,"
                             " occurred_at, created_at FROM conversions WHERE id = ?1",
                             &p, 1, &cur, err);
    if (rc < 0)
        return NULL;
    if (rc == STORE_DONE) {
        pd_err_set(err, PD_ERR_NOT_FOUND, "id", "no conversion %s", id);
        return NULL;
    }
    struct conversion_row r = {
        .id = store_col_text(&cur, 0),
        .program_id = store_col_text(&cur, 1),
        .order_id = store_col_text(&cur, 2),
        .amount = store_col_int(&cur, 3),
        .currency = store_col_text(&cur, 4),
        .partner_id = col_text_or_null(&cur, 5),
        .method = store_col_text(&cur, 6),
        .click_id = col_text_or_null(&cur, 7),
        .reason = col_text_or_null(&cur, 8),
        .customer_id = col_text_or_null(&cur, 9),
        .coupon = col_text_or_null(&cur, 10),
        .ref = col_text_or_null(&cur, 11),
        .fraud_reason = col_text_or_null(&cur, 12),
        .refunded_amount = store_col_int(&cur, 13),
        .items = col_text_or_null(&cur, 14),
        .metadata = col_text_or_null(&cur, 15),
        .occurred_at = store_col_int(&cur, 16),
        .created_at = store_col_int(&cur, 17),
    };
    json_t *o = conversion_json_from(&r);
    store_finish(&cur);

    json_t *list = json_array();
    rc = store_query(s,
                     "SELECT " COMMISSION_COLUMNS
                     " FROM commissions WHERE conversion_id = ?1 ORDER BY level, id",
                     &p, 1, &cur, err);
    if (rc == 0) {
        while ((rc = store_step(&cur, err)) == STORE_ROW)
            json_array_append_new(list, commission_json_row(&cur));
        store_finish(&cur);
    }
    json_object_set_new(o, "commissions", list);
    if (rc < 0) {
        json_decref(o);
        return NULL;
    }
    (void)a;
    return o;
}

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

/* Looks up what the request names (click, coupon, customer binding, ref) in this transaction and
 * lets the pure attribution rules decide. *click_link_id: the link of the named click, if found. */
static int attribute_in_store(struct store *s, const struct program *prog, int64_t occurred,
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

static int bind_customer(struct store *s, const char *program_id, const char *customer_id,
                         const char *partner_id, const char *click_id, int64_t since,
                         int64_t now, struct pd_err *err)
{
    struct db_val v[6] = {db_text(program_id), db_text(customer_id), db_text(partner_id),
                          db_text(click_id),   db_int(since),        db_int(now)};
    return store_exec(s,
                      "INSERT INTO customers (program_id, customer_id, partner_id, click_id, since,"
                      " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                      " ON CONFLICT (program_id, customer_id) DO UPDATE SET"
                      " partner_id = excluded.partner_id, click_id = excluded.click_id,"
                      " since = excluded.since, updated_at = excluded.updated_at",
                      v, 6, NULL, err);
}

/* written: when not NULL, the new row is added to it (strings copied into a). */
static int insert_commission(struct store *s, const struct program *prog, const char *partner_id,
                             const char *conversion_id, const char *lead_id, int level,
                             const char *rule_id, int64_t base, int64_t amount,
                             const char *explanation, const char *details, int64_t now,
                             struct arena *a, struct written_commission **written,
                             struct pd_err *err)
{
    char id[ID_MAX_LEN];
    id_new(id, sizeof id, "com_", (uint64_t)now);
    int64_t hold_until = now + (int64_t)prog->hold_days * DAY_MS;
    struct db_val v[16] = {db_text(id),           db_text(prog->id),
                           db_text(partner_id),   db_text(conversion_id),
                           db_text(lead_id),      db_int(level),
                           db_text(rule_id),      db_int(prog->rules.version),
                           db_int(base),          db_int(amount),
                           db_text(prog->currency->code), db_text(explanation),
                           db_int(hold_until),    db_int(now),
                           db_int(now),           db_text(details)};
    int rc = store_exec(s,
                        "INSERT INTO commissions (id, program_id, partner_id, conversion_id,"
                        " lead_id, level, rule_id, rule_version, base, amount, reversed, currency,"
                        " status, explanation, hold_until, created_at, updated_at, details)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0, ?11, 'pending', ?12,"
                        " ?13, ?14, ?15, ?16)",
                        v, 16, NULL, err);
    if (rc < 0)
        return rc;
    if (written) {
        struct written_commission *c = arena_alloc(a, sizeof *c);
        c->row = (struct commission_row){
            .id = arena_strdup(a, id),
            .program_id = prog->id,
            .partner_id = arena_strdup(a, partner_id),
            .conversion_id = conversion_id ? arena_strdup(a, conversion_id) : NULL,
            .lead_id = lead_id ? arena_strdup(a, lead_id) : NULL,
            .rule_id = arena_strdup(a, rule_id),
            .currency = prog->currency->code,
            .status = "pending",
            .explanation = arena_strdup(a, explanation),
            .level = level,
            .rule_version = prog->rules.version,
            .base = base,
            .amount = amount,
            .reversed = 0,
            .hold_until = hold_until,
            .created_at = now,
        };
        c->next = *written;
        *written = c;
    }
    struct ledger_delta d = ledger_post_commission(amount);
    return ledger_append(s, prog->id, partner_id, id, NULL, prog->currency->code, &d, now, err);
}

static int find_existing(struct store *s, const char *program_id, const char *order_id,
                         struct arena *a, const char **id, const char **hash, struct pd_err *err)
{
    struct db_val p[2] = {db_text(program_id), db_text(order_id)};
    struct store_cursor cur;
    int rc = store_query_row(s,
                             "SELECT id, request_hash FROM conversions"
                             " WHERE program_id = ?1 AND order_id = ?2",
                             p, 2, &cur, err);
    if (rc < 0)
        return -1;
    *id = *hash = NULL;
    if (rc == STORE_ROW) {
        *id = col_dup(a, &cur, 0);
        *hash = col_dup(a, &cur, 1);
        store_finish(&cur);
    }
    return 0;
}

/* Canonical JSON text in the arena; takes the reference. */
static const char *json_text(json_t *j, struct arena *a)
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
                       const char *conv_id, int64_t child_commission, int64_t occurred,
                       int64_t now, struct arena *a, struct written_commission **written,
                       struct pd_err *err)
{
    const char *parent_id = child->parent_id;
    const char *below = child->id;
    const char *seen[PARENT_LEVELS_MAX + 1] = {child->id};
    for (int level = 1; level <= prog->parent_levels && level <= PARENT_LEVELS_MAX && parent_id &&
                        !seen_before(seen, level, parent_id);
         level++) {
        struct partner parent;
        if (partner_load(s, parent_id, a, &parent, err) != 0)
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
            const char *details = json_text(
                json_pack("{s:i, s:s, s:I, s:i}", "level", level, "child_partner_id", below,
                          "child_commission", (json_int_t)child_commission, "parent_bps",
                          prog->parent_bps),
                a);
            if (insert_commission(s, prog, parent.id, conv_id, NULL, level, rule_id,
                                  child_commission, share, explanation, details, now, a, written,
                                  err) < 0 ||
                stats_add(s, prog->id, parent.id, NULL, occurred, 0, 0, 0, 0, share, err) < 0)
                return -1;
        }
        child_commission = share;
        below = seen[level] = parent.id;
        parent_id = parent.parent_id;
    }
    return 0;
}

int conversion_record(struct store *s, const struct conversion_input *in, int64_t now_ms,
                      struct arena *a, int *status, json_t **out, struct pd_err *err)
{
    if (commission_order_check(in->amount, in->items, in->nitems, err) < 0)
        return -1;
    struct program prog;
    int rc = program_resolve(s, in->program_id, a, &prog, err);
    if (rc != 0)
        return -1;
    const struct currency *cur = currency_find(in->currency);
    if (!cur || strcmp(cur->code, prog.currency->code) != 0)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "currency",
                          "this program is in %s; the conversion must be too",
                          prog.currency->code);
    const char *existing_id, *existing_hash;
    if (find_existing(s, prog.id, in->order_id, a, &existing_id, &existing_hash, err) < 0)
        return -1;
    if (existing_id) {
        if (strcmp(existing_hash, in->request_hash) != 0)
            return pd_err_set(err, PD_ERR_CONFLICT, "order_id",
                              "order %s was already recorded with a different body",
                              in->order_id);
        *out = conversion_json(s, existing_id, a, err);
        *status = 200;
        return *out ? 0 : -1;
    }

    int64_t occurred = in->occurred_at ? in->occurred_at : now_ms;
    const char *click_link_id = NULL;
    struct attr_result ar;
    if (attribute_in_store(s, &prog, occurred, in->click_id, in->coupon, in->customer_id, in->ref,
                           a, &click_link_id, &ar, err) < 0)
        return -1;

    const char *fraud = NULL;
    struct partner partner;
    bool have_partner = false;
    if (ar.partner_id) {
        if (partner_load(s, ar.partner_id, a, &partner, err) != 0)
            return -1;
        have_partner = true;
        if (ar.bot)
            fraud = "bot_click";
        else if (in->email && strcasecmp(in->email, partner.email) == 0)
            fraud = "self_referral";
    }

    char conv_id[ID_MAX_LEN];
    id_new(conv_id, sizeof conv_id, "cnv_", (uint64_t)now_ms);
    /* The rollup row of the partner's own commission: its refunds and rejection come off it,
     * also once the click itself is deleted by retention. */
    const char *link_id = ar.method == ATTR_CLICK ? click_link_id : NULL;
    struct db_val v[20] = {
        db_text(conv_id),
        db_text(prog.id),
        db_text(in->order_id),
        db_int(in->amount),
        db_text(prog.currency->code),
        db_text(ar.partner_id),
        db_text(attr_method_name(ar.method)),
        db_text(ar.click_id ? ar.click_id : in->click_id),
        db_text(ar.reason),
        db_text(in->customer_id),
        db_text(in->email),
        db_text(in->coupon),
        db_text(in->ref),
        db_text(in->items_json),
        db_text(in->metadata_json),
        db_text(fraud),
        db_text(in->request_hash),
        db_int(occurred),
        db_int(now_ms),
        db_text(link_id),
    };
    rc = store_exec(s,
                    "INSERT INTO conversions (id, program_id, order_id, amount, currency,"
                    " partner_id, attribution_method, click_id, attribution_reason, customer_id,"
                    " email, coupon, ref, items, metadata, fraud_reason, refunded_amount,"
                    " request_hash, occurred_at, created_at, link_id) VALUES (?1, ?2, ?3, ?4, ?5,"
                    " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, 0, ?17, ?18, ?19, ?20)",
                    v, 20, NULL, err);
    if (rc < 0)
        return -1;

    int64_t commission_total = 0, month_revenue = 0;
    struct written_commission *written = NULL;
    if (have_partner && stats_month_revenue_before(s, partner.id, occurred, in->amount,
                                                   &month_revenue, err) < 0)
        return -1;
    if (have_partner && !fraud && strcmp(partner.status, "active") == 0) {
        bool first_purchase = true;
        if (in->customer_id) {
            int64_t n = 0;
            struct db_val q[3] = {db_text(prog.id), db_text(in->customer_id), db_text(conv_id)};
            if (store_query_int(s,
                                "SELECT COUNT(*) FROM conversions WHERE program_id = ?1"
                                " AND customer_id = ?2 AND id <> ?3",
                                q, 3, 0, &n, err) < 0)
                return -1;
            first_purchase = n == 0;
        }
        struct commission_input ci = {
            .amount = in->amount,
            .items = in->items,
            .nitems = in->nitems,
            .partner_id = partner.id,
            .partner_group = partner.group,
            .first_purchase = first_purchase,
            .month_revenue_before = month_revenue,
        };
        struct commission_result cr;
        if (commission_compute(&prog.rules, &ci, &cr, err) < 0)
            return -1;
        int64_t earned = 0, cut = 0;
        if (prog.monthly_cap >= 0) {
            if (stats_month_commission(s, partner.id, occurred, &earned, err) < 0)
                return -1;
            cut = commission_apply_cap(&cr, prog.monthly_cap, earned);
        }
        for (size_t i = 0; i < cr.nlines; i++) {
            const struct commission_line *line = &cr.lines[i];
            if (line->amount <= 0)
                continue;
            const struct rule *rule = &prog.rules.rules[line->rule_index];
            json_t *d = json_pack("{s:s, s:i, s:s, s:I, s:I, s:I, s:I, s:b, s:I}", "rule_id",
                                  rule->id, "rule_version", prog.rules.version, "type",
                                  rule->type == RULE_FLAT ? "flat" : "percent", "bps",
                                  (json_int_t)line->bps, "base", (json_int_t)line->base,
                                  "order_amount", (json_int_t)in->amount, "month_revenue_before",
                                  (json_int_t)month_revenue, "first_purchase", first_purchase,
                                  "items", (json_int_t)in->nitems);
            if (prog.monthly_cap >= 0)
                json_object_set_new(d, "cap", json_pack("{s:I, s:I, s:I}", "monthly_cap",
                                                        (json_int_t)prog.monthly_cap,
                                                        "earned_before", (json_int_t)earned,
                                                        "cut", (json_int_t)cut));
            const char *details = json_text(d, a);
            if (insert_commission(s, &prog, partner.id, conv_id, NULL, 0, rule->id, line->base,
                                  line->amount, cr.explanation, details, now_ms, a, &written,
                                  err) < 0)
                return -1;
            commission_total += line->amount;
        }
        if (commission_total > 0 && prog.parent_bps > 0 &&
            pay_parents(s, &prog, &partner, conv_id, commission_total, occurred, now_ms, a,
                        &written, err) < 0)
            return -1;
    }
    if (ar.partner_id && in->customer_id && ar.rebind) {
        if (bind_customer(s, prog.id, in->customer_id, ar.partner_id, ar.click_id,
                          ar.since_ms ? ar.since_ms : occurred, now_ms, err) < 0)
            return -1;
    }
    if (ar.partner_id &&
        stats_add(s, prog.id, ar.partner_id, link_id,
                  occurred, 0, 0, 1, in->amount, commission_total, err) < 0)
        return -1;
    /* The answer from what was just written (conversion_json would read the same back). */
    struct conversion_row row = {
        .id = conv_id,
        .program_id = prog.id,
        .order_id = in->order_id,
        .currency = prog.currency->code,
        .partner_id = ar.partner_id,
        .method = attr_method_name(ar.method),
        .click_id = ar.click_id ? ar.click_id : in->click_id,
        .reason = ar.reason,
        .customer_id = in->customer_id,
        .coupon = in->coupon,
        .ref = in->ref,
        .fraud_reason = fraud,
        .items = in->items_json,
        .metadata = in->metadata_json,
        .amount = in->amount,
        .refunded_amount = 0,
        .occurred_at = occurred,
        .created_at = now_ms,
    };
    *out = conversion_json_from(&row);
    json_object_set_new(*out, "commissions", written_commissions_json(written, a));
    *status = 201;
    /* webhooks: its events and the partner's postback, in this transaction */
    if (*out && outbox_conversion(s, *out, now_ms, err) < 0)
        return -1;
    return *out ? 0 : -1;
}

int refund_record(struct store *s, const struct refund_input *in, int64_t now_ms, struct arena *a,
                  json_t **out, struct pd_err *err)
{
    if (in->amount <= 0)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "amount", "a refund must be positive");
    struct program prog;
    if (program_resolve(s, in->program_id, a, &prog, err) != 0)
        return -1;
    struct db_val p[2] = {db_text(prog.id), db_text(in->order_id)};
    struct store_cursor cur;
    int rc = store_query_row(s,
                             "SELECT id, amount, refunded_amount, partner_id, occurred_at,"
                             " link_id FROM conversions WHERE program_id = ?1 AND order_id = ?2",
                             p, 2, &cur, err);
    if (rc < 0)
        return -1;
    if (rc == STORE_DONE)
        return pd_err_set(err, PD_ERR_NOT_FOUND, "order_id", "no order %s in this program",
                          in->order_id);
    const char *conv_id = col_dup(a, &cur, 0);
    int64_t amount = store_col_int(&cur, 1), refunded = store_col_int(&cur, 2);
    const char *partner_id = col_dup(a, &cur, 3);
    int64_t occurred = store_col_int(&cur, 4);
    const char *link_id = col_dup(a, &cur, 5);
    store_finish(&cur);
    if (in->amount > amount - refunded)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE, "amount",
                          "refund of %lld exceeds what is left to refund (%lld of %lld)",
                          (long long)in->amount, (long long)(amount - refunded),
                          (long long)amount);
    int64_t cumulative = refunded + in->amount;
    char refund_id[ID_MAX_LEN];
    id_new(refund_id, sizeof refund_id, "ref_", (uint64_t)now_ms);
    struct db_val r[5] = {db_text(refund_id), db_text(conv_id), db_int(in->amount),
                          db_text(in->reason), db_int(now_ms)};
    struct db_val u[2] = {db_text(conv_id), db_int(cumulative)};
    if (store_exec(s,
                   "INSERT INTO refunds (id, conversion_id, amount, reason, created_at)"
                   " VALUES (?1, ?2, ?3, ?4, ?5)",
                   r, 5, NULL, err) < 0 ||
        store_exec(s, "UPDATE conversions SET refunded_amount = ?2 WHERE id = ?1", u, 2, NULL,
                   err) < 0)
        return -1;

    /* Each live commission reverses round(C * R / A) - already_reversed. */
    struct db_val c = db_text(conv_id);
    if (store_query(s,
                    "SELECT id, partner_id, amount, reversed, status FROM commissions"
                    " WHERE conversion_id = ?1 AND status IN ('pending', 'approved', 'paid')"
                    " ORDER BY id",
                    &c, 1, &cur, err) < 0)
        return -1;
    struct todo {
        const char *id, *partner_id;
        int64_t amount, reversed;
        int status;
    } todo[COMMISSION_MAX_LINES * 4];
    size_t n = 0;
    while ((rc = store_step(&cur, err)) == STORE_ROW && n < sizeof todo / sizeof todo[0]) {
        todo[n].id = col_dup(a, &cur, 0);
        todo[n].partner_id = col_dup(a, &cur, 1);
        todo[n].amount = store_col_int(&cur, 2);
        todo[n].reversed = store_col_int(&cur, 3);
        todo[n].status = commission_status_parse(store_col_text(&cur, 4));
        n++;
    }
    store_finish(&cur);
    if (rc < 0)
        return -1;
    int64_t reversed_total = 0, own_reversed = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t rev;
        if (!commission_refund_reversal(todo[i].amount, amount, cumulative, todo[i].reversed,
                                        &rev))
            return pd_err_set(err, PD_ERR_INTERNAL, NULL, "refund arithmetic failed");
        if (rev == 0)
            continue;
        struct ledger_delta d;
        if (!ledger_post_reversal((enum commission_status)todo[i].status, rev, &d))
            return pd_err_set(err, PD_ERR_INTERNAL, NULL, "cannot reverse this commission");
        int64_t now_reversed = todo[i].reversed + rev;
        const char *status = commission_status_name((enum commission_status)todo[i].status);
        if (now_reversed == todo[i].amount && todo[i].status != COMMISSION_PAID)
            status = "reversed";
        struct db_val up[4] = {db_text(todo[i].id), db_int(now_reversed), db_text(status),
                               db_int(now_ms)};
        if (store_exec(s,
                       "UPDATE commissions SET reversed = ?2, status = ?3, updated_at = ?4"
                       " WHERE id = ?1",
                       up, 4, NULL, err) < 0 ||
            ledger_append(s, prog.id, todo[i].partner_id, todo[i].id, NULL, prog.currency->code,
                          &d, now_ms, err) < 0 ||
            /* webhooks */
            outbox_emit_commission(s, "commission.reversed", todo[i].id, now_ms, err) < 0)
            return -1;
        reversed_total += rev;
        if (partner_id && strcmp(todo[i].partner_id, partner_id) != 0) {
            /* A parent's share comes off that parent's own rollup, where pay_parents put it
             * (link-less): it counts towards the parent's cap, never the child's. */
            if (stats_add(s, prog.id, todo[i].partner_id, NULL, occurred, 0, 0, 0, 0, -rev,
                          err) < 0)
                return -1;
        } else {
            own_reversed += rev;
        }
    }
    if (partner_id) {
        /* Reports show net figures: the refund comes off the conversion's own day and row. */
        if (stats_add(s, prog.id, partner_id, link_id, occurred, 0, 0, 0, -in->amount,
                      -own_reversed, err) < 0)
            return -1;
    }
    json_t *conv = conversion_json(s, conv_id, a, err);
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

int lead_record(struct store *s, const struct lead_input *in, int64_t now_ms, struct arena *a,
                json_t **out, struct pd_err *err)
{
    struct program prog;
    if (program_resolve(s, in->program_id, a, &prog, err) != 0)
        return -1;
    const char *link_id = NULL;
    struct attr_result ar;
    if (attribute_in_store(s, &prog, now_ms, in->click_id, in->coupon, in->customer_id, in->ref, a,
                           &link_id, &ar, err) < 0)
        return -1;
    /* A customer already bound (and still within its binding) keeps that partner: the lead is
     * recorded for it, and nothing is rebound. */
    if (!ar.partner_id)
        return pd_err_set(err, PD_ERR_UNPROCESSABLE,
                          in->click_id ? "click_id" : in->coupon ? "coupon" : "ref",
                          "the lead could not be attributed%s%s", ar.reason ? ": " : "",
                          ar.reason ? ar.reason : "");
    bool bound = false;
    if (ar.rebind) {
        if (bind_customer(s, prog.id, in->customer_id, ar.partner_id, ar.click_id,
                          ar.since_ms ? ar.since_ms : now_ms, now_ms, err) < 0)
            return -1;
        bound = true;
    }
    char lead_id[ID_MAX_LEN];
    id_new(lead_id, sizeof lead_id, "lea_", (uint64_t)now_ms);
    struct db_val v[8] = {db_text(lead_id),        db_text(prog.id),       db_text(ar.partner_id),
                          db_text(in->customer_id), db_text(ar.click_id),  db_text(in->email),
                          db_text(attr_method_name(ar.method)), db_int(now_ms)};
    if (store_exec(s,
                   "INSERT INTO leads (id, program_id, partner_id, customer_id, click_id, email,"
                   " method, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                   v, 8, NULL, err) < 0)
        return -1;
    struct partner partner;
    if (partner_load(s, ar.partner_id, a, &partner, err) != 0)
        return -1;
    size_t rule_index = 0;
    int64_t lead_amount =
        commission_for_lead(&prog.rules, partner.id, partner.group, &rule_index);
    bool self = in->email && strcasecmp(in->email, partner.email) == 0;
    /* A lead pays once, when it brings a customer; one already bound earns nothing new. */
    bool new_customer = ar.method != ATTR_CUSTOMER;
    if (lead_amount > 0 && new_customer && !ar.bot && !self &&
        strcmp(partner.status, "active") == 0) {
        char *explanation =
            arena_sprintf(a, "lead rule %s: flat %lld", prog.rules.rules[rule_index].id,
                          (long long)lead_amount);
        if (insert_commission(s, &prog, partner.id, NULL, lead_id, 0,
                              prog.rules.rules[rule_index].id, 0, lead_amount, explanation, NULL,
                              now_ms, a, NULL, err) < 0)
            return -1;
    }
    *out = json_object();
    json_object_set_new(*out, "id", json_string(lead_id));
    json_object_set_new(*out, "object", json_string("lead"));
    json_object_set_new(*out, "program_id", json_string(prog.id));
    json_object_set_new(*out, "customer_id", json_string(in->customer_id));
    json_object_set_new(*out, "partner_id", json_string(ar.partner_id));
    json_object_set_new(*out, "method", json_string(attr_method_name(ar.method)));
    json_object_set_new(*out, "click_id", ar.click_id ? json_string(ar.click_id) : json_null());
    json_object_set_new(*out, "bound", json_boolean(bound));
    json_object_set_new(*out, "created", json_time(now_ms));
    return 0;
}
