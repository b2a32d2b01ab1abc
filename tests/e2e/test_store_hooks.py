#!/usr/bin/env python3
"""Store connections (README "Store webhooks"): a program's Stripe, Shopify, WooCommerce or Paddle
connection is created, listed, read, given its signing secret and deleted through /api/v1; the
secret is never answered; bad input is refused and writes nothing."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (create_program, expect, expect_eq, expect_error, expect_status,  # noqa: E402
                     list_rows)


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


if __name__ == "__main__":
    harness.main(globals())
