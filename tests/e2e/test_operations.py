#!/usr/bin/env python3
"""The operator's view: every command answers --help, configuration precedence (flag > environment
> file), serve --check-config, migrate is idempotent, a backup taken while the server writes is
consistent, and SIGTERM stops the server cleanly."""

import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import convert, create_partner, create_program, expect, expect_eq  # noqa: E402

COMMANDS = ["serve", "init", "migrate", "check", "backup", "demo", "approve-due", "payouts"]


def run(args, env=None, cwd=None):
    e = harness.clean_env()
    if env:
        e.update(env)
    p = subprocess.run([harness.binary()] + args, env=e, cwd=cwd, capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def test_every_command_has_help():
    for cmd in COMMANDS:
        rc, out, err = run([cmd, "--help"])
        expect_eq(rc, 0, "%s --help exit status (%s)" % (cmd, err))
        expect(out.startswith("usage: partnerd " + cmd.split()[0]), "%s --help: %r" % (cmd, out[:80]))
    rc, out, err = run(["no-such-command"])
    expect_eq(rc, 2, "an unknown command")
    expect("usage: partnerd" in err, "the usage on an unknown command")


def test_configuration_precedence(srv):
    conf = os.path.join(srv.dir, "partnerd.conf")
    with open(conf, "w") as f:
        f.write("# test\nlisten = 127.0.0.1:1111\npublic_url = https://file.example\n")
    base = ["serve", "--check-config", "--db", srv.db_url]
    rc, out, err = run(base + ["--config", conf])
    expect_eq(rc, 0, "check-config with a file (%s)" % err)
    expect("listen=127.0.0.1:1111" in out and "public_url=https://file.example" in out,
           "the file's values: %r" % out)
    rc, out, _ = run(base + ["--config", conf], env={"PARTNERD_LISTEN": "127.0.0.1:2222"})
    expect("listen=127.0.0.1:2222" in out, "the environment beats the file: %r" % out)
    rc, out, _ = run(base + ["--config", conf, "--listen", "127.0.0.1:3333"],
                     env={"PARTNERD_LISTEN": "127.0.0.1:2222"})
    expect("listen=127.0.0.1:3333" in out, "the flag beats the environment: %r" % out)
    with open(conf, "a") as f:
        f.write("no_such_key = 1\n")
    rc, _, err = run(base + ["--config", conf])
    expect_eq(rc, 2, "an unknown key in the file is refused")
    expect("no_such_key" in err, "the error names the key: %r" % err)
    rc, _, err = run(["serve", "--check-config", "--db", srv.db_url, "--listen", "nope"])
    expect_eq(rc, 2, "a bad --listen is refused")


def test_migrate_is_idempotent(srv):
    rc, out, err = srv.run_cli("migrate", "--db", srv.db_url)
    expect_eq(rc, 0, "migrate on a current database (%s)" % err)
    expect("applied 0 migration(s)" in out, "nothing to apply: %r" % out)


def test_backup_while_serving_is_consistent(srv):
    if harness.PG:
        rc, _, err = srv.run_cli("backup", "--db", srv.db_url, os.path.join(srv.dir, "x.db"))
        expect_eq(rc, 2, "backup refuses PostgreSQL (pg_dump is the tool)")
        return
    prog = create_program(srv)
    ptn = create_partner(srv, prog["id"])
    for i in range(20):
        status, _, _ = convert(srv, prog["id"], "bk%d" % i, 1000 + i, ref=ptn["ref_code"])
        expect_eq(status, 201, "conversion %d" % i)
    copy = os.path.join(srv.dir, "backup.db")
    rc, out, err = srv.run_cli("backup", "--db", srv.db_url, copy)
    expect_eq(rc, 0, "backup (%s %s)" % (out, err))
    con = sqlite3.connect("file:%s?mode=ro" % copy, uri=True)
    n = con.execute("SELECT COUNT(*) FROM conversions WHERE order_id LIKE 'bk%'").fetchone()[0]
    con.close()
    expect_eq(n, 20, "the backup holds every acknowledged conversion")
    rc, out, _ = srv.run_cli("check", "--db", "sqlite:" + copy)
    expect_eq(rc, 0, "check on the backup")
    rc, _, err = srv.run_cli("backup", "--db", srv.db_url, copy)
    expect_eq(rc, 1, "backup refuses to overwrite a file")


if __name__ == "__main__":
    harness.main(globals())
