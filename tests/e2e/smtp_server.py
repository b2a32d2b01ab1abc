"""A real SMTP server on loopback for the email tests: Debian's python3-aiosmtpd in a thread,
started and stopped by the test (`with SmtpServer() as smtp:`), keeping every message that
arrived, parsed with Python's email package.

Run as a program (`python3 smtp_server.py --dir DIR`) for the tests in other languages: it prints
{"port": N} on its first line, writes each message that arrives as DIR/NNNN.eml (as received) and
DIR/NNNN.json (envelope, headers and both parts, parsed here), each file whole once it appears, and
runs until its standard input closes or it is sent SIGTERM.

Faults, each for the next N exchanges (counters the test sets, decremented as they happen):
  refuse          RCPT TO is answered "550 5.1.1 no such mailbox" (every time while set to -1)
  hang_mail       MAIL FROM is not answered (the client's deadline passes) while hang is set
  close_mid_data  the connection is closed after the first line of the message (nothing stored)
  swallow_reply   the whole message is received and stored, then the connection is closed
                  instead of the final 250 reply: the client cannot know it was taken
"""

import asyncio
import email
import email.policy
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult


# The server's own log (faults it sees on purpose, AUTH without TLS on loopback) is not the test's.
logging.getLogger("mail.log").setLevel(logging.CRITICAL)
warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")


class Arrived:
    def __init__(self, mail_from, rcpt_tos, raw):
        self.mail_from = mail_from
        self.rcpt_tos = list(rcpt_tos)
        self.raw = raw
        self.msg = email.message_from_bytes(raw, policy=email.policy.default)

    def header(self, name):
        v = self.msg[name]
        return None if v is None else str(v)

    def part(self, ctype):
        for p in self.msg.walk():
            if p.get_content_type() == ctype:
                return p.get_content()
        return None

    def to_json(self):
        """What arrived, parsed: the envelope, every header (decoded), the addresses of From and
        To, both parts."""
        def addresses(name):
            v = self.msg[name]
            return [{"name": a.display_name, "addr": a.addr_spec} for a in v.addresses] if v else []
        return {"mail_from": self.mail_from, "rcpt_tos": self.rcpt_tos,
                "headers": [[k, str(v)] for k, v in self.msg.items()],
                "from": addresses("From"), "to": addresses("To"),
                "content_type": self.msg.get_content_type(),
                "text": self.part("text/plain"), "html": self.part("text/html")}


class _Handler:
    def __init__(self, box):
        self.box = box

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        box = self.box
        started = time.monotonic()
        while box.hang_mail and time.monotonic() - started < 120:
            await asyncio.sleep(0.05)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        box = self.box
        with box.lock:
            if box.refuse:
                box.refuse -= 1 if box.refuse > 0 else 0
                box.refused += 1
                return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        box = self.box
        raw = bytes(envelope.original_content or envelope.content)
        arrived = Arrived(envelope.mail_from, envelope.rcpt_tos, raw)
        with box.lock:
            box.arrived.append(arrived)
            box.save(len(box.arrived), arrived)
            swallow = box.swallow_reply > 0
            if swallow:
                box.swallow_reply -= 1
        if swallow:
            server.transport.abort()
            return "250 OK (never heard)"
        return "250 OK queued"


