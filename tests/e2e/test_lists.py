"""Lists at scale: every API list answers newest first and pages both ways with Stripe's cursors
(starting_after to older items, ending_before to newer ones, each page newest first), its filters
are applied by the database (a filter never trims a page after its LIMIT), unknown query
parameters on /api/v1 are refused while the tracking routes ignore theirs, and a report's totals
are the same whatever it is grouped by (sub1 included)."""

import calendar
import secrets
import time

import harness
from harness import (click_ok, convert, create_link, create_partner, create_program, expect,
                     expect_eq, expect_error, expect_status, partner_key, short, uid)

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id(prefix, ms):
    """An id as partnerd makes them: the time in milliseconds, then 80 random bits."""
    v = (ms << 80) | secrets.randbits(80)
    return prefix + "".join(CROCKFORD[(v >> (5 * (25 - i))) & 31] for i in range(26))


def row_id(row):
    return row.get("id") or row["payout_id"]


def get_page(srv, url, key):
    status, _, body = srv.request("GET", url, key=key)
    expect_eq(status, 200, "GET %s (%s)" % (url, short(body)))
    expect(isinstance(body, dict) and isinstance(body.get("has_more"), bool),
           "list answer of %s: %s" % (url, short(body)))
    return [row_id(r) for r in body["data"]], body["has_more"]


def walk(srv, path, key=None, limit=3):
    """Pages the list to its oldest item with starting_after, then back to its newest with
    ending_before; returns its ids, newest first."""
    key = key or srv.sk
    sep = "&" if "?" in path else "?"
    pages, after = [], None
    while True:
        url = "%s%slimit=%d" % (path, sep, limit) + ("&starting_after=" + after if after else "")
        ids, more = get_page(srv, url, key)
        pages.append(ids)
        if not more:
            break
        expect_eq(len(ids), limit, "size of a page with more after it (%s)" % url)
        after = ids[-1]
        expect(len(pages) < 500, "paging %s does not end" % path)
    ids = [i for p in pages for i in p]
    expect_eq(ids, sorted(ids, reverse=True), "order of %s (newest first)" % path)
    expect_eq(len(set(ids)), len(ids), "items of %s seen once" % path)
    for k in range(len(pages) - 1, 0, -1):
        url = "%s%slimit=%d&ending_before=%s" % (path, sep, limit, pages[k][0])
        back, more = get_page(srv, url, key)
        expect_eq(back, pages[k - 1], "the page before %s (ending_before)" % pages[k][0])
        expect_eq(more, k > 1, "has_more of %s" % url)
    if ids:
        expect_eq(get_page(srv, "%s%sending_before=%s" % (path, sep, ids[0]), key), ([], False),
                  "nothing newer than the newest of %s" % path)
    return ids


def expect_newest_first(srv, path, created, key=None):
    """The list holds exactly `created` (ids in the order they were made), newest first; the one
    made last is on the first page."""
    ids = walk(srv, path, key)
    expect_eq(sorted(ids), sorted(created), "items of " + path)
    first, _ = get_page(srv, path + ("&" if "?" in path else "?") + "limit=3", key or srv.sk)
    expect(created[-1] in first, "%s: the newest item %s is not on the first page %r" %
           (path, created[-1], first))


def fixture(srv):
    prog = create_program(srv, hold_days=0)
    partners = [create_partner(srv, prog["id"], status="active") for _ in range(4)]
    p = partners[0]
    key = partner_key(srv, p["id"])
    links = [p["default_link"]["id"]] if isinstance(p.get("default_link"), dict) else []
    for i in range(4):
        resp = create_link(srv, p["id"], "https://shop.example/p%d" % i)
        expect_status(resp, 201)
        links.append(resp[2]["id"])
    conversions, commissions = [], []
    for i in range(7):
        resp = convert(srv, prog["id"], "order-%s-%d" % (uid(), i), 1000 + i, ref=p["ref_code"])
        expect_status(resp, 201)
        conversions.append(resp[2]["id"])
        commissions += [c["id"] for c in resp[2]["commissions"]]
    return prog, partners, key, links, conversions, commissions


