"""A crash between PayPal's answer and the commit (README "Paying with PayPal"): partnerd is killed
with SIGKILL right after PayPal made the batch and before anything of the answer was recorded (the
PARTNERD_TEST_PAYPAL_HOLD=after_create hook of src/jobs/paypal.h holds the sender there). The
restart must not pay again (the fake PayPal of tests/paypal/fake_paypal.py counts payments: the
second create is refused as a duplicate sender_batch_id and the batch looked up) and must book what
was paid; `partnerd check` passes."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "paypal"))

import harness  # noqa: E402
from harness import expect_eq, expect_status  # noqa: E402
from scenario import (paypal_server, approved_partner, balance, batch,  # noqa: E402
                      draft_batch, items_by_partner, program_with_paypal, wait_for, wait_settled)

HOLD = {"PARTNERD_TEST_PAYPAL_HOLD": "after_create"}


def test_kill9_after_paypal_answered_pays_once_and_books_it():
    with paypal_server(env=HOLD) as (fake, srv):
        prog = program_with_paypal(srv, fake)
        a, amount_a = approved_partner(srv, prog["id"], "a@partners.example", 10000)
        b, amount_b = approved_partner(srv, prog["id"], "b@partners.example", 30000)
        draft = draft_batch(srv, prog["id"])
        expect_status(srv.api("POST", "/api/v1/payouts/%s/send" % draft["id"]), 202)
        wait_for("the sender to hold after PayPal's answer",
                 lambda: any("holding after a create" in line for line in srv.log))
        srv.kill9()
        expect_eq(fake.payments, 2, "payments made at PayPal before the crash")
        # Nothing of PayPal's answer was recorded: the part is still being created.
        expect_eq(srv.sql1("SELECT status FROM paypal_sends"), "creating", "the part after the crash")
        expect_eq(srv.sql1("SELECT COUNT(*) FROM paypal_sends WHERE payout_batch_id IS NOT NULL"), 0,
                  "PayPal's batch ids recorded before the crash")

        srv.env = {}
        srv.start()
        done = wait_settled(srv, draft["id"])
        items = items_by_partner(done)
        expect_eq((items[a["id"]]["status"], items[b["id"]]["status"]), ("paid", "paid"),
                  "the items after the restart")
        expect_eq(fake.payments, 2, "payments made at PayPal after the restart")
        expect_eq(fake.creates, 2, "create requests (the second refused as a duplicate)")
        expect_eq(done["paypal"][0]["payout_batch_id"],
                  fake.batch_for(draft["id"] + "-1")["payout_batch_id"], "the batch looked up")
        expect_eq(balance(srv, a["id"]), (0, 0, amount_a), "a's balance")
        expect_eq(balance(srv, b["id"]), (0, 0, amount_b), "b's balance")
        expect_eq(batch(srv, draft["id"])["status"], "paid", "the batch")
        srv.check()


if __name__ == "__main__":
    harness.main(globals())
