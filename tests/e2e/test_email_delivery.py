#!/usr/bin/env python3
"""Email that arrives: a real SMTP server on loopback (aiosmtpd, tests/e2e/smtp_server.py) reads
what partnerd sent. A partner's invite arrives with a text and an HTML part, the program's name as
sender name, the right headers and the invite link on public_url; names and addresses cannot add
a header; the daily digest of new commissions carries a one-click List-Unsubscribe that works
without login and is honoured, as is the opt-out in PATCH /api/v1/me; without smtp_url nothing is
sent and the merchant sees the links to hand over; the settings that hang together are checked."""

import os
import re
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (Server, convert, create_partner, create_program, expect, expect_eq,  # noqa: E402
                     expect_error, expect_status, partner_key, uid)
from smtp_server import (FROM, PUBLIC_URL, SmtpServer, email_of, email_rows, smtp_args,  # noqa: E402
                         wait_until)


def test_invite_arrives_with_both_parts_headers_and_link():
    with SmtpServer() as smtp, Server(serve_args=smtp_args(smtp)) as srv:
        prog = create_program(srv, name="Café Ünïcode Shop")
        ptn = create_partner(srv, prog["id"])
        invite_url = ptn["invite_url"]
        expect(invite_url.startswith(PUBLIC_URL + "/invite/"), "invite_url: %r" % invite_url)
        row = email_of(srv, ptn["id"], "invite", "sent")
        [m] = smtp.wait_for(1)
        expect_eq(m.mail_from, FROM, "envelope sender")
        expect_eq(m.rcpt_tos, [ptn["email"]], "envelope recipients")
        expect_eq(m.msg["From"].addresses[0].display_name, "Café Ünïcode Shop", "sender name")
        expect_eq(m.msg["From"].addresses[0].addr_spec, FROM, "sender address")
        expect_eq(m.msg["To"].addresses[0].addr_spec, ptn["email"], "To")
        expect("Café Ünïcode Shop" in m.header("Subject"), "Subject: %r" % m.header("Subject"))
        expect_eq(m.header("Subject"), row["subject"], "the subject the API shows")
        expect(m.msg["Date"].datetime is not None, "Date: %r" % m.header("Date"))
        expect_eq(m.header("Message-ID"), "<%s@shop.example>" % row["id"], "Message-ID")
        expect_eq(m.msg.get_content_type(), "multipart/alternative", "content type")
        text, html = m.part("text/plain"), m.part("text/html")
        expect(text and invite_url in text, "text part: %r" % text)
        expect(html and 'href="%s"' % invite_url in html, "html part: %r" % html)
        expect(b"\r\n.." not in m.raw and all(len(line) <= 998 for line in m.raw.split(b"\r\n")),
               "line lengths")
        expect(m.header("List-Unsubscribe") is None, "no List-Unsubscribe on an invite")
        expect_eq((row["status"], row["attempts"], row["last_error"], row["link"], row["to"]),
                  ("sent", 1, None, None, ptn["email"]), "the row once sent")
        expect(row["sent_at"] and row["created"], "times: %r" % row)
        # the list: filters, its errors, and the merchant only
        expect_eq([e["id"] for e in email_rows(srv, "status=sent")], [row["id"]], "status=sent")
        expect_eq(email_rows(srv, "status=failed"), [], "status=failed")
        expect_error(srv.api("GET", "/api/v1/emails?status=lost"), 400, param="status")
        expect_error(srv.api("GET", "/api/v1/emails?to=x"), 400, param="to")
        key = partner_key(srv, ptn["id"])
        status, _, _ = srv.request("GET", "/api/v1/emails", key=key)
        expect(status in (401, 403), "a partner key lists emails: %d" % status)
        expect_eq(srv.stop(), 0, "the exit status of serve stopped after sending")


def test_the_smtp_login_is_used():
    login = ("mailer", "s3cret pass")
    with SmtpServer(login=login) as smtp, \
            Server(serve_args=smtp_args(smtp, smtp_user=login[0], smtp_password=login[1])) as srv:
        prog = create_program(srv)
        ptn = create_partner(srv, prog["id"])
        email_of(srv, ptn["id"], "invite", "sent")
        expect_eq(smtp.logins, [login], "the logins the server saw")
        expect_eq(len(smtp.messages()), 1, "messages that arrived")


