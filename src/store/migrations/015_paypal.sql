-- Paying with PayPal (README "Paying with PayPal"): each program's Payouts API credentials, and
-- each part of a payout batch sent to PayPal with the batch PayPal made of it. Written only by
-- src/app/paypal_records.c.

CREATE TABLE paypal_settings (
    program_id    TEXT PRIMARY KEY REFERENCES programs (id),
    client_id     TEXT NOT NULL,
    client_secret TEXT NOT NULL,                         -- write-only: never answered
    mode          TEXT NOT NULL,                         -- sandbox | live
    base_url      TEXT,                                  -- NULL: the mode's
    updated_at    BIGINT NOT NULL
);

-- One row per part (at most 15,000 items each); sender_batch_id is what PayPal pays at most once.
CREATE TABLE paypal_sends (
    sender_batch_id TEXT PRIMARY KEY,                    -- <payout id>-<part>
    payout_id       TEXT NOT NULL,
    part            INTEGER NOT NULL,                    -- from 1
    status          TEXT NOT NULL,                       -- creating | following | done | failed
    payout_batch_id TEXT,                                -- PayPal's, once it made the batch
    attempts        INTEGER NOT NULL,                    -- tries since the last progress
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    accepted_at     BIGINT,                              -- when PayPal's batch was known
    finished_at     BIGINT,
    UNIQUE (payout_id, part)
);
CREATE INDEX paypal_sends_due ON paypal_sends (status, next_attempt_at);
