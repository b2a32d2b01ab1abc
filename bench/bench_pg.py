"""The PostgreSQL rows of `make bench` (bench/bench.py): partnerd on one PostgreSQL cluster that this
module starts and stops (scripts/pg-test.sh with PARTNERD_PG_DURABLE=1: fsync, full_page_writes and
synchronous_commit on, read back from the server and recorded with the figures), one node and two
nodes on one database, against nginx `return 302` in the same run:

  clicks       wrk -t1 -c256 on GET /c/{code} with a browser user agent (two nodes: one wrk per
               node, 128 connections each, their sum), BENCH_ROUNDS alternated rounds, the median,
               as a ratio to nginx at 256 connections; then every answered click must be stored
               and the rollups must add up.
  conversions  wrk -t1 -c32 with unique order ids (bench/conversions.lua; two nodes: 16 each), the
               median of BENCH_ROUNDS, every sale to one partner; and on one node the p99 at a
               fixed 1,000/s (ratebench). Context: one node with the sales spread over SPREAD
               partners in turn (one partner's sales wait for each other: its lock and its
               balance and rollup rows are held until the commit).

Alone: `python3 bench/bench.py pg` (printed, not appended to RESULTS.md)."""

import os
import statistics
import subprocess
import tempfile
import threading

import bench as b

CLICK_CONNS = 256
CONV_CONNS = 32
CONV_RATE = 1000
SPREAD = 16
SPREAD_REFS = ",".join(["alice"] + ["spread%d" % i for i in range(1, SPREAD)])


class Cluster:
    """A throwaway durable cluster: scripts/pg-test.sh start / stop."""

    def __init__(self, work):
        self.state = os.path.join(work, "pg.state")
        env = dict(os.environ, PARTNERD_PG_DURABLE="1")
        self.url = b.run([os.path.join(b.ROOT, "scripts", "pg-test.sh"), "start", self.state],
                         env=env).stdout.strip().splitlines()[-1]
        self.settings = {k: self.psql("postgres", "SHOW %s" % k)
                         for k in ("fsync", "synchronous_commit", "full_page_writes",
                                   "server_version")}

    def db_url(self, name):
        return self.url.rsplit("/", 1)[0] + "/" + name

    def psql(self, db, sql):
        return b.run(["psql", "-X", "-At", "-d", self.db_url(db), "-c", sql]).stdout.strip()

    def close(self):
        b.run([os.path.join(b.ROOT, "scripts", "pg-test.sh"), "stop", self.state], check=False)


def PgPartnerd(work, name, url, keys=None):
    """One `partnerd serve` on a PostgreSQL database (b.Partnerd with its URL); keys from the first
    node's `init`. A function, so that bench.py and this module can import each other."""
    class Node(b.Partnerd):
        url_db = url
    if keys is None:
        keys = b.json.loads(b.run([b.PARTNERD, "init", "--db", url, "--json"]).stdout)
    return Node(os.path.join(work, name), keys=keys)


def together(calls):
    """Runs each call in its own thread at once; their results in order."""
    out = [None] * len(calls)

    def one(i):
        out[i] = calls[i]()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def summed(runs):
    """Several wrk runs side by side as one: requests added, the worst p99."""
    return {"rps": sum(r["rps"] for r in runs), "p99_ms": max(r["p99_ms"] for r in runs),
            "requests": sum(r["requests"] for r in runs), "bad": sum(r["bad"] for r in runs),
            "socket_errors": sum(r["socket_errors"] for r in runs)}


def clicks(nodes, conns, duration=None):
    per = conns // len(nodes)
    headers = ["User-Agent: " + b.UA]
    return summed(together([lambda n=n: b.wrk(n.url("/c/alice"), duration=duration or b.DURATION,
                                               conns=per, headers=headers) for n in nodes]))


def conversions(nodes, program_id, conns, tag, refs="alice"):
    per = conns // len(nodes)
    script = os.path.join(b.HERE, "conversions.lua")

    def one(i, n):
        env = dict(os.environ, PARTNERD_BENCH_KEY=n.keys["secret_key"],
                   PARTNERD_BENCH_PROGRAM=program_id, PARTNERD_BENCH_REF=refs,
                   PARTNERD_BENCH_TAG="%s-%d" % (tag, i))
        return b.wrk(n.url("/api/v1/conversions"), conns=per, script=script, env=env)
    return summed(together([lambda i=i, n=n: one(i, n) for i, n in enumerate(nodes)]))


