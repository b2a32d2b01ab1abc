#!/usr/bin/env python3
"""Every class of bad input: each is answered with a 4xx JSON error of exactly
{"error":{"code","message","param"}}, writes nothing, and leaves the server answering.
Also partner isolation, key handling and the HTTP limits (414, 431, 413, slow clients)."""

import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (click_ok, convert, create_link, create_partner, create_program, expect,  # noqa: E402
                     expect_eq, expect_error, expect_in, list_all, parse_raw_body, partner_key, raw_exchange,
                     send_large_body, short, uid)

_fixture = {}


def fixture(srv):
    """One program with partners A and B, each with a key and attributed data."""
    if _fixture.get("srv") is srv:
        return _fixture
    prog = create_program(srv)
    pid = prog["id"]
    a = create_partner(srv, pid)
    b = create_partner(srv, pid)
    ka, kb = partner_key(srv, a["id"]), partner_key(srv, b["id"])
    ua = harness.DEFAULT_UA + " " + uid()
    _, ca = click_ok(srv, a["ref_code"], ua=ua)
    _, cb = click_ok(srv, b["ref_code"], ua=ua)
    click_ok(srv, b["ref_code"], ua=ua + "x")
    conv = {}
    for name, order, amount, extra in (("a1", "fa-1", 10000, {"click_id": ca}),
                                       ("b1", "fb-1", 40000, {"click_id": cb}),
                                       ("b2", "fb-2", 60000, {"ref": b["ref_code"]})):
        status, _, body = convert(srv, pid, order, amount, **extra)
        expect_eq(status, 201, "fixture conversion %s (%s)" % (order, short(body)))
        conv[name] = body
    _fixture.clear()
    _fixture.update(srv=srv, prog=prog, pid=pid, a=a, b=b, ka=ka, kb=kb, conv=conv)
    return _fixture


def refused(srv, resp, statuses, param=None, any_param=False, before=None):
    """The answer is a proper error, nothing was written, and the server still answers."""
    err = expect_error(resp, statuses, param=param, any_param=any_param)
    if before is not None:
        expect_eq(srv.counts(), before, "row counts after a refused request")
    status, _, _ = srv.request("GET", "/healthz", timeout=5)
    expect_eq(status, 200, "/healthz after a refused request")
    return err


def bad_conversion(srv, body, statuses, param=None, any_param=False, key=None):
    f = fixture(srv)
    if isinstance(body, dict):
        body = dict(body)
        body.setdefault("program_id", f["pid"])
    before = srv.counts()
    resp = srv.request("POST", "/api/v1/conversions", body, key=key or srv.sk)
    return refused(srv, resp, statuses, param=param, any_param=any_param, before=before)


def each(problems, what, fn):
    """Runs one check of a table-driven test, collecting its failure instead of stopping."""
    try:
        fn()
    except harness.Failure as e:
        problems.append("%s: %s" % (what, e))


def order():
    return "bad-" + uid(12)


# ---- amounts -----------------------------------------------------------------------------------

def test_negative_amount(srv):
    bad_conversion(srv, {"order_id": order(), "amount": -100, "currency": "USD"}, (400, 422), "amount")


def test_fractional_amount(srv):
    bad_conversion(srv, {"order_id": order(), "amount": 12.5, "currency": "USD"}, (400, 422), "amount")


def test_string_amount(srv):
    bad_conversion(srv, {"order_id": order(), "amount": "100", "currency": "USD"}, (400, 422), "amount")


def test_null_and_boolean_amount(srv):
    bad_conversion(srv, {"order_id": order(), "amount": None, "currency": "USD"}, (400, 422), "amount")
    bad_conversion(srv, {"order_id": order(), "amount": True, "currency": "USD"}, (400, 422), "amount")


def test_overflowing_amounts(srv):
    pid = fixture(srv)["pid"]
    # A literal beyond int64 may be refused by the JSON parser itself (param null) or by the amount
    # check (param "amount"); either way 400/422 with the error shape and nothing written.
    for literal in ("9223372036854775808", "1e30", "-9223372036854775809", "99999999999999999999999"):
        raw = '{"program_id":"%s","order_id":"%s","amount":%s,"currency":"USD"}' % (pid, order(), literal)
        err = bad_conversion(srv, raw.encode(), (400, 422), any_param=True)
        expect_in(err["param"], ("amount", None), "error.param for amount %s" % literal)


