#!/usr/bin/env python3
"""Behind a reverse proxy (trusted_proxies): the visitor's address comes from X-Forwarded-For only
when the connection is from a trusted proxy, as the rightmost hop that is not one; it is what is
stored (truncated), what uniqueness and the click rate limit count. A bad list stops the server
before it starts."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Server, click_ok, create_partner, create_program, expect, expect_eq, main, uid  # noqa: E402


def stored_ip(srv, cid):
    return srv.sql1("SELECT ip FROM clicks WHERE id = ?", (cid,))


def forwarded_click(srv, code, xff, ua=None):
    status, loc, cid = harness.click(srv, code, ua=ua or harness.DEFAULT_UA,
                                     headers={"X-Forwarded-For": xff})
    expect_eq(status, 302, "click status")
    return cid


def test_forwarded_for_is_ignored_from_an_untrusted_peer():
    with Server() as srv:
        prog = create_program(srv)
        ptn = create_partner(srv, prog["id"])
        cid = forwarded_click(srv, ptn["ref_code"], "203.0.113.9")
        expect_eq(stored_ip(srv, cid), "127.0.0.0", "stored address (the peer's)")


def test_the_forwarded_client_is_stored_limited_and_unique_by_its_address():
    with Server(serve_args=["--trusted_proxies", "127.0.0.1, 10.0.0.0/8",
                            "--click_rate_limit", "2"]) as srv:
        prog = create_program(srv)
        ptn = create_partner(srv, prog["id"])
        code = ptn["ref_code"]
        # the client wrote 1.1.1.1 itself; the proxy appended the address it saw
        cid = forwarded_click(srv, code, "1.1.1.1, 203.0.113.9")
        expect_eq(stored_ip(srv, cid), "203.0.113.0", "stored address (the forwarded client's)")
        ua = harness.DEFAULT_UA + " px-" + uid()
        ids = [forwarded_click(srv, code, "203.0.113.9, 10.1.2.3", ua="%s %d" % (ua, i)) for i in range(2)]
        other = forwarded_click(srv, code, "198.51.100.20", ua=ua)
        unique = dict(srv.sql("SELECT id, is_unique FROM clicks WHERE id IN (?, ?, ?, ?)",
                              (cid, ids[0], ids[1], other)))
        expect_eq([unique[cid], unique[ids[0]], unique[ids[1]], unique[other]], [1, 1, 0, 1],
                  "is_unique: 2 clicks a minute per forwarded address, the third over it")
        _, direct = click_ok(srv, code)  # no header: the proxy itself is the client
        expect_eq(stored_ip(srv, direct), "127.0.0.0", "a click without X-Forwarded-For")


def test_a_bad_proxy_list_stops_the_server():
    with Server() as srv:
        rc, out, err = srv.run_cli("serve", "--db", srv.db_url, "--trusted_proxies", "10.0.0.0/33",
                                   "--check-config")
        expect_eq(rc, 2, "exit status of serve with trusted_proxies 10.0.0.0/33")
        expect("trusted_proxies" in err, "the message names the setting: %r" % err)


if __name__ == "__main__":
    main(globals())
