"""The hooks row of `make bench` (bench/bench.py): signed Stripe `checkout.session.completed`
deliveries to POST /hooks/stripe/{connection_id} on SQLite with synchronous=full, each a new event
and a new paid order attributed by a click id (signature check, event kept once, conversion,
commission, ledger). Throughput with wrk (bench/hooks.lua) and p99 at a fixed 1,000/s with
ratebench -f. wrk and ratebench send what they are given, so every delivery is signed here
beforehand (Stripe's scheme: HMAC-SHA256 of "t.body", `Stripe-Signature: t=<unix>,v1=<hex>`),
one file per run, written just before it so the timestamps are within the server's 300 s
tolerance. Alone: `python3 bench/bench.py hooks`."""

import hashlib
import hmac
import json
import os
import re
import shutil
import statistics
import tempfile
import time
import urllib.request

import bench as b

FIXTURE = os.path.join(b.ROOT, "tests", "unit", "fixtures", "storehook",
                       "stripe_checkout_paid.json")
SECRET = "whsec_bench_" + "s" * 24
# Signed deliveries written per second of a wrk run (about 1 KB each): well above what the server
# takes, so that wrk never runs out and repeats an event, which costs less than a new one (checked
# after each run: a run that ran out is not OK).
POOL_PER_S = int(os.environ.get("BENCH_HOOKS_POOL", "30000"))
FIXED_RATE = 1000


def write_requests(path, tag, count, click_id):
    """count signed deliveries, one a line "Stripe-Signature: ...<TAB>body", each with its own
    event id, checkout session (the order id) and payment intent."""
    with open(FIXTURE, encoding="utf-8") as f:
        event = json.load(f)
    obj = event["data"]["object"]
    obj["client_reference_id"] = click_id
    key = SECRET.encode()
    t = int(time.time())
    prefix = b"%d." % t
    with open(path, "wb") as f:
        for i in range(count):
            order = "cs_live_bench_%s_%d" % (tag, i)
            event["id"] = "evt_bench_%s_%d" % (tag, i)
            obj["id"] = order
            obj["payment_intent"] = "pi_bench_%s_%d" % (tag, i)
            body = json.dumps(event, separators=(",", ":")).encode()
            sig = hmac.new(key, prefix + body, hashlib.sha256).hexdigest()
            f.write(b"Stripe-Signature: t=%d,v1=%s\t%s\n" % (t, sig.encode(), body))


def setup(pd):
    """A program, a partner with a click, and a Stripe connection with its secret: the connection
    id and the click id."""
    prog = pd.setup_program()
    pd.setup_partner(prog, "hooks")
    status, con = pd.api("POST", "/api/v1/programs/%s/connections" % prog,
                         {"platform": "stripe", "signing_secret": SECRET})
    if status != 201:
        raise SystemExit("bench: cannot create the connection: %s" % con)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args):
            return None

    try:
        urllib.request.build_opener(NoRedirect).open(pd.url("/c/hooks"), timeout=10)
        raise SystemExit("bench: GET /c/hooks did not redirect")
    except urllib.error.HTTPError as e:
        loc = e.headers.get("Location", "")
    m = re.search(r"pd_click=([0-9A-Z]{26})", loc)
    if not m:
        raise SystemExit("bench: no pd_click in %r" % loc)
    return con["id"], m.group(1)


