#!/usr/bin/env python3
"""Store webhooks under bad input, for each platform (README "Store webhooks"): a delivery before
the connection has a secret, with a wrong secret, a stale timestamp (Stripe, Paddle), a body
changed by one byte is 401, writes nothing and shows on the connection as its last refused delivery
(time and reason); an unknown event type, an order in another currency and a test-mode event on a
live connection answer 200 and are listed as ignored; a refund of an order not seen yet waits and
applies when the order arrives; a replayed event is applied once; a 2 MiB body is 413. After each
the server answers the next request. Also: an order's gross total is kept for refunds that come
after a restart, and of an order's codes the first that is a partner's coupon attributes it."""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import create_partner, expect, expect_eq, list_rows  # noqa: E402
from test_store_hooks import (SECRET, b64_hmac, conversion_of, deliver, events,  # noqa: E402
                              expect_outcome, fixture, new_connection, paddle_headers,
                              platform_setup, shopify_headers, stripe_checkout, stripe_headers,
                              stripe_refund)

REASON_NO_SECRET = "no signing secret is set for this connection"
REASON_MISMATCH = "signature does not match the body and secret"
REASON_STALE = "signature timestamp older than the tolerance"


def half_even(num, den):
    q, r = divmod(num, den)
    if 2 * r > den or (2 * r == den and q % 2 == 1):
        q += 1
    return q


class Stripe:
    platform, currency, timestamped = "stripe", "USD", True
    amount = 8500  # the checkout fixture: 85.00 after the discount, without tax and shipping

    def sign(self, body, secret, ts=None):
        return stripe_headers(body, secret, ts)

    def order(self, order_id, click_id, currency="usd", test=False):
        ev = json.loads(stripe_checkout(order_id, click_id, "pi_" + order_id))
        ev["data"]["object"]["currency"] = currency
        ev["livemode"] = not test
        ev["id"] = "evt_%s_%s_%s" % (order_id, currency, test)
        return json.dumps(ev).encode(), {}

    def refund(self, order_id):
        """Half of the 96.80 charged: half of the amount."""
        return stripe_refund("evt_refund_" + order_id, "pi_" + order_id, 4840), {}, 4250

    def unknown_type(self):
        ev = {"id": "evt_cu_" + harness.uid(), "object": "event", "livemode": True,
              "type": "customer.updated", "data": {"object": {"id": "cus_1"}}}
        return json.dumps(ev).encode(), {}


class Shopify:
    platform, currency, timestamped = "shopify", "EUR", False
    amount = 9000  # subtotal 90.00 after the discount code, without tax and shipping
    gross = 11305

    def sign(self, body, secret, ts=None):
        return {"X-Shopify-Hmac-Sha256": b64_hmac(body, secret)}

    def order(self, order_id, click_id, currency="EUR", test=False, codes=None):
        o = fixture("shopify_orders_paid.json")
        o.update({"id": int(order_id), "currency": currency, "test": test})
        for attr in o["note_attributes"]:
            if attr["name"] == "pd_click":
                attr["value"] = click_id or ""
        if not click_id:
            o["landing_site"] = "/"
        if codes is not None:
            o["discount_codes"] = [{"code": c, "amount": "5.00", "type": "fixed_amount"}
                                   for c in codes]
        hdr = {"X-Shopify-Topic": "orders/paid",
               "X-Shopify-Webhook-Id": "wh-%s-%s-%s" % (order_id, currency, test)}
        return json.dumps(o).encode(), hdr

    def refund(self, order_id, amount="11.30", n=0):
        """A refund of money alone (no line items): its share of the order's gross total."""
        r = fixture("shopify_refunds_create.json")
        r.update({"id": int(order_id) + 7 + n, "order_id": int(order_id), "refund_line_items": []})
        r["transactions"][0].update({"amount": amount, "order_id": int(order_id)})
        cents = int(amount.replace(".", ""))
        hdr = {"X-Shopify-Topic": "refunds/create",
               "X-Shopify-Webhook-Id": "wh-r-%s-%d" % (order_id, n)}
        return json.dumps(r).encode(), hdr, half_even(self.amount * cents, self.gross)

    def unknown_type(self):
        return b'{"id": 1}', {"X-Shopify-Topic": "products/update",
                              "X-Shopify-Webhook-Id": "wh-p-" + harness.uid()}


