#!/usr/bin/env python3
"""partnerd's benchmark suite (`make bench`, through bench/run.sh).

Runs nginx (`return 302`, the speed of a web server that stores nothing) and partnerd side by side on
loopback and measures, in one run on one machine:

  clicks      wrk -t1 -c32 -d10s on GET /c/{code}: nginx, partnerd (synchronous=full, the default:
              each click is in the click journal and fsynced before its 302) and partnerd
              (synchronous=normal: written to the journal in the OS before the 302, which survives
              kill -9 but not a power cut).
              Alternated A/B/C, median of three rounds. Then every 302 answered must be a stored
              click, and the rollups must add up to the stored clicks.
  click p99   at half of nginx's maximum rate, with a fixed-rate client (bench/ratebench.c);
              alternated rounds, the median.
  conversions POST /api/v1/conversions (auth, attribution by ref, commission, ledger, committed):
              wrk with unique order ids (bench/conversions.lua), and p99 at 5,000/s.
  reports     GET /api/v1/reports for the busiest partner over 30 days, with 10M clicks stored.
  disk        bytes of database per stored click, with 10M clicks stored.
  flat        click latency at a fixed rate with 10k clicks stored, and with 10M.
  RSS         of partnerd with 1M links, after clicks on 100k different links.
  lists       the first page (limit=100, newest first) of GET /api/v1/conversions?program_id and
              of GET /api/v1/commissions?program_id&status=pending, at a fixed rate, for a
              program with 100 rows and one with BENCH_LIST_ROWS (100,000): a page is read from
              an index, so both cost the same (bench/bench_lists.py). Alone:
              `python3 bench/bench.py lists`.
  hooks       signed Stripe checkout.session.completed deliveries (synchronous=full): wrk
              throughput and p99 at 1,000/s (bench/bench_hooks.py). Alone: `bench.py hooks`.
  flush       what one fdatasync of a 4 KiB overwrite costs on this disk (bench/flushbench.c): the
              floor under every click with synchronous=full. Context, not a goal.
  flush load  nginx's click p99 at the same fixed rate while flushbench -r flushes 4 KiB
              FLUSH_LOAD_HZ times a second to a file of its own: what the flushes partnerd makes
              (its checkpoints) cost a server that writes nothing, on this machine. Context, not
              a goal.

Prints a table of figures and ratios and appends the run (command, machine, date, load, table) to
bench/RESULTS.md. Speed is never asserted here: the exit status says only whether the benchmarks ran
and every answered click was stored.

Both servers run with BENCH_WORKERS (1) worker processes / event loops: on a 2-core machine wrk
takes the other core, and one each measured faster for both (nginx 74-79k vs 67-77k requests/s with
`worker_processes auto`; partnerd 56k vs 44.5k clicks/s with two loops).

Environment: BENCH_CLICKS (10000000), BENCH_DURATION (10 s), BENCH_ROUNDS (3), BENCH_WORKERS (1),
BENCH_DATA (where
the generated databases are kept between runs: build/bench-data), BENCH_RESULTS (bench/RESULTS.md),
PARTNERD_BIN, RATEBENCH_BIN, BENCH_LOAD_BIN.
"""