def check_one(pd, path, work, click_id):
    """One signed delivery by hand: it must be accepted as a conversion."""
    req_file = os.path.join(work, "one.txt")
    write_requests(req_file, "check", 1, click_id)
    with open(req_file, "rb") as f:
        header, body = f.read().rstrip(b"\n").split(b"\t", 1)
    name, value = header.decode().split(": ", 1)
    req = urllib.request.Request(pd.url(path), data=body, method="POST",
                                 headers={name: value, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        answer = json.loads(r.read())
    if answer.get("outcome") != "conversion":
        raise SystemExit("bench: a signed delivery answered %s" % answer)


def conversions(pd):
    return b.sql1(pd.db_path, "SELECT count(*) FROM conversions")


def unattributed(pd):
    """Conversions without a partner: each delivery carries the click id, so none is expected."""
    return b.sql1(pd.db_path, "SELECT count(*) FROM conversions WHERE partner_id IS NULL")


def run(results):
    """wrk throughput and the p99 at FIXED_RATE, alternated ROUNDS times, each run with deliveries
    of its own; every run must be answered 2xx and store one conversion per answered delivery."""
    work = tempfile.mkdtemp(prefix="partnerd-hooks-")
    try:
        pd = b.Partnerd(os.path.join(work, "hooks.db"), sync="full").start()
        try:
            con_id, click_id = setup(pd)
            path = "/hooks/stripe/" + con_id
            check_one(pd, path, work, click_id)
            req_file = os.path.join(work, "requests.txt")
            env = dict(os.environ, PARTNERD_BENCH_REQUESTS=req_file)
            tput, fixed, ok = [], [], True
            for rnd in range(b.ROUNDS):
                pool = POOL_PER_S * b.DURATION
                write_requests(req_file, "w%d" % rnd, pool, click_id)
                before = conversions(pd)
                res = b.wrk(pd.url(path), script=os.path.join(b.HERE, "hooks.lua"), env=env)
                b.quiesce([pd])
                stored = conversions(pd) - before
                res["ok"] = (res["requests"] <= pool and res["bad"] == 0 and
                             res["socket_errors"] == 0 and stored >= res["requests"] and
                             unattributed(pd) == 0)
                ok = ok and res["ok"]
                tput.append(res)
                b.log("  hooks: wrk %.0f deliveries/s, %d answered, %d stored%s%s" % (
                    res["rps"], res["requests"], stored, "" if res["ok"] else " (NOT OK)",
                    " (wrk ran out of signed deliveries: raise BENCH_HOOKS_POOL)"
                    if res["requests"] > pool else ""))

                count = FIXED_RATE * (b.DURATION + 1)
                write_requests(req_file, "r%d" % rnd, count, click_id)
                before = conversions(pd)
                res = b.ratebench(pd.url(path), FIXED_RATE, method="POST", list_file=req_file,
                                  headers=["Content-Type: application/json"])
                b.quiesce([pd])
                stored = conversions(pd) - before
                res["ok"] = (res["errors"] == 0 and res["bad_status"] == 0 and stored == count
                             and unattributed(pd) == 0)
                ok = ok and res["ok"]
                fixed.append(res)
                b.log("  hooks: at %d/s p50 %.2f ms p99 %.2f ms, %d stored%s" % (
                    FIXED_RATE, res["p50_us"] / 1000, res["p99_us"] / 1000, stored,
                    "" if res["ok"] else " (NOT OK)"))
        finally:
            pd.close()
        results["hooks"] = {"rps": statistics.median(r["rps"] for r in tput),
                            "p99_ms": statistics.median(r["p99_us"] for r in fixed) / 1000,
                            "ok": ok}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def table_rows(results, row):
    h = results["hooks"]
    row("signed Stripe checkout.session.completed deliveries/s, POST /hooks/stripe/{id}, wrk -t1 "
        "-c32 -d%ds, median of %d (synchronous=full)" % (b.DURATION, b.ROUNDS), "",
        "%.0f" % h["rps"], "", "≥ 3,000", h["rps"] >= 3000 and h["ok"])
    row("delivery p99 at %s/s, ms, median of %d (synchronous=full)" % (
        "{:,}".format(FIXED_RATE), b.ROUNDS), "", "%.2f" % h["p99_ms"], "", "≤ 20",
        h["p99_ms"] <= 20 and h["ok"])
    row("every delivery answered 2xx, stored as a conversion, attributed by its click id", "",
        "yes" if h["ok"] else "NO", "", "yes", h["ok"])
