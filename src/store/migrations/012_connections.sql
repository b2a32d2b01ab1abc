-- Store connections (README "Store webhooks"): a program's Stripe, Shopify, WooCommerce or Paddle
-- webhook endpoint, what each accepted delivery did, and refunds waiting for their order. Written
-- only by src/app/connections.c.

CREATE TABLE connections (
    id                  TEXT PRIMARY KEY,                -- con_…
    program_id          TEXT NOT NULL REFERENCES programs (id),
    platform            TEXT NOT NULL,                   -- stripe | shopify | woocommerce | paddle
    signing_secret      TEXT,                            -- write-only; NULL until set
    created_at          BIGINT NOT NULL,
    last_refused_at     BIGINT,                          -- the last delivery refused (401)
    last_refused_reason TEXT
);
CREATE INDEX connections_program ON connections (program_id, id);

-- One row per accepted event: the unique key applies each event once.
CREATE TABLE connection_events (
    id            TEXT PRIMARY KEY,                      -- cev_…
    connection_id TEXT NOT NULL,
    event_id      TEXT NOT NULL,
    event_type    TEXT,
    outcome       TEXT NOT NULL,                         -- conversion | refund | ignored | pending
    reason        TEXT,
    order_id      TEXT,
    payment_ref   TEXT,                                  -- Stripe: the order's payment intent
    conversion_id TEXT,
    refund_id     TEXT,
    created_at    BIGINT NOT NULL,
    UNIQUE (connection_id, event_id)
);
CREATE INDEX connection_events_list ON connection_events (connection_id, id);
CREATE INDEX connection_events_payment ON connection_events (connection_id, payment_ref);
CREATE INDEX connection_events_created ON connection_events (created_at);

-- A refund of an order not seen yet, applied when the order arrives.
CREATE TABLE connection_pending_refunds (
    connection_id TEXT NOT NULL,
    event_id      TEXT NOT NULL,
    order_id      TEXT,                                  -- the order, or else
    payment_ref   TEXT,                                  -- its payment (Stripe)
    gross_total   BIGINT NOT NULL,                       -- of the refunded payment, 0: unknown
    gross         BIGINT NOT NULL,
    cumulative    INTEGER NOT NULL,
    net_given     INTEGER NOT NULL,
    net           BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (connection_id, event_id)
);
