"""Payout statements (README "Payout statements"): a paid item's statement lists the commissions it
paid with what was reversed before the payment left, the claw-backs its balance carried from a
refund after the previous payment, a total that adds up, the reference and both parties' details;
the partner reads the same through /api/v1/me, another partner and an unpaid item get 404. Batches
are paid through the local stand-in for PayPal (tests/paypal/fake_paypal.py)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "paypal"))

import harness  # noqa: E402
from harness import convert, expect, expect_eq, expect_error, expect_status, partner_key, uid  # noqa: E402
from scenario import (paypal_server, approved_partner, draft_batch,  # noqa: E402
                      items_by_partner, program_with_paypal, wait_settled)


def pay(srv, program_id):
    draft = draft_batch(srv, program_id)
    expect_status(srv.api("POST", "/api/v1/payouts/%s/send" % draft["id"]), 202)
    return wait_settled(srv, draft["id"])


def earn(srv, program_id, ptn, amount):
    order = "o" + uid()
    status, _, conv = convert(srv, program_id, order, amount, ref=ptn["ref_code"])
    expect_eq(status, 201, "conversion")
    for c in conv["commissions"]:
        expect_status(srv.api("POST", "/api/v1/commissions/%s/approve" % c["id"]), 200)
    return order, conv["commissions"][0]


def test_statements_add_up_and_are_the_partners_own():
    with paypal_server() as (fake, srv):
        prog = program_with_paypal(srv, fake, name="Acme Shoes")
        pid = prog["id"]
        expect_status(srv.api("PATCH", "/api/v1/programs/" + pid, {
            "payout_debtor": {"name": "Acme Shoes GmbH", "iban": "DE89370400440532013000"}}), 200)
        jane, _ = approved_partner(srv, pid, "jane@partners.example", 10000)  # earns 1000
        other, _ = approved_partner(srv, pid, "other@partners.example", 5000)
        first = pay(srv, pid)
        first_order = srv.sql1("SELECT v.order_id FROM conversions v WHERE v.partner_id = ?",
                               (jane["id"],))

        # After that payment: a refund of half of the paid order claws 500 back; then two new
        # orders, one of which is half refunded before the next batch.
        expect_status(srv.api("POST", "/api/v1/conversions/%s/refunds" % first_order,
                              {"program_id": pid, "amount": 5000}), 200, 201)
        o1, c1 = earn(srv, pid, jane, 30000)   # 3000
        o2, c2 = earn(srv, pid, jane, 20000)   # 2000
        expect_status(srv.api("POST", "/api/v1/conversions/%s/refunds" % o2,
                              {"program_id": pid, "amount": 10000}), 200, 201)  # −1000
        second = pay(srv, pid)
        item = items_by_partner(second)[jane["id"]]
        expect_eq((item["status"], item["amount"]), ("paid", 3000 + 2000 - 1000 - 500),
                  "jane's second item")

        resp = srv.api("GET", "/api/v1/payouts/%s/items/%s/statement" % (second["id"], item["id"]))
        expect_status(resp, 200)
        st = resp[2]
        expect_eq((st["object"], st["id"], st["payout_id"], st["reference"], st["period"],
                   st["status"], st["currency"]),
                  ("statement", item["id"], second["id"], item["reference"], second["period"],
                   "paid", "USD"), "the statement's head")
        expect_eq([(c["order_id"], c["amount"], c["reversed"]) for c in st["commissions"]],
                  [(o1, 3000, 0), (o2, 2000, 1000)], "the commissions paid")
        expect_eq([c["amount"] for c in st["clawbacks"]], [-500], "the claw-back carried")
        expect_eq((st["commissions_total"], st["reversals_total"], st["carried"], st["total"]),
                  (5000, 1000, -500, 3500), "the totals")
        expect_eq(st["commissions_total"] - st["reversals_total"] + st["carried"], st["total"],
                  "the totals add up")
        expect_eq(st["merchant"], {"program_id": pid, "name": "Acme Shoes",
                                   "debtor_name": "Acme Shoes GmbH"}, "the merchant")
        expect_eq((st["partner"]["id"], st["partner"]["name"], st["partner"]["payout_method"]),
                  (jane["id"], jane["name"], {"type": "paypal", "email": "jane@partners.example"}),
                  "the partner")

        # An item is named by its id or its reference.
        by_ref = srv.api("GET", "/api/v1/payouts/%s/items/%s/statement" % (second["id"], item["reference"]))
        expect_eq(by_ref[2], st, "the statement by the item's reference")
        # The first statement: its one commission, nothing carried.
        first_item = items_by_partner(first)[jane["id"]]
        st1 = srv.api("GET", "/api/v1/payouts/%s/items/%s/statement" % (first["id"], first_item["id"]))[2]
        expect_eq((st1["commissions_total"], st1["reversals_total"], st1["carried"], st1["total"]),
                  (1000, 0, 0, 1000), "the first statement's totals (the later refund is not in it)")

        # The partner reads the same; another partner's statement does not exist for it.
        key = partner_key(srv, jane["id"])
        resp = srv.request("GET", "/api/v1/me/payouts/%s/statement" % second["id"], key=key)
        expect_status(resp, 200)
        expect_eq(resp[2], st, "the partner's statement")
        other_key = partner_key(srv, other["id"])
        expect_error(srv.request("GET", "/api/v1/me/payouts/%s/statement" % second["id"],
                                 key=other_key), 404, param="id")
        expect_error(srv.api("GET", "/api/v1/payouts/%s/items/poi_nope/statement" % second["id"]),
                     404, param="id")
        srv.check()


def test_an_item_not_paid_has_no_statement():
    with paypal_server() as (fake, srv):
        fake.outcomes = {"lost@partners.example": "FAILED"}
        prog = program_with_paypal(srv, fake)
        lost, _ = approved_partner(srv, prog["id"], "lost@partners.example", 10000)
        done = pay(srv, prog["id"])
        item = items_by_partner(done)[lost["id"]]
        expect_eq(item["status"], "failed", "the item")
        err = expect_error(srv.api("GET", "/api/v1/payouts/%s/items/%s/statement" % (
            done["id"], item["id"])), 404, param="id")
        expect("failed" in err["message"], "the message says why: %r" % err["message"])
        srv.check()


if __name__ == "__main__":
    harness.main(globals())
