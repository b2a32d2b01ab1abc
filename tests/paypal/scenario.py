"""What the PayPal end-to-end tests share: partnerd's settings for a fast sender, a program set up
to pay through the fake PayPal (fake_paypal.py), partners with approved balances in a draft batch,
and waiting for the sender to reach a state."""

import contextlib
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
sys.path.insert(0, HERE)

from fake_paypal import FakePayPal  # noqa: E402
from harness import (Server, create_partner, create_program, convert, expect,  # noqa: E402
                     expect_eq, expect_status, short, uid)

# Look for due parts every 50 ms, retry after 100 ms (then doubled), give up a request after 1 s.
SERVE_ARGS = ["--paypal_poll_ms", "50", "--paypal_retry_base_ms", "100",
              "--paypal_timeout_ms", "1000"]
WAIT_S = 30


@contextlib.contextmanager
def paypal_server(env=None):
    """A fake PayPal and a partnerd whose sender is fast; the server's log is printed when the
    test fails."""
    with FakePayPal() as fake, Server(serve_args=SERVE_ARGS, env=env) as srv:
        try:
            yield fake, srv
        except BaseException:
            print("  server log:\n" + srv.log_tail(80))
            raise


def period_now():
    return time.strftime("%Y-%m", time.gmtime())


def paypal_settings(fake):
    return {"client_id": fake.client_id, "client_secret": fake.client_secret, "mode": "sandbox",
            "base_url": fake.base_url}


def program_with_paypal(srv, fake, **overrides):
    prog = create_program(srv, hold_days=0, **overrides)
    resp = srv.api("PATCH", "/api/v1/programs/" + prog["id"], {"paypal": paypal_settings(fake)})
    expect_status(resp, 200)
    return prog


def approved_partner(srv, program_id, email, order_amount, method=None):
    """A partner paid by PayPal at email (or by method) whose commission on one order is approved;
    returns (partner, commission amount)."""
    ptn = create_partner(srv, program_id,
                         payout_method=method or {"type": "paypal", "email": email})
    status, _, conv = convert(srv, program_id, "o" + uid(), order_amount, ref=ptn["ref_code"])
    expect_eq(status, 201, "conversion (%s)" % short(conv))
    total = 0
    for c in conv["commissions"]:
        expect_status(srv.api("POST", "/api/v1/commissions/%s/approve" % c["id"]), 200)
        total += c["amount"]
    return ptn, total


def draft_batch(srv, program_id):
    resp = srv.api("POST", "/api/v1/payouts", {"program_id": program_id, "period": period_now()})
    expect_status(resp, 201)
    expect_eq(resp[2]["status"], "draft", "a new batch's status")
    return resp[2]


def sent_one(srv, fake, email="a@partners.example", order_amount=10000):
    """A program paying through fake, one partner with an approved commission, its draft sent;
    returns (partner, commission amount, the draft)."""
    prog = program_with_paypal(srv, fake)
    ptn, amount = approved_partner(srv, prog["id"], email, order_amount)
    draft = draft_batch(srv, prog["id"])
    expect_status(srv.api("POST", "/api/v1/payouts/%s/send" % draft["id"]), 202)
    return ptn, amount, draft


def batch(srv, payout_id):
    resp = srv.api("GET", "/api/v1/payouts/" + payout_id)
    expect_status(resp, 200)
    return resp[2]


def items_by_partner(b):
    return {it["partner_id"]: it for it in b["items"]}


def wait_for(what, fn, timeout=WAIT_S):
    """Polls fn() until it returns a true value (returned), or fails after timeout seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s (last: %s)" % (what, short(last)))


def wait_settled(srv, payout_id):
    """Waits until every PayPal part of the batch is done or failed and none of its items is still
    sent through PayPal (one answer reads the items before the parts: on PostgreSQL a commit can
    fall between the two); returns the batch."""
    def settled():
        b = batch(srv, payout_id)
        parts_done = b["paypal"] and all(p["status"] in ("done", "failed") for p in b["paypal"])
        open_items = [it for it in b["items"]
                      if it.get("channel") == "paypal_api" and it["status"] == "sent"]
        return b if parts_done and not open_items else None
    return wait_for("the batch's PayPal parts to finish", settled)


def balance(srv, partner_id):
    b = srv.api("GET", "/api/v1/partners/" + partner_id)[2]["balance"]
    return (b["pending"], b["approved"], b["paid"])


def ledger_kinds(srv, partner_id):
    rows = srv.sql("SELECT kind, approved, paid FROM ledger_entries WHERE partner_id = ?"
                   " ORDER BY created_at, kind", (partner_id,))
    return [tuple(r) for r in rows]


__all__ = ["FakePayPal", "SERVE_ARGS", "paypal_server", "program_with_paypal", "approved_partner", "draft_batch", "sent_one",
           "batch", "items_by_partner", "wait_for", "wait_settled", "balance", "ledger_kinds",
           "paypal_settings", "period_now", "expect", "expect_eq"]