def setups(work, cluster):
    """Two databases: "pg-1" served by one node, "pg-2" by two. {name: (nodes, program_id)}."""
    out = {}
    for name, count in (("pg-1", 1), ("pg-2", 2)):
        db = name.replace("-", "_")
        cluster.psql("postgres", "CREATE DATABASE %s" % db)
        first = PgPartnerd(work, name + "a", cluster.db_url(db))
        nodes = [first] + [PgPartnerd(work, name + "b", cluster.db_url(db), first.keys)
                           for _ in range(count - 1)]
        for n in nodes:
            n.start()
        prog = first.setup_program()
        for ref in SPREAD_REFS.split(",") if count == 1 else ["alice"]:
            first.setup_partner(prog, ref)
        out[name] = (nodes, prog)
    return out


def stored_clicks(cluster, name):
    """The stored clicks and the clicks their rollups count, in one snapshot (the servers may still
    be committing the last clicks a run sent)."""
    db = name.replace("-", "_")
    row = cluster.psql(db, "SELECT (SELECT COUNT(*) FROM clicks),"
                           " (SELECT COALESCE(SUM(clicks), 0) FROM daily_stats)")
    rows, rolled = row.split("|")
    return int(rows), int(rolled)


def measure(cluster, setup, nginx, results):
    names = ["nginx", "pg-1", "pg-2"]
    click_runs = {n: [] for n in names}
    answered = {n: 0 for n in names[1:]}
    for n in names:  # warm up: connections, caches, prepared statements
        clicks([nginx] if n == "nginx" else setup[n][0], CLICK_CONNS, duration=2)
    before = {n: stored_clicks(cluster, n)[0] for n in names[1:]}
    for r in range(b.ROUNDS):
        for n in names[r % 3:] + names[:r % 3]:
            res = clicks([nginx] if n == "nginx" else setup[n][0], CLICK_CONNS)
            click_runs[n].append(res)
            if n in answered:
                answered[n] += res["requests"] - res["bad"]
            b.log("  pg clicks round %d %-6s %8.0f req/s  p99 %.2f ms  (non-3xx %d, socket errors %d)"
                  % (r + 1, n, res["rps"], res["p99_ms"], res["bad"], res["socket_errors"]))
    counted = {}
    for n in names[1:]:
        rows, rolled = stored_clicks(cluster, n)
        counted[n] = {"answered": answered[n], "stored": rows - before[n],
                      "ok": rows - before[n] >= answered[n] and rolled == rows}
        b.log("  %s: %d clicks answered, %d stored, rollups %s" % (
            n, answered[n], rows - before[n], "add up" if rolled == rows else "DO NOT add up"))
    conv_names = names[1:] + ["pg-1-spread"]
    conv_runs = {n: [] for n in conv_names}
    for r in range(b.ROUNDS):
        for n in conv_names[r % 3:] + conv_names[:r % 3]:
            nodes, prog = setup[n.replace("-spread", "")]
            refs = SPREAD_REFS if n.endswith("-spread") else "alice"
            res = conversions(nodes, prog, CONV_CONNS, "%s-r%d" % (n, r), refs)
            conv_runs[n].append(res)
            b.log("  pg conversions round %d %-6s %8.0f/s  p99 %.2f ms  (non-2xx %d)" % (
                r + 1, n, res["rps"], res["p99_ms"], res["bad"]))
    nodes, prog = setup["pg-1"]
    body = ('{"program_id":"%s","order_id":"pgrb-{run}-{n}","amount":4999,"currency":"USD",'
            '"ref":"alice"}' % prog)
    fixed = b.ratebench(nodes[0].url("/api/v1/conversions"), CONV_RATE, method="POST", body=body,
                        headers=["Authorization: Bearer " + nodes[0].keys["secret_key"],
                                 "Content-Type: application/json"])
    b.log("  pg conversions at %d/s: p50 %.2f ms  p99 %.2f ms  achieved %.0f/s  errors %d" % (
        CONV_RATE, fixed["p50_us"] / 1000, fixed["p99_us"] / 1000, fixed["achieved_rate"],
        fixed["errors"] + fixed["bad_status"]))
    med = lambda runs, k: statistics.median(x[k] for x in runs)  # noqa: E731
    results["pg"] = {
        "settings": cluster.settings,
        "clicks": {n: {"rps": med(click_runs[n], "rps"), "p99_ms": med(click_runs[n], "p99_ms")}
                   for n in names},
        "conversions": {n: {"rps": med(conv_runs[n], "rps"), "p99_ms": med(conv_runs[n], "p99_ms"),
                            "bad": sum(x["bad"] for x in conv_runs[n])} for n in conv_names},
        "fixed": fixed, "counted": counted,
        "ok": all(c["ok"] for c in counted.values()) and fixed["errors"] + fixed["bad_status"] == 0,
    }


