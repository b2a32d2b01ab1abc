"""End-to-end harness: runs the real partnerd binary on an ephemeral loopback port with a temporary
SQLite database, speaks HTTP to it, and reads the database back (read-only) to check what was written.

Standard library only (and psycopg2 against PostgreSQL). Each tests/e2e/test_*.py imports this file and ends with
`harness.main(globals())`, which runs its test_* functions in order, prints a closing line
"N passed, M failed" and exits non-zero on any failure.

Environment: PARTNERD_BIN (set by ctest) is the binary under test; PARTNERD_E2E_KEEP=1 keeps the
temporary directories; PARTNERD_E2E_VERBOSE=1 prints the server log after every test.
PARTNERD_TEST_DB=postgres runs against PostgreSQL instead: every Server gets a fresh database on the
cluster at PARTNERD_TEST_PG_URL (scripts/pg-test.sh), and Server.sql reads it with psycopg2
(Debian's python3-psycopg2).
"""

import http.client
import inspect
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# Browser-like by default: a request without a user agent (or with a library's) may be taken for a bot,
# and bot clicks are never attributed.
DEFAULT_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

CROCKFORD_ULID = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")
ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "payload_too_large",
    422: "unprocessable_entity",
    429: "rate_limit_exceeded",
    500: "internal_server_error",
}

START_TIMEOUT = float(os.environ.get("PARTNERD_E2E_START_TIMEOUT", "20"))
# Tables whose row counts prove that a refused request wrote nothing.
PG = os.environ.get("PARTNERD_TEST_DB", "sqlite") == "postgres"
PG_URL = os.environ.get("PARTNERD_TEST_PG_URL", "")
WRITE_TABLES = ("programs", "partners", "links", "clicks", "customers", "leads", "conversions",
                "refunds", "commissions", "ledger_entries", "coupons", "api_keys")


def binary():
    path = os.environ.get("PARTNERD_BIN") or os.path.join(REPO, "build", "partnerd")
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise SystemExit("partnerd binary not found: set PARTNERD_BIN (tried %r)" % path)
    return path


def pg_url_for(dbname):
    """PG_URL (the cluster's maintenance database) with its database name replaced."""
    parts = urllib.parse.urlsplit(PG_URL)
    return urllib.parse.urlunsplit(parts._replace(path="/" + dbname))


def pg_driver():
    """psycopg2, from Debian's python3-psycopg2 (scripts/deps.sh), imported only when the tests run
    against PostgreSQL. That package installs into /usr/lib/python3/dist-packages, which only
    Debian's own python3 reads; when the tests run under another CPython (pyenv's, say), that
    directory is tried last (an extension built for another Python version just fails to import)."""
    try:
        import psycopg2
    except ImportError:
        if "/usr/lib/python3/dist-packages" not in sys.path:
            sys.path.append("/usr/lib/python3/dist-packages")
        try:
            import psycopg2
        except ImportError:
            raise SystemExit("PARTNERD_TEST_DB=postgres needs psycopg2 for %s: install "
                             "python3-psycopg2 (scripts/deps.sh)" % sys.executable)
    return psycopg2


def _pg_numeric(text, _cursor):
    """NUMERIC (a SUM of BIGINTs) as sqlite3 answers it: an int when integral, else a float."""
    if text is None:
        return None
    return int(text) if re.match(r"^-?\d+$", text) else float(text)


class PgConn:
    """The tests' connection to a PostgreSQL database, answering like the sqlite3 module: rows as
    tuples, NUMERIC as int, and `?` parameters. Autocommit: each statement is its own transaction,
    so a test's reads never hold a snapshot or a lock the server waits on."""

    def __init__(self, url):
        self.pg = pg_driver()
        try:
            self.con = self.pg.connect(url, connect_timeout=30)
        except self.pg.Error as e:
            raise Failure("PostgreSQL %s: %s" % (url, e))
        self.con.autocommit = True
        ext = self.pg.extensions
        ext.register_type(ext.new_type((1700,), "PD_NUMERIC", _pg_numeric), self.con)

    def query(self, sql, params=()):
        """Runs one statement; returns its rows (an empty list when it returns none)."""
        try:
            with self.con.cursor() as cur:
                cur.execute(pg_params(sql), [pg_param(v) for v in params])
                return cur.fetchall() if cur.description is not None else []
        except self.pg.Error as e:
            raise Failure("SQL %r: %s" % (sql, str(e).strip()))

    def close(self):
        self.con.close()


