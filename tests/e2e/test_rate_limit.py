#!/usr/bin/env python3
"""The per-address click rate limit (README, `click_rate_limit` under Configuration): beyond
click_rate_limit clicks a minute from one address, a visitor's click is still redirected and
recorded but never unique (and leaves the uniqueness window alone); POST /api/v1/clicks is refused
with 429 and writes nothing; other addresses are not affected."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Server, click_ok, create_partner, create_program, expect_eq, main, uid  # noqa: E402

LIMIT = 3


def test_clicks_over_the_limit_are_recorded_not_unique():
    with Server(serve_args=["--click_rate_limit", str(LIMIT)]) as srv:
        prog = create_program(srv)
        ptn = create_partner(srv, prog["id"])
        # distinct user agents: each would be a unique visitor if it were not for the limit
        ids = [click_ok(srv, ptn["ref_code"], ua="%s rl-%d-%s" % (harness.DEFAULT_UA, i, uid()))[1]
               for i in range(LIMIT + 2)]
        got = dict(srv.sql("SELECT id, is_unique FROM clicks WHERE id IN (%s)" % ",".join("?" * len(ids)),
                           ids))
        expect_eq([got.get(i) for i in ids], [1] * LIMIT + [0, 0],
                  "is_unique of %d clicks from one address, limit %d" % (len(ids), LIMIT))
        expect_eq(srv.sql1("SELECT sum(unique_clicks) FROM daily_stats"), LIMIT, "unique clicks in the rollup")
        expect_eq(srv.sql1("SELECT sum(clicks) FROM daily_stats"), LIMIT + 2, "clicks in the rollup")


def test_api_clicks_over_the_limit_are_refused_with_429():
    with Server(serve_args=["--click_rate_limit", str(LIMIT)]) as srv:
        prog = create_program(srv)
        ptn = create_partner(srv, prog["id"])
        body = {"ref": ptn["ref_code"], "ip": "198.51.100.7", "user_agent": harness.DEFAULT_UA}
        for i in range(LIMIT):
            status, _, resp = srv.api("POST", "/api/v1/clicks", body)
            expect_eq(status, 201, "click %d from 198.51.100.7 (%r)" % (i + 1, resp))
        before = srv.sql1("SELECT count(*) FROM clicks")
        status, _, resp = srv.api("POST", "/api/v1/clicks", body)
        expect_eq(status, 429, "click %d from 198.51.100.7 (%r)" % (LIMIT + 1, resp))
        expect_eq((resp["error"]["code"], resp["error"]["param"]), ("rate_limit_exceeded", "ip"),
                  "the error")
        expect_eq(srv.sql1("SELECT count(*) FROM clicks"), before, "clicks stored after the 429")
        status, _, resp = srv.api("POST", "/api/v1/clicks", dict(body, ip="198.51.100.8"))
        expect_eq(status, 201, "a click from another address (%r)" % (resp,))


if __name__ == "__main__":
    main(globals())
