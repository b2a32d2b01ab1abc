#!/usr/bin/env python3
"""Idempotency-Key under concurrency: the same request sent at the same moment from many clients with
one key writes exactly once; every answer is the stored 201 (first or replayed) or a 409 while the
first is in flight, never a second write. A replay carries Idempotent-Replayed: true."""

import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import create_partner, create_program, expect, expect_eq, expect_error, uid  # noqa: E402


def test_same_key_at_once_writes_once(srv):
    prog = create_program(srv)
    ptn = create_partner(srv, prog["id"])
    for round_ in range(5):
        key = "race-" + uid()
        body = {"program_id": prog["id"], "order_id": "race-%s" % uid(), "amount": 5000,
                "currency": "USD", "ref": ptn["ref_code"]}
        barrier = threading.Barrier(12)
        answers = [None] * 12

        def send(i):
            barrier.wait()
            answers[i] = srv.api("POST", "/api/v1/conversions", body, headers={"Idempotency-Key": key})

        threads = [threading.Thread(target=send, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        created = [a for a in answers if a[0] == 201]
        expect(len(created) >= 1, "at least one 201 in round %d: %r" % (round_, [a[0] for a in answers]))
        ids = {a[2]["id"] for a in created}
        expect_eq(len(ids), 1, "every 201 names the same conversion")
        fresh = [a for a in created if a[1].get("idempotent-replayed") != "true"]
        expect_eq(len(fresh), 1, "exactly one answer is not a replay")
        for a in answers:
            if a[0] == 409:
                expect_error(a, 409, param="Idempotency-Key")
            else:
                expect_eq(a[0], 201, "an answer other than 201 or 409: %r" % (a,))
        expect_eq(srv.sql1("SELECT COUNT(*) FROM conversions WHERE order_id = ?", (body["order_id"],)),
                  1, "one conversion stored")
    srv.check()


if __name__ == "__main__":
    harness.main(globals())
