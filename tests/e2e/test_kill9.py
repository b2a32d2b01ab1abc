#!/usr/bin/env python3
"""Durability: kill -9 under load loses nothing that was acknowledged and duplicates nothing (on
SQLite with either synchronous level).

Four threads send clicks and conversions as fast as they can; the server is SIGKILLed while requests
are in flight; after a restart on the same database every acknowledged click is stored exactly once,
every acknowledged order exactly once with exactly one commission whose ledger entries sum to its
amount, and `partnerd check` passes.

The same holds when a flush fails (SQLite): fault injection (PARTNERD_TEST_FAIL_FLUSH, see
src/store/flush.h) fails the Nth fdatasync of the click journal or of the database's log under the
same load; the server must abort on its own without answering anything but 302/201 before it (no
"retry" for a record already handed on), and the restart recovers as after kill -9."""

import http.client
import json
import os
import signal
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (Server, convert, create_partner, create_program, expect, expect_eq, expect_in,  # noqa: E402
                     short, uid)

THREADS = 4
LOAD_SECONDS = 3.0
KILL_AFTER = 2.0  # the kill lands while the threads are still sending


class Load:
    def __init__(self, srv, pid, partners):
        self.srv = srv
        self.pid = pid
        self.partners = partners
        self.port = srv.port
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.clicks = []         # click ids from 302 Locations
        self.orders = {}         # order id → (conversion id, amount, partner id) from 201 answers
        self.sent_orders = {}    # every order id sent: its body (acknowledged or not)
        self.unexpected = []     # answers other than 302/201 before the kill
        self.killed_at = None
        self.errors_after_kill = 0
        self.errors_before_kill = []

    def one(self, conn_port, method, path, body=None, ua=harness.DEFAULT_UA):
        conn = http.client.HTTPConnection("127.0.0.1", conn_port, timeout=5)
        try:
            hdrs = {"User-Agent": ua}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                hdrs["Content-Type"] = "application/json"
                hdrs["Authorization"] = "Bearer " + self.srv.sk
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            return resp.status, resp.getheader("Location"), resp.read()
        finally:
            conn.close()

    def worker(self, n):
        i = 0
        my_clicks = []
        while not self.stop.is_set():
            i += 1
            partner = self.partners[(n + i) % len(self.partners)]
            try:
                if i % 3 != 0:
                    ua = "%s t%d-%d" % (harness.DEFAULT_UA, n, i % 7)
                    status, loc, _ = self.one(self.port, "GET", "/c/%s?sub1=t%d" % (partner["ref_code"], n), ua=ua)
                    if status == 302 and loc:
                        q = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
                        cid = q.get("pd_click", [None])[-1]
                        if cid is None:
                            self.note_unexpected("302 without pd_click: %r" % loc)
                            continue
                        with self.lock:
                            self.clicks.append(cid)
                        my_clicks.append((cid, partner["id"]))
                    else:
                        self.note_unexpected("click answered %d" % status)
                else:
                    order = "k9-%d-%d-%s" % (n, i, uid(6))
                    amount = 1000 + (i * 37) % 9000
                    body = {"program_id": self.pid, "order_id": order, "amount": amount, "currency": "USD"}
                    if my_clicks and i % 2 == 0:
                        cid, owner = my_clicks[-1]
                        body["click_id"] = cid
                    else:
                        owner = partner["id"]
                        body["ref"] = partner["ref_code"]
                    with self.lock:
                        self.sent_orders[order] = body
                    status, _, raw = self.one(self.port, "POST", "/api/v1/conversions", body)
                    if status == 201:
                        conv = json.loads(raw)
                        with self.lock:
                            self.orders[order] = (conv.get("id"), amount, owner, conv)
                    else:
                        self.note_unexpected("conversion answered %d: %r" % (status, raw[:200]))
            except (OSError, http.client.HTTPException) as e:
                if self.killed_at is None:
                    with self.lock:
                        self.errors_before_kill.append(repr(e))
                else:
                    self.errors_after_kill += 1
                    time.sleep(0.01)

    def note_unexpected(self, what):
        if self.killed_at is None:
            with self.lock:
                self.unexpected.append(what)


