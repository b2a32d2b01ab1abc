"""Paying a batch through the PayPal Payouts API (README "Paying with PayPal"), against the local
stand-in for PayPal in tests/paypal/fake_paypal.py: the program's paypal settings (the secret never
answered, base_url https or loopback only), POST /api/v1/payouts/{id}/send and its refusals, and
the sender of `serve` taking each batch to paid: the happy path, a 5xx then success, a timeout
after PayPal made the batch, and items that end FAILED, RETURNED or UNCLAIMED returning their
amounts to the approved balance with a payout_failed entry. Nothing is paid twice (the fake counts
payments) and `partnerd check` passes after every test."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "paypal"))

import harness  # noqa: E402
from harness import create_program, expect, expect_eq, expect_error, expect_status  # noqa: E402
from scenario import (paypal_server, approved_partner, balance, batch,  # noqa: E402
                      draft_batch, items_by_partner, ledger_kinds, paypal_settings,
                      program_with_paypal, sent_one, wait_settled)


def test_paypal_settings_are_checked_and_the_secret_never_answered():
    with paypal_server() as (fake, srv):
        prog = create_program(srv)
        pid = prog["id"]
        expect_eq(prog.get("paypal", "absent"), None, "a new program's paypal")
        path = "/api/v1/programs/" + pid
        expect_error(srv.api("PATCH", path, {"paypal": {"client_id": "x"}}), 422,
                     param="paypal.client_secret")
        bad = dict(paypal_settings(fake), base_url="http://paypal.example")
        expect_error(srv.api("PATCH", path, {"paypal": bad}), 400, param="paypal.base_url")
        bad = dict(paypal_settings(fake), mode="production")
        expect_error(srv.api("PATCH", path, {"paypal": bad}), 400, param="paypal.mode")
        expect_error(srv.api("PATCH", path, {"paypal": dict(paypal_settings(fake), secret="s")}),
                     400, param="paypal.secret")
        expect_error(srv.api("PATCH", path, {"paypal": "on"}), 400, param="paypal")
        expect_eq(srv.sql1("SELECT COUNT(*) FROM paypal_settings"), 0, "settings after refusals")

        resp = srv.api("PATCH", path, {"paypal": paypal_settings(fake)})
        expect_status(resp, 200)
        want = {"client_id": fake.client_id, "client_secret_set": True, "mode": "sandbox",
                "base_url": fake.base_url}
        expect_eq(resp[2]["paypal"], want, "paypal as answered")
        expect(fake.client_secret not in str(resp[2]), "the secret is never answered")
        expect_eq(srv.api("GET", path)[2]["paypal"], want, "paypal read back")
        # A change of mode alone keeps the credentials; base_url null goes back to the mode's.
        resp = srv.api("PATCH", path, {"paypal": {"mode": "live", "base_url": None}})
        expect_status(resp, 200)
        expect_eq(resp[2]["paypal"], dict(want, mode="live", base_url="https://api-m.paypal.com"),
                  "paypal after a change of mode")
        expect_eq(srv.sql1("SELECT client_secret FROM paypal_settings WHERE program_id = ?", (pid,)),
                  fake.client_secret, "the stored secret")
        resp = srv.api("PATCH", path, {"paypal": None})
        expect_status(resp, 200)
        expect_eq(resp[2]["paypal"], None, "paypal removed")
        srv.check()


def test_send_is_refused_when_it_cannot_pay():
    with paypal_server() as (fake, srv):
        plain = create_program(srv, hold_days=0)
        approved_partner(srv, plain["id"], "nosetup@partners.example", 10000)
        b = draft_batch(srv, plain["id"])
        expect_error(srv.api("POST", "/api/v1/payouts/%s/send" % b["id"]), 422, param="id")

        prog = program_with_paypal(srv, fake)
        approved_partner(srv, prog["id"], None, 10000,
                         method={"type": "iban", "iban": "DE89370400440532013000",
                                 "holder": "Bank Only"})
        b = draft_batch(srv, prog["id"])
        expect_error(srv.api("POST", "/api/v1/payouts/%s/send" % b["id"]), 422, param="id")
        expect_error(srv.api("POST", "/api/v1/payouts/pay_nope/send"), 404, param="id")
        # A batch paid by hand, and one whose PayPal items left as a CSV file.
        paid_prog = program_with_paypal(srv, fake)
        approved_partner(srv, paid_prog["id"], "byhand@partners.example", 10000)
        b = draft_batch(srv, paid_prog["id"])
        expect_status(srv.api("POST", "/api/v1/payouts/%s/paid" % b["id"]), 200)
        expect_error(srv.api("POST", "/api/v1/payouts/%s/send" % b["id"]), 422, param="id")
        csv_prog = program_with_paypal(srv, fake)
        approved_partner(srv, csv_prog["id"], "csv@partners.example", 10000)
        b = draft_batch(srv, csv_prog["id"])
        expect_status(srv.request("GET", "/api/v1/payouts/%s/paypal.csv" % b["id"], key=srv.sk), 200)
        expect_error(srv.api("POST", "/api/v1/payouts/%s/send" % b["id"]), 409, param="id")
        expect_eq(fake.creates, 0, "creates at PayPal")
        expect_eq(srv.sql1("SELECT COUNT(*) FROM paypal_sends"), 0, "parts recorded")
        srv.check()


def test_a_batch_is_sent_once_and_followed_to_paid():
    with paypal_server() as (fake, srv):
        fake.pending_gets = 1  # the first look finds the items still PENDING
        prog = program_with_paypal(srv, fake)
        pid = prog["id"]
        a, amount_a = approved_partner(srv, pid, "a@partners.example", 932100)
        b_, amount_b = approved_partner(srv, pid, "b@partners.example", 55)
        bank, _ = approved_partner(srv, pid, None, 20000,
                                   method={"type": "iban", "iban": "DE89370400440532013000",
                                           "holder": "Bank Partner"})
        draft = draft_batch(srv, pid)
        # The IBAN items leave as a Wise file first: the PayPal items can still be sent.
        expect_status(srv.request("GET", "/api/v1/payouts/%s/wise.csv" % draft["id"], key=srv.sk), 200)
        resp = srv.api("POST", "/api/v1/payouts/%s/send" % draft["id"])
        expect_status(resp, 202)
        sent = resp[2]
        expect_eq([(p["part"], p["sender_batch_id"], p["status"]) for p in sent["paypal"]],
                  [(1, draft["id"] + "-1", "creating")], "the batch's PayPal parts")
        expect_error(srv.api("POST", "/api/v1/payouts/%s/send" % draft["id"]), 409, param="id")
        # The approved balance left when the batch was sent.
        expect_eq(balance(srv, a["id"])[1], 0, "a's approved balance once sent")

        done = wait_settled(srv, draft["id"])
        items = items_by_partner(done)
        expect_eq(items[a["id"]]["status"], "paid", "a's item")
        expect_eq(items[b_["id"]]["status"], "paid", "b's item")
        expect_eq(items[bank["id"]]["channel"], "wise", "the IBAN item left as a Wise file")
        part = done["paypal"][0]
        expect_eq(part["status"], "done", "the part once followed")
        batch_id = fake.batch_for(draft["id"] + "-1")["payout_batch_id"]
        expect_eq(part["payout_batch_id"], batch_id, "PayPal's batch id stored")
        expect_eq(fake.payments, 2, "payments made at PayPal")
        expect_eq(fake.creates, 1, "create requests")
        sent_items = fake.batch_for(draft["id"] + "-1")["items"]
        values = sorted(it["payout_item"]["amount"]["value"] for it in sent_items)
        want = sorted("%d.%02d" % divmod(x, 100) for x in (amount_a, amount_b))
        expect_eq(values, want, "amounts sent, formatted from minor units")
        expect_eq(sorted(it["payout_item"]["sender_item_id"] for it in sent_items),
                  sorted(items[p]["reference"] for p in (a["id"], b_["id"])),
                  "sender_item_id is the item's reference")
        expect_eq(balance(srv, a["id"]), (0, 0, amount_a), "a's balance once paid")
        expect_eq(fake.tokens, 1, "one token for every call (cached until it expires)")
        srv.check()


def test_a_5xx_then_success_pays_once():
    with paypal_server() as (fake, srv):
        fake.fail_creates = 2
        fake.fail_gets = 1
        a, amount, draft = sent_one(srv, fake)
        done = wait_settled(srv, draft["id"])
        expect_eq(items_by_partner(done)[a["id"]]["status"], "paid", "the item")
        expect_eq(fake.creates, 3, "create requests (two 503s, then the batch)")
        expect_eq(fake.payments, 1, "payments made at PayPal")
        expect(any("INTERNAL_SERVICE_ERROR" in line for line in srv.log),
               "the provider's error is logged")
        expect_eq(balance(srv, a["id"]), (0, 0, amount), "balance once paid")
        srv.check()
        # The check sees a part record that lost its number, and an item sent without one.
        srv.sql_write("UPDATE paypal_sends SET part = 2")
        rc, out, _ = srv.run_cli("check", "--db", srv.db_url)
        expect(rc != 0 and "FAIL   a batch's PayPal parts are numbered from 1" in out, out[-800:])
        srv.sql_write("DELETE FROM paypal_sends")
        rc, out, _ = srv.run_cli("check", "--db", srv.db_url)
        expect(rc != 0 and "FAIL   an item sent through the PayPal API" in out, out[-800:])


def test_a_timeout_after_paypal_made_the_batch_pays_once():
    with paypal_server() as (fake, srv):
        fake.hang_creates = 1
        fake.hang_seconds = 3  # beyond the sender's 1 s
        a, amount, draft = sent_one(srv, fake)
        done = wait_settled(srv, draft["id"])
        expect_eq(items_by_partner(done)[a["id"]]["status"], "paid", "the item")
        # The retry was refused as a duplicate sender_batch_id and the batch looked up instead.
        expect_eq(fake.creates, 2, "create requests")
        expect_eq(fake.payments, 1, "payments made at PayPal")
        expect_eq(done["paypal"][0]["payout_batch_id"],
                  fake.batch_for(draft["id"] + "-1")["payout_batch_id"], "the batch looked up")
        expect_eq(balance(srv, a["id"]), (0, 0, amount), "balance once paid")
        srv.check()


def test_failed_returned_and_unclaimed_items_return_their_money():
    with paypal_server() as (fake, srv):
        fake.outcomes = {"f@partners.example": "FAILED", "r@partners.example": "RETURNED",
                         "u@partners.example": "UNCLAIMED"}
        prog = program_with_paypal(srv, fake)
        pid = prog["id"]
        ok, ok_amount = approved_partner(srv, pid, "ok@partners.example", 10000)
        losers = {s: approved_partner(srv, pid, "%s@partners.example" % s, 20000)
                  for s in ("f", "r", "u")}
        draft = draft_batch(srv, pid)
        expect_status(srv.api("POST", "/api/v1/payouts/%s/send" % draft["id"]), 202)
        done = wait_settled(srv, draft["id"])
        items = items_by_partner(done)
        expect_eq(items[ok["id"]]["status"], "paid", "the item PayPal paid")
        for s, want in (("f", "FAILED"), ("r", "RETURNED"), ("u", "UNCLAIMED")):
            ptn, amount = losers[s]
            it = items[ptn["id"]]
            expect_eq(it["status"], "failed", "%s item" % want)
            expect(want in (it.get("reason") or ""), "the reason names %s: %r" % (want, it.get("reason")))
            expect_eq(balance(srv, ptn["id"]), (0, amount, 0), "%s: money back to approved" % want)
            kinds = [k for k, _, _ in ledger_kinds(srv, ptn["id"])]
            expect_eq(kinds.count("payout_failed"), 1, "%s: one payout_failed entry" % want)
        expect_eq(balance(srv, ok["id"]), (0, 0, ok_amount), "the paid partner")
        expect_eq(fake.payments, 4, "payments made at PayPal")
        srv.check()


def test_a_create_paypal_refuses_fails_the_items_and_returns_their_money():
    with paypal_server() as (fake, srv):
        fake.refuse_creates = 1
        a, amount, draft = sent_one(srv, fake)
        done = wait_settled(srv, draft["id"])
        it = items_by_partner(done)[a["id"]]
        expect_eq(it["status"], "failed", "the item")
        expect("INSUFFICIENT_FUNDS" in (it.get("reason") or ""), "the item's reason: %r" % it.get("reason"))
        part = done["paypal"][0]
        expect_eq((part["status"], part["payout_batch_id"]), ("failed", None), "the part")
        expect("INSUFFICIENT_FUNDS" in (part["error"] or ""), "the part's error: %r" % part["error"])
        expect_eq(fake.payments, 0, "payments made at PayPal")
        expect_eq(balance(srv, a["id"]), (0, amount, 0), "money back to approved")
        srv.check()


def test_an_item_sent_with_the_api_is_settled_by_paypal_alone():
    # PayPal may be making the batch at the very moment the merchant clicks: only its answer can
    # say whether an item was paid, so settling one by hand is refused until then.
    with paypal_server() as (fake, srv):
        fake.fail_creates = 1000  # PayPal is down while the merchant tries to settle one item
        prog = program_with_paypal(srv, fake)
        a, amount_a = approved_partner(srv, prog["id"], "a@partners.example", 10000)
        b, amount_b = approved_partner(srv, prog["id"], "b@partners.example", 20000)
        draft = draft_batch(srv, prog["id"])
        expect_status(srv.api("POST", "/api/v1/payouts/%s/send" % draft["id"]), 202)
        item_b = items_by_partner(batch(srv, draft["id"]))[b["id"]]
        for outcome, body in (("failed", {"reason": "the account is closed"}), ("paid", None)):
            r = srv.api("POST", "/api/v1/payouts/%s/items/%s/%s" % (draft["id"], item_b["id"], outcome), body)
            expect_status(r, 409)
        with fake.lock:
            fake.fail_creates = 0
        done = wait_settled(srv, draft["id"])
        items = items_by_partner(done)
        expect_eq((items[a["id"]]["status"], items[b["id"]]["status"]), ("paid", "paid"), "the items")
        sent = fake.batch_for(draft["id"] + "-1")["items"]
        expect_eq(sorted(it["payout_item"]["sender_item_id"] for it in sent),
                  sorted([items[a["id"]]["reference"], items[b["id"]]["reference"]]),
                  "what PayPal was asked to pay")
        expect_eq(fake.payments, 2, "payments made at PayPal (one an item)")
        expect_eq(balance(srv, a["id"]), (0, 0, amount_a), "a paid")
        expect_eq(balance(srv, b["id"]), (0, 0, amount_b), "b paid")
        srv.check()


if __name__ == "__main__":
    harness.main(globals())
