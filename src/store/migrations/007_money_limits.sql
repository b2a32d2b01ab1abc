-- Each partner's balance buckets, kept by every ledger entry in the same transaction (the ledger
-- stays the record: `partnerd check` compares the two). A write that would take a bucket past
-- 2^53 - 1 is refused from this one row, without summing the partner's entries.
CREATE TABLE partner_balances (
    partner_id TEXT PRIMARY KEY REFERENCES partners (id),
    pending    BIGINT NOT NULL,
    approved   BIGINT NOT NULL,
    paid       BIGINT NOT NULL
);
INSERT INTO partner_balances (partner_id, pending, approved, paid)
    SELECT partner_id, SUM(pending), SUM(approved), SUM(paid) FROM ledger_entries
    GROUP BY partner_id;