def test_amount_whose_commission_would_overflow(srv):
    # 9223372036854775807 * 1000 overflows int64 in the commission product: refused or computed
    # exactly (922337203685477580.7 → 922337203685477581), never wrapped.
    f = fixture(srv)
    c = create_partner(srv, f["pid"])
    before = srv.counts()
    status, _, body = convert(srv, f["pid"], order(), 9223372036854775807, ref=c["ref_code"])
    if status == 201:
        expect_eq(body["commissions"][0]["amount"], 922337203685477581, "commission of INT64_MAX at 10%")
    else:
        refused(srv, (status, {}, body), (400, 422), any_param=True, before=before)


# ---- currency ----------------------------------------------------------------------------------

def test_unknown_currency(srv):
    for cur in ("XXX", "ZZZ", "US", "USDX", "", "u$d"):
        bad_conversion(srv, {"order_id": order(), "amount": 100, "currency": cur}, (400, 422), "currency")


def test_currency_other_than_the_programs(srv):
    err = bad_conversion(srv, {"order_id": order(), "amount": 100, "currency": "EUR"}, 422, "currency")
    expect(err["code"] == "unprocessable_entity", "code")
    bad_conversion(srv, {"order_id": order(), "amount": 100, "currency": "jpy"}, 422, "currency")


# ---- missing fields, wrong types, unknown references --------------------------------------------

def test_missing_fields_name_the_param(srv):
    full = {"order_id": order(), "amount": 100, "currency": "USD"}
    for field in ("order_id", "amount", "currency"):
        body = {k: v for k, v in full.items() if k != field}
        bad_conversion(srv, body, (400, 422), field)


def test_wrong_types(srv):
    bad_conversion(srv, {"order_id": 12345, "amount": 100, "currency": "USD"}, (400, 422), "order_id")
    bad_conversion(srv, {"order_id": "", "amount": 100, "currency": "USD"}, (400, 422), "order_id")
    bad_conversion(srv, {"order_id": order(), "amount": 100, "currency": 840}, (400, 422), "currency")
    bad_conversion(srv, {"order_id": order(), "amount": 100, "currency": "USD", "click_id": 7},
                   (400, 422), "click_id")


def test_unknown_program(srv):
    bad_conversion(srv, {"program_id": "prg_01ARZ3NDEKTSV4RRFFQ69G5FAV", "order_id": order(), "amount": 100,
                         "currency": "USD"}, (400, 404, 422), "program_id")


# ---- bodies that are not a JSON object ----------------------------------------------------------

def test_malformed_json(srv):
    for raw in (b'{"order_id": ', b"{order_id: 1}", b'{"a":1}}', b"", b"null", b"\"text\"", b"42"):
        bad_conversion(srv, raw, 400, any_param=True)


def test_json_array_instead_of_object(srv):
    bad_conversion(srv, b'[{"order_id":"x","amount":1,"currency":"USD"}]', 400, any_param=True)
    bad_conversion(srv, b"[]", 400, any_param=True)


def test_invalid_utf8(srv):
    pid = fixture(srv)["pid"]
    raw = b'{"program_id":"' + pid.encode() + b'","order_id":"\xff\xfe","amount":100,"currency":"USD"}'
    bad_conversion(srv, raw, 400, any_param=True)


def test_deeply_nested_json(srv):
    pid = fixture(srv)["pid"]
    raw = ('{"program_id":"%s","order_id":"%s","amount":100,"currency":"USD","metadata":' % (pid, order())
           + '{"a":' * 20000 + "1" + "}" * 20000 + "}")
    bad_conversion(srv, raw.encode(), (400, 413, 422), any_param=True)


