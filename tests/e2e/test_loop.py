#!/usr/bin/env python3
"""The whole affiliate loop against the real binary: programs, partners, links, clicks, attribution
(click, coupon, customer, ref, none), idempotency, refunds, balances, partner views, reports, lists and
the open-redirect rules. Each test makes its own program so the tests do not see each other's data."""

import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (CROCKFORD_ULID, click, click_ok, convert, create_link, create_partner,  # noqa: E402
                     create_program, expect, expect_eq, expect_error, expect_in, expect_status,
                     list_all, list_rows, partner_key, short, uid, ulid_like)


def default_link_id(srv, ptn):
    """The partner's default link id: from the partner object (checked strictly in
    test_partner_has_ref_code_and_default_link), else from the database, so one missing field does
    not fail every test that needs the id."""
    lid = (ptn.get("default_link") or {}).get("id")
    if lid:
        return lid
    return srv.sql1("SELECT id FROM links WHERE partner_id = ? AND is_default = 1", (ptn["id"],))


def commission_of(conv):
    expect(isinstance(conv.get("commissions"), list), "conversion lacks commissions: %s" % short(conv))
    expect_eq(len(conv["commissions"]), 1, "number of commissions of %s" % conv.get("order_id"))
    return conv["commissions"][0]


def test_health_and_readiness(srv):
    for path in ("/healthz", "/readyz"):
        status, _, _ = srv.request("GET", path)
        expect_eq(status, 200, "GET " + path)


def test_partner_has_ref_code_and_default_link(srv):
    prog = create_program(srv)
    code = "vanity" + uid()
    ptn = create_partner(srv, prog["id"], ref_code=code)
    expect_eq(ptn.get("ref_code"), code, "partner.ref_code")
    expect_eq(ptn.get("program_id"), prog["id"], "partner.program_id")
    link = ptn.get("default_link")
    expect(isinstance(link, dict), "partner.default_link missing: %s" % short(ptn))
    expect(str(link.get("id", "")).startswith("lnk_"), "default_link.id: %r" % link.get("id"))
    expect_eq(link.get("code"), code, "default_link.code")
    expect(isinstance(link.get("url"), str) and link["url"], "default_link.url: %r" % link.get("url"))
    bal = ptn.get("balance")
    expect(isinstance(bal, dict), "partner.balance missing: %s" % short(ptn))
    expect_eq((bal.get("pending"), bal.get("approved"), bal.get("paid"), bal.get("currency")),
              (0, 0, 0, "USD"), "new partner's balance (pending, approved, paid, currency)")
    # the same object from GET
    status, _, got = srv.api("GET", "/api/v1/partners/" + ptn["id"])
    expect_eq(status, 200, "GET partner")
    expect_eq(got.get("id"), ptn["id"], "GET partner id")
    expect_eq(got.get("default_link", {}).get("id"), link["id"], "GET partner default_link.id")


def test_click_redirects_with_click_id_and_records_it(srv):
    prog = create_program(srv)
    a = create_partner(srv, prog["id"])
    before = srv.sql1("SELECT count(*) FROM clicks")
    loc, cid = click_ok(srv, a["ref_code"], "sub1=a")
    parts = urllib.parse.urlsplit(loc)
    expect_eq((parts.scheme, parts.netloc, parts.path), ("https", "shop.example", "/"),
              "redirect target of the default link (Location %r)" % loc)
    expect_eq(urllib.parse.parse_qs(parts.query), {"pd_click": [cid]}, "Location query")
    rows = srv.sql("SELECT program_id, partner_id, link_id, sub1, bot, is_unique FROM clicks WHERE id = ?",
                   (cid,))
    expect_eq(rows, [(prog["id"], a["id"], default_link_id(srv, a), "a", 0, 1)],
              "the click row (program, partner, link, sub1, bot, unique)")
    expect_eq(srv.sql1("SELECT count(*) FROM clicks"), before + 1, "clicks written by one click")
    ip = srv.sql1("SELECT ip FROM clicks WHERE id = ?", (cid,))
    expect(ip != "127.0.0.1", "the stored IP must be truncated, got %r" % ip)