def test_header_injection_in_names_and_emails():
    with SmtpServer() as smtp, Server(serve_args=smtp_args(smtp)) as srv:
        evil = "Shop\r\nBcc: victim@evil.example\r\nX-Evil: 1"
        prog = create_program(srv, name=evil)
        ptn = create_partner(srv, prog["id"], name="Ann\r\nBcc: victim@evil.example")
        # an address carrying a header of its own: refused by the API, or kept as failed
        status, _, body = srv.api("POST", "/api/v1/partners", {
            "program_id": prog["id"], "email": "p%s@x.example\r\nBcc: victim@evil.example" % uid(),
            "name": "Bob", "ref_code": "ref" + uid()})
        expect_email = status == 201
        expect(status in (201, 400), "a partner with CRLF in its email: %d %r" % (status, body))
        email_of(srv, ptn["id"], "invite", "sent")
        if expect_email:
            row = email_of(srv, body["id"], "invite", "failed")
            expect("address" in row["last_error"], "last_error: %r" % row)
        for m in smtp.messages():
            expect(m.msg["Bcc"] is None and m.msg["X-Evil"] is None, "headers: %r" % m.raw[:600])
            expect_eq(m.rcpt_tos, [ptn["email"]], "recipients")
            expect_eq(m.msg["From"].addresses[0].display_name,
                      "Shop  Bcc: victim@evil.example  X-Evil: 1", "the name, its breaks spaces")
        expect_eq(len(smtp.messages()), 1, "messages that arrived")


