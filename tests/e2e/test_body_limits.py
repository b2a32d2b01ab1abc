"""Request bodies are routed and authenticated before they are read: a body nobody may send is
refused from the head alone (401, 404, 413 for a public route's small limit), and the bodies in
flight share one budget (`body_memory_max`): beyond it 503 with Retry-After, unread, and every
request gives its share back once it is answered or its client is gone."""

import json
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Server, expect, expect_eq, parse_raw_body, read_response  # noqa: E402

MIB = 1 << 20


def head(path, length, key=None, extra=""):
    auth = "Authorization: Bearer %s\r\n" % key if key else ""
    return ("POST %s HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n%s%s"
            "Content-Length: %d\r\n\r\n" % (path, auth, extra, length)).encode()


def answer_to_head(port, data, timeout=5):
    """Sends only a head (no body byte) and returns (status, headers text, JSON body): the answer
    must come from the head alone."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        status, raw = read_response(s)
    finally:
        s.close()
    text = raw.partition(b"\r\n\r\n")[0].decode("latin-1")
    return status, text, parse_raw_body(raw)


def expect_refused(got, status, code):
    expect_eq(got[0], status, "status of a refused head (answer %r)" % (got,))
    expect(re.search(r"(?im)^connection: close\r?$", got[1]), "closed after the refusal: %r" % got[1])
    body = got[2]
    expect(isinstance(body, dict) and body.get("error", {}).get("code") == code,
           "JSON error %s: %r" % (code, body))


def test_unauthenticated_body_is_refused_from_its_head(srv):
    expect_refused(answer_to_head(srv.port, head("/api/v1/conversions", MIB)), 401, "unauthorized")
    expect_refused(answer_to_head(srv.port, head("/api/v1/conversions", MIB, key="pd_sk_" + "x" * 40)),
                   401, "unauthorized")
    # a client that waits for 100 Continue gets the refusal instead
    got = answer_to_head(srv.port, head("/api/v1/programs", MIB, extra="Expect: 100-continue\r\n"))
    expect_refused(got, 401, "unauthorized")


def test_unknown_route_is_refused_from_its_head(srv):
    expect_refused(answer_to_head(srv.port, head("/api/v1/nothing-here", MIB, key=srv.sk)),
                   404, "not_found")


def test_public_routes_take_small_bodies(srv):
    for path in ("/login", "/invite/sometoken"):
        expect_refused(answer_to_head(srv.port, head(path, 16 * 1024 + 1)), 413, "payload_too_large")
    # within the limit the form is read and answered as before
    form = json.dumps({"email": "nobody@shop.example", "password": "wrong password"})
    status, _, body = srv.request("POST", "/login", body=form + " " * 12000)
    expect_eq(status, 401, "a wrong login of 12 KiB (answer %r)" % (body,))


def test_authenticated_route_keeps_the_server_limit(srv):
    filler = "x" * (MIB - 64)
    status, _, body = srv.api("POST", "/api/v1/programs", body={"name": filler})
    expect(status in (400, 422) and "error" in body, "a 1 MiB body with a key is read: %r" % status)
    expect(body["error"]["code"] != "payload_too_large", "not refused for its size: %r" % body)


def reserve(port, key, timeout=5):
    """Opens a connection whose head declares a 1 MiB body and waits for the server's verdict:
    (socket, 100) once its body has its share of the budget, or (None, status) on a refusal."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(head("/api/v1/programs", MIB, key=key, extra="Expect: 100-continue\r\n"))
    raw = b""
    while b"\r\n\r\n" not in raw:
        chunk = s.recv(65536)
        if not chunk:
            break
        raw += chunk
    if raw.startswith(b"HTTP/1.1 100 "):
        return s, 100
    rest = read_response(s)[1]
    s.close()
    m = re.match(rb"HTTP/1\.[01] (\d{3})", raw)
    return None, ((int(m.group(1)) if m else None), raw + rest)


def reserve_retrying(port, key, seconds=5):
    """Reserves as soon as the budget has room again (a closed client's share comes back
    asynchronously): retries 503 answers, as Retry-After asks, for up to `seconds`."""
    end = time.monotonic() + seconds
    while True:
        s, got = reserve(port, key)
        if s or got[0] != 503 or time.monotonic() > end:
            return s, got
        time.sleep(0.05)


def test_bodies_in_flight_share_one_budget():
    with Server(serve_args=["--body_memory_max", "2"]) as srv:
        a, got = reserve_retrying(srv.port, srv.sk)
        expect(a, "first 1 MiB body: %r" % (got,))
        b, got = reserve(srv.port, srv.sk)
        expect(b, "second 1 MiB body: %r" % (got,))
        # the budget (2 MiB) is spent: a third is refused unread, with Retry-After
        c, got = reserve(srv.port, srv.sk)
        expect(c is None, "a third body must not fit")
        status, raw = got
        expect_eq(status, 503, "status beyond the budget (%r)" % raw[:300])
        expect(re.search(rb"(?im)^retry-after: \d+\r?$", raw), "Retry-After: %r" % raw[:300])
        expect_eq(parse_raw_body(raw)["error"]["code"], "service_unavailable", "error code")
        # a client gone mid-body gives its share back
        a.sendall(b"x" * 1000)
        a.close()
        a, got = reserve_retrying(srv.port, srv.sk)
        expect(a, "room again after a client left mid-body: %r" % (got,))
        # so does an answered body
        b.sendall(b"{" + b" " * (MIB - 1))
        status, raw = read_response(b)
        expect_eq(status, 400, "the malformed body is read and answered")
        b.close()
        b, got = reserve_retrying(srv.port, srv.sk)
        expect(b, "room again after an answer: %r" % (got,))
        a.close()
        b.close()
        # everything was given back: the whole budget fits again, and not a byte more
        a, got = reserve_retrying(srv.port, srv.sk)
        b, got2 = reserve_retrying(srv.port, srv.sk)
        expect(a and b, "the whole budget is free again: %r %r" % (got, got2))
        c, got = reserve(srv.port, srv.sk)
        expect(c is None and got[0] == 503, "and no more: %r" % (got,))
        a.close()
        b.close()


def test_body_memory_max_must_be_positive():
    with Server() as srv:
        rc, out, err = srv.run_cli("serve", "--db", srv.db_url, "--check-config",
                                   "--body_memory_max", "1")
        expect_eq(rc, 0, "exit status of a valid setting (stderr %r)" % err)
        rc, _, err = srv.run_cli("serve", "--db", srv.db_url, "--check-config",
                                 "--body_memory_max", "0")
        expect_eq(rc, 2, "exit status (stderr %r)" % err)
        expect("body_memory_max" in err, "the message names the setting: %r" % err)


if __name__ == "__main__":
    harness.main(globals())
