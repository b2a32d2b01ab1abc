#!/usr/bin/env python3
"""Several nodes, one database (README "Several nodes"): two `partnerd serve` processes share one
PostgreSQL database. What one node writes the other reads; clicks and conversions sent to both at
once are each stored exactly once; the same order sent to both nodes at the same moment yields one
conversion and one commission (also for 1,000 orders at once); a partner's monthly cap holds when
its orders reach both nodes at once, and so do its month's revenue limit and a customer's binding
(the second order of a new customer follows the first one's partner, whichever node each
reached); the same hold on one node whose conversions commit in four writer lanes at once; two
edits of one partner on the two nodes both survive, and two crossing parents cannot close a loop;
`partnerd check` passes. On SQLite the two nodes are two processes on one database file (WAL, one
writer at a time); on PostgreSQL (PARTNERD_TEST_DB=postgres) two nodes on one cluster."""

import concurrent.futures
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


def and_in_lanes(fn):
    """Also runs fn(a, a) on one node writing through four lanes (`--writers 4`; on PostgreSQL its
    conversions commit in any of them, at once, as two nodes' do; SQLite has one lane)."""
    def run():
        with Server(serve_args=["--writers", "4"]) as a:
            fn(a, a)
            a.check()
    run.__name__ = fn.__name__ + "_in_one_node_s_four_writer_lanes"
    run.__code__ = run.__code__.replace(co_firstlineno=fn.__code__.co_firstlineno)
    globals()[run.__name__] = run
    return fn


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


@two_nodes
def test_a_visitor_is_unique_once_a_day_whichever_node_it_reaches(a, b):
    prog = create_program(a)
    ptn = create_partner(a, prog["id"])
    ua = "%s visitor-%s" % (harness.DEFAULT_UA, uid())

    def unique(node):
        _, cid = click_ok(node, ptn["ref_code"], ua=ua)
        node.request("GET", "/healthz")  # SQLite: the click is in the database once this returns
        return a.sql1("SELECT is_unique FROM clicks WHERE id = ?", (cid,))
    expect_eq(unique(a), 1, "the visitor's first click")
    expect_eq(unique(b), 0, "its second, on the other node")
    expect_eq(unique(a), 0, "its third, back on the first node")
    # A day later (its window moved back by 25 hours): unique again, once.
    a.sql_write("UPDATE click_fingerprints SET last_at = last_at - ?", (25 * 3600 * 1000,))
    expect_eq(unique(b), 1, "its first click a day later")
    expect_eq(unique(a), 0, "and the next one")

def pairs_at_once(calls, threads=32):
    """Runs the calls (pairs of one request to each node, adjacent) on a pool of threads, so that
    each pair reaches its two nodes at about the same moment and many pairs are in flight; their
    results in order (an exception as a result)."""
    def one(call):
        try:
            return call()
        except Exception as e:  # reported as a result, so the caller names the request
            return e
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, calls))


@two_nodes
@and_in_lanes
def test_a_thousand_orders_each_sent_to_both_nodes_are_each_one_conversion(a, b):
    prog = create_program(a)
    ptn = create_partner(a, prog["id"])
    orders = ["k-%d-%s" % (i, uid()) for i in range(1000)]
    calls = []
    for i, order in enumerate(orders):
        first, second = (a, b) if i % 2 else (b, a)
        for node in (first, second):
            calls.append(lambda node=node, order=order: convert(node, prog["id"], order, 5000,
                                                                  ref=ptn["ref_code"]))
    results = pairs_at_once(calls)
    for i, order in enumerate(orders):
        pair = results[2 * i:2 * i + 2]
        statuses = sorted(r[0] if not isinstance(r, Exception) else repr(r) for r in pair)
        expect_eq(statuses, [200, 201], "answers of the two nodes for %s (%s)" % (
            order, [short(r[2], 200) if not isinstance(r, Exception) else r for r in pair]))
        expect_eq(pair[0][2]["id"], pair[1][2]["id"], "both answers are the one conversion of %s"
                  % order)
    expect_eq(a.sql1("SELECT count(*) FROM conversions WHERE program_id = ?", (prog["id"],)), 1000,
              "conversions")
    expect_eq(a.sql1("SELECT count(*) FROM commissions WHERE program_id = ?", (prog["id"],)), 1000,
              "commissions")
    expect_eq(a.sql1("SELECT sum(conversions) FROM daily_stats WHERE program_id = ?",
                     (prog["id"],)), 1000, "conversions in the rollups")


@two_nodes
@and_in_lanes
def test_a_monthly_cap_holds_when_orders_reach_both_nodes_at_once(a, b):
    # 10% of 5,000 is 500 a sale; the cap, 10,000, is reached by the 20th of 60 sales.
    prog = create_program(a, monthly_cap=10000)
    ptn = create_partner(a, prog["id"])
    calls = [lambda i=i: convert((a, b)[i % 2], prog["id"], "cap-%d-%s" % (i, uid()), 5000,
                                 ref=ptn["ref_code"]) for i in range(60)]
    results = pairs_at_once(calls)
    for i, r in enumerate(results):
        expect(not isinstance(r, Exception), "sale %d raised %r" % (i, r))
        expect_eq(r[0], 201, "sale %d status (%s)" % (i, short(r[2])))
    expect_eq(a.sql1("SELECT count(*) FROM conversions WHERE program_id = ?", (prog["id"],)), 60,
              "conversions")
    expect_eq(a.sql1("SELECT sum(amount) FROM commissions WHERE partner_id = ?", (ptn["id"],)),
              10000, "the partner's commissions this month: exactly its cap")
    expect_eq(a.sql1("SELECT sum(commission) FROM daily_stats WHERE partner_id = ?", (ptn["id"],)),
              10000, "the partner's commission in the rollups")


