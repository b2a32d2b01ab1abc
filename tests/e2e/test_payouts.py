"""Payout batches end to end (README "Payouts"): a draft made from the approved balances as they
are, refreshed and deleted; held items with their reasons; money leaving the approved balance when
a file is first downloaded (one payout entry per item, none again on a second download); SEPA,
PayPal and Wise files with their parts; items settled paid or failed (payout_failed returns the
money); approvals after an export going to the next batch; the bad requests refused with nothing
written. `partnerd check` passes after each test.
"""
import csv
import datetime
import io
import os
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (create_partner, create_program, convert, expect, expect_eq, expect_error,  # noqa: E402
                     expect_status, partner_key)

NS9 = "{urn:iso:std:iso:20022:tech:xsd:pain.001.001.09}"
NS3 = "{urn:iso:std:iso:20022:tech:xsd:pain.001.001.03}"
DEBTOR = {"name": "Shop GmbH & Co", "iban": "DE02120300000000202051", "bic": "BYLADEM1001"}


def month(delta=0):
    d = datetime.datetime.now(datetime.timezone.utc).replace(day=1)
    y, m = d.year, d.month + delta
    while m < 1:
        y, m = y - 1, m + 12
    while m > 12:
        y, m = y + 1, m - 12
    return "%04d-%02d" % (y, m)


def earn(srv, pid, partner, order, amount, currency="EUR", approve=True):
    """A conversion of the partner's; its commission approved. Returns the commission."""
    status, _, conv = convert(srv, pid, order, amount, currency=currency, ref=partner["ref_code"])
    expect_eq(status, 201, "conversion %s" % order)
    com = conv["commissions"][0]
    if approve:
        expect_status(srv.api("POST", "/api/v1/commissions/%s/approve" % com["id"]), 200)
    return com


def approved(srv, partner_id):
    return srv.sql1("SELECT approved FROM partner_balances WHERE partner_id = ?", (partner_id,))


def items_by_partner(batch):
    return {i["partner_id"]: i for i in batch["items"]}


def ledger_count(srv, kind, payout_id):
    return srv.sql1("SELECT COUNT(*) FROM ledger_entries WHERE kind = ? AND payout_id = ?",
                    (kind, payout_id))


def setup_program(srv, currency="EUR"):
    prog = create_program(srv, currency=currency, hold_days=30, min_payout=1000,
                          rules=[{"type": "percent", "bps": 1000}])
    pid = prog["id"]
    p = {
        "iban": create_partner(srv, pid, name="Jäne & Søren Ñ", payout_method={
            "type": "iban", "iban": "DE89 3704 0044 0532 0130 00", "holder": "Jäne & Søren Ñ"}),
        "paypal": create_partner(srv, pid, payout_method={"type": "paypal",
                                                          "email": "pp@partners.example"}),
        "nomethod": create_partner(srv, pid),
        "suspended": create_partner(srv, pid, payout_method={"type": "paypal",
                                                             "email": "s@partners.example"}),
        "small": create_partner(srv, pid, payout_method={"type": "iban",
                                                         "iban": "FR1420041010050500013M02606",
                                                         "holder": "Small SARL"}),
    }
    return prog, p