def test_body_over_one_mib_is_413(srv):
    before = srv.counts()
    body = b'{"order_id":"' + b"x" * (2 * 1024 * 1024) + b'"}'
    head = ("POST /api/v1/conversions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (srv.sk, len(body))).encode()
    status, raw = send_large_body(srv.port, head, body)
    refused(srv, (status, {}, parse_raw_body(raw)), 413, any_param=True, before=before)


def test_chunked_body_over_one_mib_is_413(srv):
    before = srv.counts()
    chunk = b"x" * 65536
    body = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(33)) + b"0\r\n\r\n"
    head = ("POST /api/v1/conversions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" % srv.sk).encode()
    status, raw = send_large_body(srv.port, head, body)
    refused(srv, (status, {}, parse_raw_body(raw)), 413, any_param=True, before=before)


# ---- authentication and authorisation ---------------------------------------------------------

def test_no_authorization(srv):
    f = fixture(srv)
    before = srv.counts()
    body = {"program_id": f["pid"], "order_id": order(), "amount": 100, "currency": "USD"}
    refused(srv, srv.request("POST", "/api/v1/conversions", body), 401, any_param=True, before=before)
    refused(srv, srv.request("GET", "/api/v1/partners"), 401, any_param=True)
    refused(srv, srv.request("GET", "/api/v1/me/commissions"), 401, any_param=True)


def test_wrong_or_malformed_key(srv):
    f = fixture(srv)
    body = {"program_id": f["pid"], "order_id": order(), "amount": 100, "currency": "USD"}
    before = srv.counts()
    for key in ("pd_sk_" + "A" * 32, srv.sk[:-1], srv.sk + "x", "pd_pt_nothing", "", srv.pk[:-2]):
        refused(srv, srv.request("POST", "/api/v1/conversions", body, key=key), 401, any_param=True,
                before=before)
    for value in ("Basic " + srv.sk, srv.sk, "Bearer", "Bearer  " + srv.sk + " extra"):
        resp = srv.request("POST", "/api/v1/conversions", body, headers={"Authorization": value})
        refused(srv, resp, 401, any_param=True, before=before)


def test_key_in_query_string_is_refused(srv):
    f = fixture(srv)
    before = srv.counts()
    body = {"program_id": f["pid"], "order_id": order(), "amount": 100, "currency": "USD"}
    for name in ("key", "api_key", "access_token"):
        resp = srv.request("POST", "/api/v1/conversions?%s=%s" % (name, srv.sk), body)
        refused(srv, resp, (400, 401), any_param=True, before=before)
        resp = srv.request("GET", "/api/v1/partners?%s=%s" % (name, srv.sk))
        refused(srv, resp, (400, 401), any_param=True)


def test_secret_key_never_appears_in_the_log(srv):
    srv.request("GET", "/api/v1/partners?key=" + srv.sk)
    srv.api("GET", "/api/v1/partners?limit=1")
    # Once the server has stopped, the harness has read every line it wrote.
    expect_eq(srv.stop(), 0, "serve's exit status")
    secret = srv.sk[len("pd_sk_"):]
    expect(not any(secret in line for line in srv.log), "the secret key was written to the log")
    srv.start()


def test_publishable_key_cannot_write_conversions(srv):
    f = fixture(srv)
    before = srv.counts()
    body = {"program_id": f["pid"], "order_id": order(), "amount": 100, "currency": "USD",
            "ref": f["a"]["ref_code"]}
    refused(srv, srv.request("POST", "/api/v1/conversions", body, key=srv.pk), 403, any_param=True,
            before=before)
    for method, path in (("GET", "/api/v1/partners"), ("GET", "/api/v1/conversions"),
                         ("GET", "/api/v1/commissions"), ("GET", "/api/v1/reports?program_id=" + f["pid"])):
        refused(srv, srv.request(method, path, key=srv.pk), 403, any_param=True)
    resp = srv.request("POST", "/api/v1/partners", {"program_id": f["pid"], "email": "x%s@e.example" % uid(),
                                                    "name": "x", "ref_code": "pk" + uid()}, key=srv.pk)
    refused(srv, resp, 403, any_param=True, before=before)


