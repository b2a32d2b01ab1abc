"""A local stand-in for PayPal's Payouts API, written to PayPal's published API reference.

The real API (api-m.sandbox.paypal.com, api-m.paypal.com) cannot be reached from the test machines,
so partnerd's PayPal sender is tested against this server on 127.0.0.1 (a program's base_url may be
http only to a loopback address). It answers what partnerd calls, as PayPal documents it:

- POST /v1/oauth2/token: client credentials (HTTP basic auth, grant_type=client_credentials) →
  {"access_token", "token_type": "Bearer", "expires_in", ...}; 401 invalid_client otherwise.
- POST /v1/payments/payouts: a batch {sender_batch_header {sender_batch_id, ...}, items [...]} of at
  most 15,000 items → 201 {"batch_header": {"payout_batch_id", "batch_status": "PENDING", ...}}.
  A sender_batch_id used before is refused like PayPal does (400 USER_BUSINESS_ERROR, a detail on
  SENDER_BATCH_ID with a HATEOAS link to the original batch) and pays nothing.
- GET /v1/payments/payouts/{payout_batch_id}?page=&page_size=&total_required=: the batch header and
  one page of its items, each with its transaction_status (and errors when it failed).

Switches a test sets on the instance (all thread-safe through `lock`):
- fail_creates: the next N creates answer 503 INTERNAL_SERVICE_ERROR without making a batch;
- hang_creates: the next N creates make the batch (PayPal has it) but never answer in time (the
  connection is held `hang_seconds`), as a timeout between PayPal and partnerd looks;
- refuse_creates: the next N creates are refused for good (422 INSUFFICIENT_FUNDS), paying nothing;
- fail_gets: the next N batch lookups answer 500;
- outcomes: {receiver email: final transaction_status}, SUCCESS for anyone else; UNCLAIMED items
  report a time_processed 31 days ago (past PayPal's 30-day claim period);
- pending_gets: how many lookups of a batch show its items PENDING before their final state.

Counters: `payments` (items accepted into batches: what PayPal would pay), `creates` (create
requests received), `tokens` (tokens issued), `requests` (every request, as (method, path)).

Run alone: python3 fake_paypal.py [port] (client id "test-client", secret "test-secret").
"""

import base64
import datetime
import json
import re
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_ITEMS = 15000
EXPONENT = {"JPY": 0, "HUF": 0, "TWD": 0}


def _batch_id():
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(13))