def test_second_click_same_ip_and_ua_is_not_unique(srv):
    prog = create_program(srv)
    a = create_partner(srv, prog["id"])
    ua = harness.DEFAULT_UA + " e2e-" + uid()
    _, c1 = click_ok(srv, a["ref_code"], ua=ua)
    _, c2 = click_ok(srv, a["ref_code"], ua=ua)
    _, c3 = click_ok(srv, a["ref_code"], ua=ua + " other")
    expect(len({c1, c2, c3}) == 3, "click ids must differ: %r" % [c1, c2, c3])
    got = dict(srv.sql("SELECT id, is_unique FROM clicks WHERE id IN (?, ?, ?)", (c1, c2, c3)))
    expect_eq(got, {c1: 1, c2: 0, c3: 1}, "is_unique of first, repeated and other-UA clicks")


def test_click_param_is_per_program(srv):
    prog = create_program(srv, click_param="aff_click")
    a = create_partner(srv, prog["id"])
    status, loc, _ = click(srv, a["ref_code"])
    expect_eq(status, 302, "click status")
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
    expect_eq(list(q), ["aff_click"], "Location query parameters (%r)" % loc)
    expect(CROCKFORD_ULID.match(q["aff_click"][0]), "click id %r" % q["aff_click"][0])
    expect_eq(srv.sql1("SELECT count(*) FROM clicks WHERE id = ?", (q["aff_click"][0],)), 1, "click stored")


def test_suspended_partner_goes_to_default_url_unrecorded(srv):
    prog = create_program(srv, default_url="https://shop.example/home")
    a = create_partner(srv, prog["id"])
    status, _, link = create_link(srv, a["id"], "https://shop.example/p/7")
    expect_eq(status, 201, "link (%s)" % short(link))
    status, _, body = srv.api("PATCH", "/api/v1/partners/" + a["id"], {"status": "suspended"})
    expect_eq(status, 200, "suspend (%s)" % short(body))
    expect_eq(body.get("status"), "suspended", "partner status")
    before = srv.sql1("SELECT count(*) FROM clicks")
    for code in (a["ref_code"], link["code"]):
        status, loc, cid = click(srv, code, "sub1=s")
        expect_eq(status, 302, "click on a suspended partner's link")
        expect_eq(loc, "https://shop.example/home", "Location for a suspended partner")
    expect_eq(srv.sql1("SELECT count(*) FROM clicks"), before, "clicks recorded for a suspended partner")


def test_server_side_click_with_the_visitors_address(srv):
    # Only a secret key may say who the visitor was (a publishable key's clicks are its caller's).
    prog = create_program(srv)
    a = create_partner(srv, prog["id"])
    status, _, body = srv.request("POST", "/api/v1/clicks",
                                  {"ref": a["ref_code"], "ip": "203.0.113.9", "user_agent": harness.DEFAULT_UA,
                                   "landing_url": "https://shop.example/?ref=" + a["ref_code"]}, key=srv.sk)
    expect_in(status, (200, 201), "POST /api/v1/clicks status (%s)" % short(body))
    cid = body.get("click_id") if isinstance(body, dict) else None
    expect(isinstance(cid, str) and CROCKFORD_ULID.match(cid), "click_id %r" % cid)
    expect_eq(srv.sql("SELECT partner_id, ip != '203.0.113.9' FROM clicks WHERE id = ?", (cid,)),
              [(a["id"], 1)], "server-side click row (partner, ip truncated)")
    status, _, conv = convert(srv, prog["id"], "ssc-1", 2500, click_id=cid)
    expect_eq(status, 201, "conversion")
    expect_eq((conv["attribution"]["method"], conv.get("partner_id")), ("click", a["id"]),
              "attribution by a server-side click")


def test_unknown_code_is_404_and_records_nothing(srv):
    before = srv.sql1("SELECT count(*) FROM clicks")
    status, _, cid = click(srv, "nope")
    expect_eq(status, 404, "GET /c/nope")
    expect_eq(cid, None, "no click id for an unknown code")
    status, _, _ = click(srv, "nope" + uid(), "sub1=x")
    expect_eq(status, 404, "GET /c/<random>")
    expect_eq(srv.sql1("SELECT count(*) FROM clicks"), before, "clicks after unknown codes")


