#!/usr/bin/env python3
"""Retention (DESIGN §7): the server's background job deletes raw clicks older than
click_retention_days, oldest first; newer clicks and the daily rollups stay; a click some program
could still attribute (a longer attribution window) stays. With 0 nothing is deleted."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Server, click_ok, create_partner, create_program, expect, expect_eq,  # noqa: E402
                     main)

DAY_MS = 86400000
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid_at(ms, rand):
    """A click id made at ms (48 bits of time, then 80 random bits), as partnerd makes them."""
    v = (ms << 80) | rand
    return "".join(CROCKFORD[(v >> (5 * (25 - i))) & 31] for i in range(26))


def store_old_clicks(srv, link_id, ages_days):
    """Clicks made ages_days ago, written directly (the API only makes clicks now)."""
    now = int(time.time() * 1000)
    ids = []
    for n, age in enumerate(ages_days):
        cid = ulid_at(now - age * DAY_MS, 1000 + n)
        srv.sql_write("INSERT INTO click_log (id, link_id, created_at, bot, is_unique) "
                      "VALUES (?, ?, ?, 0, 1)", (cid, link_id, now - age * DAY_MS))
        ids.append(cid)
    return ids


def link_with_a_click(srv, **program):
    """A program, a partner and one click made now: (that click's id, its link's id)."""
    prog = create_program(srv, **program)
    ptn = create_partner(srv, prog["id"])
    _, recent = click_ok(srv, ptn["ref_code"])
    return recent, srv.sql1("SELECT link_id FROM clicks WHERE id = ?", (recent,))


def stored(srv, ids):
    return {cid for cid in ids if srv.sql1("SELECT count(*) FROM clicks WHERE id = ?", (cid,))}


def test_clicks_past_the_retention_period_are_deleted_and_rollups_stay():
    with Server(serve_args=["--click_retention_days", "400", "--approve_interval", "1"]) as srv:
        recent, link = link_with_a_click(srv)
        rollup = srv.sql1("SELECT sum(clicks) FROM daily_stats")
        expired = store_old_clicks(srv, link, [500, 401])
        kept = store_old_clicks(srv, link, [399])
        deadline = time.monotonic() + 20
        while stored(srv, expired) and time.monotonic() < deadline:
            time.sleep(0.2)
        expect_eq(stored(srv, expired), set(), "clicks older than 400 days left")
        expect_eq(stored(srv, kept + [recent]), set(kept + [recent]), "clicks within 400 days")
        expect_eq(srv.sql1("SELECT sum(clicks) FROM daily_stats"), rollup, "clicks in the rollups")
        expect(any("deleted clicks past the retention period" in line and "count=2" in line
                   for line in srv.log), "the log names the deletion:\n" + srv.log_tail(20))


def test_a_click_a_program_could_still_attribute_is_kept():
    with Server(serve_args=["--click_retention_days", "400", "--approve_interval", "1"]) as srv:
        _, link = link_with_a_click(srv, attribution_window_days=450)
        expired = store_old_clicks(srv, link, [500])
        in_window = store_old_clicks(srv, link, [430])
        deadline = time.monotonic() + 20
        while stored(srv, expired) and time.monotonic() < deadline:
            time.sleep(0.2)
        expect_eq(stored(srv, expired), set(), "a click older than the 450-day window left")
        expect_eq(stored(srv, in_window), set(in_window),
                  "a click within the 450-day attribution window (retention 400 days)")


def test_a_retention_of_zero_keeps_every_click():
    with Server(serve_args=["--click_retention_days", "0", "--approve_interval", "1"]) as srv:
        _, link = link_with_a_click(srv)
        old = store_old_clicks(srv, link, [5000])
        time.sleep(3)  # three runs of the background job
        expect_eq(stored(srv, old), set(old), "a click from 5000 days ago with retention 0")


if __name__ == "__main__":
    main(globals())
