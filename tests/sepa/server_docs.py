"""Writes SEPA files made by partnerd itself, through the API, for tests/sepa/validate.sh: a EUR
program with a debtor, partners paid by IBAN (one named `Jäne & Søren Ñ`, one with a name and
holder past the SEPA limits in other scripts), their commissions approved, a batch, and its
sepa.xml in both versions.

    python3 server_docs.py DIR        (PARTNERD_BIN: the binary, as ctest sets it)
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402
from harness import convert, create_partner, create_program, expect_eq, expect_status  # noqa: E402

# Past SEPA's 70 characters, within the 140 bytes a holder may have.
LONG = "Åsa-Ødegård Ñúñez-Çelik Þórsdóttir & Søn Ærøskøbing Œuvre Łódź Straße Société 日本"


def main(out_dir):
    with harness.Server() as srv:
        prog = create_program(srv, currency="EUR", min_payout=1, payout_debtor={
            "name": "Boutique Müller & Söhne GmbH", "iban": "DE02 1203 0000 0000 2020 51",
            "bic": "BYLADEM1001"})
        pid = prog["id"]
        partners = [
            create_partner(srv, pid, name="Jäne & Søren Ñ", payout_method={
                "type": "iban", "iban": "DE89370400440532013000", "holder": "Jäne & Søren Ñ"}),
            create_partner(srv, pid, name=LONG, payout_method={
                "type": "iban", "iban": "FR1420041010050500013M02606", "holder": LONG}),
            create_partner(srv, pid, name="O'Brien (Consulting) Ltd.", payout_method={
                "type": "iban", "iban": "IE29AIBK93115212345678", "holder": "O'Brien Ltd."}),
        ]
        for i, p in enumerate(partners):
            status, _, conv = convert(srv, pid, "sepa-%d" % i, 123457 * (i + 1), currency="EUR",
                                      ref=p["ref_code"])
            expect_eq(status, 201, "conversion")
            expect_status(srv.api("POST", "/api/v1/commissions/%s/approve"
                                  % conv["commissions"][0]["id"]), 200)
        resp = srv.api("POST", "/api/v1/payouts", {"program_id": pid,
                                                  "period": "2026-01"})
        expect_status(resp, 201)
        bid = resp[2]["id"]
        for name, query in (("server-v09.xml", ""), ("server-v03.xml", "?version=03")):
            status, _, body = srv.request("GET", "/api/v1/payouts/%s/sepa.xml%s" % (bid, query),
                                          key=srv.sk)
            expect_eq(status, 200, "sepa.xml%s: %r" % (query, body[:300]))
            with open(os.path.join(out_dir, name), "wb") as f:
                f.write(body)
        srv.check()


if __name__ == "__main__":
    main(sys.argv[1])
