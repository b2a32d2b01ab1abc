-- The retention job deletes idempotency keys past their window and finished webhook deliveries
-- past their retention, oldest first, in batches: each batch is found from an index, not a scan.
-- A pending delivery has no finished_at, so it is never in a range of the second.
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at);
