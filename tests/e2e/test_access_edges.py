#!/usr/bin/env python3
"""Access at the edges: /metrics answers only its bearer token (404 without a metrics_token, 401 for
a missing or wrong one); HEAD /c/{code} answers like GET and records no click; a publishable key
cannot choose a click's ip or user_agent; a wrong method on a known path is a 405 whose Allow
header lists the path's methods."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (Server, create_link, create_partner, create_program, expect, expect_eq,  # noqa: E402
                     expect_error, expect_status, short)

METRICS_TOKEN = "metrics-" + harness.uid(16)


def test_metrics_need_their_token():
    with Server() as srv:
        expect_error(srv.request("GET", "/metrics"), 404)
        expect_error(srv.request("GET", "/metrics", key=srv.sk), 404)
    with Server(serve_args=["--metrics_token", METRICS_TOKEN]) as srv:
        for key in (None, "wrong-" + METRICS_TOKEN, METRICS_TOKEN[:-1], srv.sk):
            status, headers, body = srv.request("GET", "/metrics", key=key)
            expect_error((status, headers, body), 401)
            expect_eq(headers.get("www-authenticate"), 'Bearer realm="metrics"', "WWW-Authenticate")
        status, headers, body = srv.request("GET", "/metrics", key=METRICS_TOKEN)
        expect_eq(status, 200, "/metrics with its token")
        expect(b"partnerd_requests_total " in body, "the metrics: %s" % short(body))


def test_head_on_a_click_link_records_nothing(srv):
    prog = create_program(srv)
    ptn = create_partner(srv, prog["id"], status="active")
    status, _, link = create_link(srv, ptn["id"], "https://shop.example/spring?x=1")
    expect_eq(status, 201, "link (%s)" % short(link))
    before = srv.sql1("SELECT COUNT(*) FROM clicks")
    for _ in range(3):
        status, headers, body = srv.request("HEAD", "/c/" + link["code"])
        expect_eq(status, 302, "HEAD /c/{code}")
        expect(headers.get("location", "").startswith("https://shop.example/spring?x=1"),
               "Location %r" % headers.get("location"))
        expect_eq(body, b"", "HEAD body")
    expect_eq(srv.request("HEAD", "/c/nosuch" + harness.uid())[0], 404, "HEAD of an unknown code")
    expect_eq(srv.sql1("SELECT COUNT(*) FROM clicks"), before, "clicks after HEAD requests")
    harness.click_ok(srv, link["code"])
    expect_eq(srv.sql1("SELECT COUNT(*) FROM clicks"), before + 1, "clicks after one GET")


def test_a_publishable_key_cannot_choose_the_visitor(srv):
    prog = create_program(srv)
    ptn = create_partner(srv, prog["id"], status="active")
    before = srv.sql1("SELECT COUNT(*) FROM clicks")
    for field, value in (("ip", "198.51.100.3"), ("user_agent", harness.DEFAULT_UA),
                         ("ip", None)):
        body = {"ref": ptn["ref_code"], field: value}
        expect_error(srv.request("POST", "/api/v1/clicks", body, key=srv.pk), 400, field)
    expect_eq(srv.sql1("SELECT COUNT(*) FROM clicks"), before, "clicks after refused requests")
    # Its clicks are the caller's own; a secret key still sets both.
    status, _, own = srv.request("POST", "/api/v1/clicks", {"ref": ptn["ref_code"]}, key=srv.pk)
    expect_eq(status, 201, "publishable click (%s)" % short(own))
    expect_eq(own["bot"], False, "the caller's browser user agent is no bot")
    status, _, chosen = srv.api("POST", "/api/v1/clicks", {"ref": ptn["ref_code"],
                                                          "ip": "198.51.100.3",
                                                          "user_agent": harness.DEFAULT_UA})
    expect_eq(status, 201, "secret-key click (%s)" % short(chosen))
    expect_eq(srv.sql("SELECT id, ip FROM clicks WHERE id IN (?, ?) ORDER BY ip",
                      (own["click_id"], chosen["click_id"])),
              sorted([(own["click_id"], "127.0.0.0"), (chosen["click_id"], "198.51.100.0")],
                     key=lambda r: r[1]), "the clicks' (truncated) addresses")


def test_a_wrong_method_is_405_with_allow(srv):
    for method, path, allow in (("POST", "/healthz", "GET, HEAD"),
                                ("DELETE", "/api/v1/programs/prg_x", "GET, HEAD, PATCH"),
                                ("PUT", "/api/v1/me", "GET, HEAD, PATCH"),
                                ("PUT", "/api/v1/partners/ptn_x/keys", "GET, HEAD, POST"),
                                ("PATCH", "/api/v1/webhooks", "GET, HEAD, POST"),
                                ("OPTIONS", "/login", "GET, HEAD, POST")):
        resp = srv.request(method, path, key=srv.sk)
        err = expect_error(resp, 405)
        expect_eq(err["code"], "method_not_allowed", "error.code of %s %s" % (method, path))
        expect_eq(resp[1].get("allow"), allow, "Allow of %s" % path)
        expect(allow in err["message"], "the message lists the methods: %r" % err["message"])
    expect_status(srv.request("GET", "/healthz"), 200)
    expect_error(srv.request("POST", "/no/such/path", key=srv.sk), 404)


if __name__ == "__main__":
    harness.main(globals())