def test_every_list_is_newest_first_and_pages_both_ways(srv):
    prog, partners, key, links, conversions, commissions = fixture(srv)
    pid, p = prog["id"], partners[0]
    expect_newest_first(srv, "/api/v1/partners?program_id=" + pid, [x["id"] for x in partners])
    expect_newest_first(srv, "/api/v1/conversions?program_id=" + pid, conversions)
    expect_newest_first(srv, "/api/v1/commissions?program_id=" + pid, commissions)
    expect_newest_first(srv, "/api/v1/links?partner_id=" + p["id"], links)
    expect_newest_first(srv, "/api/v1/me/links", links, key=key)
    expect_newest_first(srv, "/api/v1/me/commissions", commissions, key=key)
    ids = walk(srv, "/api/v1/programs")
    expect(pid in ids[:3], "the newest program is first: %r" % ids[:3])
    # payout batches, a partner's statements, webhook endpoints and their deliveries: made by an
    # operator's hand for months gone by (the API makes one batch a month, one delivery an event)
    now = int(time.time() * 1000)
    payouts = [new_id("pay_", now - (5 - i) * 40 * 86400000) for i in range(5)]
    for i, y in enumerate(payouts):
        srv.sql_write("INSERT INTO payouts (id, program_id, period, status, total, currency,"
                      " created_at, updated_at) VALUES (?, ?, ?, 'draft', 0, 'USD', ?, ?)",
                      (y, pid, "2020-%02d" % (i + 1), now - (5 - i) * 40 * 86400000,
                       now - (5 - i) * 40 * 86400000))
        srv.sql_write("INSERT INTO payout_items (id, payout_id, partner_id, amount, currency,"
                      " reference, status, reason) VALUES (?, ?, ?, 100, 'USD', ?, 'held',"
                      " 'no_payout_method')", ("poi_REF-%d" % i, y, p["id"], "REF-%d" % i))
    expect_newest_first(srv, "/api/v1/payouts?program_id=" + pid, payouts)
    expect_newest_first(srv, "/api/v1/me/payouts", payouts, key=key)
    endpoint = new_id("whe_", now - 1000)
    srv.sql_write("INSERT INTO webhook_endpoints (id, url, secret, events, created_at)"
                  " VALUES (?, 'https://hooks.example/x', 'whsec_test', '[\"payout.paid\"]', ?)",
                  (endpoint, now - 1000))
    deliveries = []
    for i in range(5):
        d = new_id("whd_", now - 1000 + i)
        srv.sql_write("INSERT INTO webhook_deliveries (id, event_id, event_type, endpoint_id, method,"
                      " url, status, attempts, next_attempt_at, expires_at, created_at, finished_at)"
                      " VALUES (?, ?, 'payout.paid', ?, 'POST', 'https://hooks.example/x', ?, 1,"
                      " 0, 0, ?, ?)", (d, new_id("evt_", now), endpoint,
                                       "failed" if i % 2 else "delivered", now - 1000 + i, now))
        deliveries.append(d)
    expect_newest_first(srv, "/api/v1/webhooks/%s/deliveries" % endpoint, deliveries)
    expect_newest_first(srv, "/api/v1/webhooks/%s/deliveries?status=failed" % endpoint,
                        deliveries[1::2])
    ids = walk(srv, "/api/v1/webhooks")
    expect(endpoint in ids, "the endpoint is listed")


def test_cursors_and_limits_are_checked(srv):
    prog, partners, key, links, conversions, commissions = fixture(srv)
    path = "/api/v1/conversions?program_id=" + prog["id"]
    for q, param in (("&starting_after=%s&ending_before=%s" % (conversions[3], conversions[1]),
                      "ending_before"),
                     ("&starting_after=" + commissions[0], "starting_after"),
                     ("&ending_before=cnv_nope", "ending_before"),
                     ("&limit=0", "limit"), ("&limit=101", "limit")):
        expect_error(srv.request("GET", path + q, key=srv.sk), 400, param=param)
    ids, more = get_page(srv, path + "&limit=100", srv.sk)
    expect_eq((ids, more), (sorted(conversions, reverse=True), False), "one page of 100")
    oldest = sorted(conversions)  # two made in one millisecond keep their ids' order
    ids, more = get_page(srv, path + "&limit=2&ending_before=" + oldest[0], srv.sk)
    expect_eq((ids, more), ([oldest[2], oldest[1]], True), "the two made after the first")


