/* The ledger property test (test_ledger_property.c): the payout lifecycle. The model keeps each
 * batch's items as the README says they must be: made from the approved balances as they are
 * (held with a reason: suspended, no payout method, below the minimum), shrunk when approved money
 * is reversed while they are in a draft, leaving (a payout entry each, their partners' approved
 * commissions paid) when exported, sent or paid by hand, settled paid or failed (payout_failed
 * returns the money and frees the commissions). */
#include "property.h"

#include "app/paypal_records.h"
#include "core/payout_csv.h"
#include "core/sepa_text.h"
#include "util/strbuf.h"

static const char *const item_names[] = {"payable", "held", "sent", "paid", "failed"};
static const char *const batch_names[] = {"draft", "exported", "sent", "paid", "deleted"};

static bool has_method(const struct mpartner *p)
{
    return p->index % 2 == 1; /* setup_world gives the odd partners a PayPal address */
}

static const char *held_reason(const struct world *w, const struct mpartner *p, int64_t amount)
{
    if (!p->active)
        return "suspended";
    if (!has_method(p))
        return "no_payout_method";
    if (amount < w->prog[p->prog].min_payout)
        return "below_min_payout";
    return NULL;
}

/* A send through the API records its parts for the PayPal sender, as POST .../send does, so
 * the model's batches keep the invariant that ties sent items to recorded parts. */
static int record_paypal_parts(struct world *w, const char *payout_id, struct pd_err *err)
{
    int64_t sent = 0;
    struct payout_paypal_item *items;
    size_t n = 0, parts = 0;
    if (paypal_sends_count(w->s, payout_id, &sent, err) < 0)
        return -1;
    if (sent > 0)
        return 0;
    if (payout_paypal_items(w->s, payout_id, 1, &w->a, &items, &n, &parts, err) < 0)
        return -1;
    return parts ? paypal_sends_create(w->s, payout_id, (int)parts, w->now, err) : 0;
}

static void set_item(struct world *w, struct mpayout *y, int i)
{
    y->item_reason[i] = held_reason(w, &w->part[y->item_partner[i]], y->item_amount[i]);
    y->item_status[i] = y->item_reason[i] ? MI_HELD : MI_PAYABLE;
}

static void sum_total(struct mpayout *y)
{
    y->total = 0;
    for (int i = 0; i < y->nitems; i++)
        if (y->item_status[i] != MI_HELD)
            y->total += y->item_amount[i];
}

/* A draft's items from the approved balances as they are now. */
static void compute(struct world *w, struct mpayout *y)
{
    y->nitems = 0;
    for (int i = 0; i < NPART; i++) {
        int pi = y->prog * NPART + i;
        w->negative_carried += w->part[pi].approved < 0;
        if (w->part[pi].approved <= 0)
            continue;
        int k = y->nitems++;
        y->item_partner[k] = pi;
        y->item_amount[k] = w->part[pi].approved;
        y->item_channel[k] = MC_NONE;
        set_item(w, y, k);
    }
    y->computed_at = w->now;
    sum_total(y);
}

void model_draft_reduce(struct world *w, int partner, int64_t delta)
{
    int d = w->prog[w->part[partner].prog].draft;
    if (d < 0)
        return;
    struct mpayout *y = &w->pay[d];
    for (int i = 0; i < y->nitems; i++) {
        if (y->item_partner[i] != partner)
            continue;
        int64_t left = y->item_amount[i] - delta;
        if (left > w->part[partner].approved)
            left = w->part[partner].approved;
        if (left <= 0) {
            for (int k = i; k + 1 < y->nitems; k++) {
                y->item_partner[k] = y->item_partner[k + 1];
                y->item_amount[k] = y->item_amount[k + 1];
                y->item_status[k] = y->item_status[k + 1];
                y->item_reason[k] = y->item_reason[k + 1];
                y->item_channel[k] = y->item_channel[k + 1];
            }
            y->nitems--;
        } else {
            y->item_amount[i] = left;
            set_item(w, y, i);
        }
        break;
    }
    sum_total(y);
}

