#!/usr/bin/env python3
"""The merchant's own API keys (README "Team and keys"): an owner creates secret and publishable
keys (the key shown once, the list showing hints only), each works for what its kind allows, and a
revoked key is refused by every node as soon as the revocation is answered, even by a node that
had it cached."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Server, create_partner, create_program, expect, expect_eq,  # noqa: E402
                     expect_error, main, short)


def test_keys_are_shown_once_and_listed_with_hints(srv):
    prog = create_program(srv)
    ptn = create_partner(srv, prog["id"])
    status, _, sk = srv.api("POST", "/api/v1/keys", {"kind": "secret", "name": "backend"})
    expect_eq(status, 201, "create a secret key (%s)" % short(sk))
    expect(sk["key"].startswith("pd_sk_"), "the secret key: %r" % sk["key"])
    expect_eq((sk["kind"], sk["name"]), ("secret", "backend"), "kind and name")
    status, _, pk = srv.api("POST", "/api/v1/keys", {"kind": "publishable"})
    expect_eq(status, 201, "create a publishable key (%s)" % short(pk))
    expect(pk["key"].startswith("pd_pk_"), "the publishable key: %r" % pk["key"])
    status, _, keys = srv.api("GET", "/api/v1/keys")
    expect_eq(status, 200, "list (%s)" % short(keys))
    listed = {k["id"]: k for k in keys["data"]}
    for made in (sk, pk):
        got = listed.get(made["id"])
        expect(got is not None, "%s listed" % made["id"])
        expect("key" not in got, "the list never shows a key: %s" % short(got))
        expect_eq(got["hint"], made["key"][:6] + "..." + made["key"][-4:], "the hint")
    init_sk = srv.keys["secret_key"]
    expect(init_sk[:6] + "..." + init_sk[-4:] in [k["hint"] for k in keys["data"]],
           "init's secret key is listed too: %s" % short(keys))
    # Each works for what its kind allows.
    status, _, _ = srv.request("GET", "/api/v1/programs", key=sk["key"])
    expect_eq(status, 200, "the new secret key reads")
    status, _, body = srv.request("POST", "/api/v1/clicks", {"code": ptn["ref_code"]}, key=pk["key"])
    expect_eq(status, 201, "the new publishable key registers a click (%s)" % short(body))
    expect_error(srv.request("GET", "/api/v1/programs", key=pk["key"]), 403)


def test_bad_input_on_keys(srv):
    before = srv.sql1("SELECT COUNT(*) FROM api_keys")
    for body, status, param in [({"kind": "partner"}, 422, "kind"), ({}, 400, "kind"),
                                ({"kind": "secret", "name": "n" * 101}, 400, "name"),
                                ({"kind": "secret", "scope": "all"}, 400, "scope")]:
        expect_error(srv.api("POST", "/api/v1/keys", body), status, param=param)
    expect_eq(srv.sql1("SELECT COUNT(*) FROM api_keys"), before, "no key was made")
    expect_error(srv.api("DELETE", "/api/v1/keys/key_nosuch"), 404, param="id")
    # A partner's key is not a merchant key: it is revoked under its partner only.
    prog = create_program(srv)
    ptn = create_partner(srv, prog["id"])
    status, _, pt = srv.api("POST", "/api/v1/partners/%s/keys" % ptn["id"])
    expect_eq(status, 201, "a partner key (%s)" % short(pt))
    expect_error(srv.api("DELETE", "/api/v1/keys/" + pt["id"]), 404, param="id")
    expect_eq(srv.request("GET", "/api/v1/me", key=pt["key"])[0], 200, "the partner key still works")
    # A partner key never reaches the merchant's keys.
    expect_error(srv.request("GET", "/api/v1/keys", key=pt["key"]), 403)


def test_a_revoked_key_is_refused_by_every_node_once_answered():
    with Server() as a, Server(share=a) as b:
        status, _, sk = a.api("POST", "/api/v1/keys", {"kind": "secret"})
        expect_eq(status, 201, "create (%s)" % short(sk))
        for _ in range(4):  # known, and cached, by both nodes' workers
            expect_eq(a.request("GET", "/api/v1/programs", key=sk["key"])[0], 200, "node a")
            expect_eq(b.request("GET", "/api/v1/programs", key=sk["key"])[0], 200, "node b")
        started = time.monotonic()
        status, _, body = b.api("DELETE", "/api/v1/keys/" + sk["id"])
        expect_eq(status, 200, "revoke on node b (%s)" % short(body))
        expect("revoked" in body, "the answer says when: %s" % short(body))
        expect(time.monotonic() - started >= 1.0, "the answer waited for the caches to expire")
        for node in (a, b, a, b):
            expect_error(node.request("GET", "/api/v1/programs", key=sk["key"]), 401)
        status, _, keys = a.api("GET", "/api/v1/keys")
        expect(sk["id"] not in [k["id"] for k in keys["data"]], "a revoked key leaves the list")
        expect_error(a.api("DELETE", "/api/v1/keys/" + sk["id"]), 404, param="id")


if __name__ == "__main__":
    main(globals())
