#!/usr/bin/env python3
"""The integration endpoints (README "Integrations"): GET /postback (network-style conversions fired
as a URL, authenticated by the program's postback token), POST /track/lead and /track/sale
(Dub-compatible shapes, secret key as Bearer), and GET /pd.js (the store-side helper, also run in
node when it is on PATH, against a fake document and location)."""

import json
import os
import shutil
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (click_ok, create_partner, create_program, expect, expect_eq,  # noqa: E402
                     expect_error, expect_status, short, uid)


# ---- helpers ------------------------------------------------------------------------------------

def postback_program(srv, **overrides):
    prog = create_program(srv, **overrides)
    status, _, body = srv.api("PATCH", "/api/v1/programs/" + prog["id"], {"postback_enabled": True})
    expect_eq(status, 200, "PATCH postback_enabled (body %s)" % short(body))
    token = body.get("postback_token")
    expect(isinstance(token, str) and len(token) >= 16, "postback_token: %s" % short(body))
    expect_eq(body.get("postback_enabled"), True, "postback_enabled")
    return prog, token


def postback(srv, **params):
    return srv.request("GET", "/postback?" + urllib.parse.urlencode(params))


def conversion(srv, cid):
    status, _, body = srv.api("GET", "/api/v1/conversions/" + cid)
    expect_eq(status, 200, "GET conversion %s" % cid)
    return body


# ---- GET /postback ------------------------------------------------------------------------------

def test_postback_refused_without_a_valid_token(srv):
    prog = create_program(srv)
    before = srv.counts()
    expect_error(postback(srv, order_id="o-" + uid(), amount="1.00"), 401, param="token")
    expect_error(postback(srv, token="x" * 32, order_id="o-" + uid(), amount="1.00"), 403,
                 param="token")
    # a program without postbacks has no token at all: nothing can match it
    expect_eq(srv.sql1("SELECT postback_token FROM programs WHERE id = ?", (prog["id"],)), None,
              "postback_token of a program with postbacks off")
    expect_error(postback(srv, token="", order_id="o-" + uid(), amount="1.00"), 401, param="token")
    expect_eq(srv.counts(), before, "rows written by refused postbacks")


def test_postback_records_an_attributed_conversion_once(srv):
    prog, token = postback_program(srv)
    ptn = create_partner(srv, prog["id"])
    _, cid = click_ok(srv, ptn["ref_code"])
    order = "pb-" + uid()
    status, headers, body = postback(srv, token=token, transaction_id=cid, txid=order, sum="12.34",
                                     status="pending")
    expect_eq(status, 200, "postback status (body %s)" % short(body))
    expect("json" in headers.get("content-type", ""), "content type %r" % headers.get("content-type"))
    expect_eq(body.get("success"), True, "success")
    expect_eq(body.get("duplicate"), False, "duplicate")
    conv_id = body.get("conversion_id")
    expect(isinstance(conv_id, str) and conv_id.startswith("cnv_"), "conversion_id: %s" % short(body))
    conv = conversion(srv, conv_id)
    expect_eq(conv["order_id"], order, "order_id")
    expect_eq(conv["amount"], 1234, "amount in minor units (12.34 USD)")
    expect_eq(conv["currency"], "USD", "currency defaults to the program's")
    expect_eq(conv["partner_id"], ptn["id"], "attributed partner")
    expect_eq(conv["attribution"]["method"], "click", "attribution method")
    expect_eq([c["amount"] for c in conv["commissions"]], [123], "10% of 1234, half-even")
    expect_eq(conv["metadata"], {"source": "postback", "postback_status": "pending"}, "metadata")

    # the same postback again (here with its status moved on) answers the same conversion
    before = srv.counts()
    for extra in ({"status": "pending"}, {"status": "approved"}, {}):
        status, _, again = postback(srv, token=token, transaction_id=cid, txid=order, sum="12.34",
                                    **extra)
        expect_eq(status, 200, "replayed postback (body %s)" % short(again))
        expect_eq((again.get("conversion_id"), again.get("duplicate")), (conv_id, True),
                  "replay answers the first conversion")
    # the canonical names and a trailing zero are the same order too
    status, _, again = postback(srv, token=token, click_id=cid, order_id=order, amount="12.340")
    expect_status((status, None, again), 200)
    expect_eq(again.get("conversion_id"), conv_id, "same order under canonical names")
    # a different amount for the same order is a conflict
    expect_error(postback(srv, token=token, click_id=cid, order_id=order, amount="99.00"), 409,
                 param="order_id")
    expect_eq(srv.counts(), before, "rows written by replays")
    srv.check()


