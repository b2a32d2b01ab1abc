#!/usr/bin/env python3
"""Partner signup (README "Partner signup"): a program's public page /join/{slug} and its form, the
applications a merchant approves or rejects, the pending partner who sees only the review, the
forgotten password through a one-time link, the password change, and an invite sent again or
revoked. Bad input: an email already used, weak passwords, a 10 KB name, script in every field,
forged forms, a reset link used twice or after an hour, 1,000 signups a minute from one address.

Every signup comes from its own client address (trusted_proxies and X-Forwarded-For), as the
per-address throttle would otherwise refuse a test's eleventh signup. Without smtp_url the
emails these flows queue are not sent and GET /api/v1/emails shows their links: the reset links
are taken from there, as a merchant would hand them over. With a real SMTP server on loopback
(tests/e2e/smtp_server.py) that refuses, does not answer or closes mid-message, a signup answers
as it always does and its email is retried until it arrives, once."""

import collections
import http.client
import json
import os
import re
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (Server, create_partner, create_program, expect, expect_eq,  # noqa: E402
                     expect_error, expect_status, short, uid)
from smtp_server import SmtpServer, email_of, email_rows, smtp_args, wait_until  # noqa: E402

PROXIED = ["--trusted_proxies", "127.0.0.1"]
PASSWORD = "correct horse battery"
SCRIPT = "<script>alert(1)</script>"
_addr = [0]


