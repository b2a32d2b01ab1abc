#!/usr/bin/env python3
"""What a partner's key may do: a suspended partner's keys are refused (403) until it is
reactivated; keys are listed and revoked by the merchant and by the partner itself, never across
partners, and a revoked key is refused at once, on every node; concurrent PATCH /api/v1/me edits
of different fields all survive; multi-tier parents never form a loop, and a loop already in the
data is never walked when paying parents."""

import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Server, convert, create_partner, create_program, expect, expect_eq,  # noqa: E402
                     expect_error, expect_status, main, partner_key, short, uid)


def me(srv, key, method="GET", path="/api/v1/me", body=None):
    return srv.request(method, path, body, key=key)


def test_a_suspended_partners_key_is_refused_until_reactivation(srv):
    prog = create_program(srv)
    ptn = create_partner(srv, prog["id"])
    key = partner_key(srv, ptn["id"])
    for _ in range(3):  # the key is known (and cached) before the suspension
        expect_status(me(srv, key), 200)
    expect_status(srv.api("PATCH", "/api/v1/partners/" + ptn["id"], {"status": "suspended"}), 200)
    before = srv.counts()
    calls = [("GET", "/api/v1/me", None), ("GET", "/api/v1/me/links", None),
             ("POST", "/api/v1/me/links", {"destination": "https://shop.example/x"}),
             ("PATCH", "/api/v1/me", {"postback_url": "https://tracker.example/pb"}),
             ("GET", "/api/v1/me/report", None), ("GET", "/api/v1/me/commissions", None),
             ("GET", "/api/v1/me/payouts", None), ("GET", "/api/v1/me/keys", None),
             ("POST", "/api/v1/me/keys", {})]
    for method, path, body in calls:
        expect_error(me(srv, key, method, path, body), 403)
    expect_eq(srv.counts(), before, "a suspended partner's calls wrote nothing")
    expect_eq(srv.sql1("SELECT postback_url FROM partners WHERE id = ?", (ptn["id"],)), None,
              "the postback URL is unchanged")
    expect_status(srv.api("PATCH", "/api/v1/partners/" + ptn["id"], {"status": "active"}), 200)
    status, _, body = me(srv, key)
    expect_eq(status, 200, "reactivated, the same key works again (%s)" % short(body))


def test_a_suspension_or_revocation_on_one_node_holds_at_once_on_another():
    with Server() as a, Server(share=a) as b:
        prog = create_program(a)
        ptn = create_partner(a, prog["id"])
        key = partner_key(a, ptn["id"])
        for _ in range(3):
            expect_status(me(a, key), 200)
        expect_status(b.api("PATCH", "/api/v1/partners/" + ptn["id"], {"status": "suspended"}), 200)
        expect_error(me(a, key), 403)
        expect_status(b.api("PATCH", "/api/v1/partners/" + ptn["id"], {"status": "active"}), 200)
        expect_status(me(a, key), 200)
        status, _, keys = b.api("GET", "/api/v1/partners/%s/keys" % ptn["id"])
        expect_eq(status, 200, "the merchant lists the keys (%s)" % short(keys))
        expect_status(b.api("DELETE", "/api/v1/partners/%s/keys/%s" % (ptn["id"],
                                                                        keys["data"][0]["id"])), 200)
        expect_error(me(a, key), 401)
        a.check()


def test_keys_are_listed_created_and_revoked_by_their_partner_only(srv):
    prog = create_program(srv)
    alice = create_partner(srv, prog["id"])
    bob = create_partner(srv, prog["id"])
    ka = partner_key(srv, alice["id"])
    kb = partner_key(srv, bob["id"])
    status, _, listed = me(srv, ka, "GET", "/api/v1/me/keys")
    expect_eq(status, 200, "GET /me/keys (%s)" % short(listed))
    expect_eq(len(listed["data"]), 1, "alice has one key")
    first = listed["data"][0]
    expect(first["hint"].startswith("pd_pt_") and first["hint"].endswith(ka[-4:]),
           "the hint shows the prefix and the last characters: %r" % first["hint"])
    expect(ka not in str(listed) and ka[6:-4] not in str(listed), "the key itself is never listed")
    expect(isinstance(first.get("created"), str), "created: %s" % short(first))

    status, _, made = me(srv, ka, "POST", "/api/v1/me/keys", {})
    expect_eq(status, 201, "POST /me/keys (%s)" % short(made))
    new_key = made["key"]
    expect(new_key.startswith("pd_pt_") and new_key != ka, "a new key: %s" % short(made))
    expect_eq(me(srv, new_key)[2]["id"], alice["id"], "the new key is alice's")
    listed = me(srv, ka, "GET", "/api/v1/me/keys")[2]
    expect_eq(sorted(k["id"] for k in listed["data"]), sorted([first["id"], made["id"]]),
              "alice's keys, listed by her")
    expect("key" not in listed["data"][0], "a listed key has no key field")
    merchant = srv.api("GET", "/api/v1/partners/%s/keys" % alice["id"])[2]
    expect_eq(sorted(k["id"] for k in merchant["data"]), sorted(k["id"] for k in listed["data"]),
              "the merchant's list of alice's keys")

    bob_key_id = me(srv, kb, "GET", "/api/v1/me/keys")[2]["data"][0]["id"]
    before = srv.counts()
    expect_error(me(srv, ka, "DELETE", "/api/v1/me/keys/" + bob_key_id), 404, param="key_id")
    expect_error(srv.api("DELETE", "/api/v1/partners/%s/keys/%s" % (alice["id"], bob_key_id)), 404,
                 param="key_id")
    expect_eq(srv.counts(), before, "nothing was revoked")
    expect_status(me(srv, kb), 200)
    expect(bob_key_id not in str(me(srv, ka, "GET", "/api/v1/me/keys")[2]), "bob's key is not alice's")

    for _ in range(3):  # cached before the revocation
        expect_status(me(srv, new_key), 200)
    status, _, gone = me(srv, ka, "DELETE", "/api/v1/me/keys/" + made["id"])
    expect_eq(status, 200, "DELETE /me/keys/{id} (%s)" % short(gone))
    expect_error(me(srv, new_key), 401)
    expect_error(me(srv, ka, "DELETE", "/api/v1/me/keys/" + made["id"]), 404, param="key_id")

    status, _, _ = srv.api("DELETE", "/api/v1/partners/%s/keys/%s" % (alice["id"], first["id"]))
    expect_eq(status, 200, "the merchant revokes alice's first key")
    expect_error(me(srv, ka), 401)
    expect_eq(srv.api("GET", "/api/v1/partners/%s/keys" % alice["id"])[2]["data"], [],
              "alice has no key left")
    expect_status(me(srv, kb), 200)


