#!/usr/bin/env python3
"""GET /postback fired by networks with their own parameter names (README "Integrations"): Affise's
`action_id` and numeric `status` (1 approved, 2 pending, 3 declined, 5 hold) and CAKE's server
postback names (`r` request id, `t` transaction id, `p` price). Each name records like its
canonical parameter; an alias given with a different value than its canonical name is 400 naming
the alias and writes nothing."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import click_ok, create_partner, expect_eq, expect_error, short, uid  # noqa: E402
from test_integrations import conversion, postback, postback_program  # noqa: E402


def recorded(srv, params, what):
    status, _, body = postback(srv, **params)
    expect_eq(status, 200, "%s (body %s)" % (what, short(body)))
    return conversion(srv, body["conversion_id"])


def program_with_click(srv):
    """A program with postbacks on, a partner and one of the partner's clicks."""
    prog, token = postback_program(srv)
    ptn = create_partner(srv, prog["id"])
    _, cid = click_ok(srv, ptn["ref_code"])
    return token, ptn, cid


def test_affise_action_id_is_the_order_id(srv):
    token, ptn, cid = program_with_click(srv)
    order = "aff-" + uid()
    conv = recorded(srv, {"token": token, "clickid": cid, "action_id": order, "sum": "4.20"},
                    "Affise postback with action_id")
    expect_eq((conv["order_id"], conv["amount"], conv["partner_id"]), (order, 420, ptn["id"]),
              "order, amount and partner of an Affise postback")
    # the same order under its canonical name is the same conversion
    status, _, again = postback(srv, token=token, clickid=cid, order_id=order, sum="4.20")
    expect_eq((status, again.get("conversion_id"), again.get("duplicate")),
              (200, conv["id"], True), "order_id after action_id (body %s)" % short(again))


def test_affise_numeric_status(srv):
    prog, token = postback_program(srv)
    ptn = create_partner(srv, prog["id"])
    # 1 approved, 2 pending and 5 hold (and the word hold) record the sale (a commission waits for the hold period and
    # the merchant whatever the network says); the status is kept as sent
    for code in ("1", "2", "5", "hold"):
        _, cid = click_ok(srv, ptn["ref_code"])
        conv = recorded(srv, {"token": token, "clickid": cid, "action_id": "st-" + uid(),
                              "sum": "2", "status": code}, "Affise status=%s" % code)
        expect_eq((conv["amount"], conv["partner_id"]), (200, ptn["id"]), "status=%s" % code)
        expect_eq(conv["metadata"], {"source": "postback", "postback_status": code},
                  "metadata of status=%s" % code)
    # 3 declined is refused like `declined` (422: no conversion, nothing written); a code that is
    # not a conversion status is 400, like any unknown status
    _, cid = click_ok(srv, ptn["ref_code"])
    before = srv.counts()
    for code, answer in (("3", 422), ("4", 400)):
        params = {"token": token, "clickid": cid, "action_id": "st-" + uid(), "sum": "2",
                  "status": code}
        expect_error(postback(srv, **params), answer, param="status")
    expect_eq(srv.counts(), before, "rows written by declined and unknown statuses")


def test_cake_server_postback_names(srv):
    token, ptn, cid = program_with_click(srv)
    order = "cake-" + uid()
    # o (offer), e (event) and f (format) are CAKE's own and ignored
    conv = recorded(srv, {"token": token, "o": "12", "e": "1", "f": "pb", "r": cid, "t": order,
                          "p": "19.99"}, "CAKE postback")
    expect_eq((conv["order_id"], conv["amount"], conv["partner_id"]), (order, 1999, ptn["id"]),
              "order, amount and partner of a CAKE postback")
    # each CAKE name alone maps onto its field
    _, cid2 = click_ok(srv, ptn["ref_code"])
    order2 = "cake-" + uid()
    conv = recorded(srv, {"token": token, "r": cid2, "order_id": order2, "amount": "1"},
                    "CAKE r alone")
    expect_eq((conv["order_id"], conv["partner_id"]), (order2, ptn["id"]), "r is the click")
    conv = recorded(srv, {"token": token, "t": "t-" + uid(), "amount": "1"}, "CAKE t alone")
    expect_eq(conv["partner_id"], None, "t without a click")
    conv = recorded(srv, {"token": token, "order_id": "p-" + uid(), "p": "3.5"}, "CAKE p alone")
    expect_eq(conv["amount"], 350, "p is the amount")


def test_conflicting_network_aliases_are_refused(srv):
    token, ptn, cid = program_with_click(srv)
    _, other = click_ok(srv, ptn["ref_code"])
    o = "cf-" + uid()
    before = srv.counts()
    for params, name in (
            ({"order_id": o, "action_id": o + "x", "amount": "1"}, "action_id"),
            ({"action_id": o, "txid": o + "x", "amount": "1"}, "txid"),
            ({"click_id": cid, "r": other, "order_id": o, "amount": "1"}, "r"),
            ({"r": cid, "clickid": other, "order_id": o, "amount": "1"}, "clickid"),
            ({"order_id": o, "t": o + "x", "amount": "1"}, "t"),
            ({"t": o, "action_id": o + "x", "amount": "1"}, "action_id"),
            ({"order_id": o, "amount": "1", "p": "2"}, "p"),
            ({"order_id": o, "p": "1", "sum": "1.5"}, "sum")):
        expect_error(postback(srv, token=token, **params), 400, param=name)
    expect_eq(srv.counts(), before, "rows written by conflicting aliases")
    # the same value under two names is no conflict
    conv = recorded(srv, {"token": token, "r": cid, "click_id": cid, "t": o, "action_id": o,
                          "p": "1", "amount": "1"}, "agreeing aliases")
    expect_eq((conv["order_id"], conv["partner_id"]), (o, ptn["id"]), "agreeing aliases")


if __name__ == "__main__":
    harness.main(globals())
