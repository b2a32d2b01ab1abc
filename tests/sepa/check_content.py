"""What the pain.001 schemas cannot check, for tests/sepa/validate.sh: the group's and the payment
information's NbOfTxs and CtrlSum equal the transactions, every amount has exactly two decimals,
every text is in the SEPA character set, and the SEPA length limits hold.

    python3 check_content.py DOCUMENT.xml
"""
import re
import sys
import xml.etree.ElementTree as ET
from decimal import Decimal

SEPA_TEXT = re.compile(r"^[A-Za-z0-9/\-?:().,'+ ]*$")
AMOUNT = re.compile(r"^[0-9]+\.[0-9]{2}$")
LIMITS = {"Nm": 70, "Ustrd": 140, "EndToEndId": 35, "MsgId": 35, "PmtInfId": 35}


def local(tag):
    return tag.rsplit("}", 1)[-1]


def main(path):
    root = ET.parse(path).getroot()
    errors = []
    amounts = []
    for el in root.iter():
        name = local(el.tag)
        text = el.text if el.text and el.text.strip() else ""
        if name == "InstdAmt":
            if not AMOUNT.match(text):
                errors.append(f"amount {text!r} has not two decimals")
            amounts.append(Decimal(text))
        if name == "CtrlSum" and not AMOUNT.match(text):
            errors.append(f"CtrlSum {text!r} has not two decimals")
        if text and not SEPA_TEXT.match(text):
            errors.append(f"{name} {text!r} is outside the SEPA character set")
        if name in LIMITS and len(text) > LIMITS[name]:
            errors.append(f"{name} is {len(text)} characters, more than {LIMITS[name]}")
    groups = [el for el in root.iter() if local(el.tag) in ("GrpHdr", "PmtInf")]
    for g in groups:
        nb = [c.text for c in g if local(c.tag) == "NbOfTxs"]
        cs = [c.text for c in g if local(c.tag) == "CtrlSum"]
        if nb != [str(len(amounts))]:
            errors.append(f"{local(g.tag)} NbOfTxs {nb} but {len(amounts)} transactions")
        if len(cs) != 1 or Decimal(cs[0]) != sum(amounts, Decimal(0)):
            errors.append(f"{local(g.tag)} CtrlSum {cs} but the amounts sum to {sum(amounts)}")
    if len(groups) != 2 or not amounts:
        errors.append("expected one GrpHdr, one PmtInf and at least one transaction")
    for e in errors:
        print(f"{path}: {e}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
