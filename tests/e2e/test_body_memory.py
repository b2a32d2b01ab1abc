"""1,000 connections that each send the head of a body route and as much of a 1 MiB body as the
server takes, then stall, keep the server's resident memory under 128 MiB while a normal client is
served promptly. The connections mix what an attacker can send: bodies without a key to a route
that needs one (refused from the head), 1 MiB bodies to a public form route (over its limit), forms
within that limit, and 1 MiB bodies with a valid key (held until the shared budget is spent, then
503).

Registered for the optimised build only: ASan's quarantine and shadow memory would hide what is
measured here."""

import os
import re
import resource
import select
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Server, expect, expect_eq  # noqa: E402

MIB = 1 << 20
FORM = 16 * 1024
RSS_LIMIT_MIB = 128
# (label, path, keyed, declared body length, connections)
WAVE = [
    ("keyless", "/api/v1/conversions", False, MIB, 300),
    ("form over its limit", "/invite/sometoken", False, MIB, 200),
    ("form", "/login", False, FORM, 200),
    ("keyed", "/api/v1/conversions", True, MIB, 300),
]
CONNECTIONS = sum(w[4] for w in WAVE)


def raise_fd_limit(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        soft = need if hard == resource.RLIM_INFINITY else min(need, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    expect(soft == resource.RLIM_INFINITY or soft >= need,
           "this test needs %d file descriptors; ulimit -n allows %d" % (need, soft))


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        m = re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M)
    return int(m.group(1)) / 1024.0


class Conn:
    def __init__(self, port, label, path, key, length):
        self.label = label
        self.left = length - 1  # never the last byte: the request stays unfinished
        self.answer = b""
        self.closed = False
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        auth = "Authorization: Bearer %s\r\n" % key if key else ""
        self.sock.sendall(("POST %s HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n%s"
                           "Content-Length: %d\r\n\r\n" % (path, auth, length)).encode())
        self.sock.setblocking(False)

    def done(self):
        return self.closed or self.left == 0

    def status(self):
        m = re.match(rb"HTTP/1\.1 (\d{3})", self.answer)
        return int(m.group(1)) if m else None


def flood(port, key, seconds=12):
    """Opens the wave and pushes bodies until every connection has sent all but the last byte of
    its body or was closed by the server (or `seconds` pass: then the server takes no more)."""
    conns = []
    for label, path, keyed, length, n in WAVE:
        conns += [Conn(port, label, path, key if keyed else None, length) for _ in range(n)]
    by_fd = {c.sock.fileno(): c for c in conns}
    poller = select.poll()
    for fd in by_fd:
        poller.register(fd, select.POLLIN | select.POLLOUT)
    chunk = b"x" * 65536
    end = time.monotonic() + seconds
    while time.monotonic() < end and not all(c.done() for c in conns):
        for fd, ev in poller.poll(100):
            c = by_fd[fd]
            if ev & (select.POLLIN | select.POLLHUP | select.POLLERR):
                try:
                    data = c.sock.recv(65536)
                except BlockingIOError:
                    data = None
                except OSError:
                    data = b""
                if data:
                    c.answer += data
                elif data == b"":
                    c.closed = True
                    poller.unregister(fd)
                    continue
            if ev & select.POLLOUT and c.left > 0:
                try:
                    c.left -= c.sock.send(chunk[:min(len(chunk), c.left)])
                except BlockingIOError:
                    pass
                except OSError:
                    c.closed = True
                    poller.unregister(fd)
                    continue
                if c.left == 0:
                    poller.modify(fd, select.POLLIN)
    return conns


METRICS_TOKEN = "metrics-" + harness.uid(16)


def body_bytes(srv):
    """The server's own count of the bytes reserved for bodies (its /metrics gauge)."""
    status, _, body = srv.request("GET", "/metrics", key=METRICS_TOKEN)
    expect_eq(status, 200, "/metrics")
    m = re.search(rb"(?m)^partnerd_http_body_bytes (\d+)$", body)
    expect(m, "the body bytes gauge in /metrics")
    return int(m.group(1))


def read_answers(conns):
    """Reads what has arrived on every connection still without an answer."""
    for c in conns:
        if c.closed or c.status() is not None:
            continue
        try:
            data = c.sock.recv(65536)
        except BlockingIOError:
            continue
        except OSError:
            c.closed = True
            continue
        if data:
            c.answer += data
        else:
            c.closed = True


def settle(srv, conns):
    """Waits until the connections still unanswered are exactly those whose bodies the server
    holds: the answers it already sent may still be on their way when the flood ends."""
    end = time.monotonic() + 10
    while True:
        read_answers(conns)
        unanswered = sum(MIB if c.label == "keyed" else FORM for c in conns
                         if c.status() is None and c.label in ("keyed", "form"))
        if unanswered == body_bytes(srv) or time.monotonic() > end:
            return
        time.sleep(0.05)


def test_stalled_bodies_keep_memory_bounded():
    raise_fd_limit(2 * CONNECTIONS + 256)  # the server inherits it
    # body_memory_max: its default, 64 MiB
    with Server(serve_args=["--metrics_token", METRICS_TOKEN]) as srv:
        pid = srv.proc.pid
        rss_before = rss_mib(pid)
        conns = flood(srv.port, srv.sk)
        try:
            rss = rss_mib(pid)
            # a normal client is served promptly meanwhile
            t0 = time.monotonic()
            status, _, body = srv.api("GET", "/api/v1/programs")
            took = time.monotonic() - t0
            expect_eq(status, 200, "a normal request during the flood (%r)" % (body,))
            expect(took < 2.0, "a normal request took %.2f s during the flood" % took)
            rss = max(rss, rss_mib(pid))
            settle(srv, conns)
            print("  server RSS %.1f MiB before, %.1f MiB with %d stalled connections; a normal "
                  "request took %.3f s" % (rss_before, rss, len(conns), took))
            expect(rss < RSS_LIMIT_MIB, "server RSS %.1f MiB with %d stalled bodies (limit %d MiB)"
                   % (rss, len(conns), RSS_LIMIT_MIB))
            # what each kind of connection got
            seen = {}
            for c in conns:
                seen.setdefault(c.label, {}).setdefault(c.status(), 0)
                seen[c.label][c.status()] += 1
            print("  answers: %r" % seen)
            expect_eq(seen["keyless"], {401: 300}, "bodies without a key")
            expect_eq(seen["form over its limit"], {413: 200}, "1 MiB forms")
            # Bodies a route accepts are held (unanswered) while the budget lasts, then 503: the
            # heads reach the workers in any order, and nothing is given back during the flood.
            held = {kind: seen[kind].get(None, 0) for kind in ("form", "keyed")}
            for kind, n in (("form", 200), ("keyed", 300)):
                expect_eq(seen[kind].get(503, 0) + held[kind], n, "%s bodies: held or 503" % kind)
            in_use = held["keyed"] * MIB + held["form"] * FORM
            expect(seen["keyed"].get(503) and 63 * MIB < in_use <= 64 * MIB,
                   "the 64 MiB budget is spent, not exceeded: %r bytes held" % in_use)
            expect_eq(body_bytes(srv), in_use, "the bytes the server says it holds")
            for c in conns:
                if c.status() == 503:
                    expect(re.search(rb"(?im)^retry-after: \d+\r?$", c.answer),
                           "a 503 says when to retry: %r" % c.answer[:300])
        finally:
            for c in conns:
                c.sock.close()
        # once they are gone, the bodies' memory is the budget's again: a write goes through
        end = time.monotonic() + 5
        while True:
            status, _, body = srv.api("POST", "/api/v1/programs",
                                      body={"name": "After the flood", "currency": "USD",
                                            "allowed_hosts": ["shop.example"],
                                            "default_url": "https://shop.example/",
                                            "rules": [{"type": "percent", "bps": 1000}]})
            if status != 503 or time.monotonic() > end:
                break
            time.sleep(0.05)
        expect_eq(status, 201, "a write after the flood (%r)" % (body,))


if __name__ == "__main__":
    harness.main(globals())