def test_postback_aliases_and_unattributed(srv):
    prog, token = postback_program(srv)
    ptn = create_partner(srv, prog["id"])
    for cname, oname, aname in (("clickid", "tid", "payout"), ("subid", "order_id", "amount"),
                                ("cid", "txid", "sum")):
        _, cid = click_ok(srv, ptn["ref_code"])
        status, _, body = postback(srv, **{"token": token, cname: cid, oname: "al-" + uid(),
                                           aname: "5", "network_sub": "ignored"})
        expect_eq(status, 200, "postback with %s/%s/%s (body %s)" % (cname, oname, aname, short(body)))
        conv = conversion(srv, body["conversion_id"])
        expect_eq((conv["amount"], conv["partner_id"]), (500, ptn["id"]), "amount and partner")
    # no click: recorded, unattributed
    status, _, body = postback(srv, token=token, order_id="na-" + uid(), amount="7.5")
    expect_eq(status, 200, "postback without click (body %s)" % short(body))
    conv = conversion(srv, body["conversion_id"])
    expect_eq((conv["amount"], conv["partner_id"], conv["commissions"]), (750, None, []),
              "unattributed conversion")


def test_postback_bad_input_writes_nothing(srv):
    prog, token = postback_program(srv)
    o = "bad-" + uid()
    before = srv.counts()
    expect_error(postback(srv, token=token, amount="1.00"), 400, param="order_id")
    expect_error(postback(srv, token=token, order_id=o), 400, param="amount")
    for bad in ("1.234", "1e3", "-5", "abc", "1,00", " 1", "0x10", "99999999999999999999"):
        expect_error(postback(srv, token=token, order_id=o, amount=bad), 400, param="amount")
    expect_error(postback(srv, token=token, order_id=o, amount="1", currency="XYZ"), 400,
                 param="currency")
    expect_error(postback(srv, token=token, order_id=o, amount="1", currency="EUR"), 422,
                 param="currency")
    expect_error(postback(srv, token=token, order_id=o, amount="1", status="rejected"), 422,
                 param="status")
    expect_error(postback(srv, token=token, order_id=o, amount="1", status="maybe"), 400,
                 param="status")
    expect_error(postback(srv, token=token, click_id="A" * 26, subid="B" * 26, order_id=o,
                          amount="1"), 400, param="subid")
    expect_error(postback(srv, token=token, order_id=o, txid=o + "x", amount="1"), 400,
                 param="txid")
    expect_error(srv.request("GET", "/postback?token=%s&order_id=%%zz&amount=1" % token), 400)
    wrong_method = srv.request("POST", "/postback?token=%s&order_id=a&amount=1" % token, body={})
    expect_error(wrong_method, 405)
    expect_eq(wrong_method[1].get("allow"), "GET, HEAD", "Allow of /postback")
    status, _, _ = srv.request("HEAD", "/postback?token=%s&order_id=%s&amount=1" % (token, o))
    expect_eq(status, 400, "HEAD /postback")
    expect_eq(srv.counts(), before, "rows written by refused postbacks")
    # lower-case currency is accepted
    status, _, body = postback(srv, token=token, order_id=o, amount="1", currency="usd")
    expect_eq(status, 200, "lower-case currency (body %s)" % short(body))


def test_postback_amount_uses_the_currency_exponent(srv):
    for currency, amount, minor, bad in (("JPY", "1500", 1500, "15.5"), ("KWD", "1.234", 1234, "1.2345")):
        prog, token = postback_program(srv, currency=currency)
        status, _, body = postback(srv, token=token, order_id="x-" + uid(), amount=amount)
        expect_eq(status, 200, "%s postback (body %s)" % (currency, short(body)))
        expect_eq(conversion(srv, body["conversion_id"])["amount"], minor, "%s minor units" % currency)
        expect_error(postback(srv, token=token, order_id="x-" + uid(), amount=bad), 400,
                     param="amount")


def test_postback_token_turned_off_and_never_logged(srv):
    prog, token = postback_program(srv)
    near = token[:-1] + ("a" if token[-1] != "a" else "b")
    expect_error(postback(srv, token=near, order_id="n-" + uid(), amount="1"), 403, param="token")
    expect_error(postback(srv, token=token + "x", order_id="n-" + uid(), amount="1"), 403,
                 param="token")
    status, _, body = srv.api("PATCH", "/api/v1/programs/" + prog["id"], {"postback_enabled": False})
    expect_eq((status, body.get("postback_enabled"), body.get("postback_token")), (200, False, None),
              "postbacks turned off")
    expect_error(postback(srv, token=token, order_id="n-" + uid(), amount="1"), 403, param="token")
    expect(not any(token in line for line in srv.log), "the postback token appears in the server log")