def test_partner_key_cannot_use_merchant_endpoints(srv):
    f = fixture(srv)
    before = srv.counts()
    ka = f["ka"]
    problems = []
    for path in ("/api/v1/partners", "/api/v1/partners/" + f["b"]["id"], "/api/v1/conversions",
                 "/api/v1/conversions?partner_id=" + f["b"]["id"], "/api/v1/commissions",
                 "/api/v1/commissions/" + f["conv"]["b1"]["commissions"][0]["id"],
                 "/api/v1/reports?program_id=%s&partner_id=%s" % (f["pid"], f["b"]["id"]),
                 "/api/v1/programs", "/api/v1/payouts"):
        each(problems, path, lambda: refused(srv, srv.request("GET", path, key=ka), 403, any_param=True))
    body = {"program_id": f["pid"], "order_id": order(), "amount": 100, "currency": "USD",
            "ref": f["a"]["ref_code"]}
    refused(srv, srv.request("POST", "/api/v1/conversions", body, key=ka), 403, any_param=True, before=before)
    resp = srv.request("POST", "/api/v1/partners/%s/keys" % f["a"]["id"], {}, key=ka)
    refused(srv, resp, 403, any_param=True, before=before)
    expect(not problems, "\n".join(problems))


def test_partner_sees_only_own_conversions_and_commissions(srv):
    f = fixture(srv)
    a, b = f["a"], f["b"]
    a_com = {f["conv"]["a1"]["commissions"][0]["id"]}
    b_com = {f["conv"]["b1"]["commissions"][0]["id"], f["conv"]["b2"]["commissions"][0]["id"]}
    b_cnv = {f["conv"]["b1"]["id"], f["conv"]["b2"]["id"]}
    b_ids = b_com | b_cnv | {b["id"], f["conv"]["b1"]["attribution"]["click_id"]}
    problems = []
    rows = list_all(srv, "/api/v1/me/commissions", key=f["ka"])
    expect_eq({r.get("id") for r in rows}, a_com, "commission ids on /api/v1/me/commissions")
    # no answer under /me mentions anything of B's, whatever filter is sent
    for path in ("/api/v1/me", "/api/v1/me/commissions", "/api/v1/me/links", "/api/v1/me/payouts",
                 "/api/v1/me/report", "/api/v1/me/report?partner_id=" + b["id"],
                 "/api/v1/me/report?group_by=partner", "/api/v1/me/report?group_by=link",
                 "/api/v1/me/commissions?partner_id=" + b["id"], "/api/v1/me/links?partner_id=" + b["id"],
                 "/api/v1/me?partner_id=" + b["id"]):
        status, _, body = srv.request("GET", path, key=f["ka"])
        if "group_by" in path and status == 400:
            expect_error((status, {}, body), 400, any_param=True)
            continue
        if "partner_id=" in path:  # a partner's lists and report name no partner: refused
            expect_error((status, {}, body), 400, param="partner_id")
            continue
        text = repr(body)
        leaked = [i for i in b_ids if i in text]
        expect(not leaked, "%s leaks partner B's ids %r" % (path, leaked))
        if status != 200:
            problems.append("GET %s: expected 200, got %d (%s)" % (path, status, short(body)))
    # B's commission by id under /me is not found for A
    for cid in b_com:
        status, _, body = srv.request("GET", "/api/v1/me/commissions/" + cid, key=f["ka"])
        expect_in(status, (403, 404), "A reading B's commission by id")
    expect(not problems, "\n".join(problems))


def test_partner_report_refuses_a_partner_filter(srv):
    f = fixture(srv)
    status, _, body = srv.request("GET", "/api/v1/me/report", key=f["ka"])
    expect_eq(status, 200, "GET /me/report (%s)" % short(body))
    totals = totals_of(body)
    expect_eq((totals["clicks"], totals["conversions"], totals["revenue"], totals["commission"]),
              (1, 1, 10000, 1000), "A's numbers for /me/report")
    # a partner's report is its own: naming a partner or a program is an unknown parameter
    for q, param in (("?partner_id=" + f["b"]["id"], "partner_id"),
                     ("?program_id=%s&partner_id=%s" % (f["pid"], f["b"]["id"]), "program_id")):
        resp = srv.request("GET", "/api/v1/me/report" + q, key=f["ka"])
        expect_error(resp, 400, param=param)
        expect(f["b"]["id"] not in repr(resp[2]), "B's id in " + short(resp[2]))
    resp = srv.request("GET", "/api/v1/me/report?partner_id=" + f["a"]["id"], key=f["kb"])
    expect_error(resp, 400, param="partner_id")
    # and B's key sees B's numbers
    status, _, body = srv.request("GET", "/api/v1/me/report", key=f["kb"])
    totals = totals_of(body)
    expect_eq((totals["clicks"], totals["conversions"], totals["revenue"], totals["commission"]),
              (2, 2, 100000, 10000), "B's numbers for /me/report?partner_id=<A>")


