-- Outgoing webhooks and partner postbacks (README "Webhooks"): endpoints with their event types,
-- and a durable outbox of deliveries written in the same transaction as the change that caused
-- them.

CREATE TABLE webhook_endpoints (
    id          TEXT PRIMARY KEY,
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,                       -- whsec_…, signs every delivery
    events      TEXT NOT NULL,                       -- JSON array of event types
    description TEXT,
    created_at  BIGINT NOT NULL
);

CREATE TABLE webhook_subscriptions (
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_type  TEXT NOT NULL,
    PRIMARY KEY (event_type, endpoint_id)
);

-- One row per (event, endpoint) or per partner postback. endpoint_id NULL: a postback (GET url).
CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    event_id        TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    endpoint_id     TEXT,
    partner_id      TEXT,
    method          TEXT NOT NULL,                   -- POST | GET
    url             TEXT NOT NULL,
    body            TEXT,                            -- the event JSON (POST)
    status          TEXT NOT NULL,                   -- pending | delivered | failed
    attempts        INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,                 -- no attempt after this: failed
    last_status     INTEGER,                         -- the last HTTP status, NULL when none
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    finished_at     BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