# ---- POST /track/lead, /track/sale --------------------------------------------------------------

def track(srv, kind, body, key=None, headers=None):
    return srv.request("POST", "/track/" + kind, body=body, key=key or srv.sk, headers=headers)


def test_dub_lead_then_sale_attributes_through_the_customer(srv):
    prog = create_program(srv)
    ptn = create_partner(srv, prog["id"])
    _, cid = click_ok(srv, ptn["ref_code"])
    cust = "user_" + uid()
    status, _, lead = track(srv, "lead", {
        "clickId": cid, "eventName": "Sign up", "customerExternalId": cust,
        "customerName": "Ada", "customerEmail": "ada@customers.example",
        "customerAvatar": "https://img.example/ada.png", "metadata": {"plan": "free"},
        "program_id": prog["id"]})
    expect_eq(status, 200, "track/lead (body %s)" % short(lead))
    expect_eq(lead["click"], {"id": cid}, "click")
    expect_eq(lead["customer"], {"name": "Ada", "email": "ada@customers.example",
                                 "avatar": "https://img.example/ada.png", "externalId": cust},
              "customer")
    link = lead["link"]
    expect_eq((link["key"], link["partnerId"], link["programId"], link["url"]),
              (ptn["ref_code"], ptn["id"], prog["id"], "https://shop.example/"), "link")
    expect(link["shortLink"].endswith("/c/" + ptn["ref_code"]), "shortLink %r" % link["shortLink"])
    for k in ("id", "domain", "tenantId", "externalId"):
        expect(k in link, "link lacks %s" % k)
    expect_eq(srv.sql("SELECT partner_id, click_id FROM customers WHERE program_id = ? AND customer_id = ?",
                      (prog["id"], cust)), [(ptn["id"], cid)], "customer binding")

    inv = "in_" + uid()
    sale_body = {"customerExternalId": cust, "amount": 5000, "currency": "usd",
                 "paymentProcessor": "stripe", "eventName": "Invoice paid", "invoiceId": inv,
                 "metadata": {"plan": "pro"}, "program_id": prog["id"]}
    status, _, sale = track(srv, "sale", sale_body)
    expect_eq(status, 200, "track/sale (body %s)" % short(sale))
    expect_eq(sale["eventName"], "Invoice paid", "eventName")
    expect_eq(sale["sale"], {"amount": 5000, "currency": "usd", "paymentProcessor": "stripe",
                             "invoiceId": inv, "metadata": {"plan": "pro"}}, "sale")
    expect_eq(sale["customer"]["externalId"], cust, "customer.externalId")
    for k in ("id", "name", "email", "avatar"):
        expect(k in sale["customer"], "customer lacks %s" % k)
    conv_id = sale["partnerd"]["conversion_id"]
    conv = conversion(srv, conv_id)
    expect_eq((conv["order_id"], conv["customer_id"], conv["partner_id"], conv["amount"]),
              (inv, cust, ptn["id"], 5000), "the conversion")
    expect_eq(conv["attribution"]["method"], "customer", "attributed through the lead's binding")
    expect_eq([c["amount"] for c in conv["commissions"]], [500], "commission")

    # the same invoice again: the same sale; a different body under it: 409
    before = srv.counts()
    status, _, again = track(srv, "sale", sale_body)
    expect_eq((status, again["partnerd"]["conversion_id"], again["partnerd"]["duplicate"]),
              (200, conv_id, True), "replayed sale")
    changed = dict(sale_body, amount=6000)
    expect_error(track(srv, "sale", changed), 409, param="invoiceId")
    expect_eq(srv.counts(), before, "rows written by replays")

    # without invoiceId every call is a new sale
    body = {"customerExternalId": cust, "amount": 100, "program_id": prog["id"]}
    ids = set()
    for _ in range(2):
        status, _, s = track(srv, "sale", body)
        expect_eq(status, 200, "sale without invoiceId (body %s)" % short(s))
        expect_eq((s["eventName"], s["sale"]["paymentProcessor"], s["sale"]["invoiceId"],
                   s["sale"]["currency"]), ("Purchase", "custom", None, "usd"), "Dub's defaults")
        ids.add(s["partnerd"]["conversion_id"])
    expect_eq(len(ids), 2, "two sales without invoiceId are two conversions")
    srv.check()


