-- Lists page newest first by id, with filters applied in SQL: each filter combination the API and
-- the dashboards use has an index on (its columns, id), so the first page is read from the top of
-- one index range, never from a scan or a sort of the table (src/api/list.c; the plans are
-- checked by tests/unit/test_list_plans.c). A filter implied by another (a partner's program)
-- is checked on the rows its index finds.
CREATE INDEX conversions_program ON conversions (program_id, id);
CREATE INDEX commissions_program ON commissions (program_id, id);
CREATE INDEX commissions_program_status ON commissions (program_id, status, id);
CREATE INDEX commissions_status_id ON commissions (status, id);
CREATE INDEX commissions_conversion ON commissions (conversion_id, id);
CREATE INDEX partners_program ON partners (program_id, id);
CREATE INDEX partners_program_status ON partners (program_id, status, id);
CREATE INDEX partners_status ON partners (status, id);
CREATE INDEX partners_ref_code_id ON partners (ref_code, id);
CREATE INDEX partners_program_email ON partners (program_id, email, id);
CREATE INDEX payouts_program ON payouts (program_id, id);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_endpoint_status ON webhook_deliveries (endpoint_id, status, id);
-- A partner's statements, newest batch first.
DROP INDEX payout_items_partner;
CREATE INDEX payout_items_partner ON payout_items (partner_id, payout_id);
