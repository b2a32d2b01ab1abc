#!/usr/bin/env python3
"""The merchant's team (README "Team and keys"): the login `partnerd init` made is an owner; an
owner invites users by email with a role, each accepts a one-time link and logs in on the same
login page; a viewer's every write, on every writing route the server has, is 403 with a clear
error and writes nothing; an admin does everything but the team and the keys; the last owner can
be neither demoted nor removed; a removed user's session ends and a changed role holds from the
next request."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (create_partner, create_program, expect, expect_eq, expect_error,  # noqa: E402
                     expect_status, main, short, uid)

PASSWORD = "a long team password 1"


class Session:
    """A dashboard login: the cookie and the CSRF token the pages send with every change."""

    def __init__(self, srv, email, password):
        self.srv = srv
        status, headers, body = srv.request("POST", "/login", {"email": email, "password": password})
        expect_eq(status, 200, "login of %s (%s)" % (email, short(body)))
        self.cookie = headers["set-cookie"].split(";")[0]
        status, _, info = srv.request("GET", "/web/session", headers={"Cookie": self.cookie})
        expect_eq(status, 200, "the session of %s (%s)" % (email, short(info)))
        self.info = info
        self.csrf = info["csrf_token"]

    def request(self, method, path, body=None, headers=None):
        h = {"Cookie": self.cookie, "X-CSRF-Token": self.csrf}
        h.update(headers or {})
        return self.srv.request(method, path, body, headers=h)


def owner(srv):
    return Session(srv, srv.keys["admin_email"], srv.keys["admin_password"])


def invite(srv, as_session, role, email=None, name=None):
    """Invites a user and accepts the invite; returns (user, Session)."""
    email = email or "%s-%s@team.example" % (role, uid(6))
    body = {"email": email, "role": role}
    if name:
        body["name"] = name
    status, _, user = as_session.request("POST", "/api/v1/users", body)
    expect_eq(status, 201, "invite a %s (%s)" % (role, short(user)))
    expect_eq((user["role"], user["status"], user["email"]), (role, "invited", email.lower()),
              "the invited user")
    path = "/invite/" + user["invite_url"].rsplit("/invite/", 1)[1]
    status, _, info = srv.request("GET", path + "/status")
    expect_eq(status, 200, "the invite's status (%s)" % short(info))
    expect_eq(info["email"], email.lower(), "the invite names the user")
    status, _, body = srv.request("POST", path, {"password": PASSWORD})
    expect_eq(status, 200, "accepting the invite (%s)" % short(body))
    expect_eq(body["redirect"], "/admin/", "an invited user lands on the merchant dashboard")
    status, _, body = srv.request("POST", path, {"password": PASSWORD + "x"})
    expect_error((status, {}, body), 404, param="token")
    return user, Session(srv, email, PASSWORD)


def test_the_first_login_is_an_owner_and_invited_users_log_in(srv):
    me = owner(srv)
    expect_eq(me.info["role"], "owner", "init's admin is an owner")
    status, _, users = me.request("GET", "/api/v1/users")
    expect_eq(status, 200, "list users (%s)" % short(users))
    first = [u for u in users["data"] if u["email"] == srv.keys["admin_email"]]
    expect_eq([(u["role"], u["status"]) for u in first], [("owner", "active")], "init's login")
    user, ses = invite(srv, me, "admin", email="Pat.%s@Team.Example" % uid(4), name="Pat")
    expect_eq(ses.info["role"], "admin", "the session's role")
    expect_eq(ses.info["name"], "Pat", "the session's name")
    status, _, got = me.request("GET", "/api/v1/users/" + user["id"])
    expect_eq((status, got["status"]), (200, "active"), "the user after accepting (%s)" % short(got))
    # An invited user without a password cannot log in with an empty one or any other.
    status, _, pending = me.request("POST", "/api/v1/users", {"email": "x-%s@team.example" % uid(),
                                                             "role": "viewer"})
    expect_eq(status, 201, "a second invite (%s)" % short(pending))
    status, _, body = srv.request("POST", "/login", {"email": pending["email"], "password": ""})
    expect_error((status, {}, body), 400, param="password")
    status, _, body = srv.request("POST", "/login", {"email": pending["email"],
                                                    "password": "anything at all"})
    expect_error((status, {}, body), 401, param="password")


def test_a_new_invite_replaces_the_old_one(srv):
    me = owner(srv)
    status, _, user = me.request("POST", "/api/v1/users", {"email": "re-%s@team.example" % uid(),
                                                          "role": "admin"})
    expect_eq(status, 201, "invite (%s)" % short(user))
    old = "/invite/" + user["invite_url"].rsplit("/invite/", 1)[1]
    status, _, again = me.request("POST", "/api/v1/users/%s/invite" % user["id"])
    expect_eq(status, 200, "a new invite (%s)" % short(again))
    new = "/invite/" + again["invite_url"].rsplit("/invite/", 1)[1]
    expect(new != old, "a new link")
    expect_error(srv.request("POST", old, {"password": PASSWORD}), 404, param="token")
    status, _, body = srv.request("POST", new, {"password": PASSWORD})
    expect_eq(status, 200, "the new link works (%s)" % short(body))
    expect_error(me.request("POST", "/api/v1/users/%s/invite" % user["id"]), 409, param="id")
    expect_error(me.request("POST", "/api/v1/users/adm_nosuch/invite"), 404, param="id")


def test_an_install_made_before_roles_migrates_its_login_to_owner():
    # The database as it was before migration 018: no roles, no link states, no key names.
    with harness.Server() as srv:
        srv.stop()
        for sql in ("DROP INDEX admins_invite",
                    "ALTER TABLE admins DROP COLUMN role", "ALTER TABLE admins DROP COLUMN name",
                    "ALTER TABLE admins DROP COLUMN invite_token_hash",
                    "ALTER TABLE admins DROP COLUMN updated_at", "ALTER TABLE api_keys DROP COLUMN name",
                    "ALTER TABLE links DROP COLUMN disabled", "ALTER TABLE links DROP COLUMN archived_at",
                    "ALTER TABLE links DROP COLUMN updated_at",
                    "DELETE FROM schema_migrations WHERE name = '018_merchant_users'"):
            srv.sql_write(sql)
        srv.sql_write("INSERT INTO admins (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)",
                      ("adm_0OLDER%s" % uid(), "older-%s@team.example" % uid(), "x", 1))
        rc, out, err = srv.run_cli("migrate", "--db", srv.db_url)
        expect_eq(rc, 0, "migrate (%s %s)" % (out, err))
        expect("applied 1 migration" in out, "018 applied again: %r" % out)
        expect_eq(srv.sql("SELECT DISTINCT role FROM admins"), [("owner",)], "every older login is an owner")
        srv.start()
        me = owner(srv)
        expect_eq(me.info["role"], "owner", "init's login after the migration")
        status, _, users = me.request("GET", "/api/v1/users")
        expect_eq((status, sorted(u["role"] for u in users["data"])), (200, ["owner", "owner"]),
                  "both logins are owners (%s)" % short(users))


def test_bad_input_on_users(srv):
    me = owner(srv)
    before = srv.sql1("SELECT COUNT(*) FROM admins")
    cases = [({"email": "a-%s@team.example" % uid(), "role": "superuser"}, 422, "role"),
             ({"email": "a-%s@team.example" % uid()}, 400, "role"),
             ({"email": "not-an-email", "role": "viewer"}, 400, "email"),
             ({"email": "a-%s@team.example" % uid(), "role": "viewer", "password": PASSWORD}, 400,
              "password"),
             ({"email": srv.keys["admin_email"].upper(), "role": "viewer"}, 409, "email")]
    for body, status, param in cases:
        expect_error(me.request("POST", "/api/v1/users", body), status, param=param)
    expect_eq(srv.sql1("SELECT COUNT(*) FROM admins"), before, "no user was added")
    expect_error(me.request("PATCH", "/api/v1/users/adm_nosuch", {"role": "viewer"}), 404,
                 param="id")
    own_id = me.info["user_id"]
    expect_error(me.request("PATCH", "/api/v1/users/" + own_id, {"role": "emperor"}), 422,
                 param="role")


def test_the_last_owner_is_neither_demoted_nor_removed():
    with harness.Server() as srv:
        me = owner(srv)
        own_id = me.info["user_id"]
        for role in ("admin", "viewer"):
            expect_error(me.request("PATCH", "/api/v1/users/" + own_id, {"role": role}), 422,
                         param="role")
        expect_error(me.request("DELETE", "/api/v1/users/" + own_id), 422, param="id")
        expect_error(srv.api("DELETE", "/api/v1/users/" + own_id), 422, param="id")
        expect_eq(srv.sql("SELECT role FROM admins"), [("owner",)], "still one owner")
        # With a second owner, the first may step down; the second is then the last.
        second, ses2 = invite(srv, me, "owner")
        status, _, body = me.request("PATCH", "/api/v1/users/" + own_id, {"role": "admin"})
        expect_eq((status, body.get("role")), (200, "admin"), "stepping down (%s)" % short(body))
        # The demotion holds from the very next request of the same session.
        expect_error(me.request("GET", "/api/v1/users"), 403)
        expect_error(ses2.request("DELETE", "/api/v1/users/" + second["id"]), 422, param="id")
        status, _, body = ses2.request("DELETE", "/api/v1/users/" + own_id)
        expect_eq((status, body.get("deleted")), (200, True), "removing the first (%s)" % short(body))
        # A removed user's session ends at once, and its password no longer logs in.
        expect_error(me.request("GET", "/api/v1/programs"), 401)
        status, _, _ = srv.request("GET", "/web/session", headers={"Cookie": me.cookie})
        expect_eq(status, 401, "the removed user's session")
        status, _, body = srv.request("POST", "/login", {"email": srv.keys["admin_email"],
                                                        "password": srv.keys["admin_password"]})
        expect_eq(status, 401, "the removed user's login (%s)" % short(body))


def test_an_admin_does_everything_but_the_team_and_the_keys(srv):
    _, adm = invite(srv, owner(srv), "admin")
    status, _, prog = adm.request("POST", "/api/v1/programs", {
        "name": "By an admin", "currency": "USD", "allowed_hosts": ["shop.example"],
        "default_url": "https://shop.example/"})
    expect_eq(status, 201, "an admin creates a program (%s)" % short(prog))
    status, _, _ = adm.request("GET", "/api/v1/programs")
    expect_eq(status, 200, "an admin reads")
    for method, path, body in [("GET", "/api/v1/users", None),
                               ("POST", "/api/v1/users", {"email": "z@team.example", "role": "owner"}),
                               ("PATCH", "/api/v1/users/" + adm.info["user_id"], {"role": "owner"}),
                               ("GET", "/api/v1/keys", None),
                               ("POST", "/api/v1/keys", {"kind": "secret"})]:
        status, _, err = adm.request(method, path, body)
        expect_error((status, {}, err), 403)
        expect("owner" in err["error"]["message"], "the refusal says why: %s" % short(err))
    expect_eq(srv.sql1("SELECT role FROM admins WHERE id = ?", (adm.info["user_id"],)), "admin",
              "an admin cannot make itself owner")


def print_routes(srv):
    p = subprocess.run([srv.bin, "serve", "--print-routes"], capture_output=True, text=True,
                       env=harness.clean_env(), timeout=30)
    expect_eq(p.returncode, 0, "serve --print-routes (%s)" % p.stderr)
    routes = [line.split(" ", 1) for line in p.stdout.strip().splitlines()]
    expect(len(routes) > 40, "routes printed: %d" % len(routes))
    return routes


def test_a_viewer_reads_and_every_write_is_refused(srv):
    prog = create_program(srv)
    ptn = create_partner(srv, prog["id"])
    _, viewer = invite(srv, owner(srv), "viewer")
    expect_eq(viewer.info["role"], "viewer", "the session's role")
    for path in ("/api/v1/programs", "/api/v1/partners/" + ptn["id"], "/api/v1/conversions",
                 "/api/v1/reports?program_id=" + prog["id"]):
        status, _, body = viewer.request("GET", path)
        expect_eq(status, 200, "a viewer reads %s (%s)" % (path, short(body)))
    expect_error(viewer.request("GET", "/api/v1/users"), 403)
    before = srv.counts()
    admins = srv.sql("SELECT id, role FROM admins ORDER BY id")
    # Representative writes, with bodies that would succeed for an owner.
    writes = [("POST", "/api/v1/programs", {"name": "V", "currency": "USD",
                                            "allowed_hosts": ["shop.example"],
                                            "default_url": "https://shop.example/"}),
              ("PATCH", "/api/v1/programs/" + prog["id"], {"name": "renamed"}),
              ("POST", "/api/v1/partners", {"program_id": prog["id"], "email": "v@p.example",
                                            "name": "V"}),
              ("PATCH", "/api/v1/partners/" + ptn["id"], {"status": "suspended",
                                                          "coupons": ["VIEWER"]}),
              ("POST", "/api/v1/partners/%s/keys" % ptn["id"], None),
              ("POST", "/api/v1/links", {"partner_id": ptn["id"],
                                         "destination": "https://shop.example/v"}),
              ("PATCH", "/api/v1/links/" + ptn["default_link"]["id"], {"disabled": True}),
              ("DELETE", "/api/v1/links/" + ptn["default_link"]["id"], None),
              ("POST", "/api/v1/conversions", {"order_id": "v-1", "amount": 1000,
                                               "currency": "USD", "ref": ptn["ref_code"]}),
              ("POST", "/api/v1/payouts", {"program_id": prog["id"]}),
              ("POST", "/api/v1/webhooks", {"url": "https://hooks.example/x",
                                            "events": ["conversion.created"]}),
              ("POST", "/api/v1/users", {"email": "w@team.example", "role": "viewer"}),
              ("PATCH", "/api/v1/users/" + viewer.info["user_id"], {"role": "owner"}),
              ("POST", "/api/v1/keys", {"kind": "secret"})]
    for method, path, body in writes:
        status, _, err = viewer.request(method, path, body)
        expect_error((status, {}, err), 403)
        expect("viewer" in err["error"]["message"], "%s %s says why: %s" % (method, path, short(err)))
    # Every writing route of the API: a route that needs credentials refuses the viewer. (The
    # dashboards' own forms, /login, /logout, invites and a person's password, are that person's
    # account, not the merchant's data: a viewer uses them too.)
    asked = 0
    for method, pattern in print_routes(srv):
        if method in ("GET", "HEAD") or not pattern.startswith(("/api/", "/track/")):
            continue
        path = pattern.replace("*", "x" + uid(4))
        status, _, anon = srv.request(method, path, {})
        if status != 401:
            continue  # a public route (a login form, a signed store webhook): no session needed
        status, _, err = viewer.request(method, path, {})
        expect_eq(status, 403, "%s %s for a viewer (%s)" % (method, pattern, short(err)))
        expect_eq(err["error"]["code"], "forbidden", "%s %s: the error's code" % (method, pattern))
        asked += 1
    expect(asked >= 25, "writing routes asked: %d" % asked)
    expect_eq(srv.counts(), before, "a viewer's refused writes wrote nothing")
    expect_eq(srv.sql("SELECT id, role FROM admins ORDER BY id"), admins, "the team is unchanged")
    # The viewer may still log out (ending its own session is not a change to the account).
    status, _, body = viewer.request("POST", "/logout", {})
    expect_eq(status, 200, "a viewer logs out (%s)" % short(body))


def test_a_promoted_viewer_writes_from_its_next_request(srv):
    me = owner(srv)
    user, viewer = invite(srv, me, "viewer")
    body = {"name": "P", "currency": "USD", "allowed_hosts": ["shop.example"],
            "default_url": "https://shop.example/"}
    expect_error(viewer.request("POST", "/api/v1/programs", body), 403)
    expect_status(me.request("PATCH", "/api/v1/users/" + user["id"], {"role": "admin"}), 200)
    status, _, prog = viewer.request("POST", "/api/v1/programs", body)
    expect_eq(status, 201, "promoted, the same session writes (%s)" % short(prog))


if __name__ == "__main__":
    main(globals())
