#!/usr/bin/env python3
"""A month of a real program through the HTTP API and the command line: rich rules, multi-tier
parents, a cap, approvals (manual, rejected, and by approve-due), refunds before and after payment,
a payout batch run from the CLI whose CSV totals equal the ledger's paid entries, and partner
statements. Every figure is computed here by hand from the commission rules (README "How it works")
and compared exactly."""

import csv
import io
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (convert, create_partner, create_program, expect, expect_eq,  # noqa: E402
                     expect_status, partner_key, short)


def period_now():
    return time.strftime("%Y-%m", time.gmtime())


def day_in_month(day):
    """An RFC 3339 time on `day` of this month, never in the future."""
    now = time.gmtime()
    day = min(day, now.tm_mday)
    return "%s-%02dT10:00:00Z" % (period_now(), day)


def half_even(n, d):
    q, r = divmod(n, d)
    if 2 * r > d or (2 * r == d and q % 2 == 1):
        q += 1
    return q


def balance(srv, pid):
    status, _, body = srv.api("GET", "/api/v1/partners/" + pid)
    expect_eq(status, 200, "GET partner")
    b = body["balance"]
    return (b["pending"], b["approved"], b["paid"])


def test_a_month_of_a_program(srv):
    prog = create_program(
        srv,
        hold_days=0,
        min_payout=400,
        parent_bps=1000,
        parent_levels=2,
        rules=[{"type": "percent", "bps": 1000},
               {"type": "percent", "bps": 1500, "match": {"category": "shoes"}}],
    )
    pid = prog["id"]
    grand = create_partner(srv, pid, payout_method={"type": "paypal", "email": "grand@partners.example"})
    parent = create_partner(srv, pid, parent_id=grand["id"],
                            payout_method={"type": "iban", "iban": "DE89370400440532013000",
                                           "holder": "Parent GmbH"})
    child = create_partner(srv, pid, parent_id=parent["id"],
                           payout_method={"type": "paypal", "email": "child@partners.example"})
    small = create_partner(srv, pid)  # earns less than min_payout: not in the batch

    # Conversions across the month (dated in the past, so credited by referral code: a click made
    # now cannot precede them).
    expected_child = {}
    orders = [("m1", 1, [{"sku": "TEE", "category": "apparel", "amount": 2500, "quantity": 2},
                         {"sku": "RUN", "category": "shoes", "amount": 8999, "quantity": 1}]),
              ("m2", 5, None), ("m3", 9, None), ("m4", 14, None)]
    amounts = {"m2": 12345, "m3": 20000, "m4": 7777}
    conv_ids = {}
    for order, day, items in orders:
        extra = {"ref": child["ref_code"], "occurred_at": day_in_month(day)}
        if items:
            extra["items"] = items
            amount = sum(i["amount"] * i["quantity"] for i in items)
        else:
            amount = amounts[order]
        status, _, body = convert(srv, pid, order, amount, **extra)
        expect_eq(status, 201, "conversion %s (%s)" % (order, short(body)))
        # The answer is built from what was written; reading it back must give the same object.
        expect_eq(srv.api("GET", "/api/v1/conversions/" + body["id"])[2], body,
                  "conversion %s read back" % order)
        conv_ids[order] = body["id"]
        by_partner = {c["partner_id"]: c["amount"] for c in body["commissions"]}
        if items:
            # apparel 5000 at 10 % = 500, shoes 8999 at 15 % = 1349.85 → 1350: two rules, two lines
            direct = 500 + half_even(8999 * 1500, 10000)
            child_lines = sorted(c["amount"] for c in body["commissions"] if c["partner_id"] == child["id"])
            expect_eq(child_lines, [500, 1350], "child's commission lines for m1")
        else:
            direct = half_even(amount * 1000, 10000)
            expect_eq(by_partner[child["id"]], direct, "child's commission on %s" % order)
        p1 = half_even(direct * 1000, 10000)
        p2 = half_even(p1 * 1000, 10000)
        expect_eq(by_partner.get(parent["id"]), p1, "parent's share on %s" % order)
        expect_eq(by_partner.get(grand["id"]), p2, "grandparent's share on %s" % order)
        expected_child[order] = (direct, p1, p2)
    status, _, body = convert(srv, pid, "s1", 3000, ref=small["ref_code"])
    expect_eq(status, 201, "small partner's conversion")

    # The merchant rejects m4 (fraud) and refunds half of m3 before anything is paid.
    m4 = [c for c in srv.api("GET", "/api/v1/conversions/" + conv_ids["m4"])[2]["commissions"]
          if c["partner_id"] == child["id"]][0]
    resp = srv.api("POST", "/api/v1/commissions/%s/reject" % m4["id"], {"reason": "fraud"})
    expect_status(resp, 200)
    expect_eq(resp[2]["status"], "rejected", "rejected commission status")
    resp = srv.api("POST", "/api/v1/conversions/m3/refunds", {"program_id": pid, "amount": 10000})
    expect_status(resp, 200, 201)

    # The rest is approved by the job (hold_days 0), one commission manually first.
    m2 = [c for c in srv.api("GET", "/api/v1/conversions/" + conv_ids["m2"])[2]["commissions"]
          if c["partner_id"] == child["id"]][0]
    expect_status(srv.api("POST", "/api/v1/commissions/%s/approve" % m2["id"]), 200)
    expect_eq(srv.api("POST", "/api/v1/commissions/%s/approve" % m2["id"])[0], 409,
              "approving twice")
    rc, out, err = srv.run_cli("approve-due", "--db", srv.db_url)
    expect_eq(rc, 0, "approve-due (%s %s)" % (out, err))

    # What each partner should now have approved.
    m3_child = expected_child["m3"][0] - half_even(expected_child["m3"][0] * 10000, 20000)
    m3_parent = expected_child["m3"][1] - half_even(expected_child["m3"][1] * 10000, 20000)
    m3_grand = expected_child["m3"][2] - half_even(expected_child["m3"][2] * 10000, 20000)
    want_child = 1850 + expected_child["m2"][0] + m3_child
    want_parent = expected_child["m1"][1] + expected_child["m2"][1] + m3_parent + expected_child["m4"][1]
    want_grand = expected_child["m1"][2] + expected_child["m2"][2] + m3_grand + expected_child["m4"][2]
    expect_eq(balance(srv, child["id"]), (0, want_child, 0), "child balance after approvals")
    expect_eq(balance(srv, parent["id"]), (0, want_parent, 0), "parent balance after approvals")
    expect_eq(balance(srv, grand["id"]), (0, want_grand, 0), "grandparent balance after approvals")

    # Payouts: the CLI makes the draft and its CSV; the API finds the same draft.
    period = period_now()
    csv_path = os.path.join(srv.dir, "batch.csv")
    rc, out, err = srv.run_cli("payouts", "run", "--period", period, "--db", srv.db_url, "--csv", csv_path)
    expect_eq(rc, 0, "payouts run (%s %s)" % (out, err))
    resp = srv.api("POST", "/api/v1/payouts", {"program_id": pid, "period": period})
    expect_status(resp, 200)
    batch = resp[2]
    items = {i["partner_id"]: i["amount"] for i in batch["items"] if i["status"] == "payable"}
    held = {i["partner_id"]: i["reason"] for i in batch["items"] if i["status"] == "held"}
    balances = {child["id"]: want_child, parent["id"]: want_parent, grand["id"]: want_grand}
    want_items = {k: v for k, v in balances.items() if v >= 400}
    expect(parent["id"] in want_items and grand["id"] not in want_items,
           "the figures put the parent above min_payout and the grandparent below: %r" % balances)
    expect_eq(items, want_items, "payable items (min_payout 400 holds small balances)")
    expect_eq(held.get(grand["id"]), "below_min_payout", "the grandparent is held, with its reason")
    expect_eq(batch["total"], sum(want_items.values()), "batch total")
    expect_eq(batch["status"], "draft", "batch status before paying")

    with open(csv_path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["status"] == "payable"]
    expect_eq(sorted(r["partner_id"] for r in rows), sorted(want_items), "CSV partners")
    csv_total = sum(int(r["amount"].replace(".", "")) for r in rows)
    expect_eq(csv_total, batch["total"], "CSV total (decimal amounts, 2 digits) equals the batch")
    by_id = {r["partner_id"]: r for r in rows}
    expect_eq((by_id[parent["id"]]["method"], by_id[parent["id"]]["account"],
               by_id[parent["id"]]["account_holder"]),
              ("iban", "DE89370400440532013000", "Parent GmbH"), "IBAN row")
    expect_eq((by_id[child["id"]]["method"], by_id[child["id"]]["account"]),
              ("paypal", "child@partners.example"), "PayPal row")
    status, headers, body = srv.request("GET", "/api/v1/payouts/%s.csv" % batch["id"], key=srv.sk)
    expect_eq(status, 200, "CSV over HTTP")
    expect(headers.get("content-type", "").startswith("text/csv"), "CSV content type")
    expect_eq([r for r in csv.DictReader(io.StringIO(body.decode())) if r["status"] == "payable"],
              rows, "the same CSV over HTTP")

    # Paying posts the ledger; the ledger's paid entries equal the CSV.
    resp = srv.api("POST", "/api/v1/payouts/%s/paid" % batch["id"])
    expect_status(resp, 200)
    expect_eq(resp[2]["status"], "paid", "batch status after paying")
    expect_eq(srv.api("POST", "/api/v1/payouts/%s/paid" % batch["id"])[0], 409, "paying twice")
    paid = srv.sql1("SELECT SUM(paid) FROM ledger_entries WHERE kind = 'payout' AND payout_id = ?",
                    (batch["id"],))
    expect_eq(paid, csv_total, "ledger paid entries equal the CSV total")
    expect_eq(balance(srv, child["id"]), (0, 0, want_child), "child balance after paying")

    # The partner's statements.
    key = partner_key(srv, child["id"])
    status, _, body = srv.request("GET", "/api/v1/me/payouts", key=key)
    expect_eq(status, 200, "me/payouts")
    expect_eq([(s["payout_id"], s["amount"], s["status"]) for s in body["data"]],
              [(batch["id"], want_child, "paid")], "the child's statements")

    # A refund after payment claws back into a negative approved balance.
    resp = srv.api("POST", "/api/v1/conversions/m2/refunds", {"program_id": pid, "amount": amounts["m2"]})
    expect_status(resp, 200, 201)
    expect_eq(balance(srv, child["id"]), (0, -expected_child["m2"][0], want_child),
              "child balance after a refund of a paid order")
    # The same period again makes a new draft: nothing is paid twice, the negative balance waits.
    resp = srv.api("POST", "/api/v1/payouts", {"program_id": pid, "period": period})
    expect_status(resp, 201)
    expect(resp[2]["id"] != batch["id"], "a new draft once the first batch is paid")
    expect_eq([i for i in resp[2]["items"] if i["partner_id"] in (child["id"], parent["id"])], [],
              "paid partners have nothing more to be paid")
    srv.check()


