-- Payout batches with a lifecycle (README "Payouts"): several batches of a program and period may
-- exist (the one-per-period constraint goes: the tables are rebuilt, the one way both databases
-- drop it), a batch is draft until a file of it is exported or it is sent, and each item has its
-- own status, the reason it is held or failed, how it left (its channel) and its dates.
-- Written only by src/app/payout_batches.c.

CREATE TABLE payouts_new (
    id          TEXT PRIMARY KEY,
    program_id  TEXT NOT NULL REFERENCES programs (id),
    period      TEXT NOT NULL,                       -- YYYY-MM, a label: balances as they are
    status      TEXT NOT NULL,                       -- draft | exported | sent | paid
    total       BIGINT NOT NULL,                     -- the items that are not held
    currency    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,                     -- made or refreshed
    exported_at BIGINT,                              -- the first file downloaded
    sent_at     BIGINT,                              -- the first items sent through an API
    paid_at     BIGINT                               -- every item paid or failed
);
INSERT INTO payouts_new (id, program_id, period, status, total, currency, created_at, updated_at,
                         exported_at, sent_at, paid_at)
    SELECT id, program_id, period, CASE WHEN status = 'paid' THEN 'paid' ELSE 'draft' END, total,
           currency, created_at, created_at, paid_at, NULL, paid_at
    FROM payouts;

CREATE TABLE payout_items_new (
    id         TEXT PRIMARY KEY,                     -- poi_<reference>
    payout_id  TEXT NOT NULL REFERENCES payouts_new (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    amount     BIGINT NOT NULL,
    currency   TEXT NOT NULL,
    method     TEXT,                                 -- JSON, as it was when made or refreshed
    reference  TEXT NOT NULL UNIQUE,                 -- 1-30 of A-Z 0-9 -
    status     TEXT NOT NULL,                        -- payable | held | sent | paid | failed
    reason     TEXT,                                 -- why held or failed
    channel    TEXT,                                 -- sepa | wise | paypal_csv | paypal_api | manual
    sent_at    BIGINT,
    paid_at    BIGINT,
    failed_at  BIGINT,
    UNIQUE (payout_id, partner_id)
);
INSERT INTO payout_items_new (id, payout_id, partner_id, amount, currency, method, reference,
                              status, channel, sent_at, paid_at)
    SELECT 'poi_' || i.payout_id || '_' || i.partner_id, i.payout_id, i.partner_id, i.amount,
           i.currency, i.method, i.payout_id || '-' || i.partner_id,
           CASE WHEN y.status = 'paid' THEN 'paid' ELSE 'payable' END,
           CASE WHEN y.status = 'paid' THEN 'manual' END, y.paid_at, y.paid_at
    FROM payout_items i JOIN payouts y ON y.id = i.payout_id;

DROP TABLE payout_items;
DROP TABLE payouts;
ALTER TABLE payouts_new RENAME TO payouts;
ALTER TABLE payout_items_new RENAME TO payout_items;

CREATE INDEX payouts_program ON payouts (program_id, id);
CREATE INDEX payouts_program_status ON payouts (program_id, status, id);
-- A partner's statements, newest batch first.
CREATE INDEX payout_items_partner ON payout_items (partner_id, payout_id);
-- The items of one status of a batch (a file's rows, the items still to settle).
CREATE INDEX payout_items_status ON payout_items (payout_id, status, partner_id);

-- A commission joins a batch when its item leaves: the commissions of a batch not paid yet are free
-- again (its draft pays their partners' balances all the same).
UPDATE commissions SET payout_id = NULL WHERE status = 'approved' AND payout_id IS NOT NULL;

-- Commissions join a batch by the thousand when its items leave: only those in a batch are
-- indexed by it, so joining moves one index entry in, none out.
DROP INDEX commissions_payout;
CREATE INDEX commissions_payout ON commissions (payout_id) WHERE payout_id IS NOT NULL;
-- Likewise the ledger's payout entries, posted one per item, belong to no commission.
DROP INDEX ledger_commission;
CREATE INDEX ledger_commission ON ledger_entries (commission_id) WHERE commission_id IS NOT NULL;

-- The account a SEPA file debits: {name, iban, bic?}, JSON; NULL until set.
ALTER TABLE programs ADD COLUMN payout_debtor TEXT;