void model_approved_commission(struct world *w, int ci)
{
    ivec_push(&w->prog[w->com[ci].prog].untagged, ci);
}

void check_payout(struct world *w, int pi)
{
    struct mpayout *y = &w->pay[pi];
    struct pd_err err = {0};
    json_t *j = payout_json(w->s, y->id, true, &err);
    if (y->status == MB_DELETED) {
        if (j || err.kind != PD_ERR_NOT_FOUND)
            die("deleted payout %s is still there", y->id);
        return;
    }
    if (!j)
        die("payout_json %s: %s", y->id, err.message);
    const char *status = json_string_value(json_object_get(j, "status"));
    if (strcmp(status, batch_names[y->status]) != 0)
        die("payout %s is %s; the model says %s", y->id, status, batch_names[y->status]);
    expect_eq("payout total", json_integer_value(json_object_get(j, "total")), y->total);
    json_t *items = json_object_get(j, "items");
    expect_eq("payout items", (int64_t)json_array_size(items), y->nitems);
    for (int i = 0; i < y->nitems; i++) {
        const char *want = w->part[y->item_partner[i]].id;
        size_t k;
        json_t *o, *found = NULL;
        json_array_foreach(items, k, o)
        {
            if (strcmp(json_string_value(json_object_get(o, "partner_id")), want) == 0)
                found = o;
        }
        if (!found)
            die("payout %s has no item for partner %s (the model pays %lld)", y->id, want,
                (long long)y->item_amount[i]);
        char what[192];
        snprintf(what, sizeof what, "payout %s item of partner %d.%d", y->id,
                 w->part[y->item_partner[i]].prog, w->part[y->item_partner[i]].index);
        expect_eq(what, json_integer_value(json_object_get(found, "amount")), y->item_amount[i]);
        const char *st = json_string_value(json_object_get(found, "status"));
        const char *reason = json_string_value(json_object_get(found, "reason"));
        if (strcmp(st, item_names[y->item_status[i]]) != 0)
            die("%s is %s; the model says %s", what, st, item_names[y->item_status[i]]);
        if (y->item_status[i] == MI_HELD && !str_is(y->item_reason[i], reason))
            die("%s is held for %s; the model says %s", what, reason, y->item_reason[i]);
    }
    json_decref(j);
}

/* The items leave through channel: one payout entry each, their partners' approved commissions
 * (approved when the batch was computed) join the batch, approved until their item is paid. */
static void leave(struct world *w, int pi, enum mchannel channel)
{
    struct mpayout *y = &w->pay[pi];
    struct mprog *P = &w->prog[y->prog];
    bool gone[NPROG * NPART] = {false};
    for (int i = 0; i < y->nitems; i++) {
        if (y->item_status[i] != MI_PAYABLE)
            continue;
        y->item_status[i] = MI_SENT;
        y->item_channel[i] = channel;
        post(w, y->item_partner[i], 0, -y->item_amount[i], y->item_amount[i], true);
        gone[y->item_partner[i]] = true;
    }
    size_t keep = 0;
    for (size_t k = 0; k < P->untagged.n; k++) {
        int ci = P->untagged.v[k];
        struct mcom *c = &w->com[ci];
        if (c->status != COMMISSION_APPROVED || c->payout >= 0)
            continue; /* rejected, reversed or paid since: it leaves the list */
        if (gone[c->partner] && c->approved_at <= y->computed_at) {
            c->payout = pi;
            touch_com(w, ci);
        } else {
            P->untagged.v[keep++] = ci;
        }
    }
    P->untagged.n = keep;
    if (y->status == MB_DRAFT) {
        y->status = channel == MC_API ? MB_SENT : MB_EXPORTED;
        P->draft = -1;
    }
}

/* A partner's item (every item's when partner < 0) was paid: so are its approved commissions. */
static void commissions_paid(struct world *w, int pi, int partner)
{
    for (size_t ci = 0; ci < w->ncom; ci++) {
        struct mcom *c = &w->com[ci];
        if (c->payout == pi && (partner < 0 || c->partner == partner) &&
            c->status == COMMISSION_APPROVED) {
            c->status = COMMISSION_PAID;
            touch_com(w, (int)ci);
        }
    }
}