def totals_of(body):
    fields = ("clicks", "conversions", "revenue", "commission")
    if isinstance(body, dict) and "data" not in body and all(k in body for k in fields):
        rows = [body]
    else:
        rows = harness.list_rows(body)
    out = {k: 0 for k in fields}
    for r in rows:
        for k in fields:
            expect(isinstance(r.get(k), int), "report row lacks integer %r: %s" % (k, short(r)))
            out[k] += r[k]
    return out


def test_partner_cannot_create_link_for_another_partner(srv):
    f = fixture(srv)
    before = srv.counts()
    resp = srv.request("POST", "/api/v1/me/links", {"partner_id": f["b"]["id"],
                                                    "destination": "https://shop.example/mine"}, key=f["ka"])
    if resp[0] in (200, 201):
        expect_eq(resp[2].get("partner_id"), f["a"]["id"], "a /me/links link belongs to the caller")
    else:
        refused(srv, resp, (400, 403, 422), any_param=True, before=before)


# ---- links: no open redirect -------------------------------------------------------------------

def test_link_to_foreign_host(srv):
    f = fixture(srv)
    before = srv.counts()
    for dest in ("https://evil.example/x", "https://shop.example.evil.example/", "https://evil.example/shop.example",
                 "https://shop.example@evil.example/", "//evil.example/x", "javascript:alert(1)",
                 "https://evilshop.example/", "not a url", ""):
        resp = create_link(srv, f["a"]["id"], dest)
        refused(srv, resp, (400, 422), param="destination", before=before)
    resp = srv.request("POST", "/api/v1/me/links", {"destination": "https://evil.example/x"}, key=f["ka"])
    refused(srv, resp, (400, 422), param="destination", before=before)


def test_duplicate_ref_code(srv):
    f = fixture(srv)
    before = srv.counts()
    resp = srv.api("POST", "/api/v1/partners", {"program_id": f["pid"], "email": "d%s@e.example" % uid(),
                                                "name": "dup", "ref_code": f["a"]["ref_code"]})
    refused(srv, resp, (400, 409, 422), param="ref_code", before=before)


def test_refunds_refused(srv):
    f = fixture(srv)
    before = srv.counts()
    resp = srv.api("POST", "/api/v1/conversions/no-such-order/refunds", {"program_id": f["pid"], "amount": 1})
    refused(srv, resp, 404, any_param=True, before=before)
    for amount in (0, -1, 10001, 1.5, "1"):
        resp = srv.api("POST", "/api/v1/conversions/fa-1/refunds", {"program_id": f["pid"], "amount": amount})
        refused(srv, resp, (400, 422), param="amount", before=before)


def test_list_limit_bounds(srv):
    for q in ("limit=0", "limit=-1", "limit=abc", "limit=101", "limit=100000"):
        status, _, body = srv.api("GET", "/api/v1/partners?" + q)
        if status == 200:
            expect(len(harness.list_rows(body)) <= 100, "more than 100 rows for ?" + q)
            expect_in(q, ("limit=101", "limit=100000"), "?%s accepted" % q)
        else:
            refused(srv, (status, {}, body), 400, param="limit")
    status, _, body = srv.api("GET", "/api/v1/partners?starting_after=ptn_nonexistent")
    if status != 200:
        refused(srv, (status, {}, body), (400, 404), param="starting_after")