def test_filters_are_applied_by_the_database(srv):
    a = create_program(srv, hold_days=0)
    b = create_program(srv, hold_days=0)
    pa = create_partner(srv, a["id"], status="active")
    pb = create_partner(srv, b["id"], status="active")
    com_a, com_b = [], []
    for i in range(3):
        for prog, p, out in ((a, pa, com_a), (b, pb, com_b)):
            resp = convert(srv, prog["id"], "o-%s" % uid(), 5000, ref=p["ref_code"])
            expect_status(resp, 201)
            out += [c["id"] for c in resp[2]["commissions"]]
    com_a.sort()  # oldest first (two made in one millisecond keep their ids' order)
    # program_id on commissions was ignored: every program's commissions came back
    got = harness.list_all(srv, "/api/v1/commissions?program_id=" + a["id"])
    expect_eq(sorted(r["id"] for r in got), sorted(com_a), "commissions of program A")
    expect_newest_first(srv, "/api/v1/commissions?program_id=" + a["id"], com_a)
    expect_newest_first(srv, "/api/v1/commissions?program_id=" + b["id"], com_b)
    # a page of one of the pending commissions, while the newest one is approved: the filter is
    # in the query, not applied to a page already cut
    expect_status(srv.api("POST", "/api/v1/commissions/%s/approve" % com_a[-1]), 200)
    ids, more = get_page(srv, "/api/v1/commissions?program_id=%s&status=pending&limit=1" % a["id"],
                         srv.sk)
    expect_eq((ids, more), ([com_a[-2]], True), "the newest pending commission")
    expect_newest_first(srv, "/api/v1/commissions?program_id=%s&status=pending" % a["id"], com_a[:-1])
    expect_newest_first(srv, "/api/v1/commissions?status=approved&program_id=" + a["id"], com_a[-1:])
    expect_newest_first(srv, "/api/v1/commissions?partner_id=%s&status=pending" % pa["id"], com_a[:-1])
    got = walk(srv, "/api/v1/commissions?status=approved")
    expect(com_a[-1] in got and not set(com_a[:-1]) & set(got), "status alone filters")
    # the conversions page's filters: attribution, fraud flag, creation period
    none = convert(srv, a["id"], "o-" + uid(), 700)
    expect_status(none, 201)
    base = "/api/v1/conversions?program_id=" + a["id"]
    by_ref = walk(srv, base + "&attribution_method=ref")
    expect_eq(len(by_ref), 3, "conversions attributed by ref")
    expect_eq(walk(srv, base + "&attribution_method=none"), [none[2]["id"]], "unattributed")
    expect_eq(walk(srv, base + "&fraud=true"), [], "flagged as fraud")
    expect_eq(len(walk(srv, base + "&fraud=false")), 4, "not flagged")
    today = none[2]["created"][:10]  # the day of the last one made
    tomorrow = time.strftime("%Y-%m-%d", time.gmtime(
        calendar.timegm(time.strptime(today, "%Y-%m-%d")) + 86400))
    expect_eq(walk(srv, base + "&created[gte]=%s&created[lt]=%s" % (today, tomorrow))[0],
              none[2]["id"], "created today, newest first")
    expect_eq(walk(srv, base + "&created[gte]=" + tomorrow), [], "created from tomorrow")
    expect(none[2]["id"] not in walk(srv, base + "&created[lt]=" + today), "created before today")
    for q, param in (("&fraud=yes", "fraud"), ("&created[gte]=soon", "created[gte]")):
        expect_error(srv.request("GET", base + q, key=srv.sk), 400, param=param)