def _iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakePayPal:
    def __init__(self, client_id="test-client", client_secret="test-secret"):
        self.client_id = client_id
        self.client_secret = client_secret
        self.lock = threading.Lock()
        self.tokens_issued = set()
        self.batches = {}          # payout_batch_id -> batch
        self.by_sender = {}        # sender_batch_id -> payout_batch_id
        self.payments = 0
        self.creates = 0
        self.tokens = 0
        self.requests = []
        self.fail_creates = 0
        self.hang_creates = 0
        self.hang_seconds = 5.0
        self.refuse_creates = 0
        self.fail_gets = 0
        self.outcomes = {}
        self.pending_gets = 0
        self.server = None
        self.thread = None

    # lifecycle --------------------------------------------------------------------------------
    def start(self):
        fake = self

        class Handler(_Handler):
            paypal = fake

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    @property
    def base_url(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    # what a test reads --------------------------------------------------------------------------
    def batch_for(self, sender_batch_id):
        with self.lock:
            bid = self.by_sender.get(sender_batch_id)
            return self.batches.get(bid) if bid else None

    # the API ----------------------------------------------------------------------------------
    def token(self, handler, body):
        auth = handler.headers.get("Authorization", "")
        ok = False
        if auth.startswith("Basic "):
            try:
                user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
                ok = user == self.client_id and pw == self.client_secret
            except ValueError:
                ok = False
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if not ok:
            return 401, {"error": "invalid_client", "error_description": "Client Authentication failed"}
        if form.get("grant_type") != ["client_credentials"]:
            return 400, {"error": "unsupported_grant_type", "error_description": "grant_type"}
        tok = "A21AA" + secrets.token_hex(16)
        with self.lock:
            self.tokens_issued.add(tok)
            self.tokens += 1
        return 200, {"scope": "https://uri.paypal.com/services/payments/payouts",
                     "access_token": tok, "token_type": "Bearer", "app_id": "APP-80W284485P519543T",
                     "expires_in": 32400, "nonce": secrets.token_hex(8)}

    def authorized(self, handler):
        auth = handler.headers.get("Authorization", "")
        with self.lock:
            return auth.startswith("Bearer ") and auth[7:] in self.tokens_issued

    @staticmethod
    def error(status, name, message, details=None, links=None):
        body = {"name": name, "message": message, "debug_id": secrets.token_hex(6),
                "information_link": "https://developer.paypal.com/docs/api/payments.payouts-batch/#errors"}
        if details is not None:
            body["details"] = details
        body["links"] = links or []
        return status, body

    def validate(self, doc):
        """None, or the VALIDATION_ERROR details of a create body."""
        header = doc.get("sender_batch_header") if isinstance(doc, dict) else None
        items = doc.get("items") if isinstance(doc, dict) else None
        problems = []
        if not isinstance(header, dict) or not isinstance(header.get("sender_batch_id"), str):
            problems.append({"field": "sender_batch_header.sender_batch_id", "issue": "required"})
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
            problems.append({"field": "items", "issue": "1 to %d items" % MAX_ITEMS})
            return problems
        for i, it in enumerate(items):
            amount = it.get("amount") if isinstance(it, dict) else None
            cur = amount.get("currency") if isinstance(amount, dict) else None
            value = amount.get("value") if isinstance(amount, dict) else None
            exp = EXPONENT.get(cur, 2)
            pattern = r"^\d+$" if exp == 0 else r"^\d+\.\d{%d}$" % exp
            if not isinstance(value, str) or not re.match(pattern, value) or float(value) <= 0:
                problems.append({"field": "items[%d].amount.value" % i, "issue": "invalid amount"})
            if not isinstance(it.get("receiver"), str) or "@" not in it.get("receiver", ""):
                problems.append({"field": "items[%d].receiver" % i, "issue": "invalid receiver"})
        return problems or None

    def create(self, handler, body):
        if not self.authorized(handler):
            return self.error(401, "AUTHENTICATION_FAILURE", "Authentication failed due to invalid"
                              " authentication credentials or a missing Authorization header.")
        try:
            doc = json.loads(body)
        except ValueError:
            return self.error(400, "MALFORMED_REQUEST", "Incoming JSON request does not map to API request")
        problems = self.validate(doc)
        if problems:
            return self.error(400, "VALIDATION_ERROR", "Invalid request - see details", problems)
        sbid = doc["sender_batch_header"]["sender_batch_id"]
        with self.lock:
            if self.fail_creates > 0:
                self.fail_creates -= 1
                return self.error(503, "INTERNAL_SERVICE_ERROR", "An internal service error occurred.")
            if self.refuse_creates > 0:
                self.refuse_creates -= 1
                return self.error(422, "INSUFFICIENT_FUNDS", "Sender does not have sufficient"
                                  " funds. Please add funds and retry.")
            if sbid in self.by_sender:
                original = self.by_sender[sbid]
                link = {"href": "%s/v1/payments/payouts/%s" % (self.base_url, original),
                        "rel": "self", "method": "GET", "encType": "application/json"}
                return self.error(400, "USER_BUSINESS_ERROR", "User business error.",
                                  [{"field": "SENDER_BATCH_ID", "location": "body",
                                    "issue": "Batch with given sender_batch_id already exists",
                                    "link": [link]}])
            bid = _batch_id()
            now = time.time()
            items = []
            for it in doc["items"]:
                items.append({"payout_item_id": _batch_id(), "transaction_id": _batch_id(),
                              "payout_item": dict(it), "created": now})
            batch = {"payout_batch_id": bid, "sender_batch_header": doc["sender_batch_header"],
                     "items": items, "gets": 0, "time_created": now}
            self.batches[bid] = batch
            self.by_sender[sbid] = bid
            self.payments += len(items)
            hang = self.hang_creates > 0
            if hang:
                self.hang_creates -= 1
        if hang:
            time.sleep(self.hang_seconds)
            return None, None  # the connection closes without an answer
        header = {"payout_batch_id": bid, "batch_status": "PENDING",
                  "sender_batch_header": doc["sender_batch_header"]}
        return 201, {"batch_header": header,
                     "links": [{"href": "%s/v1/payments/payouts/%s" % (self.base_url, bid),
                                "rel": "self", "method": "GET", "encType": "application/json"}]}

    def item_view(self, batch, it, final):
        receiver = it["payout_item"].get("receiver")
        status = self.outcomes.get(receiver, "SUCCESS") if final else "PENDING"
        view = {"payout_item_id": it["payout_item_id"], "transaction_id": it["transaction_id"],
                "transaction_status": status,
                "payout_item_fee": {"currency": it["payout_item"]["amount"]["currency"], "value": "0.00"},
                "payout_batch_id": batch["payout_batch_id"], "payout_item": it["payout_item"],
                "time_processed": _iso(it["created"])}
        if status == "UNCLAIMED":
            view["time_processed"] = _iso(it["created"] - 31 * 86400)
        if status in ("FAILED", "BLOCKED"):
            view["errors"] = {"name": "RECEIVER_UNREGISTERED", "message": "Receiver is unregistered"}
        if status == "RETURNED":
            view["errors"] = {"name": "RECEIVER_REFUSED", "message": "Receiver refused the payment"}
        return view

    def get_batch(self, handler, bid, query):
        if not self.authorized(handler):
            return self.error(401, "AUTHENTICATION_FAILURE", "Authentication failed.")
        with self.lock:
            if self.fail_gets > 0:
                self.fail_gets -= 1
                return self.error(500, "INTERNAL_SERVICE_ERROR", "An internal service error occurred.")
            batch = self.batches.get(bid)
            if not batch:
                return self.error(404, "INVALID_RESOURCE_ID", "Requested resource ID was not found.")
            page = int(query.get("page", ["1"])[0])
            size = min(int(query.get("page_size", ["1000"])[0]), 1000)
            if page == 1:
                batch["gets"] += 1
            final = batch["gets"] > self.pending_gets
            items = batch["items"]
            pages = max(1, (len(items) + size - 1) // size)
            chunk = items[(page - 1) * size: page * size]
            views = [self.item_view(batch, it, final) for it in chunk]
        header = {"payout_batch_id": bid, "batch_status": "SUCCESS" if final else "PROCESSING",
                  "time_created": _iso(batch["time_created"]),
                  "sender_batch_header": batch["sender_batch_header"]}
        body = {"batch_header": header, "items": views, "links": []}
        if query.get("total_required") == ["true"]:
            body["total_items"] = len(items)
            body["total_pages"] = pages
        return 200, body


class _Handler(BaseHTTPRequestHandler):
    paypal = None
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _answer(self, status, body):
        if status is None:
            self.close_connection = True
            return
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Paypal-Debug-Id", secrets.token_hex(6))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_POST(self):
        body = self._body()
        path = urllib.parse.urlsplit(self.path).path
        with self.paypal.lock:
            self.paypal.requests.append(("POST", path))
        if path == "/v1/oauth2/token":
            self._answer(*self.paypal.token(self, body))
        elif path == "/v1/payments/payouts":
            with self.paypal.lock:
                self.paypal.creates += 1
            self._answer(*self.paypal.create(self, body))
        else:
            self._answer(404, {"name": "NOT_FOUND", "message": "no such path"})

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        with self.paypal.lock:
            self.paypal.requests.append(("GET", u.path))
        m = re.match(r"^/v1/payments/payouts/([A-Za-z0-9]+)$", u.path)
        if m:
            self._answer(*self.paypal.get_batch(self, m.group(1), urllib.parse.parse_qs(u.query)))
        else:
            self._answer(404, {"name": "NOT_FOUND", "message": "no such path"})


if __name__ == "__main__":
    fake = FakePayPal().start()
    if len(sys.argv) > 1:
        fake.stop()
        fake.server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), type(
            "H", (_Handler,), {"paypal": fake}))
        threading.Thread(target=fake.server.serve_forever, daemon=True).start()
    print("fake PayPal on %s" % fake.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()