def test_conversion_by_click_then_replay_and_conflict(srv):
    prog = create_program(srv)
    a = create_partner(srv, prog["id"])
    create_partner(srv, prog["id"])
    _, cid = click_ok(srv, a["ref_code"], "sub1=a")
    status, _, conv = convert(srv, prog["id"], "o1", 10000, "usd", click_id=cid)
    expect_eq(status, 201, "first conversion (%s)" % short(conv))
    expect(str(conv.get("id", "")).startswith("cnv_"), "conversion id: %r" % conv.get("id"))
    expect_eq((conv.get("order_id"), conv.get("amount"), conv.get("partner_id")),
              ("o1", 10000, a["id"]), "conversion (order_id, amount, partner_id)")
    expect_eq(str(conv.get("currency", "")).upper(), "USD", "conversion currency")
    att = conv.get("attribution") or {}
    expect_eq((att.get("method"), att.get("click_id")), ("click", cid), "attribution (method, click_id)")
    com = commission_of(conv)
    expect_eq((com.get("amount"), com.get("status"), com.get("partner_id")), (1000, "pending", a["id"]),
              "commission (amount, status, partner_id)")
    expect(str(com.get("id", "")).startswith("com_"), "commission id: %r" % com.get("id"))

    before = srv.counts()
    status, _, again = convert(srv, prog["id"], "o1", 10000, "usd", click_id=cid)
    expect_eq(status, 200, "replay of the same conversion")
    expect_eq(again, conv, "the replay (read back) equals the first answer (built as written)")
    expect_eq([c.get("id") for c in again.get("commissions", [])], [com["id"]], "replayed commission ids")

    resp = convert(srv, prog["id"], "o1", 10001, "usd", click_id=cid)
    expect_error(resp, 409, any_param=True)
    expect_eq(srv.counts(), before, "rows after a replay and a conflicting order id")

    # the stored row and its ledger entry
    rows = srv.sql("SELECT amount, partner_id, attribution_method, click_id FROM conversions "
                   "WHERE program_id = ? AND order_id = 'o1'", (prog["id"],))
    expect_eq(rows, [(10000, a["id"], "click", cid)], "stored conversion")
    expect_eq(srv.sql1("SELECT coalesce(sum(pending), 0) FROM ledger_entries WHERE commission_id = ?",
                       (com["id"],)), 1000, "ledger pending of the commission")
    srv.check()


def test_same_order_id_in_another_program_is_a_new_conversion(srv):
    p1, p2 = create_program(srv), create_program(srv)
    a1, a2 = create_partner(srv, p1["id"]), create_partner(srv, p2["id"])
    s1, _, c1 = convert(srv, p1["id"], "shared-order", 5000, ref=a1["ref_code"])
    s2, _, c2 = convert(srv, p2["id"], "shared-order", 5000, ref=a2["ref_code"])
    expect_eq((s1, s2), (201, 201), "statuses (%s / %s)" % (short(c1), short(c2)))
    expect(c1["id"] != c2["id"], "two programs, two conversions")