def test_dub_program_by_header_legacy_names_and_direct_sale(srv):
    prog = create_program(srv, currency="EUR")
    ptn = create_partner(srv, prog["id"])
    hdr = {"Partnerd-Program": prog["id"]}
    _, cid = click_ok(srv, ptn["ref_code"])
    cust = "legacy_" + uid()
    status, _, lead = track(srv, "lead", {"clickId": cid, "eventName": "Sign up", "customerId": cust},
                            headers=hdr)
    expect_eq(status, 200, "track/lead with customerId and the header (body %s)" % short(lead))
    expect_eq(lead["customer"]["externalId"], cust, "legacy customerId")
    # a second lead for the bound customer (deferred: clickId "") is answered, earns nothing new
    status, _, lead2 = track(srv, "lead", {"clickId": "", "eventName": "Activated",
                                           "customerExternalId": cust, "mode": "deferred"},
                             headers=hdr)
    expect_eq(status, 200, "deferred lead (body %s)" % short(lead2))
    expect_eq(lead2["click"]["id"], cid, "the binding's click")
    # direct sale with clickId and no lead; currency defaults to the program's
    _, cid2 = click_ok(srv, ptn["ref_code"])
    status, _, sale = track(srv, "sale", {"customerExternalId": "direct_" + uid(), "amount": 1999,
                                          "clickId": cid2, "invoiceId": "inv_" + uid()}, headers=hdr)
    expect_eq(status, 200, "direct sale (body %s)" % short(sale))
    expect_eq(sale["sale"]["currency"], "eur", "currency defaults to the program's")
    conv = conversion(srv, sale["partnerd"]["conversion_id"])
    expect_eq((conv["partner_id"], conv["attribution"]["method"], conv["currency"]),
              (ptn["id"], "click", "EUR"), "direct sale attribution")
    # unknown customer: recorded, unattributed
    status, _, sale = track(srv, "sale", {"customerExternalId": "nobody_" + uid(), "amount": 10},
                            headers=hdr)
    expect_eq(status, 200, "sale of an unknown customer (body %s)" % short(sale))
    expect_eq(sale["partnerd"]["partner_id"], None, "unattributed")


def test_dub_refusals(srv):
    prog = create_program(srv)
    pid = prog["id"]
    lead = {"clickId": "0" * 26, "eventName": "Sign up", "customerExternalId": "c_" + uid(),
            "program_id": pid}
    before = srv.counts()
    expect_error(srv.request("POST", "/track/lead", body=lead), 401)
    expect_error(track(srv, "lead", lead, key=srv.pk), 403)
    expect_error(track(srv, "lead", lead), 422, param="clickId")  # unknown click
    expect_error(track(srv, "lead", dict(lead, clickId="")), 422, param="clickId")  # nobody bound
    expect_error(track(srv, "lead", dict(lead, clickId=None)), 400, param="clickId")
    expect_error(track(srv, "lead", {k: v for k, v in lead.items() if k != "eventName"}), 400,
                 param="eventName")
    expect_error(track(srv, "lead", dict(lead, customerExternalId="")), 400,
                 param="customerExternalId")
    expect_error(track(srv, "lead", dict(lead, mode="later")), 400, param="mode")
    sale = {"customerExternalId": "c_" + uid(), "amount": 100, "program_id": pid}
    expect_error(track(srv, "sale", dict(sale, amount=1.5)), 400, param="amount")
    expect_error(track(srv, "sale", dict(sale, amount=-1)), 422, param="amount")
    expect_error(track(srv, "sale", {k: v for k, v in sale.items() if k != "amount"}), 400,
                 param="amount")
    expect_error(track(srv, "sale", dict(sale, customerExternalId="x" * 101)), 400,
                 param="customerExternalId")
    expect_error(track(srv, "sale", dict(sale, currency="eur")), 422, param="currency")
    expect_error(track(srv, "sale", dict(sale, currency="zzz")), 400, param="currency")
    expect_error(track(srv, "sale", dict(sale, metadata={"k": "v" * 10001})), 400, param="metadata")
    expect_error(track(srv, "sale", dict(sale, metadata=[1])), 400, param="metadata")
    expect_error(track(srv, "sale", dict(sale, program_id="prg_nope")), 404, any_param=True)
    expect_error(track(srv, "sale", "not json"), 400)
    # several programs and none named: program_id is required
    noprog = {k: v for k, v in sale.items() if k != "program_id"}
    expect_error(track(srv, "sale", noprog), 400, param="program_id")
    expect_eq(srv.counts(), before, "rows written by refused track calls")