def test_rule_edits_never_change_past_commissions(srv):
    prog = create_program(srv, rules=[{"type": "percent", "bps": 1000}])
    ptn = create_partner(srv, prog["id"])
    status, _, conv = convert(srv, prog["id"], "r1", 10000, ref=ptn["ref_code"])
    expect_eq(status, 201, "conversion before the edit")
    com = conv["commissions"][0]
    resp = srv.api("PATCH", "/api/v1/programs/" + prog["id"],
                   {"rules": [{"type": "percent", "bps": 2000}]})
    expect_status(resp, 200)
    expect_eq(resp[2]["rules_version"], prog["rules_version"] + 1, "rules_version after an edit")
    status, _, conv2 = convert(srv, prog["id"], "r2", 10000, ref=ptn["ref_code"])
    expect_eq(conv2["commissions"][0]["amount"], 2000, "a new conversion uses the new rules")
    status, _, old = srv.api("GET", "/api/v1/commissions/" + com["id"])
    expect_eq(status, 200, "GET commission")
    expect_eq((old["amount"], old["rule_version"], old["rule"]),
              (1000, prog["rules_version"], {"id": "r0", "type": "percent", "bps": 1000}),
              "the old commission keeps its amount, version and rule")
    expect_eq(old["details"]["base"], 10000, "details.base")
    expect("10000" in old["explanation"] and "1000" in old["explanation"],
           "the explanation shows the arithmetic: %r" % old["explanation"])