def test_draft_made_refreshed_deleted_with_held_items(srv):
    prog, p = setup_program(srv)
    pid = prog["id"]
    a1 = earn(srv, pid, p["iban"], "d1", 50000)       # 5000
    earn(srv, pid, p["iban"], "d2", 30000)            # 3000
    earn(srv, pid, p["paypal"], "d3", 40000)          # 4000
    earn(srv, pid, p["nomethod"], "d4", 20000)        # 2000
    earn(srv, pid, p["suspended"], "d5", 20000)       # 2000
    earn(srv, pid, p["small"], "d6", 5000)            # 500 < min_payout 1000
    earn(srv, pid, p["paypal"], "d7", 10000, approve=False)  # pending: not in any batch
    expect_status(srv.api("PATCH", "/api/v1/partners/" + p["suspended"]["id"],
                          {"status": "suspended"}), 200)

    before = srv.counts(("payouts", "payout_items", "ledger_entries"))
    expect_error(srv.api("POST", "/api/v1/payouts", {"program_id": pid, "period": month(1)}),
                 422, "period")
    expect_eq(srv.counts(("payouts", "payout_items", "ledger_entries")), before,
              "a future month writes nothing")

    resp = srv.api("POST", "/api/v1/payouts", {"program_id": pid, "period": month(0)})
    expect_status(resp, 201)
    batch = resp[2]
    expect_eq(batch["status"], "draft", "a new batch is a draft")
    items = items_by_partner(batch)
    got = {k: (items[v["id"]]["status"], items[v["id"]]["amount"], items[v["id"]]["reason"])
           for k, v in p.items()}
    expect_eq(got, {"iban": ("payable", 8000, None), "paypal": ("payable", 4000, None),
                    "nomethod": ("held", 2000, "no_payout_method"),
                    "suspended": ("held", 2000, "suspended"),
                    "small": ("held", 500, "below_min_payout")}, "items and reasons")
    expect_eq(batch["total"], 12000, "the total counts the payable items only")
    expect_eq((batch["held_count"], batch["held_total"]), (3, 4500), "held items")
    for i in batch["items"]:
        expect(i["id"] == "poi_" + i["reference"] and len(i["reference"]) <= 30 and
               all(c.isdigit() or c.isupper() or c == "-" for c in i["reference"]),
               "reference %r" % i["reference"])
    expect_eq(ledger_count(srv, "payout", batch["id"]), 0, "a draft posts nothing")
    expect_eq(approved(srv, p["iban"]["id"]), 8000, "money stays approved in a draft")

    # One draft a program: the same period refreshes it, another is refused.
    resp = srv.api("POST", "/api/v1/payouts", {"program_id": pid, "period": month(0)})
    expect_status(resp, 200)
    expect_eq(resp[2]["id"], batch["id"], "the same period finds the draft")
    expect_error(srv.api("POST", "/api/v1/payouts", {"program_id": pid, "period": month(-1)}),
                 409, "period")

    # A commission rejected while in the draft leaves it; a new approval waits for a refresh.
    expect_status(srv.api("POST", "/api/v1/commissions/%s/reject" % a1["id"], {"reason": "fraud"}),
                  200)
    b = srv.api("GET", "/api/v1/payouts/" + batch["id"])[2]
    expect_eq(items_by_partner(b)[p["iban"]["id"]]["amount"], 3000, "the rejection leaves the draft")
    expect_eq(b["total"], 7000, "the total follows")
    earn(srv, pid, p["iban"], "d8", 20000)  # 2000 more
    b = srv.api("GET", "/api/v1/payouts/" + batch["id"])[2]
    expect_eq(items_by_partner(b)[p["iban"]["id"]]["amount"], 3000, "approved after: not yet in")
    resp = srv.api("POST", "/api/v1/payouts/%s/refresh" % batch["id"])
    expect_status(resp, 200)
    expect_eq(items_by_partner(resp[2])[p["iban"]["id"]]["amount"], 5000, "refresh takes it")
    # A refund of a partner's order shrinks its item too, below the minimum: held.
    expect_status(srv.api("POST", "/api/v1/conversions/d3/refunds",
                          {"program_id": pid, "amount": 35000}), 200, 201)
    b = srv.api("GET", "/api/v1/payouts/" + batch["id"])[2]
    expect_eq(items_by_partner(b)[p["paypal"]["id"]]["status"], "held", "refund: below minimum")
    expect_eq(items_by_partner(b)[p["paypal"]["id"]]["reason"], "below_min_payout", "its reason")
    srv.check()

    # A draft can be deleted; then another period can be made.
    resp = srv.api("DELETE", "/api/v1/payouts/" + batch["id"])
    expect_status(resp, 200)
    expect_eq(resp[2]["deleted"], True, "deleted")
    expect_error(srv.api("GET", "/api/v1/payouts/" + batch["id"]), 404, "id")
    expect_eq(srv.sql1("SELECT COUNT(*) FROM payout_items WHERE payout_id = ?", (batch["id"],)), 0,
              "its items are gone")
    resp = srv.api("POST", "/api/v1/payouts", {"program_id": pid, "period": month(-1)})
    expect_status(resp, 201)
    expect_eq(resp[2]["period"], month(-1), "an earlier month")
    srv.check()


def sepa_totals(xml_bytes, ns):
    root = ET.fromstring(xml_bytes)
    amounts = [a.text for a in root.iter(ns + "InstdAmt")]
    return root, amounts