def test_unknown_ids_are_404(srv):
    for path in ("/api/v1/partners/ptn_01ARZ3NDEKTSV4RRFFQ69G5FAV", "/api/v1/conversions/cnv_01ARZ3NDEKTSV4RRFFQ69G5FAV",
                 "/api/v1/commissions/com_01ARZ3NDEKTSV4RRFFQ69G5FAV", "/api/v1/nothing-here"):
        refused(srv, srv.api("GET", path), 404, any_param=True)
    refused(srv, srv.api("GET", "/api/v1/programs/prg_nope"), (400, 404), any_param=True)


# ---- HTTP limits ---------------------------------------------------------------------------------

def test_request_line_over_8k_is_414(srv):
    before = srv.counts()
    path = "/c/" + "a" * (9 * 1024)
    status, raw = raw_exchange(srv.port, ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode())
    expect_eq(status, 414, "status for a 9 KiB request line (%r)" % raw[:200])
    body = parse_raw_body(raw)
    if isinstance(body, dict):
        expect_error((414, {}, body), 414, any_param=True)
    expect_eq(srv.counts(), before, "rows after a 414")
    expect_eq(srv.request("GET", "/healthz")[0], 200, "/healthz after a 414")


def test_headers_over_16k_are_431(srv):
    head = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(
        "X-Pad-%d: %s\r\n" % (i, "p" * 1000) for i in range(20)) + "\r\n"
    status, raw = raw_exchange(srv.port, head.encode())
    expect_eq(status, 431, "status for 20 KiB of headers (%r)" % raw[:200])
    expect_eq(srv.request("GET", "/healthz")[0], 200, "/healthz after a 431")


def test_garbage_request_is_400(srv):
    for data in (b"NOT HTTP AT ALL\r\n\r\n", b"GET /healthz HTTP/9.9\r\n\r\n",
                 b"POST /api/v1/conversions HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"):
        status, raw = raw_exchange(srv.port, data)
        expect_in(status, (400, 501, 505), "status for %r (%r)" % (data[:40], raw[:120]))
    expect_eq(srv.request("GET", "/healthz")[0], 200, "/healthz after garbage")


def test_slow_header_clients_do_not_stall_others(srv):
    stop = threading.Event()
    socks = []
    line = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"s" * 200
    clients = 16  # more than any plausible number of worker threads
    progress = threading.Condition()
    sent = [0] * clients  # bytes each slow client has sent; None once the server closed it

    def trickle(n, s):
        for i in range(len(line)):
            if stop.is_set():
                return
            try:
                s.send(line[i:i + 1])
                count = i + 1
            except OSError:
                count = None
            with progress:
                sent[n] = count
                progress.notify_all()
            if count is None:
                return
            stop.wait(0.25)  # a whole head takes a minute: the server's header timeout ends it

    def every_slow_client_has_sent(n):
        with progress:
            ok = progress.wait_for(lambda: all(c is None or c >= n for c in sent), timeout=30)
        expect(ok, "the slow clients did not get to send %d bytes each: %r" % (n, sent))

    threads = []
    for n in range(clients):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        socks.append(s)
        t = threading.Thread(target=trickle, args=(n, s), daemon=True)
        t.start()
        threads.append(t)
    try:
        # Every slow client is in the middle of a head, and stays there during each measurement.
        every_slow_client_has_sent(2)
        for i in range(8):
            t0 = time.monotonic()
            status, _, _ = srv.request("GET", "/healthz", timeout=5)
            dt = time.monotonic() - t0
            expect_eq(status, 200, "/healthz while slow clients trickle")
            expect(dt < 1.0, "/healthz took %.2f s while slow clients trickle" % dt)
            loc_t0 = time.monotonic()
            status, _, _ = srv.api("GET", "/api/v1/partners?limit=1")
            expect_eq(status, 200, "API while slow clients trickle")
            expect(time.monotonic() - loc_t0 < 1.0, "API request took over 1 s while slow clients trickle")
            every_slow_client_has_sent(i + 3)  # the next measurement is another trickle later
    finally:
        stop.set()
        for t in threads:
            t.join(3)
        for s in socks:
            s.close()


def test_check_passes_after_bad_input(srv):
    srv.check()


if __name__ == "__main__":
    harness.main(globals())