class WooCommerce:
    platform, currency, timestamped = "woocommerce", "USD", False
    amount = 9720  # the line items' totals after the coupon

    def sign(self, body, secret, ts=None):
        return {"X-WC-Webhook-Signature": b64_hmac(body, secret)}

    def order(self, order_id, click_id, currency="USD", test=False, refunds=None):
        o = fixture("woocommerce_order.json")
        o.update({"id": int(order_id), "currency": currency, "refunds": refunds or []})
        o["meta_data"] = [m for m in o["meta_data"] if m["key"] != "_wc_order_attribution_session_entry"]
        o["meta_data"].append({"id": 1, "key": "pd_click", "value": click_id or ""})
        o["meta_data"].append({"id": 2, "key": "_wcpay_mode", "value": "test" if test else "prod"})
        return json.dumps(o).encode(), {"X-WC-Webhook-Topic": "order.updated"}

    def refund(self, order_id):
        """WooCommerce has no refund event: the order's first delivery already lists the refund
        (half of the 110.38 charged), so the conversion and its refund come together."""
        body, hdr = self.order(order_id, self.click_id,
                               refunds=[{"id": 901, "reason": "", "total": "-55.19"}])
        return body, hdr, 4860

    def unknown_type(self):
        return b'{"id": 5}', {"X-WC-Webhook-Topic": "product.updated"}


class Paddle:
    platform, currency, timestamped = "paddle", "USD", True
    amount = 4500  # details.totals.total less tax

    def sign(self, body, secret, ts=None):
        return paddle_headers(body, secret, ts)

    def order(self, order_id, click_id, currency="USD", test=False):
        t = fixture("paddle_transaction_completed.json")
        t["data"].update({"id": order_id, "currency_code": currency})
        t["data"]["custom_data"]["pd_click"] = click_id
        t["notification_id"] = "ntf_%s_%s" % (order_id, currency)
        return json.dumps(t).encode(), {}

    def refund(self, order_id):
        a = fixture("paddle_adjustment_refund.json")
        a["data"]["transaction_id"] = order_id
        a["notification_id"] = "ntf_adj_" + order_id
        return json.dumps(a).encode(), {}, 900  # totals.subtotal: the net refund

    def unknown_type(self):
        n = {"event_id": "evt_" + harness.uid(), "notification_id": "ntf_" + harness.uid(),
             "event_type": "customer.created", "data": {"id": "ctm_1"}}
        return json.dumps(n).encode(), {}


_SEQ = [0]


def new_order_id(kit):
    """Shopify: above 2^53; WooCommerce: a small integer; Stripe, Paddle: text."""
    _SEQ[0] += 1
    base = int(time.time() * 1000) % 10 ** 7 * 100 + _SEQ[0]
    if kit.platform == "shopify":
        return str(9007199254740993 + base)
    if kit.platform == "woocommerce":
        return str(base)
    return "%s_%s" % (kit.platform, harness.uid())


def send(srv, kit, con, body, hdr, secret=SECRET, ts=None):
    return deliver(srv, con, body, dict(kit.sign(body, secret, ts), **hdr))


def connection(srv, con):
    status, _, got = srv.api("GET", "/api/v1/connections/" + con["id"])
    expect_eq(status, 200, "the server answers the next request")
    return got


def one_byte_changed(body):
    k = len(body) // 2
    return body[:k] + (b"0" if body[k:k + 1] != b"0" else b"1") + body[k + 1:]


def refused(srv, kit, prog, con, body, hdr):
    """Each refusal is 401 with a JSON error, writes nothing, is shown on the connection."""
    bare = new_connection(srv, prog["id"], kit.platform)
    cases = [("no secret yet", bare, body, send_headers(kit, body, SECRET, hdr), REASON_NO_SECRET),
             ("wrong secret", con, body, send_headers(kit, body, "wrong", hdr), REASON_MISMATCH),
             ("one byte changed", con, one_byte_changed(body), send_headers(kit, body, SECRET, hdr),
              REASON_MISMATCH)]
    if kit.timestamped:
        stale = send_headers(kit, body, SECRET, hdr, int(time.time()) - 3600)
        cases.append(("stale timestamp", con, body, stale, REASON_STALE))
    before = srv.counts()
    for what, target, b, h, reason in cases:
        status, _, resp = deliver(srv, target, b, h)
        expect_eq(status, 401, "%s %s" % (kit.platform, what))
        expect(isinstance(resp, dict) and resp["error"]["message"] == reason,
               "%s: the reason in the error %r" % (what, resp))
        got = connection(srv, target)
        expect_eq(got["last_refused_reason"], reason, "%s: the connection shows why" % what)
        expect(got["last_refused_at"], "%s: and when" % what)
        expect_eq(srv.counts(), before, "%s: nothing written" % what)
        expect_eq(events(srv, target), [], "%s: no event listed" % what)