def run(results, nginx=None):
    b.log("PostgreSQL: clicks wrk -t1 -c%d, conversions wrk -c%d, one node and two nodes on one "
          "database, %d alternated rounds of %d s" % (CLICK_CONNS, CONV_CONNS, b.ROUNDS, b.DURATION))
    work = tempfile.mkdtemp(prefix="partnerd-bench-pg-")
    cluster = None
    own_nginx = nginx is None
    setup = {}
    try:
        cluster = Cluster(work)
        b.log("  cluster: %s" % ", ".join("%s=%s" % kv for kv in cluster.settings.items()))
        if own_nginx:
            nginx = b.Nginx(work)
        setup = setups(work, cluster)
        measure(cluster, setup, nginx, results)
    finally:
        for nodes, _ in setup.values():
            for n in nodes:
                n.close()
        if own_nginx and nginx:
            nginx.close()
        if cluster:
            cluster.close()
        subprocess.run(["rm", "-rf", "--", work], check=False)


def table_rows(results, row):
    pg = results["pg"]
    s = pg["settings"]
    c, cv = pg["clicks"], pg["conversions"]
    ngx = c["nginx"]["rps"]
    for n, what in (("pg-1", "one node"), ("pg-2", "two nodes, one database")):
        ratio = c[n]["rps"] / ngx if ngx else 0
        goal_met = ratio >= 0.25 and c[n]["p99_ms"] <= 20
        if n == "pg-2":
            goal_met = c[n]["rps"] >= c["pg-1"]["rps"]
        row("PostgreSQL clicks/s, %s, wrk -t1 -c%d -d%ds, median of %d (p99 ms)" % (
            what, CLICK_CONNS, b.DURATION, b.ROUNDS), "%.0f" % ngx,
            "%.0f (p99 %.1f)" % (c[n]["rps"], c[n]["p99_ms"]), "%.2f×" % ratio,
            "≥ 0.25×, p99 ≤ 20" if n == "pg-1" else "≥ one node", goal_met)
    for n, what in (("pg-1", "one node"), ("pg-2", "two nodes, one database")):
        met = cv[n]["rps"] >= 3000 if n == "pg-1" else cv[n]["rps"] >= cv["pg-1"]["rps"]
        row("PostgreSQL conversions/s, %s, wrk -c%d -d%ds, median of %d (p99 ms)" % (
            what, CONV_CONNS, b.DURATION, b.ROUNDS), "",
            "%.0f (p99 %.1f)" % (cv[n]["rps"], cv[n]["p99_ms"]), "",
            "≥ 3,000" if n == "pg-1" else "≥ one node", met)
    row("(context) PostgreSQL conversions/s, one node, the sales spread over %d partners in turn, "
        "wrk -c%d -d%ds, median of %d (p99 ms)" % (SPREAD, CONV_CONNS, b.DURATION, b.ROUNDS), "",
        "%.0f (p99 %.1f)" % (cv["pg-1-spread"]["rps"], cv["pg-1-spread"]["p99_ms"]), "", "(none)",
        True)
    p99 = pg["fixed"]["p99_us"] / 1000
    row("PostgreSQL conversion p99 at %d/s, one node, ms" % CONV_RATE, "", "%.2f" % p99, "",
        "≤ 20", p99 <= 20)
    row("PostgreSQL: every answered click stored, rollups add up", "",
        "yes" if pg["ok"] else "NO", "", "yes", pg["ok"])
    row("(context) PostgreSQL %s: fsync=%s, synchronous_commit=%s, full_page_writes=%s" % (
        s["server_version"], s["fsync"], s["synchronous_commit"], s["full_page_writes"]),
        "", "", "", "(none)", True)
