/* The ledger's invariants as SQL (app/invariants.h): each query returns the rows that break it,
 * none when it holds, on both databases. Read-only; `partnerd check`, `partnerd backup` and the
 * tests run them. */
#include "app/invariants.h"

#include "core/money.h"
#include "util/banned.h"

/* Outside -MONEY_MAX_TOTAL..MONEY_MAX_TOTAL; compares REAL values (an overflowed SQLite sum)
 * numerically too. */
#define BEYOND(x) "(" x " > " MONEY_MAX_TOTAL_SQL " OR " x " < -" MONEY_MAX_TOTAL_SQL ")"

struct invariant {
    const char *name;
    /* Returns the offending rows (first column: what, second: detail); none when it holds. */
    const char *sql;
};

static const struct invariant invariants[] = {
    {"each ledger entry moves money the way its kind says",
     "SELECT id, kind || ' ' || pending || '/' || approved || '/' || paid FROM ledger_entries"
     " WHERE NOT ((kind = 'commission' AND approved = 0 AND paid = 0)"
     " OR (kind = 'approval' AND pending = -approved AND paid = 0)"
     " OR (kind = 'reversal' AND paid = 0 AND (pending = 0 OR approved = 0))"
     " OR (kind = 'clawback' AND pending = 0 AND paid = 0)"
     " OR (kind = 'payout' AND pending = 0 AND approved = -paid)"
     " OR (kind = 'payout_failed' AND pending = 0 AND approved = -paid)"
     " OR (kind = 'adjustment' AND pending = 0 AND paid = 0))"},
    {"ledger entries belong to an existing partner of their program, in its currency",
     "SELECT e.id, 'partner ' || e.partner_id || ' currency ' || e.currency"
     " FROM ledger_entries e LEFT JOIN partners p ON p.id = e.partner_id"
     " LEFT JOIN programs g ON g.id = e.program_id"
     " WHERE p.id IS NULL OR g.id IS NULL OR p.program_id <> e.program_id"
     " OR e.currency <> g.currency"},
    {"each commission's entries sum to its current amount, in the bucket of its status",
     "SELECT c.id, c.status || ' amount ' || (c.amount - c.reversed) || ' entries '"
     " || COALESCE(SUM(e.pending), 0) || '/' || COALESCE(SUM(e.approved), 0) || '/'"
     " || COALESCE(SUM(e.paid), 0)"
     " FROM commissions c LEFT JOIN ledger_entries e ON e.commission_id = c.id"
     " GROUP BY c.id, c.status, c.amount, c.reversed"
     " HAVING COALESCE(SUM(e.pending), 0) + COALESCE(SUM(e.approved), 0)"
     " + COALESCE(SUM(e.paid), 0)"
     " <> CASE WHEN c.status = 'rejected' THEN 0 ELSE c.amount - c.reversed END"
     " OR (c.status = 'pending' AND (COALESCE(SUM(e.approved), 0) <> 0"
     "     OR COALESCE(SUM(e.paid), 0) <> 0))"
     " OR (c.status = 'approved' AND (COALESCE(SUM(e.pending), 0) <> 0"
     "     OR COALESCE(SUM(e.paid), 0) <> 0))"},
    {"commissions are not reversed beyond their amount",
     "SELECT id, 'reversed ' || reversed || ' of ' || amount FROM commissions"
     " WHERE reversed < 0 OR reversed > amount OR amount < 0"},
    {"nothing is paid beyond what was approved",
     "SELECT partner_id, 'paid ' || SUM(paid) || ' approved in total '"
     " || SUM(CASE WHEN kind = 'approval' THEN approved ELSE 0 END)"
     " FROM ledger_entries GROUP BY partner_id"
     " HAVING SUM(paid) > SUM(CASE WHEN kind = 'approval' THEN approved ELSE 0 END)"},
    {"each order id yields at most one conversion per program",
     "SELECT program_id || '/' || order_id, COUNT(*) || ' conversions' FROM conversions"
     " GROUP BY program_id, order_id HAVING COUNT(*) > 1"},
    {"each (conversion, rule, partner) yields at most one commission",
     "SELECT conversion_id || '/' || rule_id || '/' || partner_id, COUNT(*) || ' commissions'"
     " FROM commissions WHERE conversion_id IS NOT NULL"
     " GROUP BY conversion_id, rule_id, partner_id HAVING COUNT(*) > 1"},
    {"no partner is its own ancestor (parents form no loop)",
     "WITH RECURSIVE up(start, id) AS (SELECT id, parent_id FROM partners"
     " WHERE parent_id IS NOT NULL UNION SELECT u.start, p.parent_id FROM up u"
     " JOIN partners p ON p.id = u.id WHERE p.parent_id IS NOT NULL)"
     " SELECT start, 'its chain of parents comes back to it' FROM up WHERE id = start"},
    {"refunds add up to each conversion's refunded amount, never beyond its amount",
     "SELECT v.id, 'refunded ' || v.refunded_amount || ' refunds ' || COALESCE(SUM(r.amount), 0)"
     " FROM conversions v LEFT JOIN refunds r ON r.conversion_id = v.id"
     " GROUP BY v.id, v.refunded_amount, v.amount"
     " HAVING COALESCE(SUM(r.amount), 0) <> v.refunded_amount OR v.refunded_amount > v.amount"},
    {"the click rollups equal the stored clicks",
     "SELECT COALESCE(s.partner_id, c.partner_id), 'rollup ' || COALESCE(s.n, 0) || ' clicks '"
     " || COALESCE(c.n, 0) FROM"
     " (SELECT partner_id, SUM(clicks) AS n FROM daily_stats GROUP BY partner_id) s"
     " FULL OUTER JOIN (SELECT partner_id, COUNT(*) AS n FROM clicks GROUP BY partner_id) c"
     " ON c.partner_id = s.partner_id"
     " WHERE COALESCE(s.n, 0) <> COALESCE(c.n, 0)"},
    {"the conversion rollups equal the stored attributed conversions",
     "SELECT COALESCE(s.partner_id, c.partner_id), 'rollup ' || COALESCE(s.n, 0) || '/'"
     " || COALESCE(s.r, 0) || ' conversions ' || COALESCE(c.n, 0) || '/' || COALESCE(c.r, 0) FROM"
     " (SELECT partner_id, SUM(conversions) AS n, SUM(revenue) AS r FROM daily_stats"
     "  GROUP BY partner_id) s"
     " FULL OUTER JOIN (SELECT partner_id, COUNT(*) AS n, SUM(amount - refunded_amount) AS r"
     "  FROM conversions WHERE partner_id IS NOT NULL GROUP BY partner_id) c"
     " ON c.partner_id = s.partner_id"
     " WHERE COALESCE(s.n, 0) <> COALESCE(c.n, 0) OR COALESCE(s.r, 0) <> COALESCE(c.r, 0)"},
    {"the commission rollups equal the commissions: a partner's own on the conversion's link, a"
     " parent's share without a link, on the conversion's day",
     "SELECT partner_id || ' day ' || day || CASE WHEN on_link = 1 THEN ' on links'"
     " ELSE ' without link' END, 'rollup ' || SUM(rollup) || ' commissions ' || SUM(earned)"
     " FROM (SELECT partner_id, day, CASE WHEN link_id = '' THEN 0 ELSE 1 END AS on_link,"
     "  commission AS rollup, 0 AS earned FROM daily_stats"
     "  UNION ALL SELECT c.partner_id, v.occurred_at / 86400000,"
     "  CASE WHEN c.level = 0 AND v.attribution_method = 'click' THEN 1 ELSE 0 END,"
     "  0, c.amount - c.reversed FROM commissions c"
     "  JOIN conversions v ON v.id = c.conversion_id WHERE c.status <> 'rejected') x"
     " GROUP BY partner_id, day, on_link HAVING SUM(rollup) <> SUM(earned)"},
    {"each partner's balance row equals the sum of its ledger entries",
     "SELECT COALESCE(b.partner_id, e.partner_id), 'balance row ' || COALESCE(b.pending, 0) || '/'"
     " || COALESCE(b.approved, 0) || '/' || COALESCE(b.paid, 0) || ' entries ' || COALESCE(e.p, 0)"
     " || '/' || COALESCE(e.a, 0) || '/' || COALESCE(e.d, 0) FROM partner_balances b"
     " FULL OUTER JOIN (SELECT partner_id, SUM(pending) AS p, SUM(approved) AS a, SUM(paid) AS d"
     "  FROM ledger_entries GROUP BY partner_id) e ON e.partner_id = b.partner_id"
     " WHERE COALESCE(b.pending, 0) <> COALESCE(e.p, 0)"
     " OR COALESCE(b.approved, 0) <> COALESCE(e.a, 0) OR COALESCE(b.paid, 0) <> COALESCE(e.d, 0)"},
    {"order amounts are within 0 and 10^15 minor units",
     "SELECT id, 'amount ' || amount FROM conversions WHERE amount < 0 OR amount "
     "> " MONEY_MAX_AMOUNT_SQL},
    {"no balance, rollup row or payout total is beyond 2^53 - 1 minor units",
     "SELECT partner_id, 'balance ' || SUM(pending) || '/' || SUM(approved) || '/' || SUM(paid)"
     " FROM ledger_entries GROUP BY partner_id"
     " HAVING " BEYOND("SUM(pending)") " OR " BEYOND("SUM(approved)") " OR " BEYOND(
         "SUM(paid)") " UNION ALL SELECT partner_id || ' ' || link_id || ' day ' || day,"
                      " 'revenue ' || revenue || ' commission ' || commission FROM daily_stats"
                      " WHERE " BEYOND("revenue") " OR " BEYOND(
                          "commission") " UNION ALL SELECT id, 'total ' || total FROM payouts "
                                        "WHERE " BEYOND("total")},
    {"each payout's total equals the sum of its items that are not held",
     "SELECT y.id, 'total ' || y.total || ' items ' || COALESCE(SUM(i.amount), 0)"
     " FROM payouts y LEFT JOIN payout_items i ON i.payout_id = y.id AND i.status <> 'held'"
     " GROUP BY y.id, y.total HAVING y.total <> COALESCE(SUM(i.amount), 0)"},
    {"an item that left (sent, paid or failed) has exactly one payout entry of its amount, any"
     " other item none",
     "SELECT i.payout_id || '/' || i.partner_id, i.status || ' item ' || i.amount || ' entries '"
     " || COALESCE(e.n, 0) || ' paying ' || COALESCE(e.paid, 0)"
     " FROM payout_items i LEFT JOIN (SELECT payout_id, partner_id, COUNT(*) AS n,"
     "  SUM(paid) AS paid FROM ledger_entries WHERE kind = 'payout'"
     "  GROUP BY payout_id, partner_id) e"
     " ON e.payout_id = i.payout_id AND e.partner_id = i.partner_id"
     " WHERE (i.status IN ('sent', 'paid', 'failed')"
     "  AND (COALESCE(e.n, 0) <> 1 OR COALESCE(e.paid, 0) <> i.amount))"
     " OR (i.status NOT IN ('sent', 'paid', 'failed') AND COALESCE(e.n, 0) <> 0)"},
    {"a failed item returned its amount with exactly one payout_failed entry, any other item none",
     "SELECT i.payout_id || '/' || i.partner_id, i.status || ' item ' || i.amount || ' entries '"
     " || COALESCE(e.n, 0) || ' returning ' || COALESCE(e.approved, 0)"
     " FROM payout_items i LEFT JOIN (SELECT payout_id, partner_id, COUNT(*) AS n,"
     "  SUM(approved) AS approved FROM ledger_entries WHERE kind = 'payout_failed'"
     "  GROUP BY payout_id, partner_id) e"
     " ON e.payout_id = i.payout_id AND e.partner_id = i.partner_id"
     " WHERE (i.status = 'failed' AND (COALESCE(e.n, 0) <> 1 OR COALESCE(e.approved, 0) <> "
     "i.amount))"
     " OR (i.status <> 'failed' AND COALESCE(e.n, 0) <> 0)"},
    {"payout and payout_failed entries belong to an item of their batch",
     "SELECT e.id, e.kind || ' of ' || COALESCE(e.payout_id, 'no batch') FROM ledger_entries e"
     " LEFT JOIN payout_items i ON i.payout_id = e.payout_id AND i.partner_id = e.partner_id"
     " WHERE e.kind IN ('payout', 'payout_failed') AND i.partner_id IS NULL"},
    {"no commission is in two batches: a commission in a batch belongs to its partner's item"
     " there, which left and did not fail, and is paid when the item is; a paid one is in a batch",
     "SELECT c.id, c.status || ' in ' || COALESCE(c.payout_id, 'no batch') || ' item '"
     " || COALESCE(i.status, 'none') FROM commissions c LEFT JOIN payout_items i"
     " ON i.payout_id = c.payout_id AND i.partner_id = c.partner_id"
     " WHERE (c.payout_id IS NULL AND c.status = 'paid') OR (c.payout_id IS NOT NULL"
     " AND NOT ((i.status = 'sent' AND c.status IN ('approved', 'reversed'))"
     " OR (i.status = 'paid' AND c.status IN ('paid', 'reversed'))))"},
    {"a paid batch has no item left to pay or settle; a draft's items have not left",
     "SELECT y.id, y.status || ' with ' || COUNT(*) || ' ' || MIN(i.status) || ' item(s)'"
     " FROM payouts y JOIN payout_items i ON i.payout_id = y.id"
     " WHERE (y.status = 'paid' AND i.status IN ('payable', 'sent'))"
     " OR (y.status = 'draft' AND i.status NOT IN ('payable', 'held'))"
     " GROUP BY y.id, y.status"},
    /* paypal */
    {"an item sent through the PayPal API belongs to a batch whose parts were recorded for PayPal",
     "SELECT i.id, 'batch ' || i.payout_id FROM payout_items i WHERE i.channel = 'paypal_api'"
     " AND NOT EXISTS (SELECT 1 FROM paypal_sends d WHERE d.payout_id = i.payout_id)"},
    {"a batch's PayPal parts are numbered from 1 without a gap; one being followed names"
     " PayPal's batch",
     "SELECT payout_id, COUNT(*) || ' part(s), numbered ' || MIN(part) || '..' || MAX(part)"
     " FROM paypal_sends GROUP BY payout_id HAVING MIN(part) <> 1 OR MAX(part) <> COUNT(*)"
     " UNION ALL SELECT sender_batch_id, 'following without a payout_batch_id' FROM paypal_sends"
     " WHERE status = 'following' AND payout_batch_id IS NULL"},
    /* end paypal */
};

