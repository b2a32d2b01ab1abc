#!/usr/bin/env python3
"""click_queue_max: at most that many clicks are answered before the database has them; beyond it
a 302 also waits for its click to be written. With 0 every 302 waits, so a reader of the database
file finds each click as soon as its 302 arrives (without any other request in between)."""

import os
import sqlite3
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Server, click_ok, create_partner, create_program, expect_eq, main, uid  # noqa: E402


def raw_count(srv, cid):
    """The database read directly, with no request to the server first (harness.sql sends one)."""
    if harness.PG:
        return srv.sql1("SELECT count(*) FROM clicks WHERE id = ?", (cid,))
    con = sqlite3.connect("file:%s?mode=ro" % urllib.parse.quote(srv.db_path), uri=True, timeout=10)
    try:
        return con.execute("SELECT count(*) FROM clicks WHERE id = ?", (cid,)).fetchone()[0]
    finally:
        con.close()


def test_with_a_queue_of_zero_each_302_waits_for_its_click_to_be_written():
    with Server(serve_args=["--click_queue_max", "0"]) as srv:
        prog = create_program(srv)
        ptn = create_partner(srv, prog["id"])
        missing = []
        for i in range(20):
            _, cid = click_ok(srv, ptn["ref_code"], ua="%s q-%d-%s" % (harness.DEFAULT_UA, i, uid()))
            if raw_count(srv, cid) != 1:
                missing.append(cid)
        expect_eq(missing, [], "clicks not in the database when their 302 arrived")


if __name__ == "__main__":
    main(globals())