static int count_items(const struct mpayout *y, enum mitem_status st)
{
    int n = 0;
    for (int i = 0; i < y->nitems; i++)
        n += y->item_status[i] == st;
    return n;
}

static void settle_if_done(struct mpayout *y)
{
    if ((y->status == MB_EXPORTED || y->status == MB_SENT) && count_items(y, MI_PAYABLE) == 0 &&
        count_items(y, MI_SENT) == 0)
        y->status = MB_PAID;
}

static void period_name(int month, char *buf, size_t len)
{
    snprintf(buf, len, "%04d-%02d", month / 12, month % 12 + 1);
}

static int new_payout(struct world *w, int pg, int month)
{
    if (w->npay == w->cappay) {
        w->cappay = w->cappay ? w->cappay * 2 : 64;
        w->pay = realloc(w->pay, w->cappay * sizeof *w->pay);
        assert_non_null(w->pay);
    }
    int pi = (int)w->npay++;
    memset(&w->pay[pi], 0, sizeof w->pay[pi]);
    w->pay[pi].prog = pg;
    w->pay[pi].month = month;
    return pi;
}

void op_payout_create(struct world *w)
{
    int pg = (int)(rnd() % NPROG);
    struct mprog *P = &w->prog[pg];
    int month = w->cur_month - (int)rnd_range(0, 3);
    bool future = chance(8);
    if (future)
        month = w->cur_month + 1;
    else if (P->draft >= 0 && chance(60))
        month = w->pay[P->draft].month; /* the same period: a refresh */
    char period[16];
    period_name(month, period, sizeof period);
    snprintf(w->op, sizeof w->op, "payout %s of program %d", period, pg);
    struct pd_err err = {0};
    const char *id = NULL;
    bool created = false;
    tx_begin(w);
    int rc = payout_create(w->s, P->id, period, w->now, &w->a, &id, &created, NULL, NULL, &err);
    tx_end(w, rc);
    if (future || (P->draft >= 0 && w->pay[P->draft].month != month)) {
        expect_refused(rc, &err, future ? PD_ERR_UNPROCESSABLE : PD_ERR_CONFLICT,
                       future ? "a batch of a future month" : "a second draft of a program");
        check_entries(w);
        return;
    }
    expect_ok(rc, &err, "payout_create");
    int pi = P->draft;
    if (pi >= 0) {
        if (created || strcmp(id, w->pay[pi].id) != 0)
            die("the same period made a new batch %s (the draft is %s)", id, w->pay[pi].id);
    } else {
        if (!created)
            die("payout_create found a batch %s; the model has no draft", id);
        pi = new_payout(w, pg, month);
        snprintf(w->pay[pi].id, sizeof w->pay[pi].id, "%s", id);
        P->draft = pi;
    }
    compute(w, &w->pay[pi]);
    check_payout(w, pi);
}

static int pick_batch(struct world *w)
{
    if (w->npay == 0)
        return -1;
    /* Mostly a recent one. */
    size_t back = (size_t)rnd_range(0, w->npay < 4 ? (int64_t)w->npay - 1 : 3);
    return chance(80) ? (int)(w->npay - 1 - back) : (int)(rnd() % w->npay);
}

void op_payout_refresh_or_delete(struct world *w)
{
    int pi = pick_batch(w);
    if (pi < 0)
        return;
    struct mpayout *y = &w->pay[pi];
    bool del = chance(30);
    snprintf(w->op, sizeof w->op, "%s payout %s (%s)", del ? "delete" : "refresh", y->id,
             batch_names[y->status]);
    struct pd_err err = {0};
    tx_begin(w);
    int rc =
        del ? payout_delete(w->s, y->id, w->now, &err) : payout_refresh(w->s, y->id, w->now, &err);
    tx_end(w, rc);
    if (y->status != MB_DRAFT) {
        expect_refused(rc, &err, y->status == MB_DELETED ? PD_ERR_NOT_FOUND : PD_ERR_CONFLICT,
                       "changing a batch that is not a draft");
        check_entries(w);
    } else if (del) {
        expect_ok(rc, &err, "payout_delete");
        y->status = MB_DELETED;
        w->prog[y->prog].draft = -1;
    } else {
        expect_ok(rc, &err, "payout_refresh");
        compute(w, y);
    }
    check_payout(w, pi);
}