@two_nodes
@and_in_lanes
def test_a_month_s_revenue_limit_holds_when_orders_reach_both_nodes_at_once(a, b):
    # Orders of 10^15 yen, each on its own day of one month: nine fit under 2^53 - 1, so of 24
    # sent at once exactly nine are taken, whichever batches and nodes they share.
    prog = create_program(a, currency="JPY", rules=[{"type": "percent", "bps": 1}])
    ptn = create_partner(a, prog["id"])
    calls = [lambda i=i: convert((a, b)[i % 2], prog["id"], "lim-%d-%s" % (i, uid()), 10 ** 15,
                                 "JPY", ref=ptn["ref_code"],
                                 occurred_at="2026-03-%02dT12:00:00Z" % (i + 1))
             for i in range(24)]
    results = pairs_at_once(calls)
    statuses = []
    for i, r in enumerate(results):
        expect(not isinstance(r, Exception), "order %d raised %r" % (i, r))
        statuses.append(r[0])
        if r[0] != 201:
            expect_eq((r[0], r[2]["error"].get("param")), (422, "amount"),
                      "order %d refused for its amount (%s)" % (i, short(r[2])))
    expect_eq(statuses.count(201), 9, "orders taken (answers %s)" % statuses)
    expect_eq(a.sql1("SELECT count(*) FROM conversions WHERE program_id = ?", (prog["id"],)), 9,
              "conversions")
    expect_eq(a.sql1("SELECT sum(revenue) FROM daily_stats WHERE partner_id = ?", (ptn["id"],)),
              9 * 10 ** 15, "the partner's revenue in March")


@two_nodes
@and_in_lanes
def test_a_new_customer_s_binding_holds_when_its_orders_reach_both_nodes_at_once(a, b):
    # Each customer's first order binds it to the partner whose ref it carries; a later order
    # with another partner's ref is the bound partner's (a binding beats a ref code). Two orders
    # of a new customer, with two partners' refs, at once on the two nodes: whichever is first,
    # both are that partner's, and there is one binding.
    prog = create_program(a)
    one, two = create_partner(a, prog["id"]), create_partner(b, prog["id"])
    customers = ["cus-%d-%s" % (i, uid()) for i in range(40)]
    calls = []
    for i, cus in enumerate(customers):
        calls.append(lambda cus=cus, i=i: convert(a, prog["id"], "b1-%d-%s" % (i, cus), 3000,
                                                  ref=one["ref_code"], customer_id=cus))
        calls.append(lambda cus=cus, i=i: convert(b, prog["id"], "b2-%d-%s" % (i, cus), 3000,
                                                  ref=two["ref_code"], customer_id=cus))
    results = pairs_at_once(calls)
    for i, cus in enumerate(customers):
        pair = results[2 * i:2 * i + 2]
        for r in pair:
            expect(not isinstance(r, Exception), "order of %s raised %r" % (cus, r))
            expect_eq(r[0], 201, "order of %s (%s)" % (cus, short(r[2])))
        bound = a.sql("SELECT partner_id FROM customers WHERE program_id = ? AND customer_id = ?",
                      (prog["id"], cus))
        expect_eq(len(bound), 1, "bindings of %s" % cus)
        expect_eq(sorted(r[2]["partner_id"] for r in pair), [bound[0][0]] * 2,
                  "both orders of %s are its bound partner's" % cus)
        firsts = sorted(c["amount"] for r in pair for c in r[2]["commissions"])
        expect_eq(firsts, [300, 300], "commissions of %s's two orders" % cus)


@two_nodes
def test_concurrent_edits_of_one_partner_on_both_nodes_all_survive(a, b):
    prog = create_program(a)
    ptn = create_partner(a, prog["id"])
    lost = []
    for i in range(30):
        name, group = "Name %d %s" % (i, uid(4)), "group-%d-%s" % (i, uid(4))
        got = parallel(lambda: a.api("PATCH", "/api/v1/partners/" + ptn["id"], {"name": name}),
                       lambda: b.api("PATCH", "/api/v1/partners/" + ptn["id"], {"group": group}))
        expect_eq([r[0] if not isinstance(r, Exception) else repr(r) for r in got], [200, 200],
                  "both PATCHes answered")
        now = a.api("GET", "/api/v1/partners/" + ptn["id"])[2]
        if now["name"] != name or now["group"] != group:
            lost.append(i)
    expect_eq(lost, [], "rounds in which one of two edits on two nodes was lost")


@two_nodes
def test_crossing_parents_on_both_nodes_cannot_close_a_loop(a, b):
    prog = create_program(a, parent_bps=1000, parent_levels=2)
    for _ in range(10):
        x, y = create_partner(a, prog["id"]), create_partner(a, prog["id"])
        got = parallel(lambda: a.api("PATCH", "/api/v1/partners/" + x["id"], {"parent_id": y["id"]}),
                       lambda: b.api("PATCH", "/api/v1/partners/" + y["id"], {"parent_id": x["id"]}))
        expect_eq(sorted(r[0] if not isinstance(r, Exception) else repr(r) for r in got),
                  [200, 422], "one of two crossing parents, sent to two nodes, is refused")


if __name__ == "__main__":
    harness.main(globals())