def test_attribution_by_coupon_customer_ref_and_none(srv):
    prog = create_program(srv)
    a = create_partner(srv, prog["id"])
    b = create_partner(srv, prog["id"], coupons=["SAVE10"])
    pid = prog["id"]

    # coupon → B
    status, _, conv = convert(srv, pid, "cpn-1", 2000, coupon="SAVE10")
    expect_eq(status, 201, "coupon conversion (%s)" % short(conv))
    expect_eq((conv["attribution"]["method"], conv.get("partner_id")), ("coupon", b["id"]),
              "coupon attribution (method, partner)")
    expect_eq(commission_of(conv).get("amount"), 200, "coupon commission")

    # lead binds customer c-42 to A through A's click; a later order with only customer_id → A
    _, cid = click_ok(srv, a["ref_code"])
    status, _, lead = srv.api("POST", "/api/v1/leads", {"program_id": pid, "click_id": cid,
                                                        "customer_id": "c-42"})
    expect_in(status, (200, 201), "lead status (%s)" % short(lead))
    expect_eq(srv.sql("SELECT partner_id FROM customers WHERE program_id = ? AND customer_id = 'c-42'",
                      (pid,)), [(a["id"],)], "customer binding")
    status, _, conv = convert(srv, pid, "cust-1", 3000, customer_id="c-42")
    expect_eq(status, 201, "customer conversion (%s)" % short(conv))
    expect_eq((conv["attribution"]["method"], conv.get("partner_id")), ("customer", a["id"]),
              "customer attribution (method, partner)")
    expect_eq(commission_of(conv).get("amount"), 300, "customer commission")

    # ref → B
    status, _, conv = convert(srv, pid, "ref-1", 4000, ref=b["ref_code"])
    expect_eq(status, 201, "ref conversion (%s)" % short(conv))
    expect_eq((conv["attribution"]["method"], conv.get("partner_id")), ("ref", b["id"]),
              "ref attribution (method, partner)")

    # a click beats a coupon of another partner (rule order)
    _, cid2 = click_ok(srv, a["ref_code"], ua=harness.DEFAULT_UA + " " + uid())
    status, _, conv = convert(srv, pid, "both-1", 1000, click_id=cid2, coupon="SAVE10")
    expect_eq(status, 201, "click+coupon conversion")
    expect_eq((conv["attribution"]["method"], conv.get("partner_id")), ("click", a["id"]),
              "click wins over coupon")

    # unknown click id → stored, unattributed, with a reason, no commission
    before = srv.sql1("SELECT count(*) FROM commissions")
    bogus = ulid_like()
    status, _, conv = convert(srv, pid, "none-1", 5000, click_id=bogus)
    expect_eq(status, 201, "unattributed conversion (%s)" % short(conv))
    att = conv.get("attribution") or {}
    expect_eq(att.get("method"), "none", "attribution.method of an unknown click id")
    expect(isinstance(att.get("reason"), str) and att["reason"], "attribution.reason: %r" % att.get("reason"))
    expect_eq(conv.get("partner_id"), None, "partner_id of an unattributed conversion")
    expect_eq(conv.get("commissions"), [], "commissions of an unattributed conversion")
    expect_eq(srv.sql1("SELECT count(*) FROM commissions"), before, "commissions after an unattributed one")
    expect_eq(srv.sql1("SELECT count(*) FROM conversions WHERE program_id = ? AND order_id = 'none-1'",
                       (pid,)), 1, "the unattributed conversion is stored")
    srv.check()


def test_commission_rounds_half_to_even(srv):
    prog = create_program(srv)
    a = create_partner(srv, prog["id"])
    # 12345 * 1000 / 10000 = 1234.5 → 1234; 12355 → 1235.5 → 1236; 999 → 99.9 → 100
    for order, amount, want in (("h1", 12345, 1234), ("h2", 12355, 1236), ("h3", 999, 100)):
        status, _, conv = convert(srv, prog["id"], order, amount, ref=a["ref_code"])
        expect_eq(status, 201, "conversion %s" % order)
        expect_eq(commission_of(conv).get("amount"), want, "commission of %d at 10%%" % amount)