def test_monthly_cap_cuts_and_says_so(srv):
    prog = create_program(srv, monthly_cap=1500, rules=[{"type": "percent", "bps": 1000}])
    ptn = create_partner(srv, prog["id"])
    amounts = []
    for i, amount in enumerate((10000, 10000, 10000)):
        status, _, conv = convert(srv, prog["id"], "cap%d" % i, amount, ref=ptn["ref_code"])
        expect_eq(status, 201, "conversion %d" % i)
        amounts.append(sum(c["amount"] for c in conv["commissions"]))
    expect_eq(amounts, [1000, 500, 0], "commissions under a monthly cap of 1500")
    second = srv.api("GET", "/api/v1/commissions?partner_id=" + ptn["id"])[2]["data"]
    capped = [c for c in second if c["amount"] == 500][0]
    status, _, full = srv.api("GET", "/api/v1/commissions/" + capped["id"])
    expect("cap" in full["explanation"], "the explanation names the cap: %r" % full["explanation"])
    expect_eq(full["details"]["cap"], {"monthly_cap": 1500, "earned_before": 1000, "cut": 500},
              "details.cap")


def test_rejected_and_approved_transitions(srv):
    prog = create_program(srv)
    ptn = create_partner(srv, prog["id"])
    _, _, conv = convert(srv, prog["id"], "t1", 5000, ref=ptn["ref_code"])
    cid = conv["commissions"][0]["id"]
    expect_eq(srv.api("POST", "/api/v1/commissions/%s/reject" % cid, {})[0], 400,
              "reject without a reason")
    expect_status(srv.api("POST", "/api/v1/commissions/%s/approve" % cid), 200)
    expect_eq(balance(srv, ptn["id"]), (0, 500, 0), "approved balance")
    resp = srv.api("POST", "/api/v1/commissions/%s/reject" % cid, {"reason": "chargeback"})
    expect_status(resp, 200)
    expect_eq((resp[2]["status"], resp[2]["rejected_reason"]), ("rejected", "chargeback"),
              "rejected with its reason")
    expect_eq(balance(srv, ptn["id"]), (0, 0, 0), "balance after rejecting an approved commission")
    expect_eq(srv.api("POST", "/api/v1/commissions/%s/approve" % cid)[0], 409,
              "a rejected commission cannot be approved")
    srv.check()


