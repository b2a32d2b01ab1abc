#!/usr/bin/env python3
"""Several nodes, one database (README "Several nodes"): two `partnerd serve` processes share one
PostgreSQL database. What one node writes the other reads; clicks and conversions sent to both at
once are each stored exactly once; the same order sent to both nodes at the same moment yields one
conversion and one commission; `partnerd check` passes. On SQLite the two nodes are two processes on
one database file (WAL, one writer at a time); on PostgreSQL (PARTNERD_TEST_DB=postgres) two nodes
on one cluster."""

import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (Server, click_ok, convert, create_partner, create_program, expect,  # noqa: E402
                     expect_eq, expect_status, short, uid)


def two_nodes(fn):
    """Runs fn(a, b) with two nodes on one database."""
    def run():
        with Server() as a, Server(share=a) as b:
            fn(a, b)
            a.check()
    run.__name__ = fn.__name__
    run.__code__ = run.__code__.replace(co_firstlineno=fn.__code__.co_firstlineno)
    return run


def parallel(*calls):
    """Runs each call in its own thread, all released at once; returns their results in order."""
    results = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def one(i, call):
        start.wait()
        try:
            results[i] = call()
        except Exception as e:  # reported as a result, so the caller names the request
            results[i] = e
    threads = [threading.Thread(target=one, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@two_nodes
def test_one_node_reads_what_the_other_wrote(a, b):
    prog = create_program(a)
    ptn = create_partner(b, prog["id"])
    status, _, got = a.api("GET", "/api/v1/partners/" + ptn["id"])
    expect_eq(status, 200, "partner created on node b, read on node a (%s)" % short(got))
    _, cid = click_ok(a, ptn["ref_code"])
    # On SQLite node a answers the click from its journal and writes it to the database within
    # 20 ms; a request to a waits for that, one to b need not (a purchase never follows a click
    # this closely, the test does).
    a.request("GET", "/healthz")
    status, _, conv = convert(b, prog["id"], "mn-" + uid(), 10000, click_id=cid)
    expect_eq(status, 201, "conversion on node b of a click on node a (%s)" % short(conv))
    expect_eq((conv["attribution"]["method"], conv["partner_id"]), ("click", ptn["id"]),
              "attribution across nodes")
    status, _, got = a.api("GET", "/api/v1/conversions/" + conv["id"])
    expect_eq(status, 200, "conversion read on node a (%s)" % short(got))
    expect_eq([c["amount"] for c in got["commissions"]], [1000], "commission read on node a")


@two_nodes
def test_concurrent_writes_on_both_nodes_are_each_stored_once(a, b):
    prog = create_program(a)
    partners = [create_partner(a, prog["id"]) for _ in range(3)]
    calls = []
    for i in range(24):
        node = (a, b)[i % 2]
        ptn = partners[i % len(partners)]
        if i % 3:
            calls.append(lambda node=node, ptn=ptn, i=i: harness.click(
                node, ptn["ref_code"], ua="%s n%d" % (harness.DEFAULT_UA, i)))
        else:
            calls.append(lambda node=node, ptn=ptn, i=i: convert(
                node, prog["id"], "cc-%d" % i, 1000 + i, ref=ptn["ref_code"]))
    results = parallel(*calls)
    clicks, orders = [], []
    for i, r in enumerate(results):
        expect(not isinstance(r, Exception), "request %d raised %r" % (i, r))
        if i % 3:
            expect_eq(r[0], 302, "click %d status" % i)
            expect(r[2] is not None, "click %d has a click id" % i)
            clicks.append(r[2])
        else:
            expect_eq(r[0], 201, "conversion %d status (%s)" % (i, short(r[2])))
            orders.append("cc-%d" % i)
    expect_eq(a.sql1("SELECT count(*) FROM clicks WHERE program_id = ?", (prog["id"],)), len(clicks),
              "stored clicks")
    expect_eq(len(set(clicks)), len(clicks), "distinct click ids")
    expect_eq(a.sql1("SELECT count(*) FROM conversions WHERE program_id = ?", (prog["id"],)),
              len(orders), "stored conversions")
    expect_eq(a.sql1("SELECT count(*) FROM commissions WHERE program_id = ?", (prog["id"],)),
              len(orders), "stored commissions")


@two_nodes
def test_the_same_order_on_both_nodes_at_once_is_one_conversion(a, b):
    prog = create_program(a)
    ptn = create_partner(a, prog["id"])
    for n in range(8):
        order = "race-%d-%s" % (n, uid())
        results = parallel(lambda: convert(a, prog["id"], order, 5000, ref=ptn["ref_code"]),
                           lambda: convert(b, prog["id"], order, 5000, ref=ptn["ref_code"]))
        statuses = sorted(r[0] if not isinstance(r, Exception) else repr(r) for r in results)
        # The nodes' write transactions take turns: one creates it, the other finds it and replays
        # it, as one node would (an order id sent again with the same body answers 200).
        expect_eq(statuses, [200, 201], "answers of the two nodes for %s (%s)" % (
            order, [short(r[2], 200) if not isinstance(r, Exception) else r for r in results]))
        expect_eq(a.sql1("SELECT count(*) FROM conversions WHERE program_id = ? AND order_id = ?",
                         (prog["id"], order)), 1, "conversions of %s" % order)
        expect_eq(a.sql1("SELECT count(*) FROM commissions c JOIN conversions v ON v.id = c.conversion_id"
                         " WHERE v.program_id = ? AND v.order_id = ?", (prog["id"], order)), 1,
                  "commissions of %s" % order)
        status, _, conv = a.api("GET", "/api/v1/conversions?program_id=%s&limit=100" % prog["id"])
        expect_status((status, _, conv), 200)


if __name__ == "__main__":
    harness.main(globals())
