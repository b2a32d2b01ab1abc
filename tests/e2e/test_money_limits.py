"""Money at the edges of its range: an order is at most 10^15 minor units wherever an amount
enters (the API, refunds, /track/sale, /postback, items), a write that would take a balance, a
rollup row, a partner's month revenue or a payout total past 2^53 - 1 is refused with 422 and
writes nothing, items add up to the order, sums of stored figures never overflow (reports,
`partnerd check`, `partnerd backup`), and a rejected parent commission comes off the parent's own
rollup row. Run on SQLite and PostgreSQL (e2e-pg)."""

import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (Server, click_ok, convert, create_partner, create_program,  # noqa: E402
                     expect, expect_eq, expect_error, expect_status, short, uid)

MAX_AMOUNT = 10 ** 15
MAX_TOTAL = 2 ** 53 - 1
INT64_MAX = 2 ** 63 - 1
DAY_MS = 86400 * 1000
MONEY_TABLES = harness.WRITE_TABLES + ("payouts", "payout_items")


def jpy_program(srv, **overrides):
    body = dict(currency="JPY", rules=[{"type": "percent", "bps": 1000}])
    body.update(overrides)
    return create_program(srv, **body)


def snapshot(srv):
    """What a refused write must leave as it was: row counts, and the rollups' content (an
    update of an existing rollup row changes no count)."""
    return (srv.counts(MONEY_TABLES),
            srv.sql("SELECT program_id, partner_id, link_id, day, conversions, revenue, commission"
                    " FROM daily_stats ORDER BY program_id, partner_id, link_id, day"))


def occurred(year, month, day):
    return "%04d-%02d-%02dT12:00:00Z" % (year, month, day)


def refused(srv, resp, param, what):
    """A 422 naming param (what: the case, for the failure message); returns the message."""
    expect_eq(resp[0], 422, "status of %s (body %s)" % (what, short(resp[2])))
    return expect_error(resp, 422, param)["message"]


def refused_writing_nothing(srv, send, param, what, says):
    """send() is refused with 422 naming param, a message containing says, and nothing written."""
    before = snapshot(srv)
    message = refused(srv, send(), param, what)
    expect(says in message, "the message of %s says %r: %r" % (what, says, message))
    expect_eq(snapshot(srv), before, "rows after %s" % what)


