#!/usr/bin/env python3
"""Several partnerd binaries side by side (how the per-change figures in RESULTS.md were taken):
the same click and conversion load on each, alternated, in one run, next to nginx.

    BINS='[["before", "/path/a/partnerd", true], ["after", "/path/b/partnerd", true]]' \\
        python3 bench/compare.py

Each entry: a name, a binary, and whether it understands `?synchronous=normal` (older builds do
not: they run only with the default, synchronous=full). D (seconds per run, 5), R (rounds, 3),
C (wrk connections for the clicks, 32), SYNC (which synchronous levels to run: "full,normal") and
CONV (rounds of conversions, 2; 0 for clicks alone).
"""

import json
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_hooks  # noqa: E402,F401 (first: it imports bench and uses it at once)
import bench  # noqa: E402


class Contender(bench.Partnerd):
    def __init__(self, path, sync, knows_sync):
        self.knows_sync = knows_sync
        super().__init__(path, sync=sync)

    @property
    def url_db(self):
        return super().url_db if self.knows_sync else "sqlite:" + self.db_path


def main():
    bins = json.loads(os.environ["BINS"])
    dur, rounds = int(os.environ.get("D", "5")), int(os.environ.get("R", "3"))
    conns, conv_rounds = int(os.environ.get("C", "32")), int(os.environ.get("CONV", "2"))
    levels = os.environ.get("SYNC", "full,normal").split(",")
    work = tempfile.mkdtemp(prefix="partnerd-compare-")
    nginx = bench.Nginx(work)
    headers = ["User-Agent: " + bench.UA]
    servers = {}
    try:
        for name, path, knows_sync in bins:
            for sync in levels if knows_sync else ("full",):
                bench.PARTNERD = path
                pd = Contender(os.path.join(work, "%s-%s.db" % (name, sync)), sync, knows_sync)
                pd.start()
                pd.program_id = pd.setup_program()
                pd.setup_partner(pd.program_id, "alice")
                servers["%s/%s" % (name, sync)] = pd
        urls = {"nginx": nginx.url("/c/alice")}
        urls.update({n: pd.url("/c/alice") for n, pd in servers.items()})
        names = list(urls)
        for n in names:
            bench.wrk(urls[n], duration=1, headers=headers)
        clicks = {n: [] for n in names}
        for r in range(rounds):
            for n in names[r % len(names):] + names[:r % len(names)]:
                res = bench.wrk(urls[n], duration=dur, conns=conns, headers=headers)
                clicks[n].append((res["rps"], res["p99_ms"]))
        full = [n for n in servers if n.endswith("/full")]
        conv = {n: [] for n in full}
        for r in range(conv_rounds):
            for n in full if r % 2 == 0 else full[::-1]:
                pd = servers[n]
                env = dict(os.environ, PARTNERD_BENCH_KEY=pd.keys["secret_key"],
                           PARTNERD_BENCH_PROGRAM=pd.program_id, PARTNERD_BENCH_REF="alice")
                conv[n].append(bench.wrk(pd.url("/api/v1/conversions"), duration=dur, env=env,
                                         script=os.path.join(bench.HERE, "conversions.lua"))["rps"])
        print("clicks/s, wrk -t1 -c%d -d%ds, median of %d rotated rounds (each round: clicks/s, "
              "p99 ms)" % (conns, dur, rounds))
        for n in names:
            print("  %-28s %8.0f  p99 %6.2f  %s" % (
                n, statistics.median(x[0] for x in clicks[n]),
                statistics.median(x[1] for x in clicks[n]),
                " ".join("%.0f/%.1f" % x for x in clicks[n])))
        if not conv_rounds:
            return
        print("conversions/s (synchronous=full), median of %d" % conv_rounds)
        for n in full:
            print("  %-28s %8.0f  %s" % (n, statistics.median(conv[n]), [int(x) for x in conv[n]]))
    finally:
        for pd in servers.values():
            pd.close()
        nginx.close()


if __name__ == "__main__":
    main()