import datetime
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import bench_hooks  # the hooks row (it imports this module for its helpers)
import bench_lists  # the lists row (it imports this module for its helpers)
import bench_pg  # the PostgreSQL rows (it imports this module for its helpers)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.path.join(ROOT, "build")
PARTNERD = os.environ.get("PARTNERD_BIN", os.path.join(BUILD, "partnerd"))
RATEBENCH = os.environ.get("RATEBENCH_BIN", os.path.join(BUILD, "bench", "ratebench"))
BENCH_LOAD = os.environ.get("BENCH_LOAD_BIN", os.path.join(BUILD, "bench", "bench_load"))
PAYOUT_BENCH = os.environ.get("PAYOUT_BENCH_BIN", os.path.join(BUILD, "bench", "payout_bench"))
FLUSHBENCH = os.environ.get("FLUSHBENCH_BIN", os.path.join(BUILD, "bench", "flushbench"))
DATA = os.environ.get("BENCH_DATA", os.path.join(BUILD, "bench-data"))
RESULTS = os.environ.get("BENCH_RESULTS", os.path.join(HERE, "RESULTS.md"))
BIG_CLICKS = int(os.environ.get("BENCH_CLICKS", "10000000"))
LIST_ROWS = int(os.environ.get("BENCH_LIST_ROWS", "100000"))
DURATION = int(os.environ.get("BENCH_DURATION", "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "1"))
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
DESTINATION = "https://shop.example/?pd_click=01JDTZ8W5K3V4Y6Q2N7M9P0R1S"


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit("bench: %s exited at start (status %s)" % (what, proc.returncode))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("bench: %s did not listen on %d" % (what, port))


def stop(proc):
    """SIGTERM to the one process we started, then wait (SIGKILL after 10 s)."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ----------------------------------------------------------------------------------------------
# the contenders

class Nginx:
    def __init__(self, work):
        self.dir = os.path.join(work, "nginx")
        os.makedirs(os.path.join(self.dir, "tmp"), exist_ok=True)
        self.port = free_port()
        self.conf = os.path.join(self.dir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write("""worker_processes %(w)d;
daemon off;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000000;
    client_body_temp_path %(d)s/tmp;
    proxy_temp_path %(d)s/tmp;
    fastcgi_temp_path %(d)s/tmp;
    uwsgi_temp_path %(d)s/tmp;
    scgi_temp_path %(d)s/tmp;
    server {
        listen 127.0.0.1:%(p)d;
        location / { return 302 %(dest)s; }
    }
}
""" % {"d": self.dir, "p": self.port, "dest": DESTINATION, "w": WORKERS})
        self.proc = subprocess.Popen(["nginx", "-p", self.dir, "-c", self.conf, "-e",
                                      os.path.join(self.dir, "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, self.proc, "nginx")

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def close(self):
        stop(self.proc)


def run(cmd, env=None, check=True):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if check and p.returncode != 0:
        raise SystemExit("bench: %s failed (%d)\n%s%s" % (" ".join(cmd), p.returncode, p.stdout,
                                                         p.stderr))
    return p


class Partnerd:
    """One `partnerd serve` on its own database (created with `init` when missing)."""

    def __init__(self, db_path, sync="full", keys=None):
        self.db_path = db_path
        self.sync = sync
        self.keys = keys
        if keys is None:
            out = run([PARTNERD, "init", "--db", "sqlite:" + db_path, "--json"]).stdout
            self.keys = json.loads(out)
        self.proc = None
        self.port = None
        self.log = None

    @property
    def url_db(self):
        return "sqlite:%s?synchronous=%s" % (self.db_path, self.sync)

    def start(self):
        self.port = free_port()
        self.log = open(self.db_path + ".log", "a")
        # The per-address click limit off: all the load comes from 127.0.0.1, and over the limit a
        # click skips the uniqueness work, which would measure less than a click from a visitor.
        self.proc = subprocess.Popen([PARTNERD, "serve", "--db", self.url_db, "--listen",
                                      "127.0.0.1:%d" % self.port, "--workers", str(WORKERS),
                                      "--click_rate_limit", "0"],
                                     stdout=self.log, stderr=self.log)
        wait_port(self.port, self.proc, "partnerd")
        return self

    def close(self):
        stop(self.proc)
        self.proc = None
        if self.log:
            self.log.close()
            self.log = None

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def api(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url(path), data=data, method=method, headers={
            "Authorization": "Bearer " + self.keys["secret_key"],
            "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def setup_program(self):
        status, prog = self.api("POST", "/api/v1/programs", {
            "name": "Bench", "currency": "USD", "allowed_hosts": ["shop.example"],
            "default_url": "https://shop.example/", "rules": [{"type": "percent", "bps": 1000}]})
        if status != 201:
            raise SystemExit("bench: cannot create the program: %s" % prog)
        return prog["id"]

    def setup_partner(self, program_id, code):
        status, ptn = self.api("POST", "/api/v1/partners", {
            "program_id": program_id, "email": code + "@partners.example", "name": code,
            "ref_code": code, "status": "active"})
        if status != 201:
            raise SystemExit("bench: cannot create the partner: %s" % ptn)
        return ptn["id"]

    def rss_kib(self):
        fields = {}
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                fields[k] = v.strip()
        return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])

    def checkpoint(self):
        with sqlite3.connect(self.db_path) as c:
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def cpu_ticks(self):
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    def wait_idle(self, limit_s=30):
        """Until the server has (almost) stopped using CPU: a fixed-rate run above its capacity
        leaves it a backlog to work off, which would otherwise run into the next measurement."""
        deadline = time.monotonic() + limit_s
        before = self.cpu_ticks()
        while time.monotonic() < deadline:
            time.sleep(0.25)
            now = self.cpu_ticks()
            if now - before <= 2:  # clock ticks (10 ms): under 8% of a CPU
                return
            before = now


def quiesce(servers):
    """Until the servers are idle and the kernel has written back what they wrote: a run leaves
    work behind (a backlog to apply, checkpoints, dirty pages for the kernel's flusher threads),
    which would otherwise be done during the next run, on whichever server that measures."""
    for pd in servers:
        pd.wait_idle()
    os.sync()


# About what partnerd with synchronous=normal flushes at 20,000 clicks/s: its checkpointer's passes
# flush the log and the database (170-186 fdatasync calls in 6 s, `perf stat`, 2026-11-29).
FLUSH_LOAD_HZ = 30


class FlushLoad:
    """flushbench flushing 4 KiB FLUSH_LOAD_HZ times a second in a process of its own, while the
    `with` block runs."""

    def __init__(self, work):
        self.dir = os.path.join(work, "flush-load")
        os.makedirs(self.dir, exist_ok=True)

    def __enter__(self):
        self.proc = subprocess.Popen([FLUSHBENCH, "-r", str(FLUSH_LOAD_HZ), "-n", "1000000",
                                      self.dir], stdout=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc):
        stop(self.proc)


def sql1(db_path, q):
    c = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
    try:
        return c.execute(q).fetchone()[0]
    finally:
        c.close()


# ----------------------------------------------------------------------------------------------
# load generators

def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v if unit == "ms" else v * 1000 if unit == "s" else v * 60000


def wrk(url, duration=DURATION, conns=32, script=None, headers=(), env=None):
    cmd = ["wrk", "-t1", "-c%d" % conns, "-d%ds" % duration, "--latency"]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", script]
    cmd.append(url)
    out = run(cmd, env=env).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"rps": rps, "p99_ms": p99, "requests": total, "bad": int(bad.group(1)) if bad else 0,
            "socket_errors": sum(int(x) for x in errs.groups()) if errs else 0, "cmd": " ".join(cmd)}


def ratebench(url, rate, duration=DURATION, conns=32, headers=(), method=None, body=None,
              first=None, list_file=None):
    cmd = [RATEBENCH, "-r", str(int(rate)), "-d", str(duration), "-c", str(conns), "-w", "1"]
    for h in headers:
        cmd += ["-H", h]
    if method:
        cmd += ["-m", method]
    if body:
        cmd += ["-b", body]
    if first is not None:
        cmd += ["-s", str(first)]
    cmd += ["-f", list_file] if list_file else []
    cmd.append(url)
    p = run(cmd, check=False)
    if p.returncode not in (0, 1) or "p99_us=" not in p.stdout:
        raise SystemExit("bench: ratebench failed: %s\n%s" % (p.stdout, p.stderr))
    figures = dict(kv.split("=") for kv in p.stdout.split())
    out = {k: float(v) for k, v in figures.items()}
    out["cmd"] = " ".join(cmd)
    return out


# ----------------------------------------------------------------------------------------------
# data sets (kept between runs in BENCH_DATA, keyed by what shapes them)

def dataset_key():
    h = hashlib.sha256()
    files = [os.path.join(HERE, "bench_load.c"), os.path.join(ROOT, "src", "app", "clicks.c")]
    mig = os.path.join(ROOT, "src", "store", "migrations")
    files += sorted(os.path.join(mig, f) for f in os.listdir(mig))
    for f in files:
        with open(f, "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()[:12]


def dataset(name, partners, links, clicks):
    """A database with a program, `partners` partners, `links` links and `clicks` clicks spread over
    30 days. Returns (path, info)."""
    d = os.path.join(DATA, dataset_key())
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, name + ".db")
    meta = path + ".json"
    if os.path.exists(meta) and os.path.exists(path):
        with open(meta) as f:
            return path, json.load(f)
    remove_db(path)
    log("generating %s: %d partners, %d links, %d clicks (kept in %s)" % (name, partners, links,
                                                                          clicks, d))
    pd = Partnerd(path)
    pd.start()
    program_id = pd.setup_program()
    pd.close()
    t0 = time.time()
    out = run([BENCH_LOAD, "--db", "sqlite:%s?synchronous=normal" % path, "--program", program_id,
               "--partners", str(partners), "--links", str(links), "--clicks", str(clicks)]).stdout
    info = json.loads(out)
    info.update({"program_id": program_id, "keys": pd.keys, "load_seconds": time.time() - t0})
    with sqlite3.connect(path) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with open(meta, "w") as f:
        json.dump(info, f)
    log("%s: loaded in %.0f s (%.0f clicks/s)" % (name, info["load_seconds"],
                                                  info.get("clicks_per_second", 0)))
    return path, info


# ----------------------------------------------------------------------------------------------
# the benchmarks

def bench_clicks(work, nginx, results):
    log("clicks: wrk -t1 -c32 -d%ds, %d alternated rounds" % (DURATION, ROUNDS))
    contenders = {}
    for sync in ("full", "normal"):
        pd = Partnerd(os.path.join(work, "clicks-%s.db" % sync), sync=sync).start()
        prog = pd.setup_program()
        pd.setup_partner(prog, "alice")
        pd.program_id = prog
        contenders["partnerd-" + sync] = pd
    names = ["nginx", "partnerd-full", "partnerd-normal"]
    urls = {"nginx": nginx.url("/c/alice")}
    for n, pd in contenders.items():
        urls[n] = pd.url("/c/alice")
    runs = {n: [] for n in names}
    headers = ["User-Agent: " + UA]
    for n in names:  # warm up: connections, caches, the WAL
        wrk(urls[n], duration=2, headers=headers)
    answered = {n: 0 for n in contenders}
    before = {n: sql1(pd.db_path, "SELECT COUNT(*) FROM clicks") for n, pd in contenders.items()}
    for r in range(ROUNDS):
        order = names[r % 3:] + names[:r % 3]
        for n in order:
            res = wrk(urls[n], headers=headers)
            runs[n].append(res)
            if n in answered:
                answered[n] += res["requests"] - res["bad"]
            log("  round %d %-16s %8.0f req/s  p99 %.2f ms  (non-3xx %d, socket errors %d)" % (
                r + 1, n, res["rps"], res["p99_ms"], res["bad"], res["socket_errors"]))
    med = {n: statistics.median(x["rps"] for x in runs[n]) for n in names}
    p99 = {n: statistics.median(x["p99_ms"] for x in runs[n]) for n in names}
    results["clicks"] = {"rps": med, "p99_ms": p99, "runs": runs}

    # Every answered click is stored, and the rollups add up.
    time.sleep(0.5)
    counted = {}
    for n, pd in contenders.items():
        rows = sql1(pd.db_path, "SELECT COUNT(*) FROM clicks") - before[n]
        rolled = sql1(pd.db_path, "SELECT COALESCE(SUM(clicks), 0) FROM daily_stats")
        total = sql1(pd.db_path, "SELECT COUNT(*) FROM clicks")
        counted[n] = {"answered": answered[n], "stored": rows, "rollup_ok": rolled == total,
                      "ok": rows >= answered[n] and rolled == total}
        log("  %s: %d clicks answered, %d stored, rollups %s" % (
            n, answered[n], rows, "add up" if rolled == total else "DO NOT add up"))
    results["counted"] = counted

    # p99 at half of nginx's maximum rate, open loop: alternated rounds as above, and of each
    # server the round with the median p99 (one 10 s run swings by half on this kind of VM).
    rate = med["nginx"] / 2
    log("click p99 at %.0f/s (half of nginx's maximum), fixed rate, %d alternated rounds" % (
        rate, ROUNDS))
    # synchronous=full cannot keep this rate (each click waits for a disk flush) and leaves the
    # disk and the VM busy after its runs: the round of partnerd-normal right after it measured
    # 2.67-3.79 ms against 1.57 in the round that did not follow it. So nginx and partnerd-normal
    # alternate first, and full's rounds come after theirs.
    # "nginx+flushes": nginx while flushbench flushes a file of its own (FlushLoad), a context row.
    names = names + ["nginx+flushes"]
    urls["nginx+flushes"] = urls["nginx"]
    rounds = {n: [] for n in names}
    alternated = ["nginx", "partnerd-normal", "nginx+flushes"]
    order = [alternated[r % 3:] + alternated[:r % 3] for r in range(ROUNDS)]
    order += [["partnerd-full"] for _ in range(ROUNDS)]
    for ns in order:
        for n in ns:
            quiesce(contenders.values())
            if n == "nginx+flushes":
                with FlushLoad(work):
                    res = ratebench(urls[n], rate, headers=headers)
            else:
                res = ratebench(urls[n], rate, headers=headers)
            rounds[n].append(res)
            log("  round %d %-16s p50 %.2f ms  p99 %.2f ms  achieved %.0f/s  errors %d" % (
                len(rounds[n]), n, res["p50_us"] / 1000, res["p99_us"] / 1000, res["achieved_rate"],
                res["errors"] + res["bad_status"]))
    fixed = {n: sorted(rounds[n], key=lambda x: x["p99_us"])[len(rounds[n]) // 2] for n in names}
    results["fixed"] = {"rate": rate, "by": fixed,
                        "p99_ms_rounds": {n: [x["p99_us"] / 1000 for x in rounds[n]] for n in names}}
    return contenders


def bench_flush(work, results):
    """What one fdatasync costs on the disk the databases are on: the floor under every click
    with synchronous=full. Context for the table, not a goal."""
    p = run([FLUSHBENCH, "-n", "2000", work])
    results["flush"] = {k: float(v) for k, v in (kv.split("=") for kv in p.stdout.split())}
    log("disk flush (fdatasync of a 4 KiB overwrite): p50 %.2f ms  p99 %.2f ms" % (
        results["flush"]["p50_us"] / 1000, results["flush"]["p99_us"] / 1000))


def bench_conversions(pd, sync, results):
    log("conversions (synchronous=%s): wrk -t1 -c32 -d%ds (unique order ids), then p99 at 5,000/s"
        % (sync, DURATION))
    env = dict(os.environ, PARTNERD_BENCH_KEY=pd.keys["secret_key"],
               PARTNERD_BENCH_PROGRAM=pd.program_id, PARTNERD_BENCH_REF="alice")
    runs = []
    for r in range(ROUNDS):
        res = wrk(pd.url("/api/v1/conversions"), script=os.path.join(HERE, "conversions.lua"),
                  env=env)
        runs.append(res)
        log("  round %d %8.0f conversions/s  p99 %.2f ms  (non-2xx %d)" % (
            r + 1, res["rps"], res["p99_ms"], res["bad"]))
    body = ('{"program_id":"%s","order_id":"rb-{run}-{n}","amount":4999,"currency":"USD",'
            '"ref":"alice"}' % pd.program_id)
    quiesce([pd])  # the p99 at 5,000/s, not the tail of the saturated runs before it
    fixed = ratebench(pd.url("/api/v1/conversions"), 5000, method="POST", body=body,
                      headers=["Authorization: Bearer " + pd.keys["secret_key"],
                               "Content-Type: application/json"])
    log("  at 5,000/s: p50 %.2f ms  p99 %.2f ms  achieved %.0f/s  errors %d" % (
        fixed["p50_us"] / 1000, fixed["p99_us"] / 1000, fixed["achieved_rate"],
        fixed["errors"] + fixed["bad_status"]))
    results.setdefault("conversions", {})[sync] = {
        "rps": statistics.median(x["rps"] for x in runs), "runs": runs, "fixed": fixed}


def copy_synced(src, dst):
    """A working copy, flushed to disk: a copy's gigabyte of dirty pages written back during a
    measurement would stall every fsync of it."""
    shutil.copyfile(src, dst)
    fd = os.open(dst, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def db_bytes(path):
    return sum(os.path.getsize(path + s) for s in ("", "-wal") if os.path.exists(path + s))


def remove_db(path):
    """A database and the files beside it: its log, its click journal (PATH-clicks.*), partnerd's
    log."""
    for f in [path + s for s in ("", "-wal", "-shm", ".log")] + glob.glob(path + "-clicks.*"):
        if os.path.exists(f):
            os.remove(f)


def bench_big(results):
    big, info = dataset("clicks-%d" % BIG_CLICKS, 1000, 5000, BIG_CLICKS)
    small, sinfo = dataset("clicks-10000", 1000, 5000, 10000)
    stored = sql1(big, "SELECT COUNT(*) FROM clicks")
    results["disk"] = {"clicks": stored, "bytes": db_bytes(big),
                       "per_click": db_bytes(big) / max(stored, 1),
                       "load_seconds": info["load_seconds"]}
    log("disk: %d clicks in %.0f MiB: %.0f bytes per click" % (
        stored, db_bytes(big) / 2**20, results["disk"]["per_click"]))
    # Work on copies, so the kept data sets stay as generated. Click latency is compared with
    # synchronous=normal, twice each way, alternated: with every click flushed, the disk's flush
    # time (which does not depend on what is stored, and varies 2x from one 10 s run to the next
    # here) hides what the number of stored clicks does to the click path.
    flat = {"10k": [], "10M": []}
    runs = [("10k", small, sinfo), ("10M", big, info), ("10k", small, sinfo), ("10M", big, info)]
    for i, (name, path, meta) in enumerate(runs):
        copy = path + ".run.db"
        copy_synced(path, copy)
        pd = Partnerd(copy, sync="normal", keys=meta["keys"]).start()
        try:
            if name == "10M" and i == 1:
                q = "/api/v1/reports?program_id=%s&partner_id=%s" % (meta["program_id"],
                                                                    meta["partner_id"])
                status, body = pd.api("GET", q)
                ok = status == 200 and body.get("totals", {}).get("clicks", 0) > 0
                rep = ratebench(pd.url(q), 200, conns=4,
                                headers=["Authorization: Bearer " + meta["keys"]["secret_key"]])
                results["reports"] = {"p99_ms": rep["p99_us"] / 1000, "p50_ms": rep["p50_us"] / 1000,
                                      "ok": ok, "clicks_in_report": body["totals"]["clicks"]}
                log("reports (10M clicks, one partner, 30 days): p50 %.2f ms  p99 %.2f ms  (%d "
                    "clicks in the report)" % (rep["p50_us"] / 1000, rep["p99_us"] / 1000,
                                               body["totals"]["clicks"]))
            res = ratebench(pd.url("/c/bp0"), 2000, headers=["User-Agent: " + UA])
            flat[name].append(res)
            log("flat: clicks at 2,000/s with %s stored: p50 %.2f ms  p99 %.2f ms" % (
                name, res["p50_us"] / 1000, res["p99_us"] / 1000))
        finally:
            pd.close()
            remove_db(copy)
    results["flat"] = {name: {q: statistics.median(r[q] for r in rs) for q in ("p50_us", "p99_us")}
                       for name, rs in flat.items()}


def bench_rss(results):
    path, meta = dataset("links-1M", 10000, 1000000, 0)
    copy = path + ".run.db"
    copy_synced(path, copy)
    pd = Partnerd(copy, keys=meta["keys"]).start()
    try:
        res = ratebench(pd.url("/c/bl{n}"), 10000, first=10000, headers=["User-Agent: " + UA])
        rss, hwm = pd.rss_kib()
        results["rss"] = {"rss_kib": rss, "hwm_kib": hwm, "links": 1000000,
                          "distinct_links_clicked": int(res["requests"])}
        log("RSS with 1M links after clicks on %d of them: %.1f MiB (peak %.1f MiB)" % (
            res["requests"], rss / 1024, hwm / 1024))
    finally:
        pd.close()
        remove_db(copy)


# ----------------------------------------------------------------------------------------------
# the table

def bench_payouts(results):
    """The payout batch: 100,000 partners, 1,000,000 approved commissions; refresh, SEPA XML and
    PayPal CSV exports, each timed."""
    work = tempfile.mkdtemp(prefix="partnerd-payouts-", dir=DATA if os.path.isdir(DATA) else None)
    try:
        log("payout batch: 100,000 partners, 1,000,000 commissions")
        out = subprocess.run([PAYOUT_BENCH, work, "100000", "1000000"], check=True,
                             stdout=subprocess.PIPE, text=True).stdout
        log(out.strip())
        m = re.search(r"payout batch: create ([0-9.]+) s, refresh ([0-9.]+) s, SEPA export ([0-9.]+) s"
                      r" .*PayPal CSV export ([0-9.]+) s .* mark paid: ([0-9.]+) s", out)
        results["payouts"] = {"create_s": float(m.group(1)), "refresh_s": float(m.group(2)),
                              "sepa_s": float(m.group(3)), "paypal_s": float(m.group(4)),
                              "paid_s": float(m.group(5))}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def table(results):
    rows = []

    def row(what, ngx, pd, ratio, goal, met):
        rows.append((what, ngx, pd, ratio, goal, met))

    if "clicks" not in results:  # `bench.py lists`, `hooks` or `pg`: that row alone
        for part in (bench_lists, bench_hooks, bench_pg):
            if part.__name__[6:] in results:
                part.table_rows(results, row)
        return format_table(rows)
    c, f = results["clicks"], results["fixed"]

    for sync in ("full", "normal"):
        n = "partnerd-" + sync
        ratio = c["rps"][n] / c["rps"]["nginx"]
        row("clicks/s, wrk -t1 -c32 -d%ds, median of %d (synchronous=%s)" % (DURATION, ROUNDS, sync),
            "%.0f" % c["rps"]["nginx"], "%.0f" % c["rps"][n], "%.2f×" % ratio, "≥ 0.70×",
            ratio >= 0.7)
    for sync in ("full", "normal"):
        n = "partnerd-" + sync
        ngx, pd = f["by"]["nginx"]["p99_us"] / 1000, f["by"][n]["p99_us"] / 1000
        ratio = pd / ngx if ngx else float("inf")
        row("click p99 at %.0f/s (half nginx max), ms, median of %d (synchronous=%s)" % (
            f["rate"], ROUNDS, sync),
            "%.2f" % ngx, "%.2f" % pd, "%.2f×" % ratio, "≤ 2×", ratio <= 2)
    if "nginx+flushes" in f["by"]:
        ngx = f["by"]["nginx"]["p99_us"] / 1000
        fl = f["by"]["nginx+flushes"]["p99_us"] / 1000
        row("(context) nginx's click p99 at %.0f/s while another process flushes 4 KiB %d×/s "
            "(about what partnerd-normal's checkpoints do), ms, median of %d" % (
                f["rate"], FLUSH_LOAD_HZ, ROUNDS),
            "%.2f" % ngx, "%.2f" % fl, "%.2f×" % (fl / ngx if ngx else float("inf")), "(none)",
            True)
    for sync in ("full", "normal"):
        cv = results["conversions"][sync]
        row("conversions/s, wrk -t1 -c32 -d%ds, median of %d (synchronous=%s)" % (
            DURATION, ROUNDS, sync), "", "%.0f" % cv["rps"], "", "≥ 10,000", cv["rps"] >= 10000)
    for sync in ("full", "normal"):
        p99 = results["conversions"][sync]["fixed"]["p99_us"] / 1000
        row("conversion p99 at 5,000/s, ms (synchronous=%s)" % sync, "", "%.2f" % p99, "", "≤ 10",
            p99 <= 10)
    if "reports" in results:
        r = results["reports"]
        row("report p99, one partner, 30 days, %s clicks stored, ms" % fmt_n(results["disk"]["clicks"]),
            "", "%.2f" % r["p99_ms"], "", "≤ 10", r["p99_ms"] <= 10 and r["ok"])
    if "disk" in results:
        d = results["disk"]["per_click"]
        row("disk per stored click, bytes", "", "%.0f" % d, "", "≤ 200", d <= 200)
    if "rss" in results:
        m = results["rss"]["rss_kib"] / 1024
        row("RSS with 1M links, MiB", "", "%.1f" % m, "", "≤ 64", m <= 64)
    if "flat" in results:
        for q in ("p50", "p99"):
            a = results["flat"]["10k"][q + "_us"] / 1000
            b = results["flat"]["10M"][q + "_us"] / 1000
            ratio = b / a if a else float("inf")
            row("click %s at 2,000/s, ms (synchronous=normal, median of 2): 10k clicks stored "
                "(base) vs %s" % (q, fmt_n(results["disk"]["clicks"])), "%.2f" % a, "%.2f" % b,
                "%.2f×" % ratio,
                "flat (≤ 1.5×)", ratio <= 1.5)
    if "payouts" in results:
        pr = results["payouts"]
        for key, what in (("refresh_s", "payout batch refresh"), ("sepa_s", "SEPA XML export"),
                          ("paypal_s", "PayPal CSV export (every part)")):
            row("%s, 100k partners, 1M commissions, s" % what, "", "%.2f" % pr[key], "", "≤ 5",
                pr[key] <= 5)
        row("(context) making that batch / marking it paid, s", "",
            "%.2f / %.2f" % (pr["create_s"], pr["paid_s"]), "", "(none)", True)
    if "lists" in results:
        bench_lists.table_rows(results, row)
    if "hooks" in results:
        bench_hooks.table_rows(results, row)
    if "pg" in results:
        bench_pg.table_rows(results, row)
    ok = all(v["ok"] for v in results["counted"].values())
    row("every answered click stored, rollups add up", "", "yes" if ok else "NO", "", "yes", ok)
    if "flush" in results:
        fl = results["flush"]
        row("(context) disk flush, fdatasync of 4 KiB, idle disk, p50 / p99 ms", "",
            "%.2f / %.2f" % (fl["p50_us"] / 1000, fl["p99_us"] / 1000), "", "(none)", True)
    return format_table(rows)


def format_table(rows):
    head = ("benchmark", "nginx / base", "partnerd", "ratio", "goal", "met")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        lines.append("| " + " | ".join(list(r[:5]) + ["yes" if r[5] else "**no**"]) + " |")
    return "\n".join(lines)


def fmt_n(n):
    return "10M" if n == 10000000 else "{:,}".format(n)


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return "nproc %d, %s, %s" % (os.cpu_count(), cpu, " ".join(os.uname()[2:3]))


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def git_rev():
    if os.environ.get("BENCH_COMMIT"):
        return os.environ["BENCH_COMMIT"]
    p = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return p.stdout.strip() or "unknown"


def command():
    """How this run was started: the settings that change what is measured, then the command."""
    keys = ("BENCH_CLICKS", "BENCH_DURATION", "BENCH_ROUNDS", "BENCH_WORKERS", "PARTNERD_BIN",
            "RATEBENCH_BIN", "BENCH_LOAD_BIN")
    env = " ".join("%s=%s" % (k, os.environ[k]) for k in keys if k in os.environ)
    cmd = os.environ.get("BENCH_COMMAND", "make bench")
    return (env + " " + cmd).strip()


def main():
    alone = {"lists": bench_lists, "hooks": bench_hooks, "pg": bench_pg}
    if len(sys.argv) == 2 and sys.argv[1] in alone:  # one row alone, printed, not appended
        results = {}
        alone[sys.argv[1]].run(results)
        print(table(results))
        return 0 if results[sys.argv[1]].get("ok", True) else 1
    for tool in (PARTNERD, RATEBENCH, BENCH_LOAD, PAYOUT_BENCH, FLUSHBENCH):
        if not os.access(tool, os.X_OK):
            raise SystemExit("bench: %s not built (make build)" % tool)
    for tool in ("nginx", "wrk"):
        if not shutil.which(tool):
            raise SystemExit("bench: %s not installed (make bench installs nginx-light and wrk)" % tool)
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = load()
    t0 = time.time()
    work = tempfile.mkdtemp(prefix="partnerd-bench-")
    results = {}
    nginx = None
    contenders = {}
    try:
        bench_flush(work, results)
        nginx = Nginx(work)
        bench_pg.run(results, nginx)
        contenders = bench_clicks(work, nginx, results)
        for sync in ("full", "normal"):
            bench_conversions(contenders["partnerd-" + sync], sync, results)
        for pd in contenders.values():
            pd.close()
        nginx.close()
        bench_big(results)
        bench_rss(results)
        bench_payouts(results)
        bench_lists.run(results)
        bench_hooks.run(results)
    finally:
        for pd in contenders.values():
            pd.close()
        if nginx:
            nginx.close()
        shutil.rmtree(work, ignore_errors=True)
    tab = table(results)
    elapsed = time.time() - t0
    print()
    print(tab)
    print()
    entry = ("\n## %s\n\n- command: `%s` (clicks stored: %d, wrk %d s x %d rounds)\n"
             "- machine: %s\n- commit: %s\n- load average before / after: %s / %s\n"
             "- took %.0f s; the big data set %s\n\n%s\n" % (
                 started.strftime("%Y-%m-%d %H:%M UTC"), command(), BIG_CLICKS, DURATION, ROUNDS,
                 machine(), git_rev(), load_before, load(), elapsed,
                 "was generated in %.0f s" % results["disk"]["load_seconds"]
                 if "disk" in results else "", tab))
    new = not os.path.exists(RESULTS)
    with open(RESULTS, "a") as f:
        if new:
            f.write("# Benchmark results\n\nAppended by `make bench` (bench/bench.py), newest last. "
                    "Figures from a shared 2-core machine are noisy: compare ratios measured in the "
                    "same run, and the load average noted with each.\n")
        f.write(entry)
    log("appended to %s" % RESULTS)
    return 0 if all(v["ok"] for v in results["counted"].values()) and results["hooks"]["ok"] and \
        results["pg"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