int invariants_check(struct store *s, FILE *out, struct invariant_report *r)
{
    size_t n = sizeof invariants / sizeof invariants[0];
    r->checked = (int)n;
    r->failed = r->errors = 0;
    for (size_t i = 0; i < n; i++) {
        struct pd_err err = {0};
        struct store_cursor cur;
        if (store_query(s, invariants[i].sql, NULL, 0, &cur, &err) < 0) {
            if (out)
                fprintf(out, "ERROR  %s: %s\n", invariants[i].name, err.message);
            r->errors++;
            continue;
        }
        int bad = 0, rc;
        while ((rc = store_step(&cur, &err)) == STORE_ROW) {
            if (bad++ == 0 && out)
                fprintf(out, "FAIL   %s\n", invariants[i].name);
            if (bad <= 20 && out)
                fprintf(out, "         %s: %s\n", store_col_text(&cur, 0),
                        store_col_text(&cur, 1));
        }
        store_finish(&cur);
        if (rc < 0) {
            if (out)
                fprintf(out, "ERROR  %s: %s\n", invariants[i].name, err.message);
            r->errors++;
        } else if (bad) {
            if (bad > 20 && out)
                fprintf(out, "         ... and %d more\n", bad - 20);
            r->failed++;
        } else if (out) {
            fprintf(out, "ok     %s\n", invariants[i].name);
        }
    }
    if (out)
        fprintf(out, "%zu invariants: %d hold, %d fail, %d could not be checked\n", n,
                r->checked - r->failed - r->errors, r->failed, r->errors);
    return r->failed || r->errors ? -1 : 0;
}