/* The PayPal CSV a batch's exported items make: one row per item, summing to them. */
static void check_file(struct world *w, int pi)
{
    struct mpayout *y = &w->pay[pi];
    struct payout_file_request req = {.kind = PAYOUT_FILE_PAYPAL};
    struct strbuf b;
    strbuf_init(&b, 1 << 20);
    struct pd_err err = {0};
    expect_ok(payout_file_write(w->s, &req, y->id, &b, &err), &err, "payout_file_write");
    const struct currency *cur = currency_find(w->prog[y->prog].currency);
    int64_t rows = 0, sum = 0, want_rows = 0, want_sum = 0;
    for (char *line = strtok(b.data, "\r\n"); line; line = strtok(NULL, "\r\n")) {
        char *amount = strchr(line, ',');
        if (!amount)
            die("PayPal row without an amount: %s", line);
        amount++;
        amount[strcspn(amount, ",")] = '\0';
        int64_t minor;
        if (!money_parse_decimal(amount, cur->exponent, false, &minor))
            die("PayPal amount '%s' is not a %s amount", amount, cur->code);
        rows++;
        sum += minor;
    }
    strbuf_free(&b);
    for (int i = 0; i < y->nitems; i++)
        if (y->item_channel[i] == MC_CSV) {
            want_rows++;
            want_sum += y->item_amount[i];
        }
    expect_eq("PayPal CSV rows", rows, want_rows);
    expect_eq("PayPal CSV total", sum, want_sum);
}

void op_payout_export(struct world *w)
{
    int pi = pick_batch(w);
    if (pi < 0)
        return;
    struct mpayout *y = &w->pay[pi];
    bool api = chance(30);
    enum mchannel ch = api ? MC_API : MC_CSV;
    snprintf(w->op, sizeof w->op, "%s payout %s (%s)", api ? "send" : "export", y->id,
             batch_names[y->status]);
    struct pd_err err = {0};
    int64_t count = -1;
    size_t parts = 0;
    struct payout_file_request req = {.kind = PAYOUT_FILE_PAYPAL, .part = chance(50) ? 1 : 0};
    tx_begin(w);
    int rc = api ? payout_paypal_mark_sent(w->s, y->id, w->now, &count, &err)
                 : payout_export(w->s, &req, y->id, w->now, &parts, &err);
    if (rc == 0 && api && count > 0)
        rc = record_paypal_parts(w, y->id, &err);
    tx_end(w, rc);
    int payable = count_items(y, MI_PAYABLE), left_here = 0;
    for (int i = 0; i < y->nitems; i++)
        left_here += y->item_channel[i] == ch;
    bool other = y->channel != MC_NONE && y->channel != ch;
    if (y->status == MB_DELETED) {
        expect_refused(rc, &err, PD_ERR_NOT_FOUND, "exporting a deleted batch");
    } else if (y->status == MB_PAID || other) {
        expect_refused(rc, &err, PD_ERR_CONFLICT, "paid, or its items left another way");
    } else if (payable == 0 && left_here == 0) {
        expect_refused(rc, &err, api ? PD_ERR_UNPROCESSABLE : PD_ERR_CONFLICT,
                       "a batch with nothing to send");
    } else {
        expect_ok(rc, &err, api ? "payout_paypal_mark_sent" : "payout_export");
        if (api)
            expect_eq("items sent", count, payable);
        leave(w, pi, ch);
        if (payable)
            y->channel = ch;
        if (!api)
            check_file(w, pi);
    }
    if (rc != 0)
        check_entries(w);
    check_payout(w, pi);
}

