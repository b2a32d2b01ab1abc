#!/usr/bin/env python3
"""The merchant edits links and coupons (README "Team and keys"): a link's destination, sub-ids
and disabled flag change, its code never does; a disabled link sends its visitors to the program's
default URL uncredited; deleting a link nobody used removes it, deleting one with history archives
it (reports keep it); a partner's default link is only ever disabled. Coupons are replaced as a
set through PATCH /api/v1/partners/{id}, never taking another partner's code, and the partner sees
its own."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (click, click_ok, convert, create_link, create_partner,  # noqa: E402
                     create_program, expect, expect_eq, expect_error, main, partner_key, short)


def link_of(srv, partner_id, destination, **extra):
    status, _, link = create_link(srv, partner_id, destination, **extra)
    expect_eq(status, 201, "create a link (%s)" % short(link))
    return link


def test_a_links_destination_and_sub_ids_change_its_code_never(srv):
    prog = create_program(srv)
    ptn = create_partner(srv, prog["id"])
    link = link_of(srv, ptn["id"], "https://shop.example/shoes", sub1="news")
    status, _, got = srv.api("PATCH", "/api/v1/links/" + link["id"],
                             {"destination": "https://shop.example/boots", "sub1": None,
                              "sub2": "spring"})
    expect_eq(status, 200, "update (%s)" % short(got))
    expect_eq((got["destination"], got["sub1"], got["sub2"], got["code"], got["disabled"]),
              ("https://shop.example/boots", None, "spring", link["code"], False), "the link")
    loc, _ = click_ok(srv, link["code"])
    expect(loc.startswith("https://shop.example/boots"), "the click goes to the new place: %s" % loc)
    status, _, again = srv.api("GET", "/api/v1/links/" + link["id"])
    expect_eq((status, again), (200, got), "GET answers the same link")
    before = srv.sql("SELECT code, destination, sub1, sub2 FROM links WHERE id = ?", (link["id"],))
    # The code never changes; a destination off the program's hosts, or another program's host,
    # is refused; nothing is written.
    other = create_program(srv, allowed_hosts=["other.example"], default_url="https://other.example/")
    expect(other["id"] != prog["id"], "two programs")
    for body, status, param in [({"code": "newcode"}, 422, "code"),
                                ({"destination": "https://other.example/x"}, 422, "destination"),
                                ({"destination": "not a url"}, 400, "destination"),
                                ({"disabled": "yes"}, 400, "disabled"),
                                ({"partner_id": ptn["id"]}, 400, "partner_id")]:
        expect_error(srv.api("PATCH", "/api/v1/links/" + link["id"], body), status, param=param)
    expect_eq(srv.sql("SELECT code, destination, sub1, sub2 FROM links WHERE id = ?", (link["id"],)),
              before, "refused edits wrote nothing")
    expect_error(srv.api("PATCH", "/api/v1/links/lnk_nosuch", {"disabled": True}), 404, param="id")


def test_a_disabled_link_sends_visitors_to_the_default_url_uncredited(srv):
    prog = create_program(srv)
    ptn = create_partner(srv, prog["id"])
    link = link_of(srv, ptn["id"], "https://shop.example/sale")
    status, _, got = srv.api("PATCH", "/api/v1/links/" + link["id"], {"disabled": True})
    expect_eq((status, got.get("disabled")), (200, True), "disable (%s)" % short(got))
    clicks = srv.sql1("SELECT COUNT(*) FROM clicks WHERE link_id = ?", (link["id"],))
    status, loc, cid = click(srv, link["code"])
    expect_eq((status, loc, cid), (302, prog["default_url"], None), "a disabled link's click")
    expect_eq(srv.sql1("SELECT COUNT(*) FROM clicks WHERE link_id = ?", (link["id"],)), clicks,
              "no click recorded")
    expect_error(srv.request("POST", "/api/v1/clicks", {"code": link["code"]}, key=srv.pk), 422,
                 param="code")
    status, _, got = srv.api("PATCH", "/api/v1/links/" + link["id"], {"disabled": False})
    expect_eq(status, 200, "enable (%s)" % short(got))
    loc, _ = click_ok(srv, link["code"])
    expect(loc.startswith("https://shop.example/sale"), "enabled again: %s" % loc)


def test_deleting_removes_an_unused_link_and_archives_one_with_history(srv):
    prog = create_program(srv)
    ptn = create_partner(srv, prog["id"])
    unused = link_of(srv, ptn["id"], "https://shop.example/a")
    status, _, body = srv.api("DELETE", "/api/v1/links/" + unused["id"])
    expect_eq((status, body.get("deleted")), (200, True), "delete an unused link (%s)" % short(body))
    expect_error(srv.api("GET", "/api/v1/links/" + unused["id"]), 404, param="id")
    expect_eq(click(srv, unused["code"])[0], 404, "its code is gone")

    used = link_of(srv, ptn["id"], "https://shop.example/b")
    _, cid = click_ok(srv, used["code"])
    status, _, conv = convert(srv, prog["id"], "ord-arch", 10000, click_id=cid)
    expect_eq(status, 201, "a sale through it (%s)" % short(conv))
    status, _, body = srv.api("DELETE", "/api/v1/links/" + used["id"])
    expect_eq((status, body.get("deleted")), (200, False), "delete a used link (%s)" % short(body))
    expect(body["archived"] is not None, "it is archived: %s" % short(body))
    status, _, got = srv.api("GET", "/api/v1/links/" + used["id"])
    expect_eq((status, got["archived"]), (200, body["archived"]), "still there, archived")
    status, loc, cid2 = click(srv, used["code"])
    expect_eq((status, loc, cid2), (302, prog["default_url"], None), "an archived link's click")
    expect_error(srv.api("PATCH", "/api/v1/links/" + used["id"], {"disabled": False}), 422,
                 param="id")
    # History stays: the conversion, the clicks, the report by link.
    expect_eq(srv.sql1("SELECT link_id FROM conversions WHERE id = ?", (conv["id"],)), used["id"],
              "the conversion keeps its link")
    status, _, rep = srv.api("GET", "/api/v1/reports?program_id=%s&group_by=link" % prog["id"])
    expect_eq(status, 200, "report (%s)" % short(rep))
    expect(used["id"] in short(rep, 100000), "the report still names the archived link")
    # Lists: everything by default, in use or archived with ?archived=.
    status, _, page = srv.api("GET", "/api/v1/links?partner_id=%s&archived=false" % ptn["id"])
    expect_eq(status, 200, "list in use (%s)" % short(page))
    expect(used["id"] not in [x["id"] for x in page["data"]], "archived links leave ?archived=false")
    status, _, page = srv.api("GET", "/api/v1/links?partner_id=%s&archived=true" % ptn["id"])
    expect_eq([x["id"] for x in page["data"]], [used["id"]], "?archived=true")
    # The default link (the ref_code) is never deleted.
    expect_error(srv.api("DELETE", "/api/v1/links/" + ptn["default_link"]["id"]), 422, param="id")
    expect_eq(click(srv, ptn["ref_code"])[0], 302, "the default link still works")


def test_coupons_are_replaced_as_a_set_and_shown_to_the_partner(srv):
    prog = create_program(srv)
    a = create_partner(srv, prog["id"], coupons=["OLD5"])
    b = create_partner(srv, prog["id"], coupons=["BEES"])
    expect_eq(a["coupons"], ["OLD5"], "coupons made with the partner are shown")
    status, _, got = srv.api("PATCH", "/api/v1/partners/" + a["id"],
                             {"coupons": ["spring10", "VIP", "vip"]})
    expect_eq(status, 200, "replace (%s)" % short(got))
    expect_eq(got["coupons"], ["SPRING10", "VIP"], "the new set, upper-case, once each")
    expect_eq(srv.sql("SELECT code FROM coupons WHERE partner_id = ? ORDER BY code", (a["id"],)),
              [("SPRING10",), ("VIP",)], "stored")
    status, _, conv = convert(srv, prog["id"], "ord-vip", 5000, coupon="vip")
    expect_eq((status, conv.get("partner_id")), (201, a["id"]), "a sale with the new coupon")
    status, _, conv = convert(srv, prog["id"], "ord-old", 5000, coupon="OLD5")
    expect_eq((status, conv.get("partner_id")), (201, None), "the removed coupon earns nothing")
    # Another partner's code: 422 on coupons, nothing changed for either.
    before = srv.sql("SELECT program_id, code, partner_id FROM coupons ORDER BY code")
    status, _, err = srv.api("PATCH", "/api/v1/partners/" + a["id"], {"coupons": ["VIP", "bees"]})
    expect_error((status, {}, err), 422, param="coupons")
    expect("BEES" in err["error"]["message"], "the message names the code: %s" % short(err))
    for bad in (["x"], "VIP", [1], ["a b"]):
        expect_error(srv.api("PATCH", "/api/v1/partners/" + a["id"], {"coupons": bad}), 400,
                     param="coupons")
    expect_eq(srv.sql("SELECT program_id, code, partner_id FROM coupons ORDER BY code"), before,
              "refused edits wrote nothing")
    # The same code in another program is another coupon.
    other = create_program(srv)
    c = create_partner(srv, other["id"])
    status, _, got = srv.api("PATCH", "/api/v1/partners/" + c["id"], {"coupons": ["VIP"]})
    expect_eq((status, got.get("coupons")), (200, ["VIP"]), "VIP in another program (%s)" % short(got))
    # The partner sees its own coupons; an empty set clears them.
    key = partner_key(srv, a["id"])
    status, _, me = srv.request("GET", "/api/v1/me", key=key)
    expect_eq((status, me.get("coupons")), (200, ["SPRING10", "VIP"]), "GET /api/v1/me")
    status, _, got = srv.api("PATCH", "/api/v1/partners/" + a["id"], {"coupons": []})
    expect_eq((status, got.get("coupons")), (200, []), "cleared")


if __name__ == "__main__":
    main(globals())