def test_dub_only_program_needs_no_program_id():
    with harness.Server() as srv:
        prog = create_program(srv)
        ptn = create_partner(srv, prog["id"])
        _, cid = click_ok(srv, ptn["ref_code"])
        cust = "only_" + uid()
        status, _, lead = track(srv, "lead", {"clickId": cid, "eventName": "Sign up",
                                              "customerExternalId": cust})
        expect_eq(status, 200, "track/lead (body %s)" % short(lead))
        status, _, sale = track(srv, "sale", {"customerExternalId": cust, "amount": 2500,
                                              "invoiceId": "in_" + uid()})
        expect_eq(status, 200, "track/sale (body %s)" % short(sale))
        expect_eq(sale["partnerd"]["partner_id"], ptn["id"], "attributed")
        srv.check()


# ---- GET /pd.js ---------------------------------------------------------------------------------

NODE_HARNESS = r"""
const vm = require('vm');
const [src, search, protocol, attrs, preset] = JSON.parse(process.argv[1]);
const jar = [];
const document = {
  currentScript: {getAttribute: (n) => (n in attrs ? attrs[n] : null)},
  get cookie() { return preset !== null ? preset : jar.map((c) => c.split(';')[0]).join('; '); },
  set cookie(v) { jar.push(v); },
};
const window = {location: {search, protocol}};
vm.runInNewContext(src, {window, document, URLSearchParams});
process.stdout.write(JSON.stringify({set: jar, clickId: window.partnerd.clickId()}));
"""


def run_pd_js(src, search, protocol="https:", attrs=None, preset=None):
    arg = json.dumps([src, search, protocol, attrs or {}, preset])
    p = subprocess.run(["node", "-e", NODE_HARNESS, arg], capture_output=True, timeout=30)
    expect_eq(p.returncode, 0, "node exit status (stderr %r)" % p.stderr.decode(errors="replace"))
    return json.loads(p.stdout.decode())


def test_pd_js_is_served_small_and_cached(srv):
    status, headers, body = srv.request("GET", "/pd.js")
    expect_eq(status, 200, "GET /pd.js")
    expect(headers.get("content-type", "").startswith("application/javascript"),
           "content type %r" % headers.get("content-type"))
    expect(isinstance(body, bytes) and 0 < len(body) < 2048, "size %d" % len(body))
    src = body.decode()
    expect("pd_click" in src and "SameSite=Lax" in src, "names the cookie and SameSite")
    expect("eval" not in src and "Function(" not in src, "no eval")
    expect("max-age" in headers.get("cache-control", ""), "cache-control %r" % headers.get("cache-control"))
    etag = headers.get("etag")
    expect(etag, "an ETag")
    status, _, _ = srv.request("GET", "/pd.js", headers={"If-None-Match": etag})
    expect_eq(status, 304, "revalidation with the ETag")


def test_pd_js_stores_the_click_id_in_a_cookie(srv):
    if not shutil.which("node"):
        print("  (node not on PATH: pd.js not executed)")
        return
    src = srv.request("GET", "/pd.js")[2].decode()
    r = run_pd_js(src, "?utm=x&pd_click=01HZX4P3ABCDEFGHJKMNPQRSTV")
    expect_eq(len(r["set"]), 1, "one cookie set: %r" % r["set"])
    parts = [p.strip() for p in r["set"][0].split(";")]
    expect_eq(parts[0], "pd_click=01HZX4P3ABCDEFGHJKMNPQRSTV", "cookie value")
    for want in ("path=/", "max-age=2592000", "SameSite=Lax", "Secure"):
        expect(want in parts, "cookie lacks %s: %r" % (want, r["set"][0]))
    expect_eq(r["clickId"], "01HZX4P3ABCDEFGHJKMNPQRSTV", "partnerd.clickId()")
    # data-param and data-days; plain http gets no Secure
    r = run_pd_js(src, "?cid=abc_123", "http:", {"data-param": "cid", "data-days": "7"})
    parts = [p.strip() for p in r["set"][0].split(";")]
    expect_eq((parts[0], "max-age=604800" in parts, "Secure" in parts), ("pd_click=abc_123", True, False),
              "data-param/data-days cookie %r" % r["set"])
    # no parameter, or a value that is not an id: nothing written; an earlier cookie is still read
    r = run_pd_js(src, "?pd_click=%3Cscript%3E", preset="other=1; pd_click=KEPT")
    expect_eq((r["set"], r["clickId"]), ([], "KEPT"), "junk value ignored, earlier cookie read")
    r = run_pd_js(src, "")
    expect_eq((r["set"], r["clickId"]), ([], None), "no parameter, no cookie")


if __name__ == "__main__":
    harness.main(globals())