void op_mark_paid(struct world *w)
{
    int pi = pick_batch(w);
    if (pi < 0)
        return;
    struct mpayout *y = &w->pay[pi];
    snprintf(w->op, sizeof w->op, "mark payout %s (%s, %d items, total %lld) paid", y->id,
             batch_names[y->status], y->nitems, (long long)y->total);
    struct pd_err err = {0};
    tx_begin(w);
    int rc = payout_mark_paid(w->s, y->id, w->now, &err);
    tx_end(w, rc);
    int to_pay = count_items(y, MI_PAYABLE) + count_items(y, MI_SENT);
    if (y->status == MB_DELETED) {
        expect_refused(rc, &err, PD_ERR_NOT_FOUND, "paying a deleted batch");
    } else if (y->status == MB_PAID || to_pay == 0) {
        expect_refused(rc, &err, PD_ERR_CONFLICT, "paying a batch with nothing to pay");
        check_entries(w);
    } else {
        expect_ok(rc, &err, "payout_mark_paid");
        leave(w, pi, MC_MANUAL);
        for (int i = 0; i < y->nitems; i++)
            if (y->item_status[i] == MI_SENT)
                y->item_status[i] = MI_PAID;
        commissions_paid(w, pi, -1);
        settle_if_done(y);
    }
    check_payout(w, pi);
}

/* A failed item's commissions leave its batch: approved again, or reversed when refunds took
 * all of one. */
static void unpay(struct world *w, int pi, int partner)
{
    for (size_t ci = 0; ci < w->ncom; ci++) {
        struct mcom *c = &w->com[ci];
        if (c->payout != pi || c->partner != partner)
            continue;
        c->payout = -1;
        touch_com(w, (int)ci);
        if (c->status != COMMISSION_APPROVED && c->status != COMMISSION_PAID)
            continue;
        c->status = c->reversed >= c->amount ? COMMISSION_REVERSED : COMMISSION_APPROVED;
        if (c->status == COMMISSION_APPROVED)
            model_approved_commission(w, (int)ci);
        touch_com(w, (int)ci);
    }
}

void op_settle(struct world *w)
{
    int pi = pick_batch(w);
    if (pi < 0 || w->pay[pi].nitems == 0 || w->pay[pi].status == MB_DELETED)
        return;
    struct mpayout *y = &w->pay[pi];
    int i = (int)(rnd() % (uint64_t)y->nitems);
    bool paid = chance(60);
    enum mitem_status st = y->item_status[i];
    char ref[PAYOUT_REF_MAX + 1];
    struct pd_err err = {0};
    json_t *j = payout_json(w->s, y->id, true, &err);
    if (!j)
        die("payout_json %s: %s", y->id, err.message);
    size_t k;
    json_t *o;
    ref[0] = '\0';
    json_array_foreach(json_object_get(j, "items"), k, o)
    {
        if (strcmp(json_string_value(json_object_get(o, "partner_id")),
                   w->part[y->item_partner[i]].id) == 0)
            snprintf(ref, sizeof ref, "%s", json_string_value(json_object_get(o, "reference")));
    }
    json_decref(j);
    snprintf(w->op, sizeof w->op, "settle item %s of %s (%s) %s", ref, y->id, item_names[st],
             paid ? "paid" : "failed");
    tx_begin(w);
    int rc = payout_item_settle(w->s, y->id, ref, paid, paid ? NULL : "property: returned", w->now,
                                &err);
    tx_end(w, rc);
    if ((paid && st == MI_PAID) || (!paid && st == MI_FAILED)) {
        expect_ok(rc, &err, "settling an item the same way again");
    } else if (st == MI_SENT || (!paid && st == MI_PAID)) {
        expect_ok(rc, &err, "payout_item_settle");
        y->item_status[i] = paid ? MI_PAID : MI_FAILED;
        if (paid)
            commissions_paid(w, pi, y->item_partner[i]);
        if (!paid) {
            post(w, y->item_partner[i], 0, y->item_amount[i], -y->item_amount[i], true);
            unpay(w, pi, y->item_partner[i]);
        }
        settle_if_done(y);
    } else {
        expect_refused(rc, &err, PD_ERR_CONFLICT, "settling an item that has not left");
        check_entries(w);
    }
    check_payout(w, pi);
}