def test_kill9_under_load_loses_and_duplicates_nothing():
    with Server() as srv:
        try:
            run(srv)
        except BaseException:
            print("  server log:\n" + srv.log_tail(80))
            raise


if not harness.PG:  # an SQLite level: PostgreSQL has no journal and no such setting
    def test_kill9_with_synchronous_normal_loses_and_duplicates_nothing():
        """The same with synchronous=normal, where a click is acknowledged once it is stored into the
        journal's mapped segment (no write call): the page cache keeps it past the process's end."""
        with Server(sqlite_options="?synchronous=normal") as srv:
            try:
                run(srv)
            except BaseException:
                print("  server log:\n" + srv.log_tail(80))
                raise


FAULT_ENV = "PARTNERD_TEST_FAIL_FLUSH"
DIE_TIMEOUT = 60.0  # the failing flush comes within a second or two of load


if not harness.PG:  # the journal and the writer's flushes of the log are SQLite's
    def test_a_failed_flush_of_the_click_journal_ends_the_server_and_the_restart_recovers():
        run_flush_failure("journal:60")

    def test_a_failed_flush_of_the_database_log_ends_the_server_and_the_restart_recovers():
        run_flush_failure("wal:40")


def run_flush_failure(spec):
    with Server(env={FAULT_ENV: spec}) as srv:
        try:
            flush_failure(srv)
        except BaseException:
            print("  server log:\n" + srv.log_tail(80))
            raise


def start_load(srv):
    prog = create_program(srv)
    pid = prog["id"]
    partners = [create_partner(srv, pid) for _ in range(3)]
    load = Load(srv, pid, partners)
    threads = [threading.Thread(target=load.worker, args=(n,), daemon=True) for n in range(THREADS)]
    for t in threads:
        t.start()
    return load, threads


def flush_failure(srv):
    load, threads = start_load(srv)
    deadline = time.monotonic() + DIE_TIMEOUT
    while srv.alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    died = not srv.alive()
    load.stop.set()
    for t in threads:
        t.join(10)
    srv.expected_exit = True
    expect(died, "the server still runs %.0f s after the failed flush\n%s" % (DIE_TIMEOUT, srv.log_tail(20)))
    srv.kill9()  # reaps it and its log readers
    print("  acknowledged before the failed flush: %d clicks, %d conversions" % (len(load.clicks), len(load.orders)))
    # Connection errors are the abort; any answer but 302/201 (a 500 "retry") is the bug.
    expect(not load.unexpected, "answers other than 302/201 before the abort: %r" % load.unexpected[:5])
    expect_eq(srv.proc.returncode, -signal.SIGABRT, "the exit of serve (a signal is negative)")
    expect(any("level=fatal" in line and "fdatasync" in line for line in srv.log),
           "the log names the failed flush:\n" + srv.log_tail(20))
    expect(len(load.clicks) >= 10 and len(load.orders) >= 3,
           "too little load before the failed flush (%d clicks, %d conversions)"
           % (len(load.clicks), len(load.orders)))
    srv.env = {}
    verify_after_restart(srv, load)


def run(srv):
    t0 = time.monotonic()
    load, threads = start_load(srv)
    time.sleep(KILL_AFTER)
    with load.lock:
        n_clicks, n_orders = len(load.clicks), len(load.orders)
    load.killed_at = time.monotonic()
    srv.kill9()
    time.sleep(max(0.0, LOAD_SECONDS - (time.monotonic() - t0)))
    load.stop.set()
    for t in threads:
        t.join(10)
    print("  acknowledged before the kill: %d clicks, %d conversions; after it %d connection errors"
          % (len(load.clicks), len(load.orders), load.errors_after_kill))

    expect(not load.errors_before_kill, "connection errors before the kill: %r" % load.errors_before_kill[:5])
    expect(not load.unexpected, "unexpected answers before the kill: %r" % load.unexpected[:5])
    expect(n_clicks >= 20 and n_orders >= 10,
           "too little load before the kill (%d clicks, %d conversions)" % (n_clicks, n_orders))
    verify_after_restart(srv, load)