def test_partial_refunds_reverse_exactly_the_commission(srv):
    prog = create_program(srv)
    a = create_partner(srv, prog["id"])
    pid = prog["id"]
    status, _, conv = convert(srv, pid, "r1", 999, ref=a["ref_code"])
    expect_eq(status, 201, "conversion")
    com = commission_of(conv)
    expect_eq(com["amount"], 100, "commission of 999 at 10%")
    # a second, untouched conversion for the balance
    status, _, conv2 = convert(srv, pid, "r2", 10000, ref=a["ref_code"])
    expect_eq(status, 201, "second conversion")

    # cumulative R: 333 → round(33.3)=33; 666 → round(66.6)=67; 999 → 100
    expected_reversed = [33, 67, 100]
    for i, want in enumerate(expected_reversed):
        status, _, body = srv.api("POST", "/api/v1/conversions/r1/refunds", {"program_id": pid, "amount": 333})
        expect_in(status, (200, 201), "refund %d status (%s)" % (i + 1, short(body)))
        status, _, got = srv.api("GET", "/api/v1/commissions/" + com["id"])
        expect_eq(status, 200, "GET commission")
        expect_eq((got.get("amount"), got.get("reversed")), (100, want),
                  "commission (amount, reversed) after refund %d" % (i + 1))
        ledger = srv.sql1("SELECT sum(pending) + sum(approved) + sum(paid) FROM ledger_entries "
                          "WHERE commission_id = ?", (com["id"],))
        expect_eq(ledger, 100 - want, "ledger sum of the commission after refund %d" % (i + 1))
    expect_eq(got.get("status"), "reversed", "status after a full refund")

    # nothing left to refund
    before = srv.counts()
    resp = srv.api("POST", "/api/v1/conversions/r1/refunds", {"program_id": pid, "amount": 1})
    expect_error(resp, (400, 409, 422), any_param=True)
    expect_eq(srv.counts(), before, "rows after a refund beyond the amount")

    # the balance is the sum of what is left: 0 + 1000
    status, _, ptn = srv.api("GET", "/api/v1/partners/" + a["id"])
    expect_eq(status, 200, "GET partner")
    bal = ptn.get("balance") or {}
    expect_eq((bal.get("pending"), bal.get("approved"), bal.get("paid"), bal.get("currency")),
              (1000, 0, 0, "USD"), "balance (pending, approved, paid, currency)")
    sums = srv.sql("SELECT sum(pending), sum(approved), sum(paid) FROM ledger_entries WHERE partner_id = ?",
                   (a["id"],))[0]
    expect_eq(sums, (1000, 0, 0), "ledger sums of the partner")
    srv.check()


def test_partner_views_show_only_own_data(srv):
    prog = create_program(srv)
    pid = prog["id"]
    a = create_partner(srv, pid)
    b = create_partner(srv, pid)
    ka = partner_key(srv, a["id"])
    ua = harness.DEFAULT_UA + " " + uid()
    _, ca = click_ok(srv, a["ref_code"], ua=ua)
    _, cb = click_ok(srv, b["ref_code"], ua=ua)
    _, _, conv_a = convert(srv, pid, "va-1", 10000, click_id=ca)
    _, _, conv_b = convert(srv, pid, "vb-1", 50000, click_id=cb)
    _, _, conv_b2 = convert(srv, pid, "vb-2", 70000, ref=b["ref_code"])
    com_a = commission_of(conv_a)["id"]
    com_b = {commission_of(conv_b)["id"], commission_of(conv_b2)["id"]}

    status, _, me = srv.request("GET", "/api/v1/me", key=ka)
    expect_eq(status, 200, "GET /me")
    expect_eq(me.get("id"), a["id"], "/me is partner A")

    rows = list_all(srv, "/api/v1/me/commissions", key=ka)
    ids = {r.get("id") for r in rows}
    expect_eq(ids, {com_a}, "commission ids on A's /me/commissions")
    expect(all(r.get("partner_id") in (None, a["id"]) for r in rows), "foreign partner_id on /me/commissions")

    status, _, rep = srv.request("GET", "/api/v1/me/report", key=ka)
    expect_eq(status, 200, "GET /me/report (%s)" % short(rep))
    totals = report_totals(rep)
    expect_eq((totals["clicks"], totals["conversions"], totals["revenue"], totals["commission"]),
              (1, 1, 10000, 1000), "A's /me/report (clicks, conversions, revenue, commission)")

    rows = list_all(srv, "/api/v1/me/links", key=ka)
    expect_eq({r.get("id") for r in rows}, {default_link_id(srv, a)}, "A's /me/links")
    expect(not (com_b & ids), "B's commissions leaked")


def report_totals(body):
    """Sums a report's rows (or takes a single totals object)."""
    fields = ("clicks", "unique_clicks", "conversions", "revenue", "commission")
    if isinstance(body, dict) and "data" not in body and all(f in body for f in fields):
        rows = [body]
    else:
        rows = list_rows(body)
    out = {f: 0 for f in fields}
    for r in rows:
        for f in fields:
            expect(isinstance(r.get(f), int), "report row lacks integer %r: %s" % (f, short(r)))
            out[f] += r[f]
    return out