def test_digest_and_one_click_unsubscribe():
    with SmtpServer() as smtp, Server(serve_args=smtp_args(smtp, email_digest_interval=1)) as srv:
        prog = create_program(srv, name="Digest Shop")
        quiet = create_partner(srv, prog["id"], password="a long enough password 1")
        loud = create_partner(srv, prog["id"], password="a long enough password 2")
        # the opt-out of PATCH /api/v1/me, before any digest
        qkey = partner_key(srv, quiet["id"])
        status, _, me = srv.request("PATCH", "/api/v1/me", {"email_digest": False}, key=qkey)
        expect_status((status, None, me), 200)
        expect_eq(me["email_digest"], False, "email_digest after the opt-out")
        expect_error(srv.request("PATCH", "/api/v1/me", {"email_digest": "no"}, key=qkey), 400,
                     param="email_digest")
        for p, amount in ((quiet, 1000), (loud, 21485), (loud, 100)):
            expect_status(convert(srv, prog["id"], "o-" + uid(), amount, ref=p["ref_code"]), 201)
        row = email_of(srv, loud["id"], "digest", "sent")
        msgs = [m for m in smtp.wait_for(1) if m.rcpt_tos == [loud["email"]]]
        expect_eq(len(msgs), 1, "digests of the partner who earned")
        m = msgs[0]
        expect_eq(m.header("Subject"), "2 new commissions at Digest Shop", "subject")
        expect("21.58 USD" in m.part("text/plain"), "totals: %r" % m.part("text/plain"))
        expect_eq(m.header("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click", "one click")
        unsub = re.fullmatch(r"<(.+)>", m.header("List-Unsubscribe")).group(1)
        expect(unsub.startswith(PUBLIC_URL + "/unsubscribe/"), "unsubscribe URL: %r" % unsub)
        expect(unsub in m.part("text/plain") and unsub in m.part("text/html"), "footer link")
        # the opted-out partner was due in the same pass: nothing was queued for it
        expect_eq([e for e in email_rows(srv, "partner_id=" + quiet["id"]) if e["kind"] == "digest"],
                  [], "digests of the partner who opted out")
        # the next digest counts only what came after the last one
        expect_status(convert(srv, prog["id"], "o-" + uid(), 5000, ref=loud["ref_code"]), 201)
        later = wait_until(lambda: [x for x in smtp.messages() if x.rcpt_tos == [loud["email"]]
                                    and x is not m], what="a second digest")
        expect_eq([x.header("Subject") for x in later], ["1 new commission at Digest Shop"],
                  "the second digest")
        expect("5.00 USD" in later[0].part("text/plain"), "totals: %r" % later[0].part("text/plain"))
        path = urllib.parse.urlsplit(unsub).path
        status, headers, page = srv.request("GET", path)
        expect(status == 200 and b"<form method=\"post\"" in page, "page: %d %r" % (status, page))
        bad = path[:-4] + ("0000" if not path.endswith("0000") else "1111")
        expect_error(srv.request("GET", bad), 404, param="token")
        expect_error(srv.request("POST", bad, "List-Unsubscribe=One-Click"), 404, param="token")
        count = len(email_rows(srv))
        status, _, body = srv.request("POST", path, "List-Unsubscribe=One-Click",
                                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        expect(status == 200 and body["email_digest"] is False, "unsubscribe: %d %r" % (status, body))
        lkey = partner_key(srv, loud["id"])
        _, _, me = srv.request("GET", "/api/v1/me", key=lkey)
        expect_eq(me["email_digest"], False, "the digest after the one-click unsubscribe")
        _, _, me = srv.request("GET", "/api/v1/me", key=qkey)
        expect_eq(me["email_digest"], False, "the digest after PATCH /api/v1/me")
        expect_eq(len(email_rows(srv)), count, "emails queued by unsubscribing")
        expect_eq(row["link"], None, "no link shown once sent")
        expect_eq(srv.stop(), 0, "the exit status of serve stopped after the digests")


def test_no_smtp_url_nothing_sent_links_visible(srv):
    prog = create_program(srv)
    ptn = create_partner(srv, prog["id"])
    row = email_of(srv, ptn["id"], "invite", "not_sent")
    expect_eq(row["link"], ptn["invite_url"], "the link to hand over")
    expect_eq((row["attempts"], row["sent_at"]), (0, None), "never attempted")
    expect("smtp_url" in row["last_error"], "why: %r" % row)
    expect_eq([e["id"] for e in email_rows(srv, "status=not_sent&partner_id=" + ptn["id"])],
              [row["id"]], "status=not_sent")


def email_id_at(ms):
    """An email id made at ms (ids sort by the time they were queued)."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    t = "".join(alphabet[(ms >> (5 * i)) & 31] for i in reversed(range(10)))
    return "eml_" + t + harness.ulid_like()[:16]


def test_done_messages_past_the_retention_are_deleted(srv):
    now = int(time.time() * 1000)
    old = now - 91 * 86400 * 1000
    rows = {"old_sent": (old, "sent"), "old_not_sent": (old, "not_sent"),
            "old_retrying": (old, "retrying"), "new_sent": (now - 86400 * 1000, "sent")}
    ids = {}
    for name, (at, status) in rows.items():
        ids[name] = email_id_at(at)
        srv.sql_write("INSERT INTO emails (id, kind, to_addr, vars, message_id, status, attempts,"
                      " next_attempt_at, created_at) VALUES (?, 'password_changed',"
                      " 'ann@partners.example', '{}', ?, ?, 1, ?, ?)",
                      (ids[name], ids[name], status, at, at))
    srv.restart()  # the mailer looks at the retention when it starts, then every 10 minutes
    left = lambda: {r[0] for r in srv.sql("SELECT id FROM emails")}  # noqa: E731
    wait_until(lambda: ids["old_sent"] not in left() and ids["old_not_sent"] not in left(),
               what="the old messages deleted")
    expect(ids["old_retrying"] in left() and ids["new_sent"] in left(),
           "what stays: %r of %r" % (left(), ids))


def test_settings_that_hang_together(srv):
    def check(*flags):
        rc, out, err = srv.run_cli("serve", "--db", srv.db_url, "--check-config", *flags)
        return rc, err

    rc, err = check("--smtp_url", "smtp://127.0.0.1:25", "--smtp_from", FROM)
    expect(rc != 0 and "public_url" in err, "smtp_url without public_url: %d %r" % (rc, err))
    rc, err = check("--smtp_url", "ftp://127.0.0.1", "--smtp_from", FROM, "--public_url", PUBLIC_URL)
    expect(rc != 0 and "smtp://" in err, "an ftp URL: %d %r" % (rc, err))
    rc, err = check("--smtp_url", "smtp://127.0.0.1:25", "--public_url", PUBLIC_URL)
    expect(rc != 0 and "smtp_from" in err, "no smtp_from: %d %r" % (rc, err))
    rc, err = check("--smtp_url", "smtp://127.0.0.1:25", "--public_url", PUBLIC_URL,
                    "--smtp_from", "a@b.example\r\nBcc: x@y.example")
    expect(rc != 0 and "smtp_from" in err, "smtp_from with a line break: %d %r" % (rc, err))
    rc, err = check("--smtp_url", "smtp://127.0.0.1:25", "--public_url", PUBLIC_URL,
                    "--smtp_from", FROM)
    expect_eq(rc, 0, "a whole configuration (%r)" % err)


if __name__ == "__main__":
    harness.main(globals())
