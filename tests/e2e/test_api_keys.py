#!/usr/bin/env python3
"""API keys are remembered by each worker thread (src/app/key_cache.h): a key still works from the
cache right after it was checked, and one revoked by another process (an operator's SQL, another
node) is refused within the cache's second."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, expect, expect_eq, main  # noqa: E402


def test_a_key_revoked_by_another_process_is_refused_within_a_second():
    with Server() as srv:
        for _ in range(3):  # and from the cache
            expect_eq(srv.api("GET", "/api/v1/programs")[0], 200, "a valid secret key")
        srv.sql_write("UPDATE api_keys SET revoked_at = ? WHERE kind = 'secret'",
                      (int(time.time() * 1000),))
        start = time.monotonic()
        refused_after = None
        while time.monotonic() - start < 5:
            status, _, body = srv.api("GET", "/api/v1/programs")
            if status == 401:
                refused_after = time.monotonic() - start
                expect_eq(body["error"]["code"], "unauthorized", "the error's code")
                break
            expect_eq(status, 200, "before it is refused, the key works")
            time.sleep(0.05)
        expect(refused_after is not None and refused_after < 2.0,
               "the revoked key was refused after %r s (at most the cache's 1 s expected)"
               % refused_after)


def test_an_unknown_key_is_refused_every_time():
    with Server() as srv:
        bad = srv.sk[:-4] + ("aaaa" if not srv.sk.endswith("aaaa") else "bbbb")
        for _ in range(3):
            status, _, body = srv.request("GET", "/api/v1/programs", key=bad)
            expect_eq(status, 401, "a key that was never issued")
            expect_eq(body["error"]["code"], "unauthorized", "the error's code")
        expect_eq(srv.api("GET", "/api/v1/programs")[0], 200, "the real key still works")


if __name__ == "__main__":
    main(globals())
