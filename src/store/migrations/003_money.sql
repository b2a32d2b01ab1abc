-- The money side: rule versions, commission lifecycle, caps, multi-tier levels, payouts.

ALTER TABLE programs ADD COLUMN parent_levels INTEGER NOT NULL DEFAULT 1;
ALTER TABLE programs ADD COLUMN monthly_cap BIGINT;               -- per partner; NULL: none

-- Every version of a program's rules, so a commission can always show the rule that made it.
CREATE TABLE rule_versions (
    program_id TEXT NOT NULL REFERENCES programs (id),
    version    INTEGER NOT NULL,
    rules      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (program_id, version)
);
INSERT INTO rule_versions (program_id, version, rules, created_at)
    SELECT id, rules_version, rules, updated_at FROM programs;

ALTER TABLE commissions ADD COLUMN details TEXT;                  -- JSON: inputs of the computation
ALTER TABLE commissions ADD COLUMN approved_at BIGINT;
ALTER TABLE commissions ADD COLUMN rejected_reason TEXT;
ALTER TABLE commissions ADD COLUMN payout_id TEXT;

CREATE TABLE payouts (
    id         TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    period     TEXT NOT NULL,                                     -- YYYY-MM
    status     TEXT NOT NULL,                                     -- created | paid
    total      BIGINT NOT NULL,
    currency   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    paid_at    BIGINT,
    UNIQUE (program_id, period)
);

CREATE TABLE payout_items (
    payout_id  TEXT NOT NULL REFERENCES payouts (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    amount     BIGINT NOT NULL,
    currency   TEXT NOT NULL,
    method     TEXT,                                              -- JSON, as it was at batching
    reference  TEXT NOT NULL,
    PRIMARY KEY (payout_id, partner_id)
);
CREATE INDEX payout_items_partner ON payout_items (partner_id);
CREATE INDEX ledger_partner_time ON ledger_entries (partner_id, created_at);
