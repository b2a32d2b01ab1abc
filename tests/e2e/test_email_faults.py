#!/usr/bin/env python3
"""Email when things go wrong, against a real SMTP server on loopback (tests/e2e/smtp_server.py):
a server that refuses (5xx) makes the message retried, then failed, as GET /api/v1/emails shows;
one that does not answer in time, or closes the connection in the middle of the message, makes it
retried, and it arrives once; partnerd killed with -9 while messages are queued or being sent
sends them after the restart, each Message-ID once; the one case of a message sent twice is a
server whose final reply to the message was lost, and then both copies carry one Message-ID."""

import collections
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Server, create_partner, create_program, expect, expect_eq  # noqa: E402
from smtp_server import SmtpServer, email_of, email_rows, smtp_args, wait_until  # noqa: E402


def message_ids(smtp):
    return collections.Counter(m.header("Message-ID") for m in smtp.messages())


def test_refused_5xx_is_retried_then_failed():
    with SmtpServer() as smtp, Server(serve_args=smtp_args(smtp, smtp_max_attempts=3)) as srv:
        smtp.refuse = -1
        prog = create_program(srv)
        ptn = create_partner(srv, prog["id"])
        row = email_of(srv, ptn["id"], "invite", "failed")
        expect_eq(row["attempts"], 3, "attempts before failing")
        expect("550" in row["last_error"], "last_error: %r" % row["last_error"])
        expect_eq(row["link"], ptn["invite_url"], "the link of a failed message, to hand over")
        expect_eq(smtp.refused, 3, "refusals the server gave")
        expect_eq(smtp.messages(), [], "messages that arrived")
        expect_eq([e["id"] for e in email_rows(srv, "status=failed")], [row["id"]], "status=failed")
        expect_eq(srv.stop(), 0, "the exit status of serve stopped after the refusals")


def test_a_server_that_does_not_answer_in_time_gets_it_again():
    with SmtpServer() as smtp, Server(serve_args=smtp_args(smtp, smtp_timeout_ms=500)) as srv:
        smtp.hang_mail = True
        prog = create_program(srv)
        ptn = create_partner(srv, prog["id"])
        row = wait_until(lambda: [e for e in email_rows(srv, "partner_id=" + ptn["id"])
                                  if e["status"] == "retrying" and e["attempts"] >= 1],
                         what="a retry after the deadline")[0]
        expect("imeout" in row["last_error"] or "timed out" in row["last_error"],
               "last_error: %r" % row["last_error"])
        smtp.hang_mail = False
        row = email_of(srv, ptn["id"], "invite", "sent")
        expect(row["attempts"] >= 2, "attempts: %r" % row)
        expect_eq(list(message_ids(smtp).values()), [1], "copies of the message")


def test_a_connection_closed_mid_message_is_retried_and_arrives_once():
    with SmtpServer() as smtp, Server(serve_args=smtp_args(smtp)) as srv:
        smtp.close_mid_data = 1
        prog = create_program(srv)
        ptn = create_partner(srv, prog["id"])
        row = email_of(srv, ptn["id"], "invite", "sent")
        expect_eq(smtp.closed_mid_data, 1, "connections closed in the middle of a message")
        expect_eq(row["attempts"], 2, "attempts")
        expect_eq(dict(message_ids(smtp)), {"<%s@shop.example>" % row["id"]: 1},
                  "copies of the message")


def test_a_lost_final_reply_is_the_one_resend_with_the_same_message_id():
    with SmtpServer() as smtp, Server(serve_args=smtp_args(smtp)) as srv:
        smtp.swallow_reply = 1
        prog = create_program(srv)
        ptn = create_partner(srv, prog["id"])
        row = email_of(srv, ptn["id"], "invite", "sent")
        expect_eq(row["attempts"], 2, "attempts")
        got = smtp.wait_for(2)
        expect_eq(dict(message_ids(smtp)), {"<%s@shop.example>" % row["id"]: 2},
                  "copies: the server took the first one but its reply never came")
        expect_eq(got[0].raw, got[1].raw, "the second copy is the same message")
        expect_eq(srv.stop(), 0, "the exit status of serve stopped after a lost reply")


def test_kill9_with_queued_messages_sends_each_once_after_restart():
    with SmtpServer() as smtp, Server(serve_args=smtp_args(smtp, smtp_timeout_ms=1500)) as srv:
        smtp.hang_mail = True  # the first attempt hangs: messages stay claimed or queued
        prog = create_program(srv)
        partners = [create_partner(srv, prog["id"]) for _ in range(6)]
        wait_until(lambda: srv.sql1("SELECT COUNT(*) FROM emails WHERE status = 'sending'") > 0,
                   what="a claimed message")
        srv.kill9()
        states = collections.Counter(s for (s,) in srv.sql("SELECT status FROM emails"))
        expect(states["sending"] >= 1 and sum(states.values()) == 6, "before restart: %r" % states)
        smtp.hang_mail = False
        srv.start()
        ids = set()
        for p in partners:
            ids.add("<%s@shop.example>" % email_of(srv, p["id"], "invite", "sent", timeout=60)["id"])
        smtp.wait_for(6)
        counts = message_ids(smtp)
        expect_eq(set(counts), ids, "Message-IDs that arrived")
        expect_eq(sorted(counts.values()), [1] * 6, "copies of each message")
        expect_eq(len(smtp.messages()), 6, "messages that arrived")


def test_a_last_attempt_whose_outcome_never_came_ends_failed():
    # rows as a process that died while sending leaves them: claimed, the lease over
    with SmtpServer() as smtp, Server(serve_args=smtp_args(smtp, smtp_max_attempts=3)) as srv:
        now = int(time.time() * 1000)
        rows = {}
        for attempts in (1, 3):
            eid = "eml_0" + harness.ulid_like()[1:]
            rows[attempts] = eid
            srv.sql_write("INSERT INTO emails (id, kind, to_addr, vars, message_id, status,"
                          " attempts, next_attempt_at, created_at) VALUES (?, 'password_changed',"
                          " 'ann@partners.example', '{}', ?, 'sending', ?, ?, ?)",
                          (eid, eid, attempts, now - 1000, now - 60000))
        by_id = lambda: {e["id"]: e for e in email_rows(srv)}  # noqa: E731
        wait_until(lambda: by_id()[rows[1]]["status"] == "sent"
                   and by_id()[rows[3]]["status"] == "failed", what="both rows settled")
        expect_eq(by_id()[rows[1]]["attempts"], 2, "the attempt after the unrecorded one")
        expect("never recorded" in by_id()[rows[3]]["last_error"], "why: %r" % by_id()[rows[3]])
        expect_eq(dict(message_ids(smtp)), {"<%s@shop.example>" % rows[1]: 1}, "what arrived")


if __name__ == "__main__":
    harness.main(globals())