def test_concurrent_edits_of_different_fields_all_survive(srv):
    prog = create_program(srv)
    ptn = create_partner(srv, prog["id"])
    key = partner_key(srv, ptn["id"])
    lost = []
    for i in range(40):
        email = "pay%d-%s@partners.example" % (i, uid(4))
        url = "https://tracker.example/pb/%d?c={click_id}" % i
        bodies = [{"payout_method": {"type": "paypal", "email": email}}, {"postback_url": url}]
        start = threading.Barrier(2)
        results = [None, None]

        def send(j):
            start.wait()
            results[j] = me(srv, key, "PATCH", "/api/v1/me", bodies[j])[0]
        threads = [threading.Thread(target=send, args=(j,)) for j in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        expect_eq(results, [200, 200], "both PATCHes answered")
        got = me(srv, key)[2]
        if (got["payout_method"] or {}).get("email") != email or got["postback_url"] != url:
            lost.append(i)
    expect_eq(lost, [], "rounds in which one of two concurrent edits was lost")


def test_parents_never_form_a_loop(srv):
    prog = create_program(srv, parent_bps=1000, parent_levels=10)
    a = create_partner(srv, prog["id"])
    b = create_partner(srv, prog["id"], parent_id=a["id"])
    c = create_partner(srv, prog["id"], parent_id=b["id"])
    before = srv.counts()
    for child, parent in ((a, b), (a, c), (a, a), (b, c), (c, c)):
        expect_error(srv.api("PATCH", "/api/v1/partners/" + child["id"], {"parent_id": parent["id"]}),
                     422, param="parent_id")
    expect_eq(srv.counts(), before, "a refused parent wrote nothing")
    expect_eq(srv.sql1("SELECT parent_id FROM partners WHERE id = ?", (a["id"],)), None,
              "a still has no parent")
    d = create_partner(srv, prog["id"])
    expect_status(srv.api("PATCH", "/api/v1/partners/" + a["id"], {"parent_id": d["id"]}), 200)
    srv.check()


def test_concurrent_patches_cannot_close_a_loop(srv):
    prog = create_program(srv, parent_bps=1000, parent_levels=2)
    for _ in range(10):
        a = create_partner(srv, prog["id"])
        b = create_partner(srv, prog["id"])
        start = threading.Barrier(2)
        results = [None, None]

        def send(j, child, parent):
            start.wait()
            results[j] = srv.api("PATCH", "/api/v1/partners/" + child, {"parent_id": parent})[0]
        threads = [threading.Thread(target=send, args=(0, a["id"], b["id"])),
                   threading.Thread(target=send, args=(1, b["id"], a["id"]))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        expect_eq(sorted(results), [200, 422], "one of two crossing parents is refused")


def test_a_loop_already_in_the_data_is_never_walked(srv):
    prog = create_program(srv, parent_bps=1000, parent_levels=5)
    a = create_partner(srv, prog["id"])
    b = create_partner(srv, prog["id"], parent_id=a["id"])
    srv.sql_write("UPDATE partners SET parent_id = ? WHERE id = ?", (b["id"], a["id"]))
    rc, out, _ = srv.run_cli("check", "--db", srv.db_url)
    expect(rc != 0 and "FAIL   no partner is its own ancestor" in out and a["id"] in out,
           "partnerd check reports the loop (rc %r, %r)" % (rc, out[-600:]))
    status, _, conv = convert(srv, prog["id"], "loop-" + uid(), 100000, ref=a["ref_code"])
    expect_eq(status, 201, "the conversion is recorded (%s)" % short(conv))
    earners = sorted((c["partner_id"], c["amount"]) for c in conv["commissions"])
    expect_eq(earners, sorted([(a["id"], 10000), (b["id"], 1000)]),
              "a earns its sale's commission once and b its parent share once")
    srv.sql_write("UPDATE partners SET parent_id = NULL WHERE id = ?", (a["id"],))
    srv.check()


if __name__ == "__main__":
    main(globals())