def test_export_sepa_paypal_settle_and_next_batch(srv):
    prog, p = setup_program(srv)
    pid = prog["id"]
    earn(srv, pid, p["iban"], "e1", 123456)   # 12345.60 → 12346 (half-even of 12345.6)
    earn(srv, pid, p["paypal"], "e2", 40000)  # 4000
    earn(srv, pid, p["small"], "e3", 2000)    # 200, held
    batch = srv.api("POST", "/api/v1/payouts", {"program_id": pid, "period": month(0)})[2]
    bid = batch["id"]
    formats = sorted((f["format"], f["items"]) for f in batch["files"])
    expect_eq(formats, [("paypal", 1), ("sepa", 1), ("wise", 1)], "the batch lists its files")

    # SEPA needs a debtor; the debtor's IBAN must pass its check digits.
    before = srv.counts(("payout_items", "ledger_entries"))
    expect_error(srv.api("GET", "/api/v1/payouts/%s/sepa.xml" % bid), 422, "payout_debtor")
    bad = dict(DEBTOR, iban="DE03120300000000202051")
    expect_error(srv.api("PATCH", "/api/v1/programs/" + pid, {"payout_debtor": bad}), 422,
                 "payout_debtor.iban")
    expect_error(srv.api("PATCH", "/api/v1/programs/" + pid,
                         {"payout_debtor": {"name": "X", "iban": DEBTOR["iban"], "bic": "NOPE"}}),
                 422, "payout_debtor.bic")
    expect_eq(srv.counts(("payout_items", "ledger_entries")), before, "refusals write nothing")
    resp = srv.api("PATCH", "/api/v1/programs/" + pid, {"payout_debtor": DEBTOR})
    expect_status(resp, 200)
    expect_eq(resp[2]["payout_debtor"], DEBTOR, "the debtor is kept")
    expect_error(srv.api("GET", "/api/v1/payouts/%s/sepa.xml?version=04" % bid), 400, "version")

    iban_id = p["iban"]["id"]
    owed = approved(srv, iban_id)
    status, headers, _ = srv.request("HEAD", "/api/v1/payouts/%s/sepa.xml" % bid, key=srv.sk)
    expect_eq(status, 200, "HEAD of a download")
    expect_eq(srv.api("GET", "/api/v1/payouts/" + bid)[2]["status"], "draft", "HEAD exports nothing")
    status, headers, body = srv.request("GET", "/api/v1/payouts/%s/sepa.xml" % bid, key=srv.sk)
    expect_eq(status, 200, "sepa.xml: %r" % body[:300])
    expect(headers["content-type"].startswith("application/xml"), "xml content type")
    root, amounts = sepa_totals(body, NS9)
    expect_eq(amounts, ["%d.%02d" % divmod(owed, 100)], "one transaction, two decimals")
    expect_eq(root.find(".//%sGrpHdr/%sNbOfTxs" % (NS9, NS9)).text, "1", "NbOfTxs")
    names = [n.text for n in root.iter(NS9 + "Nm")]
    expect("Jane + Soren N" in names, "transliterated creditor name: %r" % names)
    b = srv.api("GET", "/api/v1/payouts/" + bid)[2]
    expect_eq(b["status"], "exported", "the first download exports the batch")
    expect(b["exported_at"] is not None, "exported_at")
    expect_eq(items_by_partner(b)[iban_id]["status"], "sent", "the IBAN item left")
    expect_eq(items_by_partner(b)[p["paypal"]["id"]]["status"], "payable", "PayPal's not yet")
    expect_eq(approved(srv, iban_id), 0, "money left the approved balance")
    expect_eq(ledger_count(srv, "payout", bid), 1, "one payout entry")

    # A second download: the same file, nothing posted again; .03 on request.
    status, _, again = srv.request("GET", "/api/v1/payouts/%s/sepa.xml" % bid, key=srv.sk)
    expect_eq((status, again), (200, body), "a second download is the same file")
    status, _, v03 = srv.request("GET", "/api/v1/payouts/%s/sepa.xml?version=03" % bid, key=srv.sk)
    expect_eq(status, 200, "version 03")
    expect_eq(sepa_totals(v03, NS3)[1], amounts, "the same transactions in .03")
    expect_eq(ledger_count(srv, "payout", bid), 1, "still one payout entry")
    # The IBAN items went by SEPA: a Wise file of them would pay twice.
    expect_error(srv.api("GET", "/api/v1/payouts/%s/wise.csv" % bid), 409, "id")
    # No refresh or delete once money left.
    for method, path in (("POST", "/api/v1/payouts/%s/refresh"), ("DELETE", "/api/v1/payouts/%s")):
        resp = srv.api(method, path % bid)
        expect_error(resp, 409, "id")
        expect("draft" in resp[2]["error"]["message"], "a clear message: %r" % resp[2])

    status, headers, pp = srv.request("GET", "/api/v1/payouts/%s/paypal.csv" % bid, key=srv.sk)
    expect_eq(status, 200, "paypal.csv: %r" % pp[:300])
    rows = list(csv.reader(io.StringIO(pp.decode())))
    ref_pp = items_by_partner(b)[p["paypal"]["id"]]["reference"]
    expect_eq(rows, [["pp@partners.example", "40.00", "EUR", ref_pp,
                      "Partner commissions " + month(0)]], "PayPal's upload rows, no header")
    expect_eq(ledger_count(srv, "payout", bid), 2, "PayPal's payout entry")
    # The partner is told: one "payout sent" email, queued with the export, for its item.
    mails = srv.api("GET", "/api/v1/emails?partner_id=" + p["paypal"]["id"])[2]["data"]
    sent = [m for m in mails if m["kind"] == "payout_sent"]
    expect_eq([(m["to"], m["subject"]) for m in sent],
              [(p["paypal"]["email"], sent[0]["subject"] if sent else None)], "one payout email")
    expect("40.00" in sent[0]["subject"], "the amount in the subject: %r" % sent[0]["subject"])

    # An approval after the export goes to the next batch.
    earn(srv, pid, p["paypal"], "e4", 20000)  # 2000
    expect_status(srv.api("POST", "/api/v1/payouts", {"program_id": pid, "period": month(0)}), 201)
    nxt = srv.api("GET", "/api/v1/payouts?program_id=" + pid)[2]["data"][0]
    nxt = srv.api("GET", "/api/v1/payouts/" + nxt["id"])[2]
    expect(nxt["id"] != bid, "a new batch")
    expect_eq({i["partner_id"]: i["amount"] for i in nxt["items"] if i["status"] == "payable"},
              {p["paypal"]["id"]: 2000}, "only the new approval")
    expect_eq(srv.sql1("SELECT COUNT(*) FROM (SELECT id FROM commissions WHERE payout_id IS NOT NULL"
                       " GROUP BY id HAVING COUNT(DISTINCT payout_id) > 1) x"), 0,
              "no commission in two batches")

    # Settling: the IBAN item paid, the PayPal one failed (its money comes back).
    ref_iban = items_by_partner(b)[iban_id]["reference"]
    resp = srv.api("POST", "/api/v1/payouts/%s/items/%s/paid" % (bid, "poi_" + ref_iban))
    expect_status(resp, 200)
    expect_eq(resp[2]["status"], "exported", "one item left to settle")
    expect_error(srv.api("POST", "/api/v1/payouts/%s/items/%s/failed" % (bid, ref_pp), {}), 400,
                 "reason")
    pp_before = approved(srv, p["paypal"]["id"])
    resp = srv.api("POST", "/api/v1/payouts/%s/items/%s/failed" % (bid, ref_pp),
                   {"reason": "receiver unregistered"})
    expect_status(resp, 200)
    expect_eq(resp[2]["status"], "paid", "every item settled: the batch is done")
    it = items_by_partner(resp[2])[p["paypal"]["id"]]
    expect_eq((it["status"], it["reason"]), ("failed", "receiver unregistered"), "failed item")
    expect_eq(approved(srv, p["paypal"]["id"]), pp_before + 4000, "payout_failed returns it")
    expect_eq(ledger_count(srv, "payout_failed", bid), 1, "one payout_failed entry")
    # The same outcome again changes nothing; a held item cannot be settled.
    expect_status(srv.api("POST", "/api/v1/payouts/%s/items/%s/failed" % (bid, ref_pp),
                          {"reason": "again"}), 200)
    expect_eq(ledger_count(srv, "payout_failed", bid), 1, "still one")
    ref_small = items_by_partner(b)[p["small"]["id"]]["reference"]
    expect_error(srv.api("POST", "/api/v1/payouts/%s/items/%s/paid" % (bid, ref_small)), 409, "item")

    # The partner sees pending → sent → paid with dates.
    key = partner_key(srv, iban_id)
    status, _, body = srv.request("GET", "/api/v1/me/payouts", key=key)
    expect_eq(status, 200, "me/payouts")
    st = body["data"][0]
    expect_eq((st["payout_id"], st["status"], st["amount"]), (bid, "paid", owed), "statement")
    expect(st["sent_at"] and st["paid_at"], "dates: %r" % st)
    srv.check()


