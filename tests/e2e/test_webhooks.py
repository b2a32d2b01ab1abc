#!/usr/bin/env python3
"""Outgoing webhooks and partner postbacks (README "Webhooks"): endpoints are created with a secret
shown once; a conversion, an approval, a refund and a payout each deliver signed events to a
receiver on 127.0.0.1; a partner's postback template is fired with its placeholders expanded; a
receiver that fails first gets the event again (backoff shortened with --webhook_retry_base_ms); an
event committed before a kill -9 is still delivered after the restart; a refused write emits
nothing."""

import hashlib
import hmac
import http.server
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (Server, click_ok, convert, create_partner, create_program, expect,  # noqa: E402
                     expect_eq, expect_error, expect_status, short, uid)

# The receivers are on 127.0.0.1: endpoints there must be allowed explicitly.
ALLOW = ["--webhook_allow_private", "1"]
FAST = ["--webhook_retry_base_ms", "200", "--webhook_poll_ms", "100"] + ALLOW
ALL_EVENTS = ["conversion.created", "commission.created", "commission.approved",
              "commission.reversed", "payout.created", "payout.paid"]


class Receiver:
    """An HTTP server on 127.0.0.1 (ephemeral port) in a thread that records every request and
    answers with the next status of `statuses` (then 200)."""

    def __init__(self, statuses=(), tls=None):
        self.requests = []
        self.statuses = list(statuses)
        self.lock = threading.Lock()
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _handle(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                with rec.lock:
                    rec.requests.append({"method": self.command, "path": self.path,
                                         "headers": {k.lower(): v for k, v in self.headers.items()},
                                         "body": body})
                    status = rec.statuses.pop(0) if rec.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_POST = _handle
            do_GET = _handle

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.scheme = "http"
        if tls:  # (cert file, key file)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/hook"):
        return "%s://127.0.0.1:%d%s" % (self.scheme, self.port, path)

    def events(self):
        with self.lock:
            reqs = [r for r in self.requests if r["method"] == "POST"]
        return [(r, json.loads(r["body"])) for r in reqs]

    def wait(self, pred, what, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = pred(self)
            if found:
                return found
            time.sleep(0.05)
        raise harness.Failure("receiver: no %s within %.0f s; got %s" % (
            what, timeout, short([e for _, e in self.events()], 2000)))

    def wait_event(self, type_, obj_id=None, timeout=10):
        def pred(rec):
            for r, e in rec.events():
                if e.get("type") == type_ and (obj_id is None or e["data"].get("id") == obj_id):
                    return r, e
            return None
        return self.wait(pred, "%s event%s" % (type_, " for " + obj_id if obj_id else ""), timeout)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def verify_signature(req, secret):
    sig = req["headers"].get("partnerd-signature", "")
    parts = dict(p.split("=", 1) for p in sig.split(",") if "=" in p)
    expect("t" in parts and "v1" in parts, "signature header %r" % sig)
    expect(abs(int(parts["t"]) - time.time()) < 120, "signature time %r" % parts["t"])
    mac = hmac.new(secret.encode(), parts["t"].encode() + b"." + req["body"], hashlib.sha256)
    expect(hmac.compare_digest(mac.hexdigest(), parts["v1"]), "signature does not verify: %r" % sig)
    expect_eq(req["headers"].get("content-type"), "application/json", "Content-Type")


def create_endpoint(srv, url, events):
    resp = srv.api("POST", "/api/v1/webhooks", {"url": url, "events": events,
                                                "description": "test " + uid()})
    expect_status(resp, 201)
    ep = resp[2]
    expect(ep["id"].startswith("whe_"), "endpoint id %r" % ep["id"])
    expect(ep["secret"].startswith("whsec_") and len(ep["secret"]) >= 38, "secret %r" % ep["secret"])
    expect_eq(ep["events"], events, "events")
    return ep


def test_endpoints_api():
    with Server(serve_args=ALLOW) as srv:
        endpoints_api(srv)


def endpoints_api(srv):
    for body, param in [({"url": "ftp://127.0.0.1/x", "events": ["payout.paid"]}, "url"),
                        ({"url": "not a url", "events": ["payout.paid"]}, "url"),
                        ({"url": "http://127.0.0.1/x", "events": []}, "events"),
                        ({"url": "http://127.0.0.1/x", "events": ["order.eaten"]}, "events"),
                        ({"url": "http://127.0.0.1/x", "events": "payout.paid"}, "events"),
                        ({"url": "http://127.0.0.1/x", "events": ["payout.paid"], "secret": "x"},
                         "secret")]:
        expect_error(srv.api("POST", "/api/v1/webhooks", body), 400, param)
    ep = create_endpoint(srv, "http://127.0.0.1:9/hook", ["payout.paid", "conversion.created"])
    status, _, body = srv.api("GET", "/api/v1/webhooks")
    expect_eq(status, 200, "list")
    mine = [e for e in body["data"] if e["id"] == ep["id"]]
    expect_eq(len(mine), 1, "endpoint listed")
    expect("secret" not in mine[0], "the list shows no secret: %s" % short(mine[0]))
    expect(srv.request("GET", "/api/v1/webhooks", key=srv.pk)[0] in (401, 403),
           "a publishable key cannot list webhooks")
    expect_status(srv.api("DELETE", "/api/v1/webhooks/" + ep["id"]), 200)
    expect_error(srv.api("DELETE", "/api/v1/webhooks/" + ep["id"]), 404, "id")


def test_events_and_postback():
    rec = Receiver()
    try:
        # The receiver is on 127.0.0.1: postbacks there must be allowed explicitly.
        with Server(serve_args=FAST + ["--postback_allow_private", "1"]) as srv:
            ep = create_endpoint(srv, rec.url(), ALL_EVENTS)
            prog = create_program(srv, min_payout=1)
            pb = rec.url("/pb?click={click_id}&s1={sub1}&s5={sub5}&amt={commission}"
                         "&order={order_id}&keep={other}")
            ptn = create_partner(srv, prog["id"], status="active",
                                 payout_method={"type": "paypal", "email": "w@partners.example"})
            expect_error(srv.api("PATCH", "/api/v1/partners/" + ptn["id"],
                                 {"postback_url": "ftp://x/{click_id}"}), 400, "postback_url")
            expect_status(srv.api("PATCH", "/api/v1/partners/" + ptn["id"],
                                  {"postback_url": pb}), 200)
            _, cid = click_ok(srv, ptn["ref_code"], "sub1=ads%20one&sub5=z%26z")
            order = "o-" + uid()
            status, _, conv = convert(srv, prog["id"], order, 12345, click_id=cid)
            expect_eq(status, 201, "conversion (%s)" % short(conv))
            com = conv["commissions"][0]

            r, e = rec.wait_event("conversion.created", conv["id"])
            verify_signature(r, ep["secret"])
            expect(e["id"].startswith("evt_"), "event id %r" % e["id"])
            expect(isinstance(e["created"], int) and abs(e["created"] - time.time()) < 120,
                   "created %r" % e["created"])
            expect_eq(e["data"], conv, "conversion.created data is the API's conversion")
            r, e = rec.wait_event("commission.created", com["id"])
            verify_signature(r, ep["secret"])
            expect_eq(e["data"]["amount"], 1234, "commission amount")

            # The partner's postback: one GET with the placeholders expanded and encoded.
            got = rec.wait(lambda rc: [q for q in rc.requests if q["path"].startswith("/pb")],
                           "postback")
            expect_eq(len(got), 1, "postbacks")
            expect_eq(got[0]["method"], "GET", "postback method")
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(got[0]["path"]).query,
                                      keep_blank_values=True)
            expect_eq(q, {"click": [cid], "s1": ["ads one"], "s5": ["z&z"], "amt": ["12.34"],
                          "order": [order], "keep": ["{other}"]}, "postback query")
            expect("%20" in got[0]["path"] and "%26" in got[0]["path"],
                   "values are percent-encoded: %r" % got[0]["path"])

            expect_status(srv.api("POST", "/api/v1/commissions/%s/approve" % com["id"]), 200)
            r, e = rec.wait_event("commission.approved", com["id"])
            verify_signature(r, ep["secret"])
            expect_eq(e["data"]["status"], "approved", "approved commission status")

            status, _, pay = srv.api("POST", "/api/v1/payouts",
                                     {"program_id": prog["id"], "period": time.strftime("%Y-%m", time.gmtime())})
            expect_eq(status, 201, "payout (%s)" % short(pay))
            _, e = rec.wait_event("payout.created", pay["id"])
            expect_eq(e["data"]["total"], 1234, "payout total")
            expect("items" not in e["data"], "payout event without items")
            expect_status(srv.api("POST", "/api/v1/payouts/%s/paid" % pay["id"]), 200)
            _, e = rec.wait_event("payout.paid", pay["id"])
            expect_eq(e["data"]["status"], "paid", "paid payout status")

            # A refund reverses a commission; a refused write emits nothing.
            order2 = "o-" + uid()
            status, _, conv2 = convert(srv, prog["id"], order2, 1000, ref=ptn["ref_code"])
            expect_eq(status, 201, "second conversion")
            before = srv.sql1("SELECT COUNT(*) FROM webhook_deliveries")
            expect_error(convert(srv, prog["id"], "o-" + uid(), 1000, currency="EUR"), 422,
                         "currency")
            expect_eq(srv.sql1("SELECT COUNT(*) FROM webhook_deliveries"), before,
                      "deliveries after a refused conversion")
            expect_status(srv.api("POST", "/api/v1/conversions/%s/refunds" % order2,
                                  {"amount": 1000}), 200, 201)
            _, e = rec.wait_event("commission.reversed", conv2["commissions"][0]["id"])
            expect_eq(e["data"]["status"], "reversed", "reversed commission status")

            # Every delivery is recorded as delivered, once each.
            rec.wait(lambda rc: srv.sql1("SELECT COUNT(*) FROM webhook_deliveries"
                                         " WHERE status <> 'delivered'") == 0, "all delivered")
            ids = [e["id"] for _, e in rec.events()]
            expect_eq(len(ids), len(set(ids)), "each event delivered once")
            srv.check()
    finally:
        rec.close()


def test_click_created_is_sent_only_to_endpoints_that_ask_for_it():
    rec = Receiver()
    try:
        with Server(serve_args=FAST) as srv:
            clicks_ep = create_endpoint(srv, rec.url("/clicks"), ["click.created"])
            other_ep = create_endpoint(srv, rec.url("/other"), ["conversion.created"])
            prog = create_program(srv)
            ptn = create_partner(srv, prog["id"])
            _, cid = click_ok(srv, ptn["ref_code"], "sub1=spring")
            r, e = rec.wait_event("click.created", cid)
            verify_signature(r, clicks_ep["secret"])
            expect_eq(r["path"], "/clicks", "delivered to the endpoint that asked")
            d = e["data"]
            expect_eq((d["object"], d["partner_id"], d["program_id"], d["sub1"], d["bot"], d["unique"]),
                      ("click", ptn["id"], prog["id"], "spring", False, True), "click.created data")
            expect_eq(d["link_id"], srv.sql1("SELECT link_id FROM clicks WHERE id = ?", (cid,)), "link_id")
            expect(d["ip"] == "127.0.0.0" and d["created_at"].endswith("Z"), "ip, created_at: %s" % short(d))
            # the API's clicks too
            status, _, api_click = srv.api("POST", "/api/v1/clicks", {"ref": ptn["ref_code"], "ip": "198.51.100.3"})
            expect_eq(status, 201, "POST /api/v1/clicks (%s)" % short(api_click))
            _, e = rec.wait_event("click.created", api_click["click_id"])
            expect_eq(e["data"]["ip"], "198.51.100.0", "the API click's (truncated) address")
            expect_eq(srv.sql1("SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ?",
                               (other_ep["id"],)), 0, "deliveries to the endpoint without click.created")
    finally:
        rec.close()


def test_postback_to_a_private_address_is_refused():
    rec = Receiver()
    try:
        with Server(serve_args=FAST) as srv:
            prog = create_program(srv)
            ptn = create_partner(srv, prog["id"], status="active",
                                 postback_url=rec.url("/pb?o={order_id}"))
            status, _, _ = convert(srv, prog["id"], "o-" + uid(), 5000, ref=ptn["ref_code"])
            expect_eq(status, 201, "conversion")
            rows = rec.wait(lambda rc: srv.sql("SELECT status, last_error FROM webhook_deliveries"
                                               " WHERE status <> 'pending'"), "a finished postback")
            expect_eq(rows[0][0], "failed", "a postback to 127.0.0.1 fails at once")
            expect("private" in rows[0][1], "last_error %r" % rows[0][1])
            expect_eq(rec.requests, [], "nothing reached 127.0.0.1")
    finally:
        rec.close()


def test_endpoints_on_private_addresses_are_refused():
    """Without webhook_allow_private, an endpoint URL naming a refused address is a 422 that
    writes nothing, and a name that resolves to one fails at delivery, without a request."""
    rec = Receiver()
    try:
        with Server(serve_args=FAST) as srv:
            # Made while the setting allows it, by name: localhost resolves to loopback.
            ep = create_endpoint(srv, "http://localhost:%d/hook" % rec.port, ["conversion.created"])
            srv.stop()
            srv.serve_args = [a for a in FAST if a not in ALLOW]
            srv.start()
            for url in ["http://127.0.0.1:%d/hook" % rec.port, "http://169.254.169.254/latest/meta-data/",
                        "http://10.1.2.3/", "http://192.168.0.1:8080/x", "http://0.0.0.0/",
                        "http://127.1/", "http://2130706433/", "http://0x7f.0.0.1/",
                        "https://localhost/", "http://admin.localhost/", "http://100.64.0.1/"]:
                before = srv.sql1("SELECT COUNT(*) FROM webhook_endpoints")
                expect_error(srv.api("POST", "/api/v1/webhooks",
                                     {"url": url, "events": ["payout.paid"]}), 422, "url")
                expect_eq(srv.sql1("SELECT COUNT(*) FROM webhook_endpoints"), before,
                          "endpoints after refusing %s" % url)
            public = create_endpoint(srv, "https://hooks.example.org/partnerd", ["payout.paid"])
            expect_status(srv.api("DELETE", "/api/v1/webhooks/" + public["id"]), 200)

            prog = create_program(srv)
            status, _, conv = convert(srv, prog["id"], "o-" + uid(), 500)
            expect_eq(status, 201, "conversion")
            rows = rec.wait(lambda rc: srv.sql("SELECT status, attempts, last_error FROM"
                                               " webhook_deliveries WHERE endpoint_id = ? AND"
                                               " status <> 'pending'", (ep["id"],)),
                            "a finished delivery")
            expect_eq(rows[0][:2], ("failed", 1), "a delivery to a private address fails at once")
            status, _, body = srv.api("GET", "/api/v1/webhooks/%s/deliveries" % ep["id"])
            expect_eq(status, 200, "deliveries (%s)" % short(body))
            d = body["data"][0]
            expect_eq((d["status"], d["last_status"]), ("failed", None), "the delivery in the API")
            expect("private" in d["last_error"] and "webhook_allow_private" in d["last_error"],
                   "the reason names the policy and the setting: %r" % d["last_error"])
            expect_eq(rec.requests, [], "nothing reached the address")
    finally:
        rec.close()


def test_retry_after_500():
    rec = Receiver(statuses=[500])
    try:
        with Server(serve_args=FAST) as srv:
            ep = create_endpoint(srv, rec.url(), ["conversion.created"])
            prog = create_program(srv)
            status, _, conv = convert(srv, prog["id"], "o-" + uid(), 500)
            expect_eq(status, 201, "conversion")
            rec.wait(lambda rc: len(rc.events()) >= 2, "second attempt")
            (r1, e1), (r2, e2) = rec.events()[:2]
            expect_eq(e1["id"], e2["id"], "the retry carries the same event")
            verify_signature(r2, ep["secret"])
            rec.wait(lambda rc: srv.sql("SELECT status, attempts, last_status FROM webhook_deliveries")
                     == [("delivered", 2, 200)], "delivered after 2 attempts")
            # The operator sees the same through the API.
            status, _, body = srv.api("GET", "/api/v1/webhooks/%s/deliveries" % ep["id"])
            expect_eq(status, 200, "deliveries (%s)" % short(body))
            expect_eq(len(body["data"]), 1, "deliveries listed")
            d = body["data"][0]
            expect_eq((d["object"], d["event_id"], d["event_type"], d["status"], d["attempts"],
                       d["last_status"], d["next_attempt"]),
                      ("webhook_delivery", e1["id"], "conversion.created", "delivered", 2, 200, None),
                      "the delivery")
            expect(d["finished"] is not None and d["created"] is not None, "times: %s" % short(d))
            expect_eq(srv.api("GET", "/api/v1/webhooks/%s/deliveries?status=pending" % ep["id"])[2]["data"],
                      [], "pending deliveries")
            expect_error(srv.api("GET", "/api/v1/webhooks/%s/deliveries?status=lost" % ep["id"]), 400, "status")
            expect_error(srv.api("GET", "/api/v1/webhooks/whe_nosuchendpoint/deliveries"), 404, "id")
            expect(srv.request("GET", "/api/v1/webhooks/%s/deliveries" % ep["id"], key=srv.pk)[0] in (401, 403),
                   "a publishable key cannot list deliveries")
    finally:
        rec.close()


def test_durable_across_kill9():
    rec = Receiver()
    try:
        # The sender looks at the outbox once at start, then not for 100 s: the event cannot go
        # out before the kill.
        with Server(serve_args=["--webhook_poll_ms", "100000"] + ALLOW) as srv:
            create_endpoint(srv, rec.url(), ["conversion.created"])
            prog = create_program(srv)
            status, _, conv = convert(srv, prog["id"], "o-" + uid(), 700)
            expect_eq(status, 201, "conversion")
            srv.kill9()
            expect_eq(rec.events(), [], "nothing delivered before the kill")
            expect_eq(srv.sql("SELECT status FROM webhook_deliveries"), [("pending",)],
                      "the event is in the outbox")
            srv.serve_args = FAST
            srv.start()
            _, e = rec.wait_event("conversion.created", conv["id"])
            expect_eq(e["data"]["id"], conv["id"], "delivered after the restart")
            rec.wait(lambda rc: srv.sql("SELECT status FROM webhook_deliveries")
                     == [("delivered",)], "recorded as delivered")
    finally:
        rec.close()


def self_signed(d, name):
    """A throwaway certificate for 127.0.0.1 (openssl command line)."""
    cert, key = os.path.join(d, name + ".pem"), os.path.join(d, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


def test_https_verifies_the_certificate():
    d = tempfile.mkdtemp(prefix="partnerd-tls-")
    trusted, untrusted = self_signed(d, "trusted"), self_signed(d, "untrusted")
    good, bad = Receiver(tls=trusted), Receiver(tls=untrusted)
    try:
        with Server(serve_args=FAST + ["--webhook_ca_file", trusted[0]]) as srv:
            ep = create_endpoint(srv, good.url(), ["conversion.created"])
            bad_ep = create_endpoint(srv, bad.url(), ["conversion.created"])
            prog = create_program(srv)
            status, _, conv = convert(srv, prog["id"], "o-" + uid(), 900)
            expect_eq(status, 201, "conversion")
            r, _ = good.wait_event("conversion.created", conv["id"])
            verify_signature(r, ep["secret"])
            rows = good.wait(lambda rc: srv.sql(
                "SELECT status, last_error FROM webhook_deliveries WHERE endpoint_id = ?",
                (bad_ep["id"],)) if srv.sql1("SELECT attempts FROM webhook_deliveries"
                                             " WHERE endpoint_id = ?", (bad_ep["id"],)) else None,
                "an attempt at the untrusted endpoint")
            expect_eq(rows[0][0], "pending", "an untrusted certificate is retried later")
            expect("certificate" in (rows[0][1] or ""), "last_error %r" % rows[0][1])
            expect_eq(bad.events(), [], "nothing reached the untrusted endpoint")
    finally:
        good.close()
        bad.close()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    harness.main(globals())