class _FaultySMTP(SMTP):
    def __init__(self, box, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.box = box

    async def smtp_DATA(self, arg):
        box = self.box
        with box.lock:
            close = box.close_mid_data > 0 and bool(self.envelope.rcpt_tos)
            if close:
                box.close_mid_data -= 1
        if not close:
            return await super().smtp_DATA(arg)
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        await self._reader.readuntil(b"\r\n")
        box.closed_mid_data += 1
        self.transport.abort()
        await asyncio.sleep(1)  # the loss of the connection ends this handler, unread lines too


class _Controller(Controller):
    def __init__(self, box, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.box = box

    def factory(self):
        return _FaultySMTP(self.box, self.handler, **self.SMTP_kwargs)


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class SmtpServer:
    def __init__(self, login=None, directory=None):
        """login: (user, password) the server then requires (AUTH over the plain connection);
        directory: where each message is also written (NNNN.eml and NNNN.json)."""
        self.login = login
        self.directory = directory
        self.logins = []  # (user, password) of every AUTH, as received
        self.lock = threading.Lock()
        self.arrived = []
        self.refuse = 0
        self.refused = 0
        self.hang_mail = False
        self.close_mid_data = 0
        self.closed_mid_data = 0
        self.swallow_reply = 0
        self.port = None
        self.controller = None

    @property
    def url(self):
        return "smtp://127.0.0.1:%d" % self.port

    def start(self):
        self.port = _free_port()
        kwargs = {}
        if self.login:
            kwargs = {"auth_required": True, "auth_require_tls": False,
                      "authenticator": self._authenticate}
        self.controller = _Controller(self, _Handler(self), hostname="127.0.0.1", port=self.port,
                                      **kwargs)
        self.controller.start()
        return self

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        got = (auth_data.login.decode(), auth_data.password.decode())
        with self.lock:
            self.logins.append(got)
        return AuthResult(success=got == tuple(self.login))

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def save(self, n, arrived):
        """Writes message number n to the directory, if any: renamed into place, so whole."""
        if not self.directory:
            return
        for ext, data in (("eml", arrived.raw),
                          ("json", json.dumps(arrived.to_json(), indent=1).encode())):
            path = os.path.join(self.directory, "%04d.%s" % (n, ext))
            with open(path + ".tmp", "wb") as f:
                f.write(data)
            os.replace(path + ".tmp", path)

    def messages(self):
        with self.lock:
            return list(self.arrived)

    def wait_for(self, n, timeout=30, what="messages"):
        """Waits until at least n messages arrived; returns them all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.messages()
            if len(got) >= n:
                return got
            time.sleep(0.05)
        raise AssertionError("%d %s expected at the SMTP server within %ds, %d arrived"
                             % (n, what, timeout, len(self.messages())))


# ----------------------------------------------------------------------------------------------
# what the email tests share

FROM = "noreply@shop.example"
PUBLIC_URL = "https://track.shop.example"


def smtp_args(smtp, **settings):
    """`partnerd serve` flags for an SMTP server: quick polls and retries unless told otherwise."""
    args = {"smtp_url": smtp.url, "smtp_from": FROM, "public_url": PUBLIC_URL,
            "webhook_poll_ms": 50, "smtp_timeout_ms": 3000, "smtp_retry_base_ms": 100}
    args.update(settings)
    out = []
    for k, v in args.items():
        out += ["--" + k, str(v)]
    return out


def wait_until(fn, timeout=30, what="the condition"):
    """Calls fn until it returns something true; returns that."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError("%s did not happen within %ds (last: %r)" % (what, timeout, last))


def email_rows(srv, query=""):
    """Every message of GET /api/v1/emails (newest first), or with its query."""
    status, _, body = srv.api("GET", "/api/v1/emails?limit=100" + ("&" + query if query else ""))
    if status != 200:
        raise AssertionError("GET /api/v1/emails: %d %r" % (status, body))
    return body["data"]


def email_of(srv, partner_id, kind, status=None, timeout=30):
    """Waits until the partner has a message of kind (in that status, when given); returns it."""
    def find():
        for e in email_rows(srv, "partner_id=" + partner_id):
            if e["kind"] == kind and (status is None or e["status"] == status):
                return e
        return None
    return wait_until(find, timeout, "a %s email%s for %s" % (kind, " " + status if status else "",
                                                               partner_id))


def main(argv):
    if len(argv) != 3 or argv[1] != "--dir" or not os.path.isdir(argv[2]):
        sys.stderr.write("usage: smtp_server.py --dir DIR (an existing directory)\n")
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with SmtpServer(directory=argv[2]) as smtp:
        print(json.dumps({"port": smtp.port}), flush=True)
        sys.stdin.read()  # until the test closes it, or ends
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
