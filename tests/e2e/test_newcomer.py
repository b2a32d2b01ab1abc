#!/usr/bin/env python3
"""What a new user meets first: `make run`'s printed admin login works after the demo, commands
other than `init` refuse a database that does not exist (and create nothing), and
`partnerd --version` answers."""

import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import expect, expect_eq  # noqa: E402


def run(args):
    p = subprocess.run([harness.binary()] + args, env=harness.clean_env(), capture_output=True,
                       timeout=60, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def test_version():
    rc, out, err = run(["--version"])
    expect_eq(rc, 0, "--version exit status (%s)" % err)
    expect(re.fullmatch(r"partnerd \d+\.\d+\.\d+\n", out), "--version prints the version: %r" % out)


def test_commands_refuse_a_missing_database():
    d = tempfile.mkdtemp(prefix="partnerd-e2e-")
    try:
        missing = os.path.join(d, "partnerd.db")
        url = "sqlite:" + missing
        for args in (["approve-due", "--db", url], ["check", "--db", url],
                     ["migrate", "--db", url], ["demo", "--db", url],
                     ["payouts", "run", "--period", "2026-01", "--db", url],
                     ["backup", "--db", url, os.path.join(d, "copy.db")],
                     ["serve", "--db", url, "--listen", "127.0.0.1:0", "--check-config"]):
            rc, out, err = run(args)
            expect(rc != 0, "%s on a missing database exits non-zero (%r)" % (args[0], out))
            expect("does not exist" in err, "%s says the database does not exist: %r" % (args[0], err))
            expect(not os.path.exists(missing), "%s created %s" % (args[0], missing))
        # ... and without --db, in the current directory, nothing appears either.
        p = subprocess.run([harness.binary(), "approve-due"], env=harness.clean_env(), cwd=d,
                           capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        expect(p.returncode != 0, "approve-due without --db exits non-zero")
        expect_eq(os.listdir(d), [], "files left by approve-due without --db")
        rc, out, err = run(["init", "--db", url, "--json"])
        expect_eq(rc, 0, "init creates the database (%s)" % err)
        rc, out, err = run(["approve-due", "--db", url])
        expect_eq(rc, 0, "approve-due on the new database (%s)" % err)
    finally:
        harness.shutil.rmtree(d, ignore_errors=True)


def test_the_printed_admin_login_works_after_the_demo(srv):
    rc, out, err = srv.run_cli("demo", "--db", srv.db_url)
    expect_eq(rc, 0, "demo exit status (%s)" % err)
    expect("admin@" not in out or "the admin password `partnerd init` printed" in out,
           "the demo points at init's admin password: %r" % out[-400:])
    status, _, body = srv.request("POST", "/login", {"email": srv.keys["admin_email"],
                                                    "password": srv.keys["admin_password"]})
    expect_eq(status, 200, "login with init's admin password after the demo: %r" % (body,))


if __name__ == "__main__":
    harness.main(globals())
