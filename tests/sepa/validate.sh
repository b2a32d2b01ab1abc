#!/usr/bin/env bash
# Validates the pain.001 documents partnerd writes: against the official XSDs (as Debian ships them
# inside libhbci4j-core-java's jar; extracted here at test time, never committed) with xmllint,
# and for what a schema cannot check: NbOfTxs and CtrlSum equal the transactions, amounts have two
# decimals, every text is in the SEPA character set, names ≤ 70, remittance ≤ 140, EndToEndId ≤ 35.
# The documents are the samples' (core/pain001.c alone) and two partnerd makes through its API
# (server_docs.py, with PARTNERD_BIN). Then proves both checks can fail: a broken document and a
# wrong control sum must be refused.
#
#   PARTNERD_BIN=build/partnerd tests/sepa/validate.sh SAMPLES_PROGRAM WORKDIR
set -euo pipefail

samples=$1
work=$2
jar=/usr/share/java/hbci4j-core.jar
[ -r "$jar" ] || { echo "validate: $jar missing: install libhbci4j-core-java (scripts/deps.sh)" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work/xsd" "$work/docs"
unzip -q -o -j "$jar" pain.001.001.03.xsd pain.001.001.09.xsd -d "$work/xsd"
"$samples" "$work/docs"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
python3 "$here/server_docs.py" "$work/docs" >"$work/server_docs.log" 2>&1 ||
    { cat "$work/server_docs.log" >&2; echo "validate: the server's SEPA files could not be made" >&2; exit 1; }
check() { # check FILE: schema then content; non-zero when either fails
    local doc=$1 version
    version=$(grep -o 'pain\.001\.001\.0[39]' "$doc" | head -1)
    xmllint --noout --schema "$work/xsd/$version.xsd" "$doc" || return 1
    python3 "$here/check_content.py" "$doc"
}

count=0
for doc in "$work"/docs/*.xml; do
    check "$doc" || { echo "validate: FAIL $doc" >&2; exit 1; }
    count=$((count + 1))
done
[ "$count" -ge 8 ] || { echo "validate: expected 8 documents, found $count" >&2; exit 1; }
for doc in server-v09.xml server-v03.xml; do
    [ -s "$work/docs/$doc" ] || { echo "validate: $doc (made by the server) missing" >&2; exit 1; }
    grep -q '<Nm>Jane + Soren N</Nm>' "$work/docs/$doc" ||
        { echo "validate: $doc does not name Jäne & Søren Ñ as Jane + Soren N" >&2; exit 1; }
done

# The checks must be able to fail (an unchanged copy would pass, so a sed that missed fails too): an element the schema does not know, a control sum one cent
# off, a character outside the SEPA set.
broken="$work/broken"
mkdir -p "$broken"
sed 's#<PmtMtd>TRF</PmtMtd>#<PmtMtd>TRF</PmtMtd><Bogus/>#' "$work/docs/v09-basic.xml" >"$broken/schema.xml"
sed '0,/<CtrlSum>[0-9.]*</s//<CtrlSum>1.00</' "$work/docs/v03-basic.xml" >"$broken/ctrlsum.xml"
sed '0,/<Nm>/s#<Nm>#<Nm>\&amp;#' "$work/docs/v09-nobic.xml" >"$broken/charset.xml"
for doc in "$broken"/*.xml; do
    if check "$doc" >/dev/null 2>&1; then
        echo "validate: $doc is broken but passed" >&2
        exit 1
    fi
done
echo "validate: $count documents valid, $(ls "$broken" | wc -l) broken ones refused"
