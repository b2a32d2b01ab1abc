-- Payout runs at 100,000 partners: each partner's approved balance is summed from one covering
-- index (no table reads), and a batch's commissions are found by their payout.
DROP INDEX ledger_partner;
DROP INDEX ledger_partner_time;
CREATE INDEX ledger_partner_time ON ledger_entries (partner_id, created_at, kind, pending, approved, paid);
CREATE INDEX commissions_payout ON commissions (payout_id);
