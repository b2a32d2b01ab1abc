#!/usr/bin/env python3
"""Correctness under load (ctest label `load`; speed is never asserted): clicks on two links from
two fixed-rate clients at once, then every click answered with a 302 must be a stored click, the
daily rollups must add up to the stored clicks (and unique clicks), and `partnerd check` must pass.

Environment: PARTNERD_BIN, RATEBENCH_BIN (set by ctest); LOAD_RATE (clicks/s per client, 1000),
LOAD_SECONDS (3)."""

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

PARTNERD = os.environ["PARTNERD_BIN"]
RATEBENCH = os.environ["RATEBENCH_BIN"]
RATE = int(os.environ.get("LOAD_RATE", "1000"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "3"))
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"


def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)


def main():
    work = tempfile.mkdtemp(prefix="partnerd-load-")
    db = os.path.join(work, "t.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTNERD_")}
    keys = json.loads(subprocess.run([PARTNERD, "init", "--db", "sqlite:" + db, "--json"], env=env,
                                     check=True, stdout=subprocess.PIPE).stdout)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(os.path.join(work, "serve.log"), "w")
    srv = subprocess.Popen([PARTNERD, "serve", "--db", "sqlite:" + db, "--listen",
                            "127.0.0.1:%d" % port], env=env, stdout=log, stderr=log)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)

        def api(path, body):
            req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                         data=json.dumps(body).encode(), method="POST", headers={
                                             "Authorization": "Bearer " + keys["secret_key"],
                                             "Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.loads(r.read())

        prog = api("/api/v1/programs", {"name": "Load", "currency": "USD",
                                        "allowed_hosts": ["shop.example"],
                                        "default_url": "https://shop.example/",
                                        "rules": [{"type": "percent", "bps": 1000}]})
        for code in ("alice", "bob"):
            api("/api/v1/partners", {"program_id": prog["id"], "email": code + "@p.example",
                                     "name": code, "ref_code": code, "status": "active"})
        clients = []
        for code, ua in (("alice", UA), ("bob", UA + " variant")):
            clients.append(subprocess.Popen(
                [RATEBENCH, "-r", str(RATE), "-d", str(SECONDS), "-w", "0", "-c", "16",
                 "-H", "User-Agent: " + ua, "http://127.0.0.1:%d/c/%s" % (port, code)],
                stdout=subprocess.PIPE, text=True))
        answered = 0
        for c in clients:
            out, _ = c.communicate(timeout=SECONDS + 60)
            figures = dict(kv.split("=") for kv in out.split())
            print("ratebench: " + out.strip())
            if c.returncode != 0 or int(figures["errors"]) or int(figures["bad_status"]):
                fail("a click was not answered with a redirect: " + out.strip())
            answered += int(figures["requests"])
    finally:
        srv.send_signal(signal.SIGTERM)
        srv.wait(30)
        log.close()
    con = sqlite3.connect(db)
    stored, uniques = con.execute("SELECT COUNT(*), COALESCE(SUM(is_unique), 0) FROM clicks").fetchone()
    rolled, rolled_unique = con.execute(
        "SELECT COALESCE(SUM(clicks), 0), COALESCE(SUM(unique_clicks), 0) FROM daily_stats").fetchone()
    con.close()
    print("answered %d, stored %d, rollup %d; unique %d, rollup %d" % (answered, stored, rolled,
                                                                      uniques, rolled_unique))
    if answered < RATE:
        fail("too few clicks answered to say anything")
    # A click can be stored and its answer lost when the client stops; never the other way round.
    if stored < answered:
        fail("%d clicks answered but only %d stored" % (answered, stored))
    if rolled != stored or rolled_unique != uniques:
        fail("the rollups do not add up to the stored clicks")
    check = subprocess.run([PARTNERD, "check", "--db", "sqlite:" + db], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check.returncode != 0:
        fail("partnerd check: " + check.stdout)
    shutil.rmtree(work, ignore_errors=True)
    print("ok")


if __name__ == "__main__":
    main()
