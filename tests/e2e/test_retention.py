#!/usr/bin/env python3
"""Retention: the server's background job deletes raw clicks older than click_retention_days,
oldest first; newer clicks and the daily rollups stay; a click some program could still attribute
(a longer attribution window) stays. With 0 nothing is deleted. The same job deletes idempotency
keys older than 48 hours and delivered or failed webhook deliveries finished more than
webhook_retention_days ago (pending ones stay), each found through an index.

Every test waits for the job to have run (a condition polled with a deadline), never for a time."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (Server, click_ok, convert, create_partner, create_program, expect,  # noqa: E402
                     expect_eq, main, uid)

DAY_MS = 86400000
HOUR_MS = 3600000
JOB_TIMEOUT = 20.0
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


def wait_until(what, cond):
    deadline = time.monotonic() + JOB_TIMEOUT
    while not cond():
        expect(time.monotonic() < deadline, "the retention job did not %s within %.0f s" % (what, JOB_TIMEOUT))
        time.sleep(0.1)


def old_idempotency_key(srv):
    """An idempotency key stored 49 hours ago, past its window: the next pass deletes it."""
    key = "marker-" + uid(12)
    srv.sql_write("INSERT INTO idempotency_keys (scope, idem_key, request_hash, status, body, created_at)"
                  " VALUES ('test', ?, 'h', 200, '{}', ?)", (key, int(time.time() * 1000) - 49 * HOUR_MS))
    return key


def wait_for_a_whole_pass(srv):
    """Returns once a whole pass of the job (clicks, keys, deliveries) has run after this call
    began: a key past its window is deleted by the first pass that reaches that step after it was
    stored; a second key stored after that is deleted by a pass that began later still."""
    for _ in range(2):
        key = old_idempotency_key(srv)
        wait_until("delete an idempotency key past its window",
                   lambda: not srv.sql1("SELECT count(*) FROM idempotency_keys WHERE idem_key = ?", (key,)))


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
        # The job logs after its commit: the line may follow the rows' disappearance by a moment.
        def logged():
            return any("deleted clicks past the retention period" in line and "count=2" in line
                       for line in list(srv.log))
        while not logged() and time.monotonic() < deadline + 10:
            time.sleep(0.05)
        expect(logged(), "the log names the deletion:\n" + srv.log_tail(20))


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


def test_a_retention_of_zero_keeps_every_click_and_delivery():
    with Server(serve_args=["--click_retention_days", "0", "--webhook_retention_days", "0",
                            "--approve_interval", "1"]) as srv:
        _, link = link_with_a_click(srv)
        old = store_old_clicks(srv, link, [5000])
        delivery = store_delivery(srv, "delivered", finished_days_ago=5000)
        wait_for_a_whole_pass(srv)
        expect_eq(stored(srv, old), set(old), "a click from 5000 days ago with retention 0")
        expect_eq(deliveries_left(srv, [delivery]), {delivery}, "a delivery from 5000 days ago with retention 0")


def store_delivery(srv, status, finished_days_ago=None, created_days_ago=60):
    """A webhook delivery written directly (the API cannot make old ones); a pending one is due
    only in ten days, so the sender leaves it alone."""
    now = int(time.time() * 1000)
    did = "whd_" + uid(16)
    finished = None if finished_days_ago is None else now - finished_days_ago * DAY_MS
    srv.sql_write("INSERT INTO webhook_deliveries (id, event_id, event_type, endpoint_id, method, url,"
                  " body, status, attempts, next_attempt_at, expires_at, created_at, finished_at)"
                  " VALUES (?, ?, 'conversion.created', NULL, 'GET', 'https://example.org/pb', NULL, ?,"
                  " 1, ?, ?, ?, ?)",
                  (did, "evt_" + uid(16), status, now + 10 * DAY_MS, now + 20 * DAY_MS,
                   now - created_days_ago * DAY_MS, finished))
    return did


def deliveries_left(srv, ids):
    return {d for d in ids if srv.sql1("SELECT count(*) FROM webhook_deliveries WHERE id = ?", (d,))}


def idempotent_conversion(srv, pid, key):
    body = {"program_id": pid, "order_id": "o-" + uid(), "amount": 1000, "currency": "USD"}
    status, headers, answer = srv.request("POST", "/api/v1/conversions", body, key=srv.sk,
                                          headers={"Idempotency-Key": key})
    expect_eq(status, 201, "conversion with Idempotency-Key %s" % key)
    return body, answer


def test_idempotency_keys_past_48_hours_and_finished_deliveries_past_retention_are_deleted():
    with Server(serve_args=["--webhook_retention_days", "30", "--approve_interval", "1"]) as srv:
        pid = create_program(srv)["id"]
        # Two answers stored under keys; one made 49 hours ago, the other 47.
        old_body, _ = idempotent_conversion(srv, pid, "old-" + uid())
        new_body, new_answer = idempotent_conversion(srv, pid, "new-" + uid())
        now = int(time.time() * 1000)
        srv.sql_write("UPDATE idempotency_keys SET created_at = ? WHERE idem_key LIKE 'old-%'", (now - 49 * HOUR_MS,))
        srv.sql_write("UPDATE idempotency_keys SET created_at = ? WHERE idem_key LIKE 'new-%'", (now - 47 * HOUR_MS,))
        expired = [store_delivery(srv, "delivered", finished_days_ago=31),
                   store_delivery(srv, "failed", finished_days_ago=45)]
        kept = [store_delivery(srv, "delivered", finished_days_ago=29),
                store_delivery(srv, "failed", finished_days_ago=1),
                store_delivery(srv, "pending", created_days_ago=400)]
        wait_until("delete the expired key and deliveries",
                   lambda: not srv.sql1("SELECT count(*) FROM idempotency_keys WHERE idem_key LIKE 'old-%'")
                   and not deliveries_left(srv, expired))
        expect_eq(srv.sql1("SELECT count(*) FROM idempotency_keys WHERE idem_key LIKE 'new-%'"), 1,
                  "the key stored 47 hours ago")
        expect_eq(deliveries_left(srv, kept), set(kept), "deliveries within 30 days, and a pending one")
        expect_eq(srv.sql1("SELECT status FROM webhook_deliveries WHERE id = ?", (kept[2],)), "pending",
                  "the pending delivery's status")
        expect(any("deleted idempotency keys past their window" in line for line in srv.log),
               "the log names the deletion:\n" + srv.log_tail(20))
        # The key within its window still replays its answer.
        key = srv.sql1("SELECT idem_key FROM idempotency_keys WHERE idem_key LIKE 'new-%'")
        status, headers, answer = srv.request("POST", "/api/v1/conversions", new_body, key=srv.sk,
                                              headers={"Idempotency-Key": key})
        expect_eq((status, headers.get("idempotent-replayed"), answer), (201, "true", new_answer),
                  "a replay within the window")


def query_plan(srv, query):
    if harness.PG:
        srv.sql("SET enable_seqscan = off")  # tiny tables: ask whether an index can serve it at all
        try:
            return " ".join(str(r[0]) for r in srv.sql("EXPLAIN " + query))
        finally:
            srv.sql("RESET enable_seqscan")
    return " ".join(str(r[-1]) for r in srv.sql("EXPLAIN QUERY PLAN " + query))


def test_the_deletions_find_their_rows_through_an_index(srv):
    """The job's batches (src/jobs/scheduler.c) are found through an index, not by a scan of every
    key or delivery."""
    plan = query_plan(srv, "SELECT scope, idem_key FROM idempotency_keys WHERE created_at < 5"
                           " ORDER BY created_at LIMIT 10")
    expect("idempotency_keys_created" in plan, "plan of the keys' batch: %s" % plan)
    plan = query_plan(srv, "SELECT id FROM webhook_deliveries WHERE finished_at < 5"
                           " AND status <> 'pending' ORDER BY finished_at LIMIT 10")
    expect("webhook_deliveries_finished" in plan, "plan of the deliveries' batch: %s" % plan)


if __name__ == "__main__":
    main(globals())
