"""The lists row of `make bench` (bench/bench.py): the first page (limit=100, newest first) of
GET /api/v1/conversions?program_id and of GET /api/v1/commissions?program_id&status=pending at a
fixed rate, for a program with 100 rows and one with BENCH_LIST_ROWS (100,000). A page is read from
an index, so both cost the same: compared by the server's CPU time per request, latency as context.
Alone: `python3 bench/bench.py lists`."""

import os
import shutil
import sqlite3
import statistics
import tempfile
import time

import bench as b

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id(prefix, ms, n):
    """An id as partnerd makes them (time in milliseconds, then 80 bits), n for the low bits."""
    v = (ms << 80) | n
    return prefix + "".join(CROCKFORD[(v >> (5 * (25 - i))) & 31] for i in range(26))


def list_rows(path, program_id, partner_id, n, now_ms):
    """n conversions of the program, each with its commission, pending for 30 days, one per
    millisecond up to now (written straight to the database: the list's read path is what is
    measured)."""
    with sqlite3.connect(path) as c:
        for start in range(0, n, 10000):
            conv, com = [], []
            for i in range(start, min(n, start + 10000)):
                at = now_ms - (n - i)
                cid = new_id("cnv_", at, i)
                conv.append((cid, program_id, "%s-%d" % (program_id, i), 4999, partner_id, at))
                com.append((new_id("com_", at, i), program_id, partner_id, cid, at))
            c.executemany("INSERT INTO conversions (id, program_id, order_id, amount, currency,"
                          " partner_id, attribution_method, refunded_amount, request_hash,"
                          " occurred_at, created_at)"
                          " VALUES (?, ?, ?, ?, 'USD', ?, 'ref', 0, '', ?, ?)",
                          [r + (r[-1],) for r in conv])
            c.executemany("INSERT INTO commissions (id, program_id, partner_id, conversion_id,"
                          " level,"
                          " rule_id, rule_version, base, amount, reversed, currency, status,"
                          " explanation, hold_until, created_at, updated_at) VALUES (?, ?, ?, ?, 0,"
                          " 'r1', 1, 4999, 499, 0, 'USD', 'pending', 'bench', ?, ?, ?)",
                          [r[:4] + (now_ms + 30 * 86400000, r[4], r[4]) for r in com])


def run(results):
    """First pages of a 100-row and a LIST_ROWS-row list at 200 requests/s, alternated ROUNDS
    times: latency, and the server's CPU time per request (which the machine's other load
    disturbs far less than latency)."""
    work = tempfile.mkdtemp(prefix="partnerd-lists-")
    try:
        path = os.path.join(work, "lists.db")
        pd = b.Partnerd(path, sync="normal").start()
        try:
            progs = {}
            for name in ("100", "big"):
                prog = pd.setup_program()
                progs[name] = (prog, pd.setup_partner(prog, "lists" + name))
        finally:
            pd.close()
        now = int(time.time() * 1000)
        b.log("lists: writing 100 and %s conversions with their commissions" % b.fmt_n(b.LIST_ROWS))
        list_rows(path, progs["100"][0], progs["100"][1], 100, now)
        list_rows(path, progs["big"][0], progs["big"][1], b.LIST_ROWS, now)
        pd = b.Partnerd(path, sync="normal", keys=pd.keys).start()
        auth = ["Authorization: Bearer " + pd.keys["secret_key"]]
        out = {}
        try:
            for what, prefix, q in (
                    ("conversions", "cnv_", "/api/v1/conversions?program_id=%s&limit=100"),
                    ("commissions", "com_",
                     "/api/v1/commissions?program_id=%s&status=pending&limit=100")):
                runs = {"100": [], "big": []}
                for name in ("100", "big") * b.ROUNDS:
                    url = q % progs[name][0]
                    status, body = pd.api("GET", url)
                    n = 100 if name == "100" else b.LIST_ROWS
                    newest = new_id(prefix, now - 1, n - 1)
                    if status != 200 or len(body["data"]) != 100 or body["data"][0]["id"] != newest:
                        raise SystemExit("bench: %s answered %s" % (url, str(body)[:300]))
                    ticks = pd.cpu_ticks()
                    res = b.ratebench(pd.url(url), 200, conns=4, headers=auth)
                    # clock ticks are 10 ms; the warm-up second's requests are not counted
                    res["cpu_us"] = (pd.cpu_ticks() - ticks) * 10000 / (res["requests"] + 200)
                    runs[name].append(res)
                    b.log("  %s, first page of %s rows: p50 %.2f ms  p99 %.2f ms  CPU %.0f us" % (
                        what, "100" if name == "100" else b.fmt_n(b.LIST_ROWS),
                        res["p50_us"] / 1000, res["p99_us"] / 1000, res["cpu_us"]))
                out[what] = {name: {k: statistics.median(r[k] for r in rs)
                                    for k in ("p50_us", "p99_us", "cpu_us")}
                             for name, rs in runs.items()}
        finally:
            pd.close()
        results["lists"] = out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def table_rows(results, row):
    for what, path in (("conversions", "/conversions?program_id"),
                       ("commissions", "/commissions?program_id&status=pending")):
        r = results["lists"][what]
        small, big = r["100"]["cpu_us"], r["big"]["cpu_us"]
        ratio = big / small if small else float("inf")
        row("first page (limit=100) of GET %s at 200/s, server CPU per request, µs, median of %d: "
            "100 rows (base) vs %s" % (path, b.ROUNDS, b.fmt_n(b.LIST_ROWS)),
            "%.0f" % small, "%.0f" % big, "%.2f×" % ratio, "flat (≤ 1.5×)", ratio <= 1.5)
        small, big = r["100"]["p50_us"] / 1000, r["big"]["p50_us"] / 1000
        row("(context) the same, p50 / p99 latency, ms",
            "%.2f / %.2f" % (small, r["100"]["p99_us"] / 1000),
            "%.2f / %.2f" % (big, r["big"]["p99_us"] / 1000),
            "%.2f×" % (big / small if small else float("inf")), "(none)", True)