def next_addr():
    _addr[0] += 1
    return "198.51.%d.%d" % (_addr[0] // 250, _addr[0] % 250 + 1)


def raw(srv, method, path, body=None, headers=None):
    """One request; answers (status, headers, text)."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=dict({"User-Agent": harness.DEFAULT_UA}, **(headers or {})))
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode("utf-8", "replace")
    finally:
        conn.close()


def form_token(srv, path, addr):
    """The form's token and the cookie it is bound to."""
    status, headers, page = raw(srv, "GET", path, headers={"X-Forwarded-For": addr})
    expect_eq(status, 200, "GET %s" % path)
    m = re.search(r'name="form_token" value="([^"]+)"', page)
    expect(m is not None, "no form_token in %s" % path)
    cookie = headers.get("set-cookie", "")
    expect(re.match(r"^pd_form=[A-Za-z0-9]{32}; Path=/; .*HttpOnly; SameSite=Strict", cookie),
           "the form cookie: %r" % cookie)
    return m.group(1), cookie.split(";")[0]


def post_form(srv, path, fields, addr=None, token=True, origin="null", extra=None, cookie=None):
    """Posts a form as a browser does after showing it (our pages send "Origin: null", their
    Referrer-Policy being no-referrer); answers (status, headers, text)."""
    addr = addr or next_addr()
    fields = dict(fields)
    if token:
        fields["form_token"], cookie = form_token(srv, path, addr)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": addr}
    if cookie:
        headers["Cookie"] = cookie
    if origin:
        headers["Origin"] = origin
    headers.update(extra or {})
    return raw(srv, "POST", path, urllib.parse.urlencode(fields), headers)


def post_json(srv, path, body, addr=None, headers=None):
    h = {"X-Forwarded-For": addr or next_addr()}
    h.update(headers or {})
    return srv.request("POST", path, body=body, headers=h)


def signup(srv, slug, email, name="Jane Blogger", password=PASSWORD, **extra):
    fields = {"name": name, "email": email, "password": password, "website": "janes-blog.example",
              "promotion": "A cooking blog with 20k readers"}
    fields.update(extra)
    return post_form(srv, "/join/" + slug, fields)


def login(srv, email, password, addr=None):
    """Answers (status, body, cookie header or None)."""
    status, headers, body = post_json(srv, "/login", {"email": email, "password": password}, addr)
    cookie = headers.get("set-cookie", "").split(";")[0] or None
    return status, body, cookie


def session(srv, cookie):
    return srv.request("GET", "/web/session", headers={"Cookie": cookie})


def partner_by_email(srv, program_id, email):
    rows = srv.sql("SELECT id, status, name, website, promotion, password_hash FROM partners"
                   " WHERE program_id = ? AND email = ?", (program_id, email))
    return rows[0] if rows else None


def signup_program(srv, **extra):
    return create_program(srv, description="Cook with us.\n\nWe pay monthly.",
                          terms="Be honest about the link.", **extra)


# ---- the program's fields --------------------------------------------------------------------

def test_program_slug_description_terms_and_auto_approve():
    with Server(serve_args=PROXIED) as srv:
        name = "Acme Kitchen " + uid()
        prog = create_program(srv, name=name)
        expect_eq(prog["slug"], name.lower().replace(" ", "-"), "slug from the name")
        expect_eq((prog["description"], prog["terms"], prog["auto_approve"]), ("", "", False),
                  "defaults")
        again = create_program(srv, name=name)
        expect_eq(again["slug"], prog["slug"] + "-2", "a taken slug gets a suffix")
        odd = create_program(srv, name="¡¡¡")
        expect_eq(odd["slug"][:7], "program", "a name without letters")
        s, _, body = srv.api("PATCH", "/api/v1/programs/" + prog["id"],
                             {"slug": "acme", "description": "Hello", "terms": "T",
                              "auto_approve": True})
        expect_eq(s, 200, "PATCH slug: %s" % short(body))
        expect_eq((body["slug"], body["description"], body["terms"], body["auto_approve"]),
                  ("acme", "Hello", "T", True), "saved")
        expect_error(srv.api("PATCH", "/api/v1/programs/" + again["id"], {"slug": "acme"}), 409,
                     "slug")
        for bad in ("Acme", "a", "-acme", "acme-", "ac--me", "ac me", "x" * 65):
            expect_error(srv.api("PATCH", "/api/v1/programs/" + again["id"], {"slug": bad}), 400,
                         "slug")
        expect_error(srv.api("PATCH", "/api/v1/programs/" + again["id"],
                             {"description": "x" * 5001}), (400, 422), "description")
        expect_eq(srv.sql1("SELECT slug FROM programs WHERE id = ?", (again["id"],)),
                  prog["slug"] + "-2", "a refused change wrote nothing")


# ---- the public page -------------------------------------------------------------------------

def test_join_page_shows_the_program_and_a_labelled_form():
    with Server(serve_args=PROXIED) as srv:
        prog = create_program(srv, description=SCRIPT + "\n\nSecond paragraph", terms="Terms " + SCRIPT,
                              rules=[{"type": "percent", "bps": 1000},
                                     {"type": "flat", "amount": 500, "match": {"first_purchase": True}},
                                     {"type": "percent", "bps": 5000, "match": {"group": "vip"}}])
        status, headers, page = raw(srv, "GET", "/join/" + prog["slug"])
        expect_eq(status, 200, "the page")
        expect("default-src 'none'" in headers.get("content-security-policy", ""), "CSP")
        expect_eq(headers.get("x-frame-options"), "DENY", "X-Frame-Options")
        expect(headers.get("content-type", "").startswith("text/html"), "HTML")
        expect("10% of each sale" in page, "the commission in words: %s" % page[:3000])
        expect("5.00 USD per sale on first purchases" in page, "a flat rule in words")
        expect("50%" not in page, "a group's rule is private")
        expect(SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page,
               "the description is shown as text")
        for label in ("Name", "Email", "Password", "Website", "How you promote"):
            expect('<span class="label">%s</span>' % label in page, "label %s" % label)
        expect('name="company"' in page and 'tabindex="-1"' in page, "the honeypot")
        expect("<script" not in page.replace("&lt;script", ""), "no script on the page")
        status, _, page = raw(srv, "GET", "/join/no-such-program")
        expect_eq(status, 404, "an unknown slug")
        expect("Program not found" in page, "the 404 page: %s" % page[:300])
        expect_error(srv.request("POST", "/join/no-such-program", body={"name": "x"},
                                 headers={"X-Forwarded-For": next_addr()}), 404, "slug")


# ---- signing up ------------------------------------------------------------------------------

def test_signup_creates_a_pending_partner_who_sees_only_the_review():
    with Server(serve_args=PROXIED) as srv:
        prog = signup_program(srv)
        email = "jane%s@blog.example" % uid()
        status, _, page = signup(srv, prog["slug"], email.upper())
        expect_eq(status, 202, "signup: %s" % page[:500])
        expect("Application received" in page, "the answer page")
        pid, st, name, website, promotion, pw_hash = partner_by_email(srv, prog["id"], email)
        expect_eq((st, name, website, promotion), ("pending", "Jane Blogger",
                  "https://janes-blog.example", "A cooking blog with 20k readers"), "the partner")
        expect(pw_hash.startswith("$argon2id$"), "the chosen password is set")
        s, body, cookie = login(srv, email, PASSWORD)
        expect_eq(s, 200, "a pending partner logs in: %s" % short(body))
        s, _, info = session(srv, cookie)
        expect_eq((s, info["status"]), (200, "pending"), "the session says pending")
        for path in ("/api/v1/me", "/api/v1/me/links", "/api/v1/me/commissions"):
            err = expect_error(srv.request("GET", path, headers={"Cookie": cookie}), 403)
            expect("under review" in err["message"], "the 403 says why: %r" % err["message"])
        key = harness.partner_key(srv, pid)
        err = expect_error(srv.request("GET", "/api/v1/me", key=key), 403)
        expect("under review" in err["message"], "a pending partner's key: %r" % err["message"])
        s, _, body = srv.api("GET", "/api/v1/partners/" + pid)
        expect_eq((body["status"], body["website"], body["rejection_reason"]),
                  ("pending", "https://janes-blog.example", None), "the merchant's view")
        # the merchant approves: the same session now reads its data
        s, _, body = srv.api("PATCH", "/api/v1/partners/" + pid, {"status": "active"})
        expect_eq((s, body.get("status")), (200, "active"), "approve: %s" % short(body))
        expect_status(srv.request("GET", "/api/v1/me", headers={"Cookie": cookie}), 200)
        expect_status(srv.request("GET", "/api/v1/me", key=key), 200)


def test_signup_with_auto_approve_is_active_at_once():
    with Server(serve_args=PROXIED) as srv:
        prog = signup_program(srv, auto_approve=True)
        email = "auto%s@blog.example" % uid()
        status, _, body = post_json(srv, "/join/" + prog["slug"],
                                    {"name": "Auto", "email": email, "password": PASSWORD})
        expect_eq((status, body.get("status")), (202, "approved"), "JSON signup: %s" % short(body))
        expect_eq(partner_by_email(srv, prog["id"], email)[1], "active", "status")
        s, _, cookie = login(srv, email, PASSWORD)
        expect_eq(s, 200, "login")
        expect_status(srv.request("GET", "/api/v1/me", headers={"Cookie": cookie}), 200)


def test_an_email_already_in_the_program_gets_the_same_answer():
    with Server(serve_args=PROXIED) as srv:
        prog = signup_program(srv)
        email = "twice%s@blog.example" % uid()
        first = signup(srv, prog["slug"], email)
        t0 = time.monotonic()
        second = signup(srv, prog["slug"], email, name="Someone Else", password="another fine passphrase")
        expect_eq((second[0], second[2]), (first[0], first[2]), "the same status and page")
        expect(time.monotonic() - t0 < 10, "answered in the same way (a hash, one write)")
        j1 = post_json(srv, "/join/" + prog["slug"], {"name": "A", "email": email, "password": PASSWORD})
        j2 = post_json(srv, "/join/" + prog["slug"],
                       {"name": "B", "email": "new%s@blog.example" % uid(), "password": PASSWORD})
        expect_eq((j1[0], j1[2]), (j2[0], j2[2]), "JSON: the same answer for a known and a new email")
        expect_eq(srv.sql1("SELECT COUNT(*) FROM partners WHERE program_id = ? AND email = ?",
                           (prog["id"], email)), 1, "one account")
        told = emails_to(srv, email, "signup_existing")
        expect_eq([(e["program_id"], e["link"]) for e in told],
                  [(prog["id"], "http://127.0.0.1:%d/login" % srv.port)] * 2,
                  "each signup with the known email tells the address it has an account")
        expect_eq(partner_by_email(srv, prog["id"], email)[2], "Jane Blogger", "the first stays")
        expect_eq(login(srv, email, "another fine passphrase")[0], 401, "the second password is not set")
        expect_eq(login(srv, email, PASSWORD)[0], 200, "the first password still works")
        # another program: a new account for the same person
        other = signup_program(srv)
        expect_eq(signup(srv, other["slug"], email)[0], 202, "another program")
        expect_eq(srv.sql1("SELECT COUNT(*) FROM partners WHERE email = ?", (email,)), 2, "two accounts")


def test_bad_signups_answer_the_form_again_and_write_nothing():
    with Server(serve_args=PROXIED) as srv:
        prog = signup_program(srv)
        slug = prog["slug"]
        before = srv.counts()
        cases = [
            ({"password": "short"}, "password", "at least 10"),
            ({"password": "password123"}, "password", "too easy"),
            ({"password": "aaaaaaaaaaaa"}, "password", "too easy"),
            ({"password": "1234567890"}, "password", "too easy"),
            ({"name": "N" * 10240}, "name", "at most 200"),
            ({"name": ""}, "name", "Enter your name"),
            ({"email": "not-an-email"}, "email", "not an email"),
            ({"website": "http://"}, "website", "site"),
            ({"promotion": "p" * 2001}, "promotion", "at most 2000"),
        ]
        for change, param, words in cases:
            fields = {"name": "Jane", "email": "bad%s@blog.example" % uid(), "password": PASSWORD}
            fields.update(change)
            status, _, page = post_form(srv, "/join/" + slug, fields)
            expect_eq(status, 422, "%s: %s" % (change.keys(), page[:300]))
            expect('id="%s-error"' % param in page and words in page,
                   "%s: the message %r on the form" % (param, words))
            if param != "name" or change["name"] == "":
                expect("N" * 300 not in page, "values kept are bounded")
            s, _, body = post_json(srv, "/join/" + slug, fields)
            err = expect_error((s, {}, body), 422, param)
            expect(words.lower() in err["message"].lower(), "JSON: %r" % err["message"])
        # the values typed are kept (escaped), the password never
        status, _, page = post_form(srv, "/join/" + slug, {"name": SCRIPT, "email": SCRIPT,
                                                             "password": "x", "website": SCRIPT,
                                                             "promotion": SCRIPT})
        expect_eq(status, 422, "script everywhere and a weak password")
        expect(SCRIPT not in page and page.count("&lt;script&gt;") >= 3, "escaped values")
        # the honeypot: answered as a success, nothing written
        status, _, page = signup(srv, slug, "bot%s@spam.example" % uid(), company="Spam Inc")
        expect_eq(status, 202, "a bot is answered as a person")
        # forged forms
        s, _, page = post_form(srv, "/join/" + slug, {"name": "J", "email": "j@x.example",
                                                       "password": PASSWORD}, token=False)
        expect_eq(s, 403, "no form token")
        s, _, page = post_form(srv, "/join/" + slug, {"name": "J", "email": "j@x.example",
                                                       "password": PASSWORD, "form_token": "1.abc"},
                               token=False)
        expect_eq(s, 403, "a forged form token")
        s, _, page = post_form(srv, "/join/" + slug, {"name": "J", "email": "j@x.example",
                                                       "password": PASSWORD},
                               origin="https://evil.example")
        expect_eq(s, 403, "a cross-site form")
        tok, _ = form_token(srv, "/join/" + slug, next_addr())
        s, _, page = post_form(srv, "/join/" + slug, {"name": "J", "email": "j@x.example",
                                                       "password": PASSWORD, "form_token": tok},
                               token=False)
        expect_eq(s, 403, "a token without its cookie (a cross-site post carries none)")
        s, _, page = post_form(srv, "/join/" + slug, {"name": "J", "email": "j@x.example",
                                                       "password": PASSWORD, "form_token": tok},
                               token=False, cookie="pd_form=" + "x" * 32)
        expect_eq(s, 403, "a token with another browser's cookie")
        s, _, page = post_form(srv, "/join/" + slug, {"name": "J", "email": "j@x.example",
                                                       "password": "x"},
                               origin="http://127.0.0.1:%d" % srv.port)
        expect_eq(s, 422, "a same-site Origin is accepted")
        expect_error(post_json(srv, "/join/" + slug, {"name": "J", "email": "j@x.example",
                                                      "password": PASSWORD},
                               headers={"Origin": "https://evil.example"}), 403)
        s, _, _ = raw(srv, "POST", "/join/" + slug, "name=J", {"Content-Type": "text/plain",
                                                               "X-Forwarded-For": next_addr()})
        expect_eq(s, 415, "another content type")
        expect_eq(srv.counts(), before, "nothing written")


def test_script_in_every_field_is_stored_and_shown_as_text():
    with Server(serve_args=PROXIED) as srv:
        prog = signup_program(srv)
        email = "x%s@blog.example" % uid()
        status, _, _ = signup(srv, prog["slug"], email, name=SCRIPT,
                              website="https://blog.example/?q=" + urllib.parse.quote(SCRIPT),
                              promotion=SCRIPT + "\n" + SCRIPT)
        expect_eq(status, 202, "signup")
        pid, _, name, website, promotion, _ = partner_by_email(srv, prog["id"], email)
        expect_eq((name, promotion), (SCRIPT, SCRIPT + "\n" + SCRIPT), "stored as typed")
        s, _, body = srv.api("GET", "/api/v1/partners/" + pid)
        expect_eq(body["name"], SCRIPT, "answered as JSON text")


def test_one_address_is_throttled_while_others_sign_up():
    with Server(serve_args=PROXIED) as srv:
        prog = signup_program(srv)
        path = "/join/" + prog["slug"]
        flood = "203.0.113.9"
        statuses = []
        t0 = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        for i in range(1000):
            body = json.dumps({"name": "Bot %d" % i, "email": "bot%d-%s@spam.example" % (i, uid()),
                               "password": PASSWORD})
            conn.request("POST", path, body=body, headers={
                "Content-Type": "application/json", "X-Forwarded-For": flood,
                "User-Agent": harness.DEFAULT_UA})
            r = conn.getresponse()
            r.read()
            statuses.append(r.status)
            if i == 999:
                retry = r.getheader("Retry-After")
        conn.close()
        took = time.monotonic() - t0
        expect_eq(statuses[:10], [202] * 10, "the first signups")
        expect_eq(set(statuses[10:]), {429}, "the rest refused")
        expect(retry and int(retry) > 0, "Retry-After")
        expect(took < 60, "1,000 signups answered within a minute (took %.1f s)" % took)
        expect_eq(srv.sql1("SELECT COUNT(*) FROM partners WHERE program_id = ?", (prog["id"],)),
                  10, "only the allowed ones were created")
        s, headers, page = post_form(srv, path, {"name": "Bot", "email": "b@spam.example",
                                                 "password": PASSWORD}, addr=flood)
        expect_eq(s, 429, "the form from the same address")
        expect("Too many attempts" in page and int(headers.get("retry-after", "0")) > 0,
               "a page that says so, with Retry-After")
        s, _, _ = signup(srv, prog["slug"], "human%s@blog.example" % uid())
        expect_eq(s, 202, "another address still signs up")
        # password requests are limited per address the same way
        other = "203.0.113.77"
        answers = [post_json(srv, "/forgot", {"email": "x%d@blog.example" % i}, addr=other)[0]
                   for i in range(12)]
        expect_eq(answers, [200] * 10 + [429] * 2, "reset requests from one address")


# ---- approving and rejecting ------------------------------------------------------------------

def test_rejecting_an_application_with_a_reason():
    with Server(serve_args=PROXIED) as srv:
        prog = signup_program(srv)
        email = "rej%s@blog.example" % uid()
        signup(srv, prog["slug"], email)
        pid = partner_by_email(srv, prog["id"], email)[0]
        _, _, cookie = login(srv, email, PASSWORD)
        key = harness.partner_key(srv, pid)
        expect_error(srv.api("PATCH", "/api/v1/partners/" + pid, {"rejection_reason": "no"}),
                     422, "rejection_reason")
        s, _, body = srv.api("PATCH", "/api/v1/partners/" + pid,
                             {"status": "rejected", "rejection_reason": "Not a fit " + SCRIPT})
        expect_eq((s, body["status"], body["rejection_reason"]),
                  (200, "rejected", "Not a fit " + SCRIPT), "rejected: %s" % short(body))
        expect_eq(session(srv, cookie)[0], 401, "the rejected partner's session ended")
        err = expect_error(srv.request("GET", "/api/v1/me", key=key), 403)
        expect("not accepted" in err["message"], "a rejected partner's key: %r" % err["message"])
        s, body, _ = login(srv, email, PASSWORD)
        expect_eq(s, 403, "a rejected partner cannot log in")
        expect("not accepted" in body["error"]["message"], "says why: %s" % short(body))
        s, _, body = srv.api("GET", "/api/v1/partners?program_id=%s&status=rejected" % prog["id"])
        expect_eq([p["id"] for p in body["data"]], [pid], "listed as rejected")
        s, _, body = srv.api("PATCH", "/api/v1/partners/" + pid, {"status": "active"})
        expect_eq((s, body["status"], body["rejection_reason"]), (200, "active", None),
                  "approved after all: the reason goes")
        expect_error(srv.api("PATCH", "/api/v1/partners/" + pid, {"status": "banned"}), 400,
                     "status")


# ---- passwords -------------------------------------------------------------------------------

def emails_to(srv, email, kind):
    """The messages of kind to email in the outbox, newest first."""
    return [e for e in email_rows(srv) if e["to"] == email and e["kind"] == kind]


def reset_token_for(srv, email):
    """The token of the newest reset link emailed to email, read from the outbox (not sent
    without smtp_url, so GET /api/v1/emails shows the link); the link is on public_url."""
    rows = emails_to(srv, email, "password_reset")
    expect(rows, "a reset link was emailed to %s" % email)
    prefix = "http://127.0.0.1:%d/reset/" % srv.port
    expect(rows[0]["link"].startswith(prefix), "the link: %r" % rows[0])
    return rows[0]["link"][len(prefix):]


def test_forgot_password_answers_alike_and_resets_every_account_of_the_email():
    with Server(serve_args=PROXIED) as srv:
        p1, p2 = signup_program(srv, auto_approve=True), signup_program(srv, auto_approve=True)
        email = "forgot%s@blog.example" % uid()
        signup(srv, p1["slug"], email)
        signup(srv, p2["slug"], email, password="a second passphrase here")
        _, _, old_cookie = login(srv, email, PASSWORD)
        s, _, page = raw(srv, "GET", "/login")
        expect('href="/forgot"' in page and "Forgot password?" in page, "the login page links it")
        known = post_form(srv, "/forgot", {"email": email.upper()})
        unknown = post_form(srv, "/forgot", {"email": "nobody%s@blog.example" % uid()})
        expect_eq((known[0], known[2]), (unknown[0], unknown[2]), "the same answer")
        expect_eq(known[0], 200, "status")
        expect_eq(srv.sql1("SELECT COUNT(*) FROM password_resets"), 1, "a link only for the known email")
        expect_eq([e["to"] for e in email_rows(srv) if e["kind"] == "password_reset"], [email],
                  "an email only to the known address")
        expires = srv.sql1("SELECT expires_at - created_at FROM password_resets")
        expect_eq(expires, 3600 * 1000, "valid one hour")
        j1 = post_json(srv, "/forgot", {"email": email})
        j2 = post_json(srv, "/forgot", {"email": "nobody%s@blog.example" % uid()})
        expect_eq((j1[0], j1[2]), (j2[0], j2[2]), "JSON: the same answer")
        token = reset_token_for(srv, email)
        s, _, page = raw(srv, "GET", "/reset/" + token)
        expect_eq(s, 200, "the link's page")
        expect("New password" in page and email in page, "asks for the new password")
        s, _, page = post_form(srv, "/reset/" + token, {"password": "password1234",
                                                        "password2": "password1234"})
        expect_eq(s, 422, "a weak new password")
        s, _, page = post_form(srv, "/reset/" + token, {"password": "a brand new secret",
                                                        "password2": "a different secret"})
        expect_eq(s, 422, "two different passwords")
        form_tok, form_cookie = form_token(srv, "/reset/" + token, next_addr())
        s, _, page = post_form(srv, "/reset/" + token, {"password": "a brand new secret",
                                                        "password2": "a brand new secret"})
        expect_eq(s, 200, "reset: %s" % page[:300])
        expect_eq(session(srv, old_cookie)[0], 401, "the old session is gone")
        [changed] = emails_to(srv, email, "password_changed")
        expect_eq((changed["program_id"], changed["link"]), (p1["id"], None),
                  "the password-changed email, in the name of the first program")
        hashes = srv.sql("SELECT password_hash FROM partners WHERE email = ?", (email,))
        expect_eq(len(set(h for (h,) in hashes)), 1, "both accounts take the new password")
        expect_eq(login(srv, email, "a brand new secret")[0], 200, "login with the new password")
        expect_eq(login(srv, email, PASSWORD)[0], 401, "the old password is gone")
        s, _, page = post_form(srv, "/reset/" + token, {"password": "yet another secret",
                                                        "password2": "yet another secret",
                                                        "form_token": form_tok}, token=False,
                               cookie=form_cookie)
        expect_eq(s, 404, "a link used twice")
        expect("expired or was already used" in page, "a clear page")
        expect_eq(raw(srv, "GET", "/reset/" + token)[0], 404, "the used link's page")
        # after an hour
        post_form(srv, "/forgot", {"email": email})
        late = reset_token_for(srv, email)
        form_tok, form_cookie = form_token(srv, "/reset/" + late, next_addr())
        srv.sql_write("UPDATE password_resets SET expires_at = ? WHERE used_at IS NULL",
                      (int(time.time() * 1000) - 1,))
        s, _, page = post_form(srv, "/reset/" + late, {"password": "yet another secret",
                                                       "password2": "yet another secret",
                                                       "form_token": form_tok}, token=False,
                               cookie=form_cookie)
        expect_eq(s, 404, "a link after an hour")
        expect_eq(login(srv, email, "a brand new secret")[0], 200, "nothing changed")
        expect_eq(raw(srv, "GET", "/reset/1-" + "a" * 32)[0], 404, "a malformed link")


def test_a_partner_changes_its_password_and_its_other_sessions_end():
    with Server(serve_args=PROXIED) as srv:
        prog = signup_program(srv, auto_approve=True)
        email = "change%s@blog.example" % uid()
        signup(srv, prog["slug"], email)
        _, _, here = login(srv, email, PASSWORD)
        _, _, elsewhere = login(srv, email, PASSWORD)
        csrf = session(srv, here)[2]["csrf_token"]
        h = {"Cookie": here, "X-CSRF-Token": csrf}
        err = expect_error(srv.request("POST", "/web/password", body={
            "current_password": "wrong password!", "new_password": "my new passphrase"}, headers=h),
            403, "current_password")
        expect_error(srv.request("POST", "/web/password", body={
            "current_password": PASSWORD, "new_password": "qwerty12345"}, headers=h), 422, "new_password")
        expect_error(srv.request("POST", "/web/password", body={
            "current_password": PASSWORD, "new_password": "my new passphrase"},
            headers={"Cookie": here}), 403, "X-CSRF-Token")
        s, _, body = srv.request("POST", "/web/password", body={
            "current_password": PASSWORD, "new_password": "my new passphrase"}, headers=h)
        expect_eq(s, 200, "changed: %s" % short(body))
        expect_eq(session(srv, here)[0], 200, "this session goes on")
        expect_eq(session(srv, elsewhere)[0], 401, "the other session ended")
        expect_eq(login(srv, email, "my new passphrase")[0], 200, "the new password")
        [changed] = emails_to(srv, email, "password_changed")
        expect_eq(changed["program_id"], prog["id"], "the partner is told, in the program's name")


# ---- the emails of these flows, sent to a real SMTP server ------------------------------------

def arrived(smtp, to, subject):
    """Waits for the message to `to` with that subject; answers it."""
    return wait_until(lambda: next((m for m in smtp.messages() if m.rcpt_tos == [to]
                                    and m.header("Subject") == subject), None),
                      what="%r to %s" % (subject, to))


def link_of(srv, m):
    """The message's one link, the same in both parts, on public_url; its page answers 200."""
    text, html = m.part("text/plain"), m.part("text/html")
    links = set(re.findall(r"https?://\S+", text))
    expect_eq(len(links), 1, "one link in %r" % text)
    link = links.pop()
    expect('href="%s"' % link in html, "the HTML part links it: %r" % html)
    expect(link.startswith("http://127.0.0.1:%d/" % srv.port), "on public_url: %r" % link)
    status, _, page = raw(srv, "GET", urllib.parse.urlsplit(link).path)
    expect_eq(status, 200, "GET %s: %s" % (link, page[:300]))
    return link


def test_every_email_of_the_signup_flows_arrives_with_a_working_link():
    with SmtpServer() as smtp, \
            Server(serve_args=PROXIED + smtp_args(smtp, public_url="http://127.0.0.1:0")) as srv:
        name = "Kitchen " + uid()
        prog = signup_program(srv, name=name)
        email, rex = "all%s@blog.example" % uid(), "rex%s@blog.example" % uid()
        signup(srv, prog["slug"], email)
        signup(srv, prog["slug"], rex)
        m = arrived(smtp, email, "We received your application to " + name)
        expect("http" not in m.part("text/plain"), "nothing to click yet: %r" % m.part("text/plain"))
        pid = partner_by_email(srv, prog["id"], email)[0]
        expect_status(srv.api("PATCH", "/api/v1/partners/" + pid, {"status": "active"}), 200)
        m = arrived(smtp, email, "Welcome to the %s partner program" % name)
        expect(link_of(srv, m).endswith("/login"), "the approval links the login page")
        rid = partner_by_email(srv, prog["id"], rex)[0]
        expect_status(srv.api("PATCH", "/api/v1/partners/" + rid,
                              {"status": "rejected", "rejection_reason": "Food blogs only."}), 200)
        m = arrived(smtp, rex, "Your application to " + name)
        expect("Reason: Food blogs only." in m.part("text/plain"), m.part("text/plain"))
        signup(srv, prog["slug"], email, password="another fine passphrase")
        m = arrived(smtp, email, "Your %s partner account" % name)
        expect(link_of(srv, m).endswith("/login"), "signup_existing links the login page")
        post_form(srv, "/forgot", {"email": email})
        m = arrived(smtp, email, "Reset your %s password" % name)
        token = link_of(srv, m).rsplit("/", 1)[1]
        s, _, page = post_form(srv, "/reset/" + token, {"password": "a brand new secret",
                                                        "password2": "a brand new secret"})
        expect_eq(s, 200, "the emailed link resets: %s" % page[:300])
        m = arrived(smtp, email, "Your %s password was changed" % name)
        expect("http" not in m.part("text/plain"), "no link: %r" % m.part("text/plain"))
        ptn = create_partner(srv, prog["id"])
        m = arrived(smtp, ptn["email"], "You are invited to the %s partner program" % name)
        expect_eq(link_of(srv, m), ptn["invite_url"], "the invite's link")
        for m in smtp.messages():
            expect_eq(m.msg["From"].addresses[0].display_name, name, "the sender's name")
        expect_eq(len(smtp.messages()), 8, "messages that arrived")


def test_a_failing_smtp_server_leaves_the_signup_as_it_is():
    with SmtpServer() as smtp, \
            Server(serve_args=PROXIED + smtp_args(smtp, smtp_timeout_ms=500,
                                                  public_url="http://127.0.0.1:0")) as srv:
        prog = signup_program(srv)
        healthy = signup(srv, prog["slug"], "ok%s@blog.example" % uid())
        smtp.wait_for(1)
        faults = {"refuse": (-1, 0), "hang_mail": (True, False), "close_mid_data": (1, None)}
        for fault, (on, off) in faults.items():
            setattr(smtp, fault, on)
            email = "%s%s@blog.example" % (fault.replace("_", ""), uid())
            t0 = time.monotonic()
            status, _, page = signup(srv, prog["slug"], email)
            expect_eq((status, page), (healthy[0], healthy[2]), "%s: the answer of any signup" % fault)
            expect(time.monotonic() - t0 < 5, "%s: answered without waiting for the mail" % fault)
            pid = partner_by_email(srv, prog["id"], email)[0]
            if off is None:  # a one-time fault
                wait_until(lambda: smtp.closed_mid_data == 1, what="the connection closed")
            else:
                row = wait_until(lambda: [e for e in email_rows(srv, "partner_id=" + pid)
                                          if e["status"] == "retrying" and e["last_error"]],
                                 what="%s: a retry" % fault)[0]
                expect_eq(row["kind"], "application_received", "the message")
                setattr(smtp, fault, off)
            row = email_of(srv, pid, "application_received", "sent")
            expect(row["attempts"] >= 2, "%s: attempts %r" % (fault, row))
            ids = collections.Counter(m.header("Message-ID") for m in smtp.messages()
                                      if m.rcpt_tos == [email])
            expect_eq(list(ids.values()), [1], "%s: the message arrived once" % fault)
        expect_eq(srv.sql1("SELECT COUNT(*) FROM partners WHERE program_id = ?", (prog["id"],)),
                  4, "every applicant has an account")


# ---- invites -----------------------------------------------------------------------------------

def test_an_invite_is_sent_again_or_revoked():
    with Server(serve_args=PROXIED) as srv:
        prog = create_program(srv)
        ptn = create_partner(srv, prog["id"])
        old = ptn["invite_url"].rsplit("/", 1)[1]
        s, _, body = srv.api("POST", "/api/v1/partners/%s/invite" % ptn["id"])
        expect_eq(s, 200, "resend: %s" % short(body))
        new = body["invite_url"].rsplit("/", 1)[1]
        expect(new != old, "a new link")
        expect_eq(srv.request("GET", "/invite/%s/status" % old)[0], 404, "the old link fails")
        expect_eq(srv.request("GET", "/invite/%s/status" % new)[0], 200, "the new link works")
        s, _, body = srv.api("DELETE", "/api/v1/partners/%s/invite" % ptn["id"])
        expect_eq((s, body.get("revoked")), (200, True), "revoke: %s" % short(body))
        expect_eq(srv.request("GET", "/invite/%s/status" % new)[0], 404, "a revoked link fails")
        expect_error(srv.api("POST", "/api/v1/partners/ptn_nosuch/invite"), 404, "id")
        with_pw = create_partner(srv, prog["id"], password="a partner passphrase")
        expect_error(srv.api("POST", "/api/v1/partners/%s/invite" % with_pw["id"]), 409, "id")


if __name__ == "__main__":
    harness.main(globals())