def pg_param(v):
    """A parameter as SQLite would store it: booleans as 1/0, bytes as UTF-8 text."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, bytes):
        return v.decode("utf-8")
    return v


def pg_params(query):
    """sqlite3-style ? parameters (outside quotes) as psycopg2's %s; every literal % doubled, since
    psycopg2 reads % everywhere in a query that has parameters."""
    out, quote = [], None
    for ch in query:
        if ch == "%":
            ch = "%%"
        elif quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            ch = "%s"
        out.append(ch)
    return "".join(out)


def pg_admin(sql):
    """One statement on the cluster's maintenance database (CREATE/DROP DATABASE, which cannot run
    inside a transaction: PgConn is in autocommit)."""
    con = PgConn(PG_URL)
    try:
        con.query(sql)
    finally:
        con.close()


def clean_env():
    """The caller's environment without PARTNERD_* settings, so nothing but our flags configures it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTNERD_")}
    return env


def uid(n=8):
    """A short random lower-case token for unique names, emails and codes."""
    return secrets.token_hex(n // 2 + 1)[:n]


def ulid_like():
    """A syntactically valid click id that was never issued."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    return "0" + "".join(secrets.choice(alphabet) for _ in range(25))


# ----------------------------------------------------------------------------------------------
# assertions (plain `assert` disappears under python -O; these do not)

class Failure(AssertionError):
    pass


def expect(cond, msg="expectation failed"):
    if not cond:
        raise Failure(msg)


def expect_eq(actual, expected, what="value"):
    if actual != expected:
        raise Failure("%s: expected %r, got %r" % (what, expected, actual))


def expect_in(actual, allowed, what="value"):
    if actual not in allowed:
        raise Failure("%s: expected one of %r, got %r" % (what, allowed, actual))


def expect_status(resp, *statuses):
    status, _, body = resp
    if status not in statuses:
        raise Failure("status: expected %s, got %d; body %s" % (
            "/".join(str(s) for s in statuses), status, short(body)))


def short(body, n=600):
    text = json.dumps(body) if isinstance(body, (dict, list)) else repr(body)
    return text if len(text) <= n else text[:n] + "…"


def expect_error(resp, statuses, param=None, any_param=False):
    """A 4xx answer with exactly {"error":{"code","message","param"}}, the code matching the status.
    param: the expected value of error.param (None means null is expected unless any_param)."""
    if isinstance(statuses, int):
        statuses = (statuses,)
    status, headers, body = resp
    expect_in(status, statuses, "status (body %s)" % short(body))
    expect(isinstance(body, dict), "error body is not a JSON object: %s" % short(body))
    expect_eq(sorted(body.keys()), ["error"], "error body top-level keys")
    err = body["error"]
    expect(isinstance(err, dict), "error is not an object: %s" % short(body))
    expect_eq(sorted(err.keys()), ["code", "message", "param"], "error object keys")
    if status in ERROR_CODES:
        expect_eq(err["code"], ERROR_CODES[status], "error.code for status %d" % status)
    expect(isinstance(err["message"], str) and err["message"].strip() != "",
           "error.message must be a non-empty string: %s" % short(body))
    expect(err["param"] is None or isinstance(err["param"], str),
           "error.param must be a string or null: %s" % short(body))
    if not any_param:
        expect_eq(err["param"], param, "error.param (message %r)" % err["message"])
    return err


# ----------------------------------------------------------------------------------------------
# the server

class Server:
    """`with Server() as s:` initialises a database in a temporary directory and serves it."""

    def __init__(self, workers=None, share=None, serve_args=None, sqlite_options="", env=None):
        """share: another (started) Server whose database this one serves too: a second node.
        serve_args: more `partnerd serve` flags (e.g. ["--webhook_retry_base_ms", "200"]).
        sqlite_options: appended to an SQLite database URL (e.g. "?synchronous=normal").
        env: more environment variables for `partnerd serve` (e.g. a test's fault injection);
        change Server.env before a restart to start without them."""
        self.bin = binary()
        self.serve_args = list(serve_args or [])
        self.env = dict(env or {})
        self.sqlite_options = sqlite_options
        self.workers = workers
        self.share = share
        self.dir = None
        self.pg_db = share.pg_db if share else None
        self.pg_conn = None     # the tests' own connection to pg_db (Server.sql)
        self.proc = None
        self.port = None
        self.log = []           # every stderr line of every serve process, in order
        self.stdout_log = []
        self._threads = []
        self.keys = None
        self.sk = self.pk = None
        self.expected_exit = False  # set when the test itself stopped or killed the server

    # context manager ------------------------------------------------------------------------
    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="partnerd-e2e-")
        if self.share:
            self.keys, self.sk, self.pk = self.share.keys, self.share.sk, self.share.pk
            try:
                self.start()
            except BaseException:
                self.cleanup(force_keep=True)
                raise
            return self
        if PG:
            if not PG_URL:
                raise SystemExit("PARTNERD_TEST_DB=postgres needs PARTNERD_TEST_PG_URL "
                                 "(scripts/pg-test.sh start)")
            self.pg_db = "pd_e2e_" + uid(12)
            pg_admin("CREATE DATABASE %s" % self.pg_db)
        try:
            self.init()
            self.start()
        except BaseException:
            self.cleanup(force_keep=True)
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        if self.proc is not None and self.proc.poll() is None:
            self.stop()
        self.cleanup(force_keep=exc_type is not None)
        return False

    def cleanup(self, force_keep=False):
        if self.pg_conn is not None:
            self.pg_conn.close()
            self.pg_conn = None
        if self.dir is None:
            return
        if force_keep or os.environ.get("PARTNERD_E2E_KEEP"):
            print("  (kept %s%s)" % (self.dir, " and database " + self.db_url if PG else ""),
                  file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
            if PG and not self.alive() and not self.share:
                try:
                    pg_admin("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.pg_db)
                except Exception as e:  # the cluster is thrown away anyway
                    print("  (could not drop %s: %s)" % (self.pg_db, e), file=sys.stderr)

    @property
    def db_path(self):
        return self.share.db_path if self.share else os.path.join(self.dir, "t.db")

    @property
    def db_url(self):
        return pg_url_for(self.pg_db) if PG else "sqlite:" + self.db_path + self.sqlite_options

    # lifecycle ------------------------------------------------------------------------------
    def init(self):
        rc, out, err = self.run_cli("init", "--db", self.db_url, "--json")
        if rc != 0:
            raise Failure("partnerd init exited %d\nstdout: %s\nstderr: %s" % (rc, out, err))
        try:
            self.keys = json.loads(out)
        except ValueError:
            raise Failure("partnerd init --json did not print one JSON object: %r" % out)
        expect(isinstance(self.keys, dict), "init --json output is not an object: %r" % out)
        for field in ("secret_key", "publishable_key", "admin_email", "admin_password"):
            expect(field in self.keys, "init --json output lacks %r: %r" % (field, out))
        self.sk = self.keys["secret_key"]
        self.pk = self.keys["publishable_key"]
        expect(self.sk.startswith("pd_sk_"), "secret key prefix: %r" % self.sk)
        expect(self.pk.startswith("pd_pk_"), "publishable key prefix: %r" % self.pk)

    def start(self):
        args = [self.bin, "serve", "--db", self.db_url, "--listen", "127.0.0.1:0"]
        if self.workers:
            args += ["--workers", str(self.workers)]
        args += self.serve_args
        self.expected_exit = False
        self.log.append("---- %s" % " ".join(args))
        self.proc = subprocess.Popen(args, cwd=self.dir, env=dict(clean_env(), **self.env),
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        found = threading.Event()
        port_box = []
        proc = self.proc

        def drain_err():
            for raw in iter(proc.stderr.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self.log.append(line)
                if not found.is_set() and "msg=listening" in line:
                    m = re.search(r'addr="?(\[[^\]]+\]|[0-9.]+):(\d+)"?', line)
                    if m:
                        port_box.append(int(m.group(2)))
                        found.set()
            proc.stderr.close()
            found.set()  # EOF: the process is gone

        def drain_out():
            for raw in iter(proc.stdout.readline, b""):
                self.stdout_log.append(raw.decode("utf-8", "replace").rstrip("\n"))
            proc.stdout.close()

        for fn in (drain_err, drain_out):
            t = threading.Thread(target=fn, daemon=True)
            t.start()
            self._threads.append(t)
        found.wait(START_TIMEOUT)
        if not port_box:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            raise Failure("partnerd serve did not log msg=listening with addr=127.0.0.1:PORT within "
                          "%.0f s (rc %r)\n%s" % (START_TIMEOUT, proc.returncode, self.log_tail(40)))
        self.port = port_box[0]

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=15):
        """SIGTERM and wait; returns the exit status (a negative number is a signal)."""
        self.expected_exit = True
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.log.append("---- (harness) serve ignored SIGTERM for %d s: killed" % timeout)
                self._join()
                return "timeout"
        self._join()
        return self.proc.returncode

    def kill9(self):
        self.expected_exit = True
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self._join()

    def restart(self):
        if self.alive():
            self.stop()
        self.start()

    def _join(self):
        for t in self._threads:
            t.join(5)
        self._threads = []

    def log_tail(self, n=60, since=0):
        lines = self.log[since:]
        return "\n".join("    | " + line for line in lines[-n:])

    # CLI ------------------------------------------------------------------------------------
    def run_cli(self, *args, timeout=60):
        p = subprocess.run([self.bin] + list(args), cwd=self.dir, env=clean_env(),
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")

    def check(self):
        """`partnerd check --db` must exit 0."""
        rc, out, err = self.run_cli("check", "--db", self.db_url)
        expect_eq(rc, 0, "partnerd check exit status (stdout %r, stderr %r)" % (out[-2000:], err[-2000:]))

    # HTTP -----------------------------------------------------------------------------------
    def request(self, method, path, body=None, key=None, headers=None, timeout=15):
        """One request over a fresh connection; no redirects are followed.
        body: dict/list → JSON, bytes/str → sent as is. key: the bearer key, or None for no
        Authorization header. Returns (status, {lower-case header: value}, JSON value or bytes)."""
        hdrs = {"User-Agent": DEFAULT_UA}
        data = None
        if body is not None:
            if isinstance(body, (dict, list)):
                data = json.dumps(body).encode()
            elif isinstance(body, str):
                data = body.encode()
            else:
                data = bytes(body)
            hdrs["Content-Type"] = "application/json"
        if key is not None:
            hdrs["Authorization"] = "Bearer " + key
        if headers:
            hdrs.update(headers)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            raw = resp.read()
            rheaders = {k.lower(): v for k, v in resp.getheaders()}
            status = resp.status
        finally:
            conn.close()
        ctype = rheaders.get("content-type", "")
        parsed = raw
        if "json" in ctype:
            try:
                parsed = json.loads(raw.decode("utf-8"))
            except ValueError:
                parsed = raw
        return status, rheaders, parsed

    def api(self, method, path, body=None, headers=None):
        """A request with the merchant secret key."""
        return self.request(method, path, body=body, key=self.sk, headers=headers)

    # database (read-only) -------------------------------------------------------------------
    def sql(self, query, params=()):
        """Reads the database directly. A running SQLite node answers a click once it is in the
        node's journal and writes it to the database just after (src/app/click_journal.h); any
        request to the node waits for the clicks answered before it, so one is sent first."""
        if not PG and self.alive():
            self.request("GET", "/healthz")
        if PG:
            if self.pg_conn is None:
                self.pg_conn = PgConn(self.db_url)
            return self.pg_conn.query(query, params)
        con = sqlite3.connect("file:%s?mode=ro" % urllib.parse.quote(self.db_path), uri=True, timeout=10)
        try:
            return con.execute(query, params).fetchall()
        finally:
            con.close()

    def sql_write(self, query, params=()):
        """Writes to the database directly, as an operator's tool would (tests that need rows the
        API cannot make, such as clicks from long ago)."""
        if PG:
            if self.pg_conn is None:
                self.pg_conn = PgConn(self.db_url)
            return self.pg_conn.query(query, params)
        con = sqlite3.connect(self.db_path, timeout=10)
        try:
            with con:
                return con.execute(query, params).fetchall()
        finally:
            con.close()

    def sql1(self, query, params=()):
        rows = self.sql(query, params)
        expect(len(rows) == 1 and len(rows[0]) == 1, "expected one value from %r, got %r" % (query, rows))
        return rows[0][0]

    def counts(self, tables=WRITE_TABLES):
        row = self.sql("SELECT " + ", ".join("(SELECT count(*) FROM %s)" % t for t in tables))[0]
        return dict(zip(tables, row))


# ----------------------------------------------------------------------------------------------
# domain helpers

def create_program(srv, **overrides):
    body = {
        "name": "Program " + uid(),
        "currency": "USD",
        "allowed_hosts": ["shop.example"],
        "default_url": "https://shop.example/",
        "rules": [{"type": "percent", "bps": 1000}],
    }
    body.update(overrides)
    resp = srv.api("POST", "/api/v1/programs", body)
    expect_status(resp, 201)
    prog = resp[2]
    expect(isinstance(prog, dict) and str(prog.get("id", "")).startswith("prg_"),
           "program id: %s" % short(prog))
    return prog


def create_partner(srv, program_id, ref_code=None, **extra):
    tag = uid()
    body = {
        "program_id": program_id,
        "email": "p%s@partners.example" % tag,
        "name": "Partner " + tag,
        "ref_code": ref_code or ("ref" + tag),
    }
    body.update(extra)
    resp = srv.api("POST", "/api/v1/partners", body)
    expect_status(resp, 201)
    ptn = resp[2]
    expect(isinstance(ptn, dict) and str(ptn.get("id", "")).startswith("ptn_"),
           "partner id: %s" % short(ptn))
    return ptn


def partner_key(srv, partner_id):
    resp = srv.api("POST", "/api/v1/partners/%s/keys" % partner_id, {})
    expect_status(resp, 200, 201)
    key = resp[2].get("key") if isinstance(resp[2], dict) else None
    expect(isinstance(key, str) and key.startswith("pd_pt_"), "partner key: %s" % short(resp[2]))
    return key


def create_link(srv, partner_id, destination, **extra):
    body = {"partner_id": partner_id, "destination": destination}
    body.update(extra)
    return srv.api("POST", "/api/v1/links", body)


def click(srv, code, query="", ua=DEFAULT_UA, headers=None):
    """GET /c/{code}; returns (status, location or None, click id or None)."""
    path = "/c/" + code + (("?" + query) if query else "")
    h = {"User-Agent": ua}
    if headers:
        h.update(headers)
    status, hdrs, _ = srv.request("GET", path, headers=h)
    loc = hdrs.get("location")
    cid = None
    if loc:
        params = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
        vals = params.get("pd_click")
        if vals:
            cid = vals[-1]
    return status, loc, cid


def click_ok(srv, code, query="", ua=DEFAULT_UA):
    status, loc, cid = click(srv, code, query, ua)
    expect_eq(status, 302, "status of GET /c/%s" % code)
    expect(cid is not None and CROCKFORD_ULID.match(cid) is not None,
           "Location %r lacks a 26-character Crockford base32 pd_click" % loc)
    return loc, cid


def convert(srv, program_id, order_id, amount, currency="USD", **extra):
    body = {"program_id": program_id, "order_id": order_id, "amount": amount, "currency": currency}
    body.update(extra)
    return srv.api("POST", "/api/v1/conversions", body)


def list_rows(body):
    """Rows of a list or report answer: {"data":[…]} (or a bare array)."""
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        return body["data"]
    if isinstance(body, list):
        return body
    raise Failure("expected {\"data\":[…]}, got %s" % short(body))


def list_all(srv, path, key=None, limit=100):
    """Follows starting_after pagination to the end; returns every row."""
    key = key or srv.sk
    rows, after = [], None
    for _ in range(1000):
        sep = "&" if "?" in path else "?"
        url = "%s%slimit=%d" % (path, sep, limit) + ("&starting_after=" + after if after else "")
        resp = srv.request("GET", url, key=key)
        expect_status(resp, 200)
        body = resp[2]
        expect(isinstance(body, dict) and isinstance(body.get("has_more"), bool),
               "list answer lacks has_more: %s" % short(body))
        page = list_rows(body)
        rows += page
        if not body["has_more"]:
            return rows
        expect(page, "has_more is true on an empty page")
        after = page[-1]["id"]
    raise Failure("pagination of %s did not end" % path)


# ----------------------------------------------------------------------------------------------
# raw sockets (for what http.client will not send)

def raw_exchange(port, data, timeout=10, read_until_close=True):
    """Sends bytes, returns (status or None, raw response bytes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return read_response(s)
    finally:
        s.close()


def read_response(s):
    buf = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            head, sep, rest = buf.partition(b"\r\n\r\n")
            if sep:
                m = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
                if m and len(rest) >= int(m.group(1)):
                    break
    except (ConnectionResetError, socket.timeout):
        pass
    m = re.match(rb"HTTP/1\.[01] (\d{3})", buf)
    return (int(m.group(1)) if m else None), buf


def parse_raw_body(raw):
    _, _, body = raw.partition(b"\r\n\r\n")
    try:
        return json.loads(body.decode("utf-8"))
    except ValueError:
        return body


def send_large_body(port, head, body, chunk=65536, timeout=10):
    """Sends head then body in chunks, stopping as soon as the server answers or closes (a server
    may answer 413 from the headers alone). Returns (status or None, raw response)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(head)
        import select
        off = 0
        while off < len(body):
            r, _, _ = select.select([s], [], [], 0)
            if r:
                break
            try:
                s.sendall(body[off:off + chunk])
            except (BrokenPipeError, ConnectionResetError):
                break
            off += chunk
        return read_response(s)
    finally:
        s.close()


# ----------------------------------------------------------------------------------------------
# runner

def main(namespace, shared_server=True):
    """Runs every test_* function of `namespace` in definition order. A test that takes one argument
    gets the module's shared Server (restarted if a test left it dead); one without arguments
    manages its own. argv may name tests to run."""
    tests = [(name, fn) for name, fn in namespace.items()
             if name.startswith("test_") and callable(fn)]
    tests.sort(key=lambda t: t[1].__code__.co_firstlineno)
    only = set(sys.argv[1:])
    if only:
        tests = [t for t in tests if t[0] in only]
    verbose = bool(os.environ.get("PARTNERD_E2E_VERBOSE"))
    passed, failed = 0, []
    srv = None
    t_all = time.monotonic()
    try:
        needs_server = any(len(inspect.signature(fn).parameters) for _, fn in tests)
        if needs_server:
            srv = Server()
            try:
                srv.__enter__()
            except BaseException:
                traceback.print_exc()
                print("0 passed, %d failed (server did not start)" % len(tests))
                sys.exit(1)
        for name, fn in tests:
            mark = len(srv.log) if srv else 0
            t0 = time.monotonic()
            ok, why = True, ""
            try:
                if inspect.signature(fn).parameters:
                    if not srv.alive():
                        srv.restart()
                        mark = len(srv.log)
                    fn(srv)
                    if not srv.alive() and not srv.expected_exit:
                        ok, why = False, "the server exited (rc %r) during the test" % srv.proc.returncode
                else:
                    fn()
            except Exception:
                ok, why = False, traceback.format_exc()
            dt = time.monotonic() - t0
            if ok:
                passed += 1
                print("ok   %-60s %6.2fs" % (name, dt))
                if verbose and srv:
                    print(srv.log_tail(200, mark))
            else:
                failed.append(name)
                print("FAIL %-60s %6.2fs" % (name, dt))
                print("  " + why.rstrip().replace("\n", "\n  "))
                if srv:
                    print("  server log during the test:")
                    print(srv.log_tail(60, mark))
        if srv:
            if srv.alive():
                rc = srv.stop()
                if rc != 0:
                    failed.append("clean_shutdown")
                    print("FAIL %-60s" % "clean_shutdown")
                    print("  SIGTERM: serve exited with %r (expected 0)" % (rc,))
                    print(srv.log_tail(40))
                else:
                    passed += 1
                    print("ok   %-60s" % "clean_shutdown")
            srv.__exit__(None, None, None) if not failed else srv.cleanup(force_keep=True)
    finally:
        pass
    print("%d passed, %d failed (%.1fs)%s" % (passed, len(failed), time.monotonic() - t_all,
                                              (": " + ", ".join(failed)) if failed else ""))
    sys.exit(1 if failed else 0)