def test_files_in_parts_and_bad_requests(srv):
    """PayPal parts of 5,000 and Wise parts of 1,000 (partners and their approved commissions
    written straight into the database, as the API would), a non-EUR SEPA request, a whole file
    that needs parts."""
    prog = create_program(srv, currency="USD", min_payout=1)
    pid = prog["id"]
    n_pp, n_iban = 5001, 1001
    t = 1700000000000
    srv.sql_write(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
        " INSERT INTO partners (id, program_id, email, name, ref_code, status, payout_method,"
        " created_at, updated_at)"
        " SELECT 'ptn_bulk' || CAST(i + 100000 AS TEXT), ?, 'b' || CAST(i AS TEXT) || '@p.example',"
        " 'Bulk ' || CAST(i AS TEXT), 'bulk' || CAST(i AS TEXT) || ?, 'active',"
        " CASE WHEN i <= ? THEN '{\"email\":\"b' || CAST(i AS TEXT) || '@p.example\",\"type\":\"paypal\"}'"
        " ELSE '{\"holder\":\"Bulk\",\"iban\":\"DE89370400440532013000\",\"type\":\"iban\"}' END,"
        " ?, ? FROM n", (n_pp + n_iban, pid, pid[-6:].lower(), n_pp, t, t))
    srv.sql_write(
        "INSERT INTO commissions (id, program_id, partner_id, level, rule_id, rule_version, base,"
        " amount, reversed, currency, status, explanation, hold_until, created_at, updated_at,"
        " approved_at) SELECT 'com_' || id, program_id, id, 0, 'r0', 1, 1000, 100, 0, 'USD',"
        " 'approved', '', ?, ?, ?, ? FROM partners WHERE program_id = ?", (t, t, t, t, pid))
    for kind, pend, appr in (("commission", "100", "0"), ("approval", "-100", "100")):
        srv.sql_write(
            "INSERT INTO ledger_entries (id, program_id, partner_id, commission_id, currency, kind,"
            " pending, approved, paid, created_at) SELECT 'led_' || ? || id, program_id,"
            " partner_id, id, 'USD', ?, " + pend + ", " + appr + ", 0, ? FROM commissions"
            " WHERE program_id = ?", (kind[:2], kind, t, pid))
    srv.sql_write("INSERT INTO partner_balances (partner_id, pending, approved, paid)"
                  " SELECT id, 0, 100, 0 FROM partners WHERE program_id = ?", (pid,))

    resp = srv.api("POST", "/api/v1/payouts", {"program_id": pid, "period": month(0)})
    expect_status(resp, 201)
    bid = resp[2]["id"]
    files = [(f["format"], f["part"], f["items"]) for f in resp[2]["files"]]
    expect_eq(files, [("paypal", 1, 5000), ("paypal", 2, 1), ("wise", 1, 1000), ("wise", 2, 1)],
              "parts listed (no SEPA outside EUR)")
    before = srv.counts(("ledger_entries",))
    expect_error(srv.api("GET", "/api/v1/payouts/%s/sepa.xml" % bid), 422, "currency")
    expect_error(srv.api("GET", "/api/v1/payouts/%s/paypal.csv" % bid), 422, "part")
    expect_error(srv.api("GET", "/api/v1/payouts/%s/paypal.csv?part=3" % bid), 404, "part")
    expect_error(srv.api("GET", "/api/v1/payouts/%s/paypal.csv?part=x" % bid), 400, "part")
    expect_error(srv.api("GET", "/api/v1/payouts/%s/paypal.csv?page=1" % bid), 400, "page")
    expect_eq(srv.counts(("ledger_entries",)), before, "refused downloads post nothing")

    refs = set()
    for part, want in ((1, 5000), (2, 1)):
        status, _, body = srv.request("GET", "/api/v1/payouts/%s/paypal.csv?part=%d" % (bid, part),
                                      key=srv.sk)
        expect_eq(status, 200, "part %d" % part)
        rows = list(csv.reader(io.StringIO(body.decode())))
        expect_eq(len(rows), want, "rows of part %d" % part)
        expect(all(r[1] == "1.00" and r[2] == "USD" for r in rows), "amounts")
        refs.update(r[3] for r in rows)
    expect_eq(len(refs), 5001, "every PayPal item once")
    status, _, body = srv.request("GET", "/api/v1/payouts/%s/wise.csv?part=2" % bid, key=srv.sk)
    expect_eq(status, 200, "wise part 2")
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    expect_eq(len(rows), 1, "the last Wise row")
    expect_eq((rows[0]["receiverType"], rows[0]["amountCurrency"], rows[0]["amount"],
               rows[0]["IBAN"]), ("PERSON", "source", "1.00", "DE89370400440532013000"), "Wise row")
    expect_eq(ledger_count(srv, "payout", bid), n_pp + n_iban, "one payout entry per item")
    expect_eq(srv.sql1("SELECT COUNT(*) FROM commissions WHERE program_id = ? AND status = 'approved'"
                       " AND payout_id = ?", (pid, bid)), n_pp + n_iban,
              "commissions in the batch, approved until their item is paid")
    resp = srv.api("POST", "/api/v1/payouts/%s/paid" % bid)
    expect_status(resp, 200)
    expect_eq(resp[2]["status"], "paid", "marked paid")
    expect_eq(srv.sql1("SELECT COUNT(*) FROM commissions WHERE program_id = ? AND status = 'paid'"
                       " AND payout_id = ?", (pid, bid)), n_pp + n_iban, "commissions paid")
    expect_error(srv.api("POST", "/api/v1/payouts/%s/paid" % bid), 409, "id")
    srv.check()