def send_headers(kit, body, secret, hdr, ts=None):
    return dict(kit.sign(body, secret, ts), **hdr)


def ignored(srv, kit, con, click_id):
    body, hdr = kit.unknown_type()
    resp = expect_outcome(send(srv, kit, con, body, hdr), "ignored", "an unknown event type")
    expect(resp["reason"], "with a reason")
    other = "USD" if kit.currency != "USD" else "EUR"
    order_id = new_order_id(kit)
    body, hdr = kit.order(order_id, click_id, currency=other.lower() if kit.platform == "stripe"
                          else other)
    resp = expect_outcome(send(srv, kit, con, body, hdr), "ignored", "an order in another currency")
    expect(other in resp["reason"] and kit.currency in resp["reason"], resp["reason"])
    expect_eq(conversion_of(srv, order_id), None, "nothing converted")
    if kit.platform != "paddle":  # Paddle's payloads never say; its sandbox has its own connection
        order_id = new_order_id(kit)
        body, hdr = kit.order(order_id, click_id, test=True)
        resp = expect_outcome(send(srv, kit, con, body, hdr), "ignored", "a test-mode event")
        expect_eq(resp["reason"], "a test-mode event on a live connection", "reason")
        expect_eq(conversion_of(srv, order_id), None, "nothing converted")


def order_refund_and_replays(srv, kit, con, click_id, ptn, order_id):
    rbody, rhdr, refunded = kit.refund(order_id)
    body, hdr = kit.order(order_id, click_id)
    if kit.platform == "woocommerce":
        expect_outcome(send(srv, kit, con, rbody, rhdr), "refund", "an order with its refund")
    else:
        expect_outcome(send(srv, kit, con, rbody, rhdr), "pending", "a refund of an unknown order")
        expect_eq(conversion_of(srv, order_id), None, "no conversion yet")
        expect_outcome(send(srv, kit, con, body, hdr), "conversion", "the order")
        rows = [e for e in events(srv, con) if e["outcome"] == "refund"]
        expect_eq(len(rows), 1, "the waiting refund is listed as applied")
    conv = conversion_of(srv, order_id)
    expect_eq((conv["amount"], conv["partner_id"], conv["refunded_amount"]),
              (kit.amount, ptn["id"], refunded), "the conversion and its refund")
    before = srv.counts()
    for what, b, h in (("order", body, hdr), ("refund", rbody, rhdr)):
        status, _, resp = send(srv, kit, con, b, h)
        if kit.platform == "woocommerce" and what == "order":
            # The same order without its refund is another state of it: a conversion known already.
            expect_eq((status, resp.get("outcome")), (200, "ignored"), "the older state %r" % resp)
            continue
        expect_eq((status, resp.get("duplicate")), (200, True), "the %s replayed" % what)
    expect_eq(srv.counts(), before, "replays write nothing")
    expect_eq(conversion_of(srv, order_id)["refunded_amount"], refunded, "refunded once")