def test_reports_group_by_day_partner_link(srv):
    prog = create_program(srv)
    pid = prog["id"]
    a = create_partner(srv, pid)
    b = create_partner(srv, pid)
    status, _, extra = create_link(srv, a["id"], "https://shop.example/sale")
    expect_eq(status, 201, "extra link (%s)" % short(extra))
    ua1, ua2 = harness.DEFAULT_UA + " r1" + uid(), harness.DEFAULT_UA + " r2" + uid()
    # A default: 3 clicks, 2 unique; A extra: 1 click, 1 unique; B default: 2 clicks, 2 unique
    _, ca = click_ok(srv, a["ref_code"], ua=ua1)
    click_ok(srv, a["ref_code"], ua=ua1)
    click_ok(srv, a["ref_code"], ua=ua2)
    _, cx = click_ok(srv, extra["code"], ua=ua1)
    _, cb = click_ok(srv, b["ref_code"], ua=ua1)
    click_ok(srv, b["ref_code"], ua=ua2)
    for order, amount, cid in (("rp1", 10000, ca), ("rp2", 20000, cx), ("rp3", 30000, cb)):
        status, _, _ = convert(srv, pid, order, amount, click_id=cid)
        expect_eq(status, 201, "conversion " + order)

    def report(group):
        status, _, body = srv.api("GET", "/api/v1/reports?program_id=%s&group_by=%s" % (pid, group))
        expect_eq(status, 200, "report group_by=%s (%s)" % (group, short(body)))
        return list_rows(body)

    want_total = {"clicks": 6, "unique_clicks": 5, "conversions": 3, "revenue": 60000, "commission": 6000}
    day = report("day")
    expect_eq(len(day), 1, "rows grouped by day (all today)")
    expect_eq(report_totals({"data": day}), want_total, "day totals")

    by_partner = {r.get("partner_id"): r for r in report("partner")}
    expect_eq(set(by_partner), {a["id"], b["id"]}, "partner rows")
    pick = lambda r: {f: r.get(f) for f in want_total}  # noqa: E731
    expect_eq(pick(by_partner[a["id"]]), {"clicks": 4, "unique_clicks": 3, "conversions": 2,
                                          "revenue": 30000, "commission": 3000}, "partner A row")
    expect_eq(pick(by_partner[b["id"]]), {"clicks": 2, "unique_clicks": 2, "conversions": 1,
                                          "revenue": 30000, "commission": 3000}, "partner B row")

    by_link = {r.get("link_id"): r for r in report("link")}
    expect_eq(set(by_link), {default_link_id(srv, a), extra["id"], default_link_id(srv, b)}, "link rows")
    expect_eq(pick(by_link[extra["id"]]), {"clicks": 1, "unique_clicks": 1, "conversions": 1,
                                           "revenue": 20000, "commission": 2000}, "extra link row")
    expect_eq(pick(by_link[default_link_id(srv, a)]), {"clicks": 3, "unique_clicks": 2, "conversions": 1,
                                                       "revenue": 10000, "commission": 1000},
              "A default link row")