def test_mark_paid_of_a_draft_and_approve_due_keeps_real_time(srv):
    prog, p = setup_program(srv, currency="USD")
    pid = prog["id"]
    com = earn(srv, pid, p["paypal"], "m1", 30000, currency="USD", approve=False)
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=31))
    rc, out, err = srv.run_cli("approve-due", "--db", srv.db_url,
                               "--now", later.strftime("%Y-%m-%dT%H:%M:%SZ"))
    expect_eq(rc, 0, "approve-due (%s %s)" % (out, err))
    at = srv.sql1("SELECT created_at FROM ledger_entries WHERE commission_id = ? AND kind = 'approval'",
                  (com["id"],))
    now_ms = datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000
    expect(abs(at - now_ms) < 600000, "the approval is dated now, not at --now (%r)" % at)
    earn(srv, pid, p["suspended"], "m2", 30000, currency="USD")
    batch = srv.api("POST", "/api/v1/payouts", {"program_id": pid, "period": month(0)})[2]
    expect_eq(items_by_partner(batch)[p["suspended"]["id"]]["status"], "payable", "before")
    # Suspended after the draft was made: held when the money leaves, never paid.
    expect_status(srv.api("PATCH", "/api/v1/partners/" + p["suspended"]["id"],
                          {"status": "suspended"}), 200)
    resp = srv.api("POST", "/api/v1/payouts/%s/paid" % batch["id"])
    expect_status(resp, 200)
    expect_eq(resp[2]["status"], "paid", "a draft paid by hand")
    it = items_by_partner(resp[2])[p["paypal"]["id"]]
    expect_eq((it["status"], it["channel"]), ("paid", "manual"), "its item")
    it = items_by_partner(resp[2])[p["suspended"]["id"]]
    expect_eq((it["status"], it["reason"]), ("held", "suspended"), "the suspended partner's item")
    expect_eq(resp[2]["total"], 3000, "the total pays the paid item only")
    expect_eq(approved(srv, p["suspended"]["id"]), 3000, "its money stays approved")
    expect_eq(srv.sql1("SELECT status FROM commissions WHERE id = ?", (com["id"],)), "paid",
              "its commission")
    srv.check()


if __name__ == "__main__":
    harness.main(globals())
