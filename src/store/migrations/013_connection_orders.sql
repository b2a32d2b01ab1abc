-- Store connections, second part (README "Store webhooks"): a connection takes live or test events,
-- and each order a connection converted keeps its gross total and payment, so that a refund
-- arriving at any later time (after the events are purged, after a restart) computes its share
-- exactly and finds its order by payment. Written only by src/app/connections.c.

ALTER TABLE connections ADD COLUMN mode TEXT NOT NULL DEFAULT 'live'; -- live | test

CREATE TABLE connection_orders (
    connection_id TEXT NOT NULL,
    order_id      TEXT NOT NULL,                         -- the platform's order, invoice, transaction
    payment_ref   TEXT,                                  -- Stripe: its payment intent
    gross_total   BIGINT NOT NULL,                       -- charged in all (tax, shipping); 0: unknown
    refunded_gross BIGINT NOT NULL DEFAULT 0,            -- what separate gross refunds returned so far
    conversion_id TEXT,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (connection_id, order_id)
);
CREATE INDEX connection_orders_payment ON connection_orders (connection_id, payment_ref);

-- The orders and invoice links recorded so far keep their payment (their gross total was not kept).
INSERT INTO connection_orders (connection_id, order_id, payment_ref, gross_total, conversion_id,
                               created_at)
SELECT connection_id, order_id, MAX(payment_ref), 0, MAX(conversion_id), MIN(created_at)
FROM connection_events
WHERE order_id IS NOT NULL AND (conversion_id IS NOT NULL OR outcome = 'linked')
GROUP BY connection_id, order_id;

-- Refunds waiting for their order are dropped past their retention, oldest first.
CREATE INDEX connection_pending_refunds_created ON connection_pending_refunds (created_at);