def test_link_destinations_and_no_open_redirect(srv):
    prog = create_program(srv)
    a = create_partner(srv, prog["id"])
    before = srv.sql1("SELECT count(*) FROM links")
    resp = create_link(srv, a["id"], "https://evil.example/x")
    expect_error(resp, (400, 422), param="destination")
    expect_eq(srv.sql1("SELECT count(*) FROM links"), before, "links after a refused destination")

    dest = "https://shop.example/p/42?color=red&size=9"
    status, _, link = create_link(srv, a["id"], dest)
    expect_eq(status, 201, "link with a query string (%s)" % short(link))
    expect_eq(link.get("destination"), dest, "stored destination")
    expect_eq(link.get("partner_id"), a["id"], "link partner_id")
    expect(str(link.get("id", "")).startswith("lnk_"), "link id")
    code = link.get("code")
    expect(isinstance(code, str) and code, "link code")

    for query in ("url=https://evil.example", "url=https%3A%2F%2Fevil.example%2F&redirect=https://evil.example",
                  "destination=https://evil.example&sub1=x"):
        loc, cid = click_ok(srv, code, query)
        parts = urllib.parse.urlsplit(loc)
        expect_eq((parts.scheme, parts.netloc, parts.path), ("https", "shop.example", "/p/42"),
                  "redirect target for ?%s (Location %r)" % (query, loc))
        expect_eq(urllib.parse.parse_qs(parts.query),
                  {"color": ["red"], "size": ["9"], "pd_click": [cid]}, "Location query for ?" + query)
        expect("evil" not in loc, "Location mentions the request's URL: %r" % loc)

    # GET /api/v1/links lists it
    rows = list_all(srv, "/api/v1/links")
    expect(link["id"] in {r.get("id") for r in rows}, "new link missing from GET /api/v1/links")


def test_idempotency_key(srv):
    prog = create_program(srv)
    body = {"program_id": prog["id"], "email": "idem%s@partners.example" % uid(), "name": "Idem",
            "ref_code": "idem" + uid()}
    key = "idem-" + uid(16)
    first = srv.api("POST", "/api/v1/partners", body, headers={"Idempotency-Key": key})
    expect_status(first, 201)
    before = srv.counts()
    again = srv.api("POST", "/api/v1/partners", body, headers={"Idempotency-Key": key})
    expect_eq(again[0], first[0], "status of the replay")
    expect_eq(again[2], first[2], "body of the replay")
    expect_eq(srv.counts(), before, "rows after an idempotent replay")
    other = dict(body, name="Someone else")
    resp = srv.api("POST", "/api/v1/partners", other, headers={"Idempotency-Key": key})
    expect_error(resp, 422, any_param=True)
    expect_eq(srv.counts(), before, "rows after a key reused with another body")

    # conversions too: the replay answers the stored 201 (not the order-id 200)
    a = first[2]
    cbody = {"program_id": prog["id"], "order_id": "idem-o1", "amount": 1500, "currency": "USD",
             "ref": a["ref_code"]}
    ckey = "idem-" + uid(16)
    c1 = srv.api("POST", "/api/v1/conversions", cbody, headers={"Idempotency-Key": ckey})
    expect_status(c1, 201)
    c2 = srv.api("POST", "/api/v1/conversions", cbody, headers={"Idempotency-Key": ckey})
    expect_eq((c2[0], c2[2]), (c1[0], c1[2]), "replayed conversion (status, body)")


def test_list_pagination(srv):
    prog = create_program(srv)
    made = [create_partner(srv, prog["id"])["id"] for _ in range(3)]
    status, _, page = srv.api("GET", "/api/v1/partners?limit=1")
    expect_eq(status, 200, "GET partners?limit=1")
    expect_eq(len(list_rows(page)), 1, "rows with limit=1")
    expect_eq(page.get("has_more"), True, "has_more with limit=1")

    seen = []
    after = None
    for _ in range(1000):
        url = "/api/v1/partners?limit=2" + ("&starting_after=" + after if after else "")
        status, _, page = srv.api("GET", url)
        expect_eq(status, 200, "GET " + url)
        rows = list_rows(page)
        expect(len(rows) <= 2, "more than limit rows")
        seen += [r["id"] for r in rows]
        if not page["has_more"]:
            break
        after = rows[-1]["id"]
    expect_eq(len(seen), len(set(seen)), "partners repeated across pages")
    expect_eq(len(seen), srv.sql1("SELECT count(*) FROM partners"), "partners over all pages")
    expect(set(made) <= set(seen), "created partners missing from the pages")


def test_secret_key_is_stored_hashed(srv):
    rows = srv.sql("SELECT * FROM api_keys")
    expect(rows, "api_keys is empty")
    for key in (srv.sk, srv.pk, srv.sk[len("pd_sk_"):]):
        expect(not any(key in str(v) for row in rows for v in row), "a raw key is stored in api_keys")


def test_check_passes(srv):
    srv.check()


if __name__ == "__main__":
    harness.main(globals())
