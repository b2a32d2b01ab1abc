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

-- The link whose rollup row holds a click-attributed conversion's revenue and its partner's own
-- commission, so refunds and rejections come off that row also once retention has deleted the
-- click. NULL for conversions not attributed through a click.
ALTER TABLE conversions ADD COLUMN link_id TEXT;
UPDATE conversions SET link_id = COALESCE(
        (SELECT k.link_id FROM click_log k WHERE k.id = conversions.click_id),
        (SELECT k.link_id FROM clicks_v1 k WHERE k.id = conversions.click_id))
    WHERE attribution_method = 'click';