def too_large(srv, kit, con):
    body = b'{"pad":"' + b"x" * (2 * 1024 * 1024) + b'"}'
    hdrs = "".join("%s: %s\r\n" % kv for kv in kit.sign(body, SECRET).items())
    head = ("POST /hooks/%s/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "%sContent-Length: %d\r\n\r\n" % (kit.platform, con["id"], hdrs, len(body))).encode()
    status, raw = harness.send_large_body(srv.port, head, body)
    expect_eq(status, 413, "a 2 MiB payload: %r" % raw[:200])
    connection(srv, con)


def bad_input(srv, kit):
    prog, ptn, con, click_id = platform_setup(srv, kit.platform, kit.currency)
    kit.click_id = click_id
    order_id = new_order_id(kit)
    body, hdr = kit.order(order_id, click_id)
    refused(srv, kit, prog, con, body, hdr)
    ignored(srv, kit, con, click_id)
    order_refund_and_replays(srv, kit, con, click_id, ptn, order_id)
    too_large(srv, kit, con)


def test_stripe(srv):
    bad_input(srv, Stripe())


def test_shopify(srv):
    bad_input(srv, Shopify())


def test_woocommerce(srv):
    bad_input(srv, WooCommerce())


def test_paddle(srv):
    bad_input(srv, Paddle())


def test_mode_per_connection(srv):
    """A test connection applies test events and ignores live ones; Paddle's events, which never
    say, are taken as of the connection's mode; the mode is set on create or with PATCH."""
    for kit in (Stripe(), Shopify(), WooCommerce(), Paddle()):
        prog, ptn, _, click_id = platform_setup(srv, kit.platform, kit.currency)
        status, _, con = srv.api("POST", "/api/v1/programs/%s/connections" % prog["id"],
                                 {"platform": kit.platform, "signing_secret": SECRET,
                                  "mode": "test"})
        expect_eq((status, con["mode"]), (201, "test"), "a test connection")
        if kit.platform != "paddle":
            oid = new_order_id(kit)
            body, hdr = kit.order(oid, click_id, test=False)
            resp = expect_outcome(send(srv, kit, con, body, hdr), "ignored", kit.platform + " live")
            expect_eq(resp["reason"], "a live event on a test connection", "reason")
            expect_eq(conversion_of(srv, oid), None, "nothing converted")
        oid = new_order_id(kit)
        body, hdr = kit.order(oid, click_id, test=True)
        expect_outcome(send(srv, kit, con, body, hdr), "conversion", kit.platform + " test event")
        expect_eq(conversion_of(srv, oid)["partner_id"], ptn["id"], "attributed")
        status, _, got = srv.api("PATCH", "/api/v1/connections/" + con["id"], {"mode": "live"})
        expect_eq((status, got["mode"], got["has_signing_secret"]), (200, "live", True),
                  "PATCH sets the mode alone")
    status, _, resp = srv.api("PATCH", "/api/v1/connections/" + con["id"], {"mode": "sandbox"})
    expect_eq((status, resp["error"]["param"]), (400, "mode"), "an unknown mode")
    status, _, resp = srv.api("PATCH", "/api/v1/connections/" + con["id"], {})
    expect_eq(status, 400, "a PATCH that sets nothing")
    expect_eq(connection(srv, con)["mode"], "live", "a refused PATCH changes nothing")


def test_gross_total_kept_across_restart(srv):
    """Shopify refunds of money alone name no line items and no order total: their share comes
    from the order's gross total G kept with the conversion, also after a restart. Separate
    refunds R1, R2, … take round_half_even(A × (R1 + … + Rn) / G) in all, so three refunds whose
    shares would each round down still reverse exactly A once they add up to G."""
    kit = Shopify()
    _, _, con, click_id = platform_setup(srv, kit.platform, kit.currency)
    order_id = new_order_id(kit)
    body, hdr = kit.order(order_id, click_id)
    expect_outcome(send(srv, kit, con, body, hdr), "conversion", "the order")
    srv.restart()
    total = 0
    for n, cents in enumerate((107, 111, kit.gross - 218)):
        total += cents
        rbody, rhdr, _ = kit.refund(order_id, "%d.%02d" % divmod(cents, 100), n)
        expect_outcome(send(srv, kit, con, rbody, rhdr), "refund", "refund %d" % n)
        expect_eq(conversion_of(srv, order_id)["refunded_amount"],
                  half_even(kit.amount * total, kit.gross), "refund %d in all" % n)
    expect_eq(conversion_of(srv, order_id)["refunded_amount"], kit.amount,
              "refunds adding up to the gross total reverse exactly the amount")


def test_first_partner_coupon_attributes(srv):
    kit = Shopify()
    prog, _, con, _ = platform_setup(srv, kit.platform, kit.currency)
    code = "SAVE" + harness.uid().upper()
    ptn = create_partner(srv, prog["id"], coupons=[code])
    order_id = new_order_id(kit)
    body, hdr = kit.order(order_id, None, codes=["WELCOME", code.lower(), "OTHER"])
    expect_outcome(send(srv, kit, con, body, hdr), "conversion", "an order with three codes")
    conv = conversion_of(srv, order_id)
    expect_eq(conv["partner_id"], ptn["id"], "the partner's code, though not the first code")


def test_check_passes(srv):
    srv.check()


if __name__ == "__main__":
    harness.main(globals())
