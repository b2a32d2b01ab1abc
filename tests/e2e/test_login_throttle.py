#!/usr/bin/env python3
"""Login throttling holds at its edges. Failed logins count per existing account in a table that is
never evicted, so a flood of failed invite acceptances from thousands of addresses (simulated with
trusted_proxies and X-Forwarded-For) cannot reset an account's counter; an unknown email gets no
counter and exactly the answer of a wrong password; per-address counters treat an IPv6 /64 as one
address."""

import http.client
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Server, create_partner, create_program, expect_eq, short  # noqa: E402

PROXIED = ["--trusted_proxies", "127.0.0.1"]
PASSWORD = "a-long-partner-password"


class Client:
    """One keep-alive connection that posts JSON as a page would, from a chosen client address."""

    def __init__(self, srv):
        self.srv = srv
        self.conn = None

    def post(self, path, body, addr):
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "X-Forwarded-For": addr,
                   "User-Agent": harness.DEFAULT_UA}
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=30)
            try:
                self.conn.request("POST", path, body=data, headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return resp.status, json.loads(raw.decode() or "null")
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise

    def login(self, email, password, addr):
        return self.post("/login", {"email": email, "password": password}, addr)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.conn is not None:
            self.conn.close()
        return False


def flood_invites(client, n, addr_of):
    """n failed invite acceptances, each from its own address."""
    for i in range(n):
        status, body = client.post("/invite/0-nosuchinvite", {"password": PASSWORD}, addr_of(i))
        expect_eq(status, 404, "failed invite %d from %s (%s)" % (i, addr_of(i), short(body)))


def test_a_flood_of_addresses_does_not_reset_an_accounts_counter():
    with Server(serve_args=PROXIED) as srv:
        with Client(srv) as client:
            admin, admin_pw = srv.keys["admin_email"], srv.keys["admin_password"]
            # Five wrong passwords, each from its own address, lock the account for the window;
            # the right one is refused too from then on.
            for i in range(5):
                status, body = client.login(admin, "wrong password %d" % i, "203.0.113.%d" % (i + 1))
                expect_eq(status, 401, "wrong password %d (%s)" % (i, short(body)))
            status, _ = client.login(admin, "wrong password 6", "203.0.113.50")
            expect_eq(status, 429, "the sixth wrong password")
            status, _ = client.login(admin, admin_pw, "203.0.113.51")
            expect_eq(status, 429, "the right password while the account is locked")
            # 3,000 failed invites from as many addresses fill the per-address table many times.
            flood_invites(client, 3000, lambda i: "198.18.%d.%d" % (i // 250, i % 250 + 1))
            # Every guess is still refused, from addresses never seen before.
            for i in range(21):
                status, body = client.login(admin, admin_pw if i == 20 else "guess %d" % i,
                                            "192.0.2.%d" % (i + 1))
                expect_eq(status, 429, "guess %d after the flood (%s)" % (i, short(body)))


def test_an_unknown_email_is_answered_as_a_wrong_password():
    with Server(serve_args=PROXIED) as srv:
        with Client(srv) as client:
            prog = create_program(srv)
            ptn = create_partner(srv, prog["id"], password=PASSWORD)
            wrong = client.login(ptn["email"], "not the password", "203.0.113.1")
            unknown = client.login("nobody-%s@partners.example" % harness.uid(), "not the password",
                                   "203.0.113.2")
            expect_eq(wrong[0], 401, "a wrong password (%s)" % short(wrong[1]))
            expect_eq(unknown, wrong, "an unknown email's answer")
            # An unknown email has no counter: it never turns into "too many failed logins".
            email = "nobody-%s@partners.example" % harness.uid()
            for i in range(8):
                got = client.login(email, "not the password", "203.0.113.%d" % (i + 10))
                expect_eq(got, wrong, "unknown email, attempt %d" % i)
            # The partner's right password still works (its one failure is within the limit).
            status, body = client.login(ptn["email"], PASSWORD, "203.0.113.99")
            expect_eq(status, 200, "the right password (%s)" % short(body))


def test_an_ipv6_64_counts_as_one_address():
    with Server(serve_args=PROXIED) as srv:
        with Client(srv) as client:
            # 30 failures from 30 addresses of one /64 use up that network's allowance.
            flood_invites(client, 30, lambda i: "2001:db8:1:2::%x" % (i + 1))
            status, body = client.post("/invite/0-nosuchinvite", {"password": PASSWORD},
                                       "2001:db8:1:2:ffff:ffff:ffff:fffe")
            expect_eq(status, 429, "another address of the same /64 (%s)" % short(body))
            status, _ = client.post("/invite/0-nosuchinvite", {"password": PASSWORD},
                                    "2001:db8:1:3::1")
            expect_eq(status, 404, "an address of the next /64")
            status, _ = client.post("/invite/0-nosuchinvite", {"password": PASSWORD}, "203.0.113.7")
            expect_eq(status, 404, "an IPv4 address")


if __name__ == "__main__":
    harness.main(globals())