def test_unknown_query_parameters_are_refused_on_the_api(srv):
    prog, partners, key, links, conversions, commissions = fixture(srv)
    before = srv.counts()
    for method, path, k, param in (
            ("GET", "/api/v1/conversions?programid=" + prog["id"], srv.sk, "programid"),
            ("GET", "/api/v1/commissions?program_id=%s&state=pending" % prog["id"], srv.sk, "state"),
            ("GET", "/api/v1/programs/%s?expand=rules" % prog["id"], srv.sk, "expand"),
            ("GET", "/api/v1/reports?group=day", srv.sk, "group"),
            ("GET", "/api/v1/me?partner_id=x", key, "partner_id"),
            ("GET", "/api/v1/me/links?program_id=x", key, "program_id"),
            ("GET", "/api/v1/webhooks?status=failed", srv.sk, "status"),
            ("POST", "/api/v1/conversions?dry_run=1", srv.sk, "dry_run")):
        body = None
        if method == "POST":
            body = {"program_id": prog["id"], "order_id": "o-" + uid(), "amount": 100,
                    "currency": "USD", "ref": partners[0]["ref_code"]}
        expect_error(srv.request(method, path, body, key=k), 400, param=param)
    expect_eq(srv.counts(), before, "rows after refused requests")
    # the tracking routes ignore what they do not use
    code = partners[0]["ref_code"]
    status, hdrs, _ = srv.request("GET", "/c/%s?utm_source=news&fbclid=abc&gclid=x" % code,
                                  headers={"User-Agent": harness.DEFAULT_UA})
    expect_eq(status, 302, "a tracking link with utm_* and fbclid")
    status, _, _ = srv.request("GET", "/pd.js?v=3")
    expect_eq(status, 200, "pd.js with a cache-busting parameter")


def totals_by(srv, path):
    out = {}
    for g in ("day", "partner", "link", "sub1"):
        status, _, body = srv.request("GET", "%s&group_by=%s" % (path, g), key=srv.sk)
        expect_eq(status, 200, "report by %s (%s)" % (g, short(body)))
        t = body["totals"]
        out[g] = {k: t[k] for k in ("clicks", "unique_clicks", "conversions", "revenue",
                                    "commission")}
        if g == "sub1":
            out["sub1_rows"] = {r["sub1"]: r for r in body["data"]}
    return out


def test_report_totals_agree_whatever_the_grouping(srv):
    prog = create_program(srv, hold_days=0, parent_bps=1000,
                          rules=[{"type": "percent", "bps": 1000}])
    parent = create_partner(srv, prog["id"], status="active")
    child = create_partner(srv, prog["id"], status="active", parent_id=parent["id"])
    code = child["ref_code"]
    clicks = {}
    for sub in ("a", "a", "b", None):
        _, cid = click_ok(srv, code, "sub1=" + sub if sub else "")
        clicks.setdefault(sub, []).append(cid)
    status, _, _ = srv.request("GET", "/c/" + code, headers={"User-Agent": "curl/8.5.0"})
    expect_eq(status, 302, "a bot's click")
    sales = []
    for cid, amount in ((clicks["a"][0], 10000), (clicks["b"][0], 20000), (None, 40000)):
        extra = {"click_id": cid} if cid else {"ref": code}
        resp = convert(srv, prog["id"], "o-" + uid(), amount, **extra)
        expect_status(resp, 201)
        sales.append(resp[2])
    resp = srv.api("POST", "/api/v1/conversions/%s/refunds" % sales[1]["order_id"],
                   {"program_id": prog["id"], "amount": 5000})
    expect_status(resp, 200, 201)
    resp = srv.api("POST", "/api/v1/commissions/%s/reject" % sales[2]["commissions"][0]["id"],
                   {"reason": "test"})
    expect_status(resp, 200)
    for path in ("/api/v1/reports?program_id=" + prog["id"],
                 "/api/v1/reports?program_id=%s&partner_id=%s" % (prog["id"], child["id"]),
                 "/api/v1/reports?program_id=%s&partner_id=%s" % (prog["id"], parent["id"])):
        t = totals_by(srv, path)
        for g in ("partner", "link", "sub1"):
            expect_eq(t[g], t["day"], "%s: totals by %s against by day" % (path, g))
    t = totals_by(srv, "/api/v1/reports?program_id=" + prog["id"])
    expect_eq((t["day"]["clicks"], t["day"]["conversions"], t["day"]["revenue"]), (5, 3, 65000),
              "program totals")
    expect(t["day"]["commission"] > 0, "commission in the report: %r" % t["day"])
    a_row = t["sub1_rows"].get("a")
    expect(a_row and a_row["clicks"] == 2 and a_row["conversions"] == 1 and
           a_row["commission"] == 1000, "the sub1=a row: %r" % (a_row,))


if __name__ == "__main__":
    harness.main(globals())
