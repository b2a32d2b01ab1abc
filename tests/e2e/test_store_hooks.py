#!/usr/bin/env python3
"""Store connections (README "Store webhooks"): a program's Stripe, Shopify, WooCommerce or Paddle
connection is created, listed, read, given its signing secret and deleted through /api/v1; the
secret is never answered; bad input is refused and writes nothing. Deliveries to
/hooks/{platform}/{id} are signed here with hmac/hashlib exactly as each platform signs them, with
the bodies of tests/unit/fixtures/storehook/: a bad signature is 401 and stores nothing, an
authentic event is applied once (conversion, refund, waiting refund, or ignored with its reason)."""

import base64
import copy
import hashlib
import hmac
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (Server, click_ok, create_partner, create_program, expect, expect_eq,  # noqa: E402
                     expect_error, expect_status, list_rows)

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "unit", "fixtures",
                        "storehook")


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
        return json.load(f)


def stripe_headers(body, secret, t=None):
    t = int(time.time()) if t is None else t
    sig = hmac.new(secret.encode(), b"%d." % t + body, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": "t=%d,v1=%s" % (t, sig)}


def b64_hmac(body, secret):
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def shopify_headers(body, secret, topic, webhook_id):
    return {"X-Shopify-Hmac-Sha256": b64_hmac(body, secret), "X-Shopify-Topic": topic,
            "X-Shopify-Webhook-Id": webhook_id}


def woo_headers(body, secret, topic="order.updated"):
    return {"X-WC-Webhook-Signature": b64_hmac(body, secret), "X-WC-Webhook-Topic": topic}


def paddle_headers(body, secret, ts=None):
    ts = int(time.time()) if ts is None else ts
    h1 = hmac.new(secret.encode(), b"%d:" % ts + body, hashlib.sha256).hexdigest()
    return {"Paddle-Signature": "ts=%d;h1=%s" % (ts, h1)}


def deliver(srv, con, body, headers):
    return srv.request("POST", "/hooks/%s/%s" % (con["platform"], con["id"]), body=body,
                       headers=headers)


def events(srv, con):
    status, _, page = srv.api("GET", "/api/v1/connections/%s/events?limit=100" % con["id"])
    expect_eq(status, 200, "events")
    return list_rows(page)


def conversion_of(srv, order_id):
    status, _, page = srv.api("GET", "/api/v1/conversions?limit=100")
    expect_eq(status, 200, "conversions")
    found = [c for c in list_rows(page) if c["order_id"] == order_id]
    return found[0] if found else None


def new_connection(srv, program_id, platform, secret=None):
    body = {"platform": platform}
    if secret is not None:
        body["signing_secret"] = secret
    resp = srv.api("POST", "/api/v1/programs/%s/connections" % program_id, body)
    expect_status(resp, 201)
    return resp[2]


def test_connections_crud(srv):
    prog = create_program(srv)
    con = new_connection(srv, prog["id"], "stripe")
    expect(con["id"].startswith("con_"), "id %r" % con["id"])
    expect_eq(con["object"], "connection", "object")
    expect_eq(con["platform"], "stripe", "platform")
    expect_eq(con["program_id"], prog["id"], "program_id")
    expect(con["endpoint_url"].endswith("/hooks/stripe/" + con["id"]), con["endpoint_url"])
    expect_eq(con["has_signing_secret"], False, "no secret yet")
    expect("signing_secret" not in con, "the secret is never answered")

    shop = new_connection(srv, prog["id"], "shopify", "shpss_" + "a" * 20)
    expect_eq(shop["has_signing_secret"], True, "secret given on create")
    expect("shpss_" not in repr(shop), "the secret is never answered")

    status, _, page = srv.api("GET", "/api/v1/programs/%s/connections" % prog["id"])
    expect_eq(status, 200, "list")
    expect_eq([c["id"] for c in list_rows(page)], [shop["id"], con["id"]], "newest first")

    status, _, got = srv.api("PATCH", "/api/v1/connections/" + con["id"],
                             {"signing_secret": "whsec_test_secret"})
    expect_eq(status, 200, "patch")
    expect_eq(got["has_signing_secret"], True, "secret set")
    expect("whsec_" not in repr(got), "the secret is never answered")
    stored = srv.sql1("SELECT signing_secret FROM connections WHERE id = ?", (con["id"],))
    expect_eq(stored, "whsec_test_secret", "stored secret")

    status, _, got = srv.api("GET", "/api/v1/connections/" + con["id"])
    expect_eq(status, 200, "get")
    expect_eq(got["last_refused_at"], None, "never refused")

    status, _, events = srv.api("GET", "/api/v1/connections/%s/events" % con["id"])
    expect_eq(status, 200, "events")
    expect_eq(list_rows(events), [], "no events yet")

    status, _, gone = srv.api("DELETE", "/api/v1/connections/" + shop["id"])
    expect_eq(status, 200, "delete")
    expect_eq(gone["deleted"], True, "deleted")
    status, _, _ = srv.api("GET", "/api/v1/connections/" + shop["id"])
    expect_eq(status, 404, "gone")


def test_connections_bad_input(srv):
    prog = create_program(srv)
    before = srv.sql1("SELECT count(*) FROM connections")
    path = "/api/v1/programs/%s/connections" % prog["id"]
    expect_error(srv.api("POST", path, {"platform": "magento"}), 400, "platform")
    expect_error(srv.api("POST", path, {}), 400, "platform")
    expect_error(srv.api("POST", path, {"platform": "stripe", "secret": "x"}), 400, "secret")
    expect_error(srv.api("POST", path, {"platform": "stripe", "signing_secret": ""}), 400,
                 "signing_secret")
    expect_error(srv.api("POST", path, {"platform": "stripe", "signing_secret": "x" * 600}), 400,
                 "signing_secret")
    expect_error(srv.api("POST", "/api/v1/programs/prg_nope/connections", {"platform": "stripe"}),
                 404, "program_id")
    expect_error(srv.api("GET", "/api/v1/programs/prg_nope/connections"), 404, "id")
    expect_error(srv.api("GET", "/api/v1/connections/con_nope"), 404, "id")
    expect_error(srv.api("PATCH", "/api/v1/connections/con_nope", {"signing_secret": "s"}), 404,
                 "id")
    expect_error(srv.api("DELETE", "/api/v1/connections/con_nope"), 404, "id")
    expect_error(srv.api("GET", "/api/v1/connections/con_nope/events"), 404, "id")
    expect_eq(srv.sql1("SELECT count(*) FROM connections"), before, "nothing written")


SECRET = "whsec_e2e_" + "k" * 24


def stripe_setup(srv):
    prog = create_program(srv)
    ptn = create_partner(srv, prog["id"])
    con = new_connection(srv, prog["id"], "stripe", SECRET)
    return prog, ptn, con


def stripe_checkout(order_id, click_id, intent):
    ev = fixture("stripe_checkout_paid.json")
    ev["id"] = "evt_" + order_id
    ev["data"]["object"]["id"] = order_id
    ev["data"]["object"]["client_reference_id"] = click_id
    ev["data"]["object"]["payment_intent"] = intent
    return json.dumps(ev).encode()


def stripe_refund(event_id, intent, refunded, amount=9680):
    ev = fixture("stripe_charge_refunded.json")
    ev["id"] = event_id
    obj = ev["data"]["object"]
    obj.update({"currency": "usd", "payment_intent": intent, "amount": amount,
                "amount_captured": amount, "amount_refunded": refunded,
                "refunded": refunded == amount})
    return json.dumps(ev).encode()


def test_stripe_refused_deliveries(srv):
    prog, _, con = stripe_setup(srv)
    body = stripe_checkout("cs_live_refused", None, "pi_refused")
    before = srv.sql1("SELECT count(*) FROM conversions")
    now = int(time.time())
    bad = [
        ("wrong secret", stripe_headers(body, "whsec_wrong")),
        ("stale timestamp", stripe_headers(body, SECRET, now - 3600)),
        ("no signature", {}),
        ("malformed", {"Stripe-Signature": "v1=abc"}),
    ]
    for what, headers in bad:
        status, _, resp = deliver(srv, con, body, headers)
        expect_eq(status, 401, what)
        expect(isinstance(resp, dict) and "error" in resp, "%s: JSON error %r" % (what, resp))
    changed = body[:-2] + (b"}" if body[-2:-1] != b"}" else b" ") + body[-1:]
    status, _, _ = deliver(srv, con, changed, stripe_headers(body, SECRET))
    expect_eq(status, 401, "body changed by one byte")
    expect_eq(srv.sql1("SELECT count(*) FROM conversions"), before, "nothing stored")
    expect_eq(events(srv, con), [], "no events")
    status, _, got = srv.api("GET", "/api/v1/connections/" + con["id"])
    expect(got["last_refused_at"] is not None, "the refusal is recorded")
    expect(got["last_refused_reason"], "with its reason")
    # Unknown connection, wrong platform, and a connection without a secret.
    status, _, _ = srv.request("POST", "/hooks/stripe/con_nope", body=body,
                               headers=stripe_headers(body, SECRET))
    expect_eq(status, 404, "unknown connection")
    status, _, _ = srv.request("POST", "/hooks/shopify/" + con["id"], body=body,
                               headers=stripe_headers(body, SECRET))
    expect_eq(status, 404, "another platform's URL")
    bare = new_connection(srv, prog["id"], "stripe")
    status, _, _ = deliver(srv, bare, body, stripe_headers(body, SECRET))
    expect_eq(status, 401, "no secret yet")


def test_stripe_order_and_refunds(srv):
    prog, ptn, con = stripe_setup(srv)
    _, click_id = click_ok(srv, ptn["ref_code"])
    order = "cs_live_" + harness.uid()
    body = stripe_checkout(order, click_id, "pi_" + order)
    status, _, resp = deliver(srv, con, body, stripe_headers(body, SECRET))
    expect_eq((status, resp.get("outcome")), (200, "conversion"), "paid order: %r" % (resp,))
    conv = conversion_of(srv, order)
    expect(conv is not None, "the conversion is recorded")
    expect_eq(conv["amount"], 8500, "amount: subtotal after discount, no tax or shipping")
    expect_eq(conv["partner_id"], ptn["id"], "attributed by the click id")
    expect_eq(sum(c["amount"] for c in conv["commissions"]), 850, "10% commission")
    # The same event again: nothing new.
    status, _, resp = deliver(srv, con, body, stripe_headers(body, SECRET))
    expect_eq((status, resp.get("duplicate")), (200, True), "replayed event")
    expect_eq(len(events(srv, con)), 1, "one event")
    # A partial refund (cumulative 2420 of 9680 gross: a quarter), then the rest.
    rb = stripe_refund("evt_r1_" + order, "pi_" + order, 2420)
    status, _, resp = deliver(srv, con, rb, stripe_headers(rb, SECRET))
    expect_eq((status, resp.get("outcome")), (200, "refund"), "partial refund %r" % (resp,))
    expect_eq(conversion_of(srv, order)["refunded_amount"], 2125, "a quarter of 8500")
    # Cumulative: half refunded in all now, so a quarter more.
    rb = stripe_refund("evt_r2_" + order, "pi_" + order, 4840)
    status, _, resp = deliver(srv, con, rb, stripe_headers(rb, SECRET))
    expect_eq((status, resp.get("outcome")), (200, "refund"), "second refund %r" % (resp,))
    expect_eq(conversion_of(srv, order)["refunded_amount"], 4250, "half of 8500 in all")
    rb = stripe_refund("evt_r3_" + order, "pi_" + order, 9680)
    status, _, resp = deliver(srv, con, rb, stripe_headers(rb, SECRET))
    expect_eq((status, resp.get("outcome")), (200, "refund"), "full refund %r" % (resp,))
    conv = conversion_of(srv, order)
    expect_eq(conv["refunded_amount"], 8500, "a full refund reverses exactly the amount")
    expect_eq(sum(c["amount"] - c.get("reversed", 0) for c in conv["commissions"]), 0,
              "commission fully reversed")


def test_stripe_refund_before_its_order(srv):
    _, _, con = stripe_setup(srv)
    order = "cs_live_" + harness.uid()
    rb = stripe_refund("evt_early_" + order, "pi_" + order, 4840)
    status, _, resp = deliver(srv, con, rb, stripe_headers(rb, SECRET))
    expect_eq((status, resp.get("outcome")), (200, "pending"), "refund of an unknown order")
    expect_eq(conversion_of(srv, order), None, "no conversion yet")
    body = stripe_checkout(order, None, "pi_" + order)
    status, _, resp = deliver(srv, con, body, stripe_headers(body, SECRET))
    expect_eq((status, resp.get("outcome")), (200, "conversion"), "order %r" % (resp,))
    expect_eq(conversion_of(srv, order)["refunded_amount"], 4250, "the waiting half applies")
    rows = {e["event_id"]: e for e in events(srv, con)}
    expect_eq(rows["evt_early_" + order]["outcome"], "refund", "the waiting refund is applied")


def test_stripe_ignored_events(srv):
    prog, _, con = stripe_setup(srv)
    ev = json.loads(stripe_checkout("cs_live_eur", None, "pi_eur"))
    ev["id"] = "evt_eur"
    ev["data"]["object"]["currency"] = "eur"
    body = json.dumps(ev).encode()
    status, _, resp = deliver(srv, con, body, stripe_headers(body, SECRET))
    expect_eq((status, resp.get("outcome")), (200, "ignored"), "other currency")
    expect("EUR" in resp["reason"], resp["reason"])
    ev = {"id": "evt_unknown_type", "object": "event", "livemode": True,
          "type": "customer.updated", "data": {"object": {"id": "cus_1"}}}
    body = json.dumps(ev).encode()
    status, _, resp = deliver(srv, con, body, stripe_headers(body, SECRET))
    expect_eq((status, resp.get("outcome")), (200, "ignored"), "unknown event type")
    ev = json.loads(stripe_checkout("cs_test_1", None, "pi_test"))
    ev["id"], ev["livemode"] = "evt_test_mode", False
    ev["data"]["object"]["livemode"] = False
    body = json.dumps(ev).encode()
    status, _, resp = deliver(srv, con, body, stripe_headers(body, SECRET))
    expect_eq((status, resp.get("outcome")), (200, "ignored"), "test mode")
    expect_eq([e["outcome"] for e in events(srv, con)], ["ignored"] * 3, "listed as ignored")
    expect_eq(conversion_of(srv, "cs_live_eur"), None, "nothing converted")


def stripe_subscription_checkout(customer, click_id):
    ev = fixture("stripe_checkout_subscription.json")
    ev["id"] = "evt_sub_" + customer
    obj = ev["data"]["object"]
    obj.update({"id": "cs_live_sub_" + customer, "currency": "usd", "customer": customer,
                "metadata": {"pd_click": click_id}})
    return json.dumps(ev).encode()


def stripe_invoice(invoice_id, customer, reason):
    """An invoice of 35.00 before a 5.00 discount, 3.00 tax on top: 30.00 excluding tax."""
    ev = fixture("stripe_invoice_paid.json")
    ev["id"] = "evt_" + invoice_id
    obj = ev["data"]["object"]
    obj.update({"id": invoice_id, "currency": "usd", "customer": customer,
                "billing_reason": reason})
    for line in obj["lines"]["data"]:
        line["currency"] = "usd"
    return json.dumps(ev).encode()


def stripe_invoice_payment(invoice_id, intent):
    ev = fixture("stripe_invoice_payment_paid.json")
    ev["id"] = "evt_pay_" + invoice_id
    obj = ev["data"]["object"]
    obj.update({"id": "inpay_" + invoice_id, "currency": "usd", "invoice": invoice_id,
                "payment": {"type": "payment_intent", "payment_intent": intent}})
    return json.dumps(ev).encode()


def stripe_send(srv, con, body, outcome, what):
    return expect_outcome(deliver(srv, con, body, stripe_headers(body, SECRET)), outcome, what)


def test_stripe_subscription(srv):
    _, ptn, con = stripe_setup(srv)
    _, click_id = click_ok(srv, ptn["ref_code"])
    tag = harness.uid()
    customer, stranger = "cus_" + tag, "cus_unbound_" + tag
    # An invoice of a customer no subscription checkout bound: ignored, nothing converted.
    lone = "in_lone_" + tag
    resp = stripe_send(srv, con, stripe_invoice(lone, stranger, "subscription_create"), "ignored",
                       "invoice of an unbound customer")
    expect_eq(resp["reason"], "customer not bound", "reason")
    expect_eq(conversion_of(srv, lone), None, "an unbound customer's invoice converts nothing")
    # The subscription checkout binds the Stripe customer to the click's partner.
    stripe_send(srv, con, stripe_subscription_checkout(customer, click_id), "bound",
                "subscription checkout")
    expect_eq(conversion_of(srv, "cs_live_sub_" + customer), None, "the checkout is no order")
    bound = srv.sql1("SELECT partner_id FROM customers WHERE customer_id = ?", (customer,))
    expect_eq(bound, ptn["id"], "customer bound to the partner")
    # Each invoice converts its total excluding tax, through the customer's binding.
    invoices = ["in_first_" + tag, "in_second_" + tag]
    for inv, reason in zip(invoices, ("subscription_create", "subscription_cycle")):
        resp = stripe_send(srv, con, stripe_invoice(inv, customer, reason), "conversion", inv)
        conv = conversion_of(srv, inv)
        expect(conv is not None, "invoice %s converted" % inv)
        expect_eq(conv["amount"], 3000, "total excluding tax")
        expect_eq(conv["partner_id"], ptn["id"], "attributed through the bound customer")
        expect_eq(conv["customer_id"], customer, "customer id")
        expect_eq(sum(c["amount"] for c in conv["commissions"]), 300, "10% commission")
        stripe_send(srv, con, stripe_invoice_payment(inv, "pi_" + inv), "linked", "payment " + inv)
    # A full refund of the second invoice's charge refunds exactly that invoice's conversion.
    rb = stripe_refund("evt_refund_" + tag, "pi_" + invoices[1], 3300, amount=3300)
    resp = stripe_send(srv, con, rb, "refund", "refund of the second invoice")
    expect_eq(resp["conversion_id"], conversion_of(srv, invoices[1])["id"], "that conversion")
    expect_eq(conversion_of(srv, invoices[1])["refunded_amount"], 3000, "fully refunded")
    expect_eq(conversion_of(srv, invoices[0])["refunded_amount"], 0, "the first one untouched")
    # A refund before the link and the invoice waits, and applies when the invoice converts.
    third = "in_third_" + tag
    rb = stripe_refund("evt_early_refund_" + tag, "pi_" + third, 1650, amount=3300)
    stripe_send(srv, con, rb, "pending", "refund before its invoice")
    stripe_send(srv, con, stripe_invoice_payment(third, "pi_" + third), "linked", "third link")
    stripe_send(srv, con, stripe_invoice(third, customer, "subscription_cycle"), "conversion",
                "third invoice")
    expect_eq(conversion_of(srv, third)["refunded_amount"], 1500, "the waiting half applies")


def platform_setup(srv, platform, currency):
    prog = create_program(srv, currency=currency)
    ptn = create_partner(srv, prog["id"])
    con = new_connection(srv, prog["id"], platform, SECRET)
    _, click_id = click_ok(srv, ptn["ref_code"])
    return prog, ptn, con, click_id


def expect_outcome(resp, outcome, what):
    status, _, body = resp
    expect_eq((status, body.get("outcome") if isinstance(body, dict) else body), (200, outcome),
              what)
    return body


def test_shopify(srv):
    _, ptn, con, click_id = platform_setup(srv, "shopify", "EUR")
    order = fixture("shopify_orders_paid.json")
    order_id = str(9007199254740000 + int(time.time() * 1000) % 900)
    order["id"] = int(order_id)
    for attr in order["note_attributes"]:
        if attr["name"] == "pd_click":
            attr["value"] = click_id
    body = json.dumps(order).encode()
    hdr = shopify_headers(body, SECRET, "orders/paid", "wh-" + order_id)
    expect_eq(deliver(srv, con, body, dict(hdr, **{"X-Shopify-Hmac-Sha256": b64_hmac(body, "x")}))[0],
              401, "wrong secret")
    expect_eq(deliver(srv, con, body + b" ", hdr)[0], 401, "body changed by one byte")
    expect_outcome(deliver(srv, con, body, hdr), "conversion", "orders/paid")
    conv = conversion_of(srv, order_id)
    expect_eq((conv["amount"], conv["partner_id"]), (9000, ptn["id"]),
              "after discounts, without tax and shipping, attributed by the cart attribute")
    resp = deliver(srv, con, body, hdr)
    expect_eq((resp[0], resp[2].get("duplicate")), (200, True), "the same webhook id again")
    refund = fixture("shopify_refunds_create.json")
    refund["order_id"] = int(order_id)
    rb = json.dumps(refund).encode()
    expect_outcome(deliver(srv, con, rb, shopify_headers(rb, SECRET, "refunds/create",
                                                         "wh-r-" + order_id)),
                   "refund", "refunds/create")
    expect_eq(conversion_of(srv, order_id)["refunded_amount"], 3600, "the net refund given")
    other = dict(order, id=int(order_id) + 1000, currency="USD")
    ob = json.dumps(other).encode()
    body2 = expect_outcome(deliver(srv, con, ob, shopify_headers(ob, SECRET, "orders/paid",
                                                                   "wh-usd-" + order_id)),
                           "ignored", "an order in another currency")
    expect(body2["reason"], "with a reason")
    ub = b'{"id": 1}'
    expect_outcome(deliver(srv, con, ub, shopify_headers(ub, SECRET, "products/update",
                                                         "wh-p-" + order_id)),
                   "ignored", "a topic partnerd does not use")


def test_woocommerce(srv):
    _, ptn, con, click_id = platform_setup(srv, "woocommerce", "USD")
    status, _, _ = deliver(srv, con, b"webhook_id=42",
                           {"Content-Type": "application/x-www-form-urlencoded"})
    expect_eq(status, 200, "the unsigned creation ping")
    expect_eq(events(srv, con), [], "the ping stores nothing")
    order = fixture("woocommerce_order.json")
    order["id"] = int(time.time() * 1000) % 1000000
    order_id = str(order["id"])
    for m in order["meta_data"]:
        if m["key"] == "_wc_order_attribution_session_entry":
            m["value"] = "https://shop.example/?pd_click=" + click_id
    body = json.dumps(order).encode()
    expect_eq(deliver(srv, con, body, woo_headers(body, "wrong"))[0], 401, "wrong secret")
    expect_outcome(deliver(srv, con, body, woo_headers(body, SECRET)), "conversion",
                   "a processing order")
    conv = conversion_of(srv, order_id)
    expect_eq((conv["amount"], conv["partner_id"]), (9720, ptn["id"]),
              "lines after the coupon, attributed by the session entry")
    # Half of the gross total refunded: exactly half of the amount.
    order["refunds"] = [{"id": 901, "reason": "", "total": "-55.19"}]
    rb = json.dumps(order).encode()
    expect_outcome(deliver(srv, con, rb, woo_headers(rb, SECRET)), "refund", "a partial refund")
    expect_eq(conversion_of(srv, order_id)["refunded_amount"], 4860, "half of 9720")
    expect_eq(deliver(srv, con, rb, woo_headers(rb, SECRET))[2].get("duplicate"), True,
              "the same refund again")


def test_paddle(srv):
    _, ptn, con, click_id = platform_setup(srv, "paddle", "USD")
    txn = fixture("paddle_transaction_completed.json")
    tid = "txn_" + harness.uid()
    txn["data"]["id"] = tid
    txn["notification_id"] = "ntf_" + tid
    txn["data"]["custom_data"]["pd_click"] = click_id
    body = json.dumps(txn).encode()
    expect_eq(deliver(srv, con, body, paddle_headers(body, SECRET, int(time.time()) - 3600))[0],
              401, "stale timestamp")
    expect_outcome(deliver(srv, con, body, paddle_headers(body, SECRET)), "conversion",
                   "transaction.completed")
    conv = conversion_of(srv, tid)
    expect_eq((conv["amount"], conv["partner_id"]), (4500, ptn["id"]),
              "subtotal after the discount, attributed by custom_data")
    adj = fixture("paddle_adjustment_refund.json")
    adj["data"]["transaction_id"] = tid
    adj["notification_id"] = "ntf_adj_" + tid
    ab = json.dumps(adj).encode()
    expect_outcome(deliver(srv, con, ab, paddle_headers(ab, SECRET)), "refund", "approved refund")
    expect_eq(conversion_of(srv, tid)["refunded_amount"], 900, "the net subtotal refunded")


def test_large_payload(srv):
    _, _, con = stripe_setup(srv)
    body = b'{"pad":"' + b"x" * (2 * 1024 * 1024 + 16) + b'"}'
    sig = stripe_headers(body, SECRET)["Stripe-Signature"]
    head = ("POST /hooks/stripe/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
            "\r\nStripe-Signature: %s\r\nContent-Length: %d\r\n\r\n"
            % (con["id"], sig, len(body))).encode()
    status, raw = harness.send_large_body(srv.port, head, body)
    expect_eq(status, 413, "a 2 MiB+ payload: %r" % raw[:300])
    # A signed body just under the limit of the server (1 MiB) is read and answered.
    ev = {"id": "evt_big_" + harness.uid(), "object": "event", "livemode": True,
          "type": "customer.updated", "data": {"object": {"id": "cus_1", "pad": "x" * 900000}}}
    big = json.dumps(ev).encode()
    expect_outcome(deliver(srv, con, big, stripe_headers(big, SECRET)), "ignored", "a large event")
    status, _, _ = srv.api("GET", "/api/v1/connections/" + con["id"])
    expect_eq(status, 200, "the server keeps serving")


def test_events_and_waiting_refunds_past_30_days_are_deleted():
    with Server(serve_args=["--approve_interval", "1"]) as srv:
        _, _, con = stripe_setup(srv)
        ids = []
        for n in ("old", "new"):
            ev = {"id": "evt_%s_%s" % (n, harness.uid()), "object": "event", "livemode": True,
                  "type": "customer.updated", "data": {"object": {"id": "cus_1"}}}
            body = json.dumps(ev).encode()
            expect_outcome(deliver(srv, con, body, stripe_headers(body, SECRET)), "ignored", n)
            ids.append(ev["id"])
        waiting = []
        for n in ("old", "new"):
            rb = stripe_refund("evt_wait_%s_%s" % (n, harness.uid()), "pi_never_" + n, 100)
            expect_outcome(deliver(srv, con, rb, stripe_headers(rb, SECRET)), "pending", n)
            waiting.append(json.loads(rb)["id"])
        now = int(time.time() * 1000)
        for event_id, days in zip(ids + waiting, (31, 29, 31, 29)):
            srv.sql_write("UPDATE connection_events SET created_at = ? WHERE event_id = ?",
                          (now - days * 86400000, event_id))
            srv.sql_write("UPDATE connection_pending_refunds SET created_at = ? WHERE event_id = ?",
                          (now - days * 86400000, event_id))
        deadline = time.monotonic() + 20
        while (srv.sql1("SELECT count(*) FROM connection_events WHERE event_id IN (?, ?)",
                        (ids[0], waiting[0])) or
               srv.sql1("SELECT count(*) FROM connection_pending_refunds WHERE event_id = ?",
                        (waiting[0],))):
            expect(time.monotonic() < deadline, "the event and refund of 31 days ago stay")
            time.sleep(0.05)
        expect_eq(srv.sql1("SELECT count(*) FROM connection_events WHERE event_id IN (?, ?)",
                           (ids[1], waiting[1])), 2, "the events of 29 days ago stay")
        expect_eq(srv.sql1("SELECT count(*) FROM connection_pending_refunds WHERE event_id = ?",
                           (waiting[1],)), 1, "the refund waiting for 29 days stays")


def test_check_passes(srv):
    srv.check()


if __name__ == "__main__":
    harness.main(globals())