def verify_after_restart(srv, load):
    """Every record acknowledged before the server died is stored once after a restart, and the
    server serves again."""
    pid, partners = load.pid, load.partners
    srv.restart()
    if not harness.PG:
        # SQLite: clicks answered from the journal before they reached the database come back
        # from it at the start (the check below holds either way; this says how many).
        replayed = [line for line in srv.log if "clicks replayed from the journal" in line]
        print("  " + (replayed[-1].strip() if replayed else "no click needed replaying"))

    # every acknowledged click exactly once
    stored = {}
    clicks = list(load.clicks)
    for i in range(0, len(clicks), 500):
        part = clicks[i:i + 500]
        rows = srv.sql("SELECT id, count(*) FROM clicks WHERE id IN (%s) GROUP BY id" % ",".join("?" * len(part)),
                       part)
        stored.update(dict(rows))
    missing = [c for c in clicks if c not in stored]
    expect(not missing, "%d acknowledged clicks lost, e.g. %r" % (len(missing), missing[:5]))
    expect_eq(len(set(clicks)), len(clicks), "distinct click ids handed out")

    # every acknowledged order exactly once, with exactly one commission and its ledger entry
    rows = srv.sql("SELECT c.order_id, c.id, c.amount, c.partner_id, count(DISTINCT m.id) "
                   "FROM conversions c LEFT JOIN commissions m ON m.conversion_id = c.id "
                   "WHERE c.program_id = ? GROUP BY c.id", (pid,))
    by_order = {}
    for order, cnv, amount, ptn, ncom in rows:
        by_order.setdefault(order, []).append((cnv, amount, ptn, ncom))
    for order, (cnv, amount, owner, body) in load.orders.items():
        got = by_order.get(order)
        expect(got is not None, "acknowledged order %s lost (answer %s)" % (order, short(body)))
        expect_eq(len(got), 1, "conversions for order %s" % order)
        expect_eq(got[0], (cnv, amount, owner, 1), "order %s as stored (id, amount, partner, commissions)" % order)
    for order, got in by_order.items():
        expect_eq(len(got), 1, "conversions for order %s" % order)
        expect(order in load.sent_orders, "a conversion nobody sent: %s" % order)
    bad = srv.sql("SELECT m.id, m.amount, coalesce(sum(l.pending), 0) FROM commissions m "
                  "LEFT JOIN ledger_entries l ON l.commission_id = m.id WHERE m.program_id = ? "
                  "GROUP BY m.id HAVING coalesce(sum(l.pending), 0) != m.amount", (pid,))
    expect(not bad, "commissions whose ledger does not sum to the amount: %r" % bad[:5])

    srv.check()

    # the server serves again; an acknowledged order replays as 200 with the same id; an order whose
    # answer was lost to the kill is stored at most once when the store retries it
    expect_eq(srv.request("GET", "/healthz")[0], 200, "/healthz after restart")
    order, (cnv, amount, owner, _) = next(iter(load.orders.items()))
    status, _, body = srv.api("POST", "/api/v1/conversions", load.sent_orders[order])
    expect_eq((status, body.get("id")), (200, cnv), "replay of an acknowledged order after restart")
    unacked = [o for o in load.sent_orders if o not in load.orders][:20]
    for o in unacked:
        status, _, body = srv.api("POST", "/api/v1/conversions", load.sent_orders[o])
        expect_in(status, (200, 201), "retry of an unacknowledged order %s (%s)" % (o, short(body)))
        expect_eq(srv.sql1("SELECT count(*) FROM conversions WHERE program_id = ? AND order_id = ?", (pid, o)),
                  1, "conversions for retried order %s" % o)
    status, loc, cid = harness.click(srv, partners[0]["ref_code"])
    expect_eq(status, 302, "click after restart")
    expect_eq(srv.sql1("SELECT count(*) FROM clicks WHERE id = ?", (cid,)), 1, "click after restart stored")
    status, _, body = convert(srv, pid, "after-restart-" + uid(), 5000, click_id=cid)
    expect_eq(status, 201, "conversion after restart (%s)" % short(body))
    srv.check()
    rc = srv.stop()
    expect_eq(rc, 0, "exit status on SIGTERM after the restart")


if __name__ == "__main__":
    harness.main(globals())