def test_a_lead_pays_once_and_keeps_an_existing_binding(srv):
    prog = create_program(srv, rules=[{"type": "percent", "bps": 1000}, {"type": "lead", "amount": 250}])
    a = create_partner(srv, prog["id"])
    b = create_partner(srv, prog["id"])
    resp = srv.api("POST", "/api/v1/leads", {"program_id": prog["id"], "ref": a["ref_code"],
                                             "customer_id": "cus_lead"})
    expect_status(resp, 201)
    expect_eq((resp[2]["partner_id"], resp[2]["method"], resp[2]["bound"]), (a["id"], "ref", True),
              "the first lead binds the customer to A")
    resp = srv.api("POST", "/api/v1/leads", {"program_id": prog["id"], "ref": b["ref_code"],
                                             "customer_id": "cus_lead"})
    expect_status(resp, 201)
    expect_eq((resp[2]["partner_id"], resp[2]["method"], resp[2]["bound"]), (a["id"], "customer", False),
              "a second lead for the bound customer stays with A")
    expect_eq(balance(srv, a["id"]), (250, 0, 0), "A earns the lead commission once")
    expect_eq(balance(srv, b["id"]), (0, 0, 0), "B earns nothing")
    expect_eq(srv.api("POST", "/api/v1/conversions/nope/refunds",
                      {"program_id": prog["id"], "amount": 0})[0], 422, "a refund of 0")


if __name__ == "__main__":
    harness.main(globals())
