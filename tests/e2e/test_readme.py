#!/usr/bin/env python3
"""The README's API example runs as written: its shell block, against a fresh server, attributes the
sale to the partner of the browser click and earns the commission the text promises."""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_eq  # noqa: E402


def readme_example():
    with open(os.path.join(harness.REPO, "README.md")) as f:
        text = f.read()
    start = text.index("The example below runs as written")
    m = re.compile(r"```sh\n(.*?)```", re.S).search(text, start)
    expect(m is not None, "the README's example block")
    lines = m.group(1).splitlines()
    expect(lines[0].startswith("SK=") and lines[1].startswith("API="),
           "the example starts by setting SK and API: %r" % lines[:2])
    return "\n".join(lines[2:]) + "\n"


def test_the_readme_example_runs_as_written(srv):
    script = readme_example()
    env = harness.clean_env()
    env.update(SK=srv.sk, API="http://127.0.0.1:%d" % srv.port)
    p = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env, capture_output=True,
                       timeout=60, stdin=subprocess.DEVNULL)
    out = p.stdout.decode()
    expect_eq(p.returncode, 0, "the example's exit status (stderr %r)" % p.stderr.decode()[-400:])
    expect('"error"' not in out, "no call of the example failed: %s" % out[-1500:])
    rows = srv.sql("SELECT c.partner_id, p.ref_code, c.amount FROM conversions c"
                   " JOIN partners p ON p.id = c.partner_id WHERE c.order_id = '1001'")
    expect_eq(len(rows), 1, "the example's attributed conversion")
    expect_eq(rows[0][1], "jane", "the partner of the browser click")
    earned = srv.sql1("SELECT SUM(amount - reversed) FROM commissions WHERE partner_id = ?",
                      (rows[0][0],))
    # 10 % of 129.00, less the refund of 43.00 in proportion: 1290 - 430.
    expect_eq(earned, 860, "jane's commission after the partial refund")
    # Month end as the text says: the batch paid jane's 8.60 through PayPal's file, nothing held.
    expect_eq(srv.sql("SELECT approved, paid FROM partner_balances WHERE partner_id = ?",
                      (rows[0][0],)), [(0, 860)], "jane's approved and paid balances")
    expect_eq(srv.sql("SELECT y.status, y.total, i.status, i.channel FROM payouts y"
                      " JOIN payout_items i ON i.payout_id = y.id"),
              [("paid", 860, "paid", "paypal_csv")], "the month's batch")
    srv.check()


if __name__ == "__main__":
    harness.main(globals())
