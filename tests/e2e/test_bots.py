#!/usr/bin/env python3
"""bot_list_file (README, Configuration): user agents the operator lists (one substring a line, such
as lines of the IAB list) are bots like the built-in ones: recorded with bot=1, never unique, and a
sale through such a click earns nothing (fraud_reason bot_click). A bad file stops the server."""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (Server, click_ok, convert, create_partner, create_program, expect, expect_eq,  # noqa: E402
                     main, short, uid)


def test_listed_user_agents_are_bots():
    d = tempfile.mkdtemp(prefix="partnerd-bots-")
    path = os.path.join(d, "bots.txt")
    with open(path, "w") as f:
        f.write("# operator's list\nExampleScanner\n\nuptime-probe\n")
    try:
        with Server(serve_args=["--bot_list_file", path]) as srv:
            prog = create_program(srv)
            ptn = create_partner(srv, prog["id"])
            _, bot = click_ok(srv, ptn["ref_code"], ua="Mozilla/5.0 (compatible; examplescanner/2.1)")
            _, human = click_ok(srv, ptn["ref_code"], ua=harness.DEFAULT_UA + " " + uid())
            rows = dict((r[0], r[1:]) for r in srv.sql(
                "SELECT id, bot, is_unique FROM clicks WHERE id IN (?, ?)", (bot, human)))
            expect_eq(rows[bot], (1, 0), "a listed user agent: bot, not unique")
            expect_eq(rows[human], (0, 1), "a browser: not a bot, unique")
            status, _, conv = convert(srv, prog["id"], "bot-" + uid(), 10000, click_id=bot)
            expect_eq(status, 201, "a sale through the bot's click (%s)" % short(conv))
            expect_eq(conv.get("fraud_reason"), "bot_click", "its fraud reason")
            expect_eq(srv.sql1("SELECT count(*) FROM commissions WHERE conversion_id = ?", (conv["id"],)),
                      0, "commissions for it")
            expect(any("bot list loaded" in line and "patterns=2" in line for line in srv.log),
                   "the log counts the patterns:\n" + srv.log_tail(10))
    finally:
        shutil.rmtree(d)


def test_a_bad_bot_list_stops_the_server():
    with Server() as srv:
        path = os.path.join(srv.dir, "bad-bots.txt")
        with open(path, "w") as f:
            f.write("fine-bot\nab\n")
        rc, _, err = srv.run_cli("serve", "--db", srv.db_url, "--bot_list_file", path, "--check-config")
        expect_eq(rc, 2, "exit status with a two-character pattern")
        expect("line 2" in err, "the message names the line: %r" % err)
        rc, _, err = srv.run_cli("serve", "--db", srv.db_url, "--bot_list_file", path + ".missing",
                                 "--check-config")
        expect_eq(rc, 2, "exit status with a missing file")


if __name__ == "__main__":
    main(globals())