def test_int64_max_orders_are_refused_and_lists_keep_working(srv):
    prog = jpy_program(srv)
    ptn = create_partner(srv, prog["id"])
    before = snapshot(srv)
    for amount in (INT64_MAX, MAX_AMOUNT + 1):
        for i in range(2):
            refused(srv, convert(srv, prog["id"], "big-%s-%d" % (uid(), i), amount, "JPY",
                                 ref=ptn["ref_code"]), "amount", "order above 10^15")
    expect_eq(snapshot(srv), before, "row counts after refused orders")
    resp = convert(srv, prog["id"], "max-" + uid(), MAX_AMOUNT, "JPY", ref=ptn["ref_code"])
    expect_status(resp, 201)
    expect_eq(resp[2]["commissions"][0]["amount"], MAX_AMOUNT // 10, "commission of 10^15 at 10 %")
    status, _, body = srv.api("GET", "/api/v1/partners?program_id=" + prog["id"])
    expect_eq(status, 200, "GET /api/v1/partners (body %s)" % short(body))
    status, _, body = srv.api("GET", "/api/v1/reports?group_by=partner&program_id=" + prog["id"])
    expect_eq(status, 200, "GET /api/v1/reports (body %s)" % short(body))
    expect_eq(body["totals"]["revenue"], MAX_AMOUNT, "report revenue")
    srv.check()


def test_refunds_track_sale_and_postback_amounts_are_bounded(srv):
    prog = jpy_program(srv)
    ptn = create_partner(srv, prog["id"])
    order = "o-" + uid()
    expect_status(convert(srv, prog["id"], order, MAX_AMOUNT, "JPY", ref=ptn["ref_code"]), 201)
    usd = create_program(srv)
    before = snapshot(srv)
    refused(srv, srv.api("POST", "/api/v1/conversions/%s/refunds" % order,
                         {"program_id": prog["id"], "amount": INT64_MAX}), "amount", "refund")
    refused(srv, srv.request("POST", "/track/sale", key=srv.sk, body={
        "customerExternalId": "cus_" + uid(), "amount": MAX_AMOUNT + 1, "currency": "jpy",
        "program_id": prog["id"]}), "amount", "track/sale")
    status, _, body = srv.api("PATCH", "/api/v1/programs/" + usd["id"], {"postback_enabled": True})
    expect_eq(status, 200, "PATCH postback_enabled (body %s)" % short(body))
    usd_token = body["postback_token"]
    before = snapshot(srv)
    for amount in ("92233720368547758.07", "10000000000000.01"):
        q = urllib.parse.urlencode({"token": usd_token, "order_id": "pb-" + uid(),
                                    "amount": amount})
        refused(srv, srv.request("GET", "/postback?" + q), "amount", "postback " + amount)
    expect_eq(snapshot(srv), before, "rows after refused amounts")
    q = urllib.parse.urlencode({"token": usd_token, "order_id": "pb-" + uid(),
                                "amount": "10000000000000.00"})
    status, _, body = srv.request("GET", "/postback?" + q)
    expect_eq(status, 200, "postback of exactly 10^15 cents (body %s)" % short(body))
    expect_eq(srv.sql1("SELECT amount FROM conversions WHERE id = ?", (body["conversion_id"],)),
              MAX_AMOUNT, "stored amount")


def test_items_must_add_up_to_the_amount(srv):
    prog = create_program(srv)
    ptn = create_partner(srv, prog["id"])
    before = snapshot(srv)
    resp = convert(srv, prog["id"], "it-" + uid(), 100, ref=ptn["ref_code"],
                   items=[{"sku": "A", "amount": 1000000, "quantity": 1}])
    message = refused(srv, resp, "items", "items of 1,000,000 on an order of 100")
    expect("1000000" in message and "100" in message, "message names both sums: %r" % message)
    refused(srv, convert(srv, prog["id"], "it-" + uid(), 250, ref=ptn["ref_code"],
                         items=[{"sku": "A", "amount": 100, "quantity": 2}]), "items",
            "shipping outside the items")
    refused(srv, convert(srv, prog["id"], "it-" + uid(), 0, ref=ptn["ref_code"],
                         items=[{"sku": "A", "amount": MAX_AMOUNT + 1, "quantity": 1}]),
            "items[0].amount", "an item above 10^15")
    refused(srv, convert(srv, prog["id"], "it-" + uid(), MAX_AMOUNT, ref=ptn["ref_code"],
                         items=[{"sku": "A", "amount": MAX_AMOUNT, "quantity": 2}]),
            "items[0].amount", "a line above 10^15")
    expect_eq(snapshot(srv), before, "row counts after refused items")
    # An item's amount is a unit price: 2 x 100 + 50 shipping = 250.
    resp = convert(srv, prog["id"], "it-" + uid(), 250, ref=ptn["ref_code"],
                   items=[{"sku": "A", "amount": 100, "quantity": 2},
                          {"sku": "shipping", "amount": 50, "quantity": 1}])
    expect_status(resp, 201)
    expect_eq(sum(c["amount"] for c in resp[2]["commissions"]), 25, "commission of 250 at 10 %")


def test_tier_revenue_is_bounded(srv):
    """Nine orders of 10^15 on nine days of one month; the tenth would take the partner's month
    revenue (what tiers read) past 2^53 - 1 although its own day's rollup stays small."""
    prog = jpy_program(srv, rules=[{"type": "percent", "bps": 1}])
    ptn = create_partner(srv, prog["id"])
    for day in range(1, 10):
        expect_status(convert(srv, prog["id"], "m-%d-%s" % (day, uid()), MAX_AMOUNT, "JPY",
                              ref=ptn["ref_code"], occurred_at=occurred(2026, 1, day)), 201)
    refused_writing_nothing(srv, lambda: convert(
        srv, prog["id"], "m-10-" + uid(), MAX_AMOUNT, "JPY", ref=ptn["ref_code"],
        occurred_at=occurred(2026, 1, 20)), "amount", "the month's tenth order", "this month")
    expect_status(convert(srv, prog["id"], "m-next-" + uid(), MAX_AMOUNT, "JPY",
                          ref=ptn["ref_code"], occurred_at=occurred(2026, 2, 1)), 201)
    srv.check()


def test_balance_rollup_row_and_payout_total_are_bounded(srv):
    """100 % commissions of 10^15, one order a month so no month's revenue passes the limit: the
    tenth pending commission would take the pending balance past 2^53 - 1. Approving them empties
    pending, but the day's rollup row still holds their commission: the next order on that day is
    refused there. Two partners' approved balances make a batch whose total would pass it."""
    prog = jpy_program(srv, rules=[{"type": "percent", "bps": 10000}], hold_days=0)
    a = create_partner(srv, prog["id"])
    b = create_partner(srv, prog["id"])
    ids = []
    for month in range(1, 10):
        status, _, body = convert(srv, prog["id"], "b-%d-%s" % (month, uid()), MAX_AMOUNT, "JPY",
                                  ref=a["ref_code"], occurred_at=occurred(2025, month, 1))
        expect_eq(status, 201, "order %d (body %s)" % (month, short(body)))
        ids.append(body["commissions"][0]["id"])
    refused_writing_nothing(srv, lambda: convert(
        srv, prog["id"], "b-10-" + uid(), MAX_AMOUNT, "JPY", ref=a["ref_code"],
        occurred_at=occurred(2025, 10, 1)), "amount", "the tenth pending commission", "balance")

    # Same day, one rollup row: flat commissions on orders of 1 (no revenue to speak of).
    flat = jpy_program(srv, rules=[{"type": "flat", "amount": MAX_AMOUNT}], hold_days=0)
    c = create_partner(srv, flat["id"])
    for i in range(9):
        status, _, body = convert(srv, flat["id"], "f-%d-%s" % (i, uid()), 1, "JPY",
                                  ref=c["ref_code"], occurred_at=occurred(2025, 3, 3))
        expect_eq(status, 201, "flat order %d (body %s)" % (i, short(body)))
        expect_status(srv.api("POST", "/api/v1/commissions/%s/approve"
                              % body["commissions"][0]["id"]), 200)
    refused_writing_nothing(srv, lambda: convert(
        srv, flat["id"], "f-9-" + uid(), 1, "JPY", ref=c["ref_code"],
        occurred_at=occurred(2025, 3, 3)), "amount", "the day's tenth commission", "daily")

    # Two approved balances of 9 x 10^15: a batch of both would pass 2^53 - 1.
    for cid in ids:
        expect_status(srv.api("POST", "/api/v1/commissions/%s/approve" % cid), 200)
    for month in range(1, 10):
        status, _, body = convert(srv, prog["id"], "bb-%d-%s" % (month, uid()), MAX_AMOUNT, "JPY",
                                  ref=b["ref_code"], occurred_at=occurred(2025, month, 2))
        expect_eq(status, 201, "partner b order %d (body %s)" % (month, short(body)))
        expect_status(srv.api("POST", "/api/v1/commissions/%s/approve"
                              % body["commissions"][0]["id"]), 200)
    period = time.strftime("%Y-%m", time.gmtime())
    refused_writing_nothing(srv, lambda: srv.api("POST", "/api/v1/payouts", {
        "program_id": prog["id"], "period": period}), "period", "the batch", "total")
    srv.check()
    if not harness.PG:  # PostgreSQL is backed up with pg_dump
        rc, out, err = srv.run_cli("backup", "--db", srv.db_url,
                                   os.path.join(srv.dir, "big-%s.db" % uid()))
        expect_eq(rc, 0, "backup with balances near the limit (stdout %r, stderr %r)" % (out, err))


def test_rejecting_a_parent_commission_reverses_the_parents_own_row(srv):
    prog = create_program(srv, parent_bps=1000)
    parent = create_partner(srv, prog["id"])
    child = create_partner(srv, prog["id"], parent_id=parent["id"])
    _, cid = click_ok(srv, child["ref_code"])
    status, _, conv = convert(srv, prog["id"], "pr-" + uid(), 10000, click_id=cid)
    expect_eq(status, 201, "conversion (body %s)" % short(conv))
    coms = {c["level"]: c for c in conv["commissions"]}
    expect_eq((coms[0]["amount"], coms[1]["amount"]), (1000, 100), "own and parent commissions")
    expect_status(srv.api("POST", "/api/v1/commissions/%s/reject" % coms[1]["id"],
                          {"reason": "not earned"}), 200)
    rows = srv.sql("SELECT link_id, commission FROM daily_stats WHERE partner_id = ?"
                   " ORDER BY link_id", (parent["id"],))
    expect_eq(rows, [("", 0)], "the parent's rollup rows (its share came off its link-less row)")
    rows = srv.sql("SELECT commission FROM daily_stats WHERE partner_id = ?", (child["id"],))
    expect_eq(rows, [(1000,)], "the child's rollup")
    status, _, rep = srv.api("GET", "/api/v1/reports?group_by=link&partner_id=%s&program_id=%s"
                             % (parent["id"], prog["id"]))
    expect_eq(status, 200, "report (body %s)" % short(rep))
    expect_eq([(r["link_id"], r["commission"]) for r in rep["data"]], [(None, 0)],
              "the parent's report by link")
    srv.check()


def test_refunds_and_rejections_find_the_link_after_retention(srv):
    """Retention deletes raw clicks, never rollups: a refund or a rejection of a conversion whose
    click is gone still comes off its link's row."""
    prog = create_program(srv)
    ptn = create_partner(srv, prog["id"])
    _, cid = click_ok(srv, ptn["ref_code"])
    order = "rt-" + uid()
    status, _, conv = convert(srv, prog["id"], order, 10000, click_id=cid)
    expect_eq(status, 201, "conversion (body %s)" % short(conv))
    link = srv.sql1("SELECT link_id FROM clicks WHERE id = ?", (cid,))
    srv.sql_write("DELETE FROM click_log WHERE id = ?", (cid,))
    srv.sql_write("UPDATE daily_stats SET clicks = 0, unique_clicks = 0 WHERE partner_id = ?",
                  (ptn["id"],))  # as if the click had never been counted, for the click invariant
    expect_status(srv.api("POST", "/api/v1/conversions/%s/refunds" % order,
                          {"program_id": prog["id"], "amount": 4000}), 201)
    expect_status(srv.api("POST", "/api/v1/commissions/%s/reject" % conv["commissions"][0]["id"],
                          {"reason": "chargeback"}), 200)
    rows = srv.sql("SELECT link_id, revenue, commission FROM daily_stats WHERE partner_id = ?",
                   (ptn["id"],))
    expect_eq(rows, [(link, 6000, 0)], "the partner's rollup rows")
    srv.check()


def test_check_compares_commission_rollups_with_commissions():
    """A parent's share booked to its child's link (what rejecting one did) fails the check."""
    with Server() as srv:
        prog = create_program(srv, parent_bps=1000)
        parent = create_partner(srv, prog["id"])
        child = create_partner(srv, prog["id"], parent_id=parent["id"])
        _, cid = click_ok(srv, child["ref_code"])
        expect_status(convert(srv, prog["id"], "ck-" + uid(), 10000, click_id=cid), 201)
        srv.check()
        link = srv.sql1("SELECT link_id FROM clicks WHERE id = ?", (cid,))
        srv.sql_write("UPDATE daily_stats SET commission = commission - 100 WHERE partner_id = ?",
                      (parent["id"],))
        srv.sql_write("INSERT INTO daily_stats (program_id, partner_id, link_id, day, clicks,"
                      " unique_clicks, conversions, revenue, commission)"
                      " SELECT program_id, partner_id, ?, day, 0, 0, 0, 0, 100 FROM daily_stats"
                      " WHERE partner_id = ?", (link, parent["id"]))
        rc, out, err = srv.run_cli("check", "--db", srv.db_url)
        expect_eq(rc, 1, "check exit status (stdout %s)" % out[-1500:])
        expect("FAIL   the commission rollups equal the commissions" in out,
               "the commission rollup invariant fails: %s" % out[-1500:])
        expect("ERROR" not in out, "every invariant computed: %s" % out[-1500:])


def test_sums_never_overflow_in_reports_check_and_backup():
    """Rows written before the limits: report sums whose partial sums pass int64 (SQLite's own
    sum() failed with 'integer overflow'), a total beyond int64 (refused, never clamped), and
    `partnerd check` computing every invariant over them."""
    with Server() as srv:
        prog = create_program(srv)
        ptn = create_partner(srv, prog["id"])
        expect_status(convert(srv, prog["id"], "s-" + uid(), 1000, ref=ptn["ref_code"]), 201)
        rc, out, err = srv.run_cli("backup", "--db", srv.db_url, os.path.join(srv.dir, "ok.db"))
        if harness.PG:  # PostgreSQL is backed up with pg_dump, and partnerd says so
            expect_eq((rc, "pg_dump" in err), (2, True), "backup of PostgreSQL (stderr %r)" % err)
        else:
            expect_eq(rc, 0, "backup of a sound database (stdout %r, stderr %r)" % (out, err))
        insert = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1100)"
                  " INSERT INTO daily_stats (program_id, partner_id, link_id, day, clicks,"
                  " unique_clicks, conversions, revenue, commission)"
                  " SELECT ?, ?, ?, 20000 + i, 0, 0, 0, ?, 0 FROM n")
        srv.sql_write(insert, (prog["id"], ptn["id"], "up", MAX_TOTAL))
        srv.sql_write(insert, (prog["id"], ptn["id"], "down", -MAX_TOTAL))
        path = ("/api/v1/reports?group_by=partner&from=2024-10-01&to=2027-12-31&program_id="
                + prog["id"])
        status, _, body = srv.api("GET", path)
        expect_eq(status, 200, "report over rows summing to 0 (body %s)" % short(body))
        expect_eq(body["data"][0]["revenue"], 1000, "revenue of the order and +max and -max rows")
        srv.sql_write("DELETE FROM daily_stats WHERE link_id = 'down'")
        status, _, body = srv.api("GET", path)
        expect_error((status, {}, body), 422, "from")
        srv.sql_write("INSERT INTO ledger_entries (id, program_id, partner_id, currency, kind,"
                      " pending, approved, paid, created_at) VALUES (?, ?, ?, 'USD', 'adjustment',"
                      " 0, ?, 0, 1)", ("led_x1", prog["id"], ptn["id"], INT64_MAX))
        srv.sql_write("INSERT INTO ledger_entries (id, program_id, partner_id, currency, kind,"
                      " pending, approved, paid, created_at) VALUES (?, ?, ?, 'USD', 'adjustment',"
                      " 0, ?, 0, 2)", ("led_x2", prog["id"], ptn["id"], INT64_MAX))
        rc, out, err = srv.run_cli("check", "--db", srv.db_url)
        expect_eq(rc, 1, "check exit status (stdout %s, stderr %s)" % (out[-1500:], err))
        expect("ERROR" not in out and "0 could not be checked" in out,
               "every invariant computed: %s" % out[-2500:])
        expect("FAIL   no balance, rollup row or payout total is beyond 2^53 - 1" in out,
               "the limit invariant fails: %s" % out[-2500:])
        status, _, body = srv.api("GET", "/api/v1/partners/" + ptn["id"])
        expect(status != 200 or body["balance"]["approved"] != INT64_MAX,
               "a balance beyond int64 is never shown clamped (status %d, body %s)"
               % (status, short(body)))


if __name__ == "__main__":
    harness.main(globals())
