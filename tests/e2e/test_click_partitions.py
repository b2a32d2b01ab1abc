#!/usr/bin/env python3
"""Raw clicks by month (README "Several nodes", docs/growth.md): on PostgreSQL click_log is
partitioned by month (migration 019), the scheduler makes the coming months' partitions ahead, and
retention drops a month's partition once all of it is past the retention period; a month only
partly past it stays whole until it is all past. On SQLite one table, and retention deletes each
click past it. Reads are the same on both."""

import datetime
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Server, expect, expect_eq  # noqa: E402
from test_retention import (DAY_MS, link_with_a_click, stored, ulid_at,  # noqa: E402
                            wait_for_a_whole_pass, wait_until)


def month_start(ms, ahead=0):
    """The first millisecond (UTC) of the month containing ms, moved `ahead` months."""
    d = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    y, m = divmod(d.year * 12 + d.month - 1 + ahead, 12)
    return int(datetime.datetime(y, m + 1, 1, tzinfo=datetime.timezone.utc).timestamp() * 1000)


def partition_name(ms):
    d = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    return "click_log_%04d%02d" % (d.year, d.month)


def partitions(srv):
    return {r[0] for r in srv.sql("SELECT c.relname FROM pg_inherits i JOIN pg_class c"
                                  " ON c.oid = i.inhrelid WHERE i.inhparent = 'click_log'::regclass")}


def store_click_at(srv, link_id, ms):
    """A click made at ms, written directly (the API only makes clicks now): its id."""
    cid = ulid_at(ms, 4242)
    srv.sql_write("INSERT INTO click_log (id, link_id, created_at, bot, is_unique)"
                  " VALUES (?, ?, ?, 0, 1)", (cid, link_id, ms))
    return [cid]


def make_partition(srv, month):
    """The partition of the month starting at `month`, as clicks_partitions_ahead makes them."""
    srv.sql_write("CREATE TABLE %s PARTITION OF click_log FOR VALUES FROM ('%s') TO ('%s')" % (
        partition_name(month), ulid_at(month, 0), ulid_at(month_start(month, 1), 0)))


def test_a_month_past_retention_goes_whole_and_a_month_partly_past_it_stays():
    with Server(serve_args=["--click_retention_days", "400", "--approve_interval", "1"]) as srv:
        recent, link = link_with_a_click(srv)
        now = int(time.time() * 1000)
        boundary = now - 400 * DAY_MS
        partly = month_start(boundary)  # its end is after the boundary
        past = month_start(boundary, -2)  # all of it before the boundary
        if harness.PG:
            for month in (past, partly):
                make_partition(srv, month)
        straddling_at = (partly + boundary) // 2
        expect(partly <= straddling_at < boundary, "the straddling month's click is past retention")
        old = store_click_at(srv, link, past + DAY_MS)
        straddling = store_click_at(srv, link, straddling_at)
        wait_until("delete the click of a month past retention", lambda: not stored(srv, old))
        wait_for_a_whole_pass(srv)
        expect_eq(stored(srv, [recent]), {recent}, "today's click")
        if harness.PG:
            expect(partition_name(past) not in partitions(srv),
                   "the month past retention is dropped: %s" % sorted(partitions(srv)))
            expect(partition_name(partly) in partitions(srv), "the straddling month stays")
            expect_eq(stored(srv, straddling), set(straddling),
                      "a click past retention in a month not all past it (kept until it is)")
        else:
            expect_eq(stored(srv, straddling), set(), "a click past retention (SQLite: each row)")


def test_the_scheduler_makes_the_coming_months_partitions():
    with Server(serve_args=["--approve_interval", "1"]) as srv:
        now = int(time.time() * 1000)
        coming = [partition_name(month_start(now, i)) for i in range(3)]
        if not harness.PG:
            expect_eq(srv.sql1("SELECT count(*) FROM sqlite_master WHERE name LIKE 'click_log_%'"),
                      0, "SQLite keeps one click table")
            return
        expect(set(coming) <= partitions(srv), "this month and the next two: %s" % sorted(
            partitions(srv)))
        srv.sql_write("DROP TABLE %s" % coming[2])
        wait_until("make the partition two months ahead again", lambda: coming[2] in partitions(srv))
        _, cid = harness.click_ok(srv, harness.create_partner(
            srv, harness.create_program(srv)["id"])["ref_code"])
        expect_eq(srv.sql1("SELECT tableoid::regclass::text FROM click_log WHERE id = ?", (cid,)),
                  coming[0], "a click of today is in this month's partition")


if __name__ == "__main__":
    harness.main(globals())
