-- partnerd schema, version 1. SQL that SQLite and PostgreSQL both accept.
-- Money: BIGINT minor units. Times: BIGINT milliseconds since the epoch (UTC). Ids: prefixed ULIDs.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE admins (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE programs (
    id                      TEXT PRIMARY KEY,
    name                    TEXT NOT NULL,
    currency                TEXT NOT NULL,
    allowed_hosts           TEXT NOT NULL,           -- JSON array of host names
    default_url             TEXT NOT NULL,
    click_param             TEXT NOT NULL,
    attribution_window_days INTEGER NOT NULL,
    hold_days               INTEGER NOT NULL,
    min_payout              BIGINT NOT NULL,
    model                   TEXT NOT NULL,           -- last_click | first_click
    lifetime                INTEGER NOT NULL,
    recurring_months        INTEGER,                 -- NULL: no limit
    parent_bps              INTEGER NOT NULL,
    rules                   TEXT NOT NULL,           -- JSON, canonical
    rules_version           INTEGER NOT NULL,
    postback_token          TEXT UNIQUE,
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL
);

CREATE TABLE partners (
    id                TEXT PRIMARY KEY,
    program_id        TEXT NOT NULL REFERENCES programs (id),
    email             TEXT NOT NULL,
    name              TEXT NOT NULL,
    ref_code          TEXT NOT NULL UNIQUE,
    parent_id         TEXT REFERENCES partners (id),
    partner_group     TEXT,
    status            TEXT NOT NULL,                 -- pending | active | suspended
    payout_method     TEXT,                          -- JSON
    postback_url      TEXT,
    password_hash     TEXT,
    invite_token_hash TEXT UNIQUE,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    UNIQUE (program_id, email)
);

CREATE TABLE coupons (
    program_id TEXT NOT NULL REFERENCES programs (id),
    code       TEXT NOT NULL,                        -- upper-cased
    partner_id TEXT NOT NULL REFERENCES partners (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (program_id, code)
);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,                        -- secret | publishable | partner
    key_hash   TEXT NOT NULL UNIQUE,                 -- hex BLAKE2b of the whole key
    partner_id TEXT REFERENCES partners (id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE links (
    id          TEXT PRIMARY KEY,
    program_id  TEXT NOT NULL REFERENCES programs (id),
    partner_id  TEXT NOT NULL REFERENCES partners (id),
    code        TEXT NOT NULL UNIQUE,
    destination TEXT NOT NULL,
    is_default  INTEGER NOT NULL,
    sub1 TEXT, sub2 TEXT, sub3 TEXT, sub4 TEXT, sub5 TEXT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX links_partner ON links (partner_id, id);

CREATE TABLE clicks (
    id          TEXT PRIMARY KEY,
    program_id  TEXT NOT NULL,
    partner_id  TEXT NOT NULL,
    link_id     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    ip          TEXT,                                -- truncated
    user_agent  TEXT,
    referrer    TEXT,
    landing_url TEXT,
    sub1 TEXT, sub2 TEXT, sub3 TEXT, sub4 TEXT, sub5 TEXT,
    bot         INTEGER NOT NULL,
    is_unique   INTEGER NOT NULL
);
CREATE INDEX clicks_partner ON clicks (partner_id, created_at);

-- The 24-hour uniqueness window: one row per (link, truncated ip, user agent) fingerprint.
CREATE TABLE click_fingerprints (
    fingerprint BIGINT PRIMARY KEY,
    last_at     BIGINT NOT NULL
);

-- A customer's binding to the partner who brought them (leads, attributed conversions).
CREATE TABLE customers (
    program_id  TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    partner_id  TEXT NOT NULL,
    click_id    TEXT,
    since       BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (program_id, customer_id)
);

CREATE TABLE leads (
    id          TEXT PRIMARY KEY,
    program_id  TEXT NOT NULL,
    partner_id  TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    click_id    TEXT,
    email       TEXT,
    method      TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE conversions (
    id                 TEXT PRIMARY KEY,
    program_id         TEXT NOT NULL REFERENCES programs (id),
    order_id           TEXT NOT NULL,
    amount             BIGINT NOT NULL,
    currency           TEXT NOT NULL,
    partner_id         TEXT,
    attribution_method TEXT NOT NULL,
    click_id           TEXT,
    attribution_reason TEXT,
    customer_id        TEXT,
    email              TEXT,
    coupon             TEXT,
    ref                TEXT,
    items              TEXT,                         -- JSON
    metadata           TEXT,                         -- JSON
    fraud_reason       TEXT,
    refunded_amount    BIGINT NOT NULL,
    request_hash       TEXT NOT NULL,
    occurred_at        BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    UNIQUE (program_id, order_id)
);
CREATE INDEX conversions_partner ON conversions (partner_id, id);

CREATE TABLE refunds (
    id            TEXT PRIMARY KEY,
    conversion_id TEXT NOT NULL REFERENCES conversions (id),
    amount        BIGINT NOT NULL,
    reason        TEXT,
    created_at    BIGINT NOT NULL
);

CREATE TABLE commissions (
    id            TEXT PRIMARY KEY,
    program_id    TEXT NOT NULL,
    partner_id    TEXT NOT NULL REFERENCES partners (id),
    conversion_id TEXT REFERENCES conversions (id),
    lead_id       TEXT,
    level         INTEGER NOT NULL,                  -- 0: the partner's own; 1+: parents
    rule_id       TEXT NOT NULL,
    rule_version  INTEGER NOT NULL,
    base          BIGINT NOT NULL,
    amount        BIGINT NOT NULL,                   -- as computed; never changes
    reversed      BIGINT NOT NULL,                   -- reversed so far by refunds
    currency      TEXT NOT NULL,
    status        TEXT NOT NULL,                     -- pending | approved | paid | reversed | rejected
    explanation   TEXT NOT NULL,
    hold_until    BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (conversion_id, rule_id, partner_id)
);
CREATE INDEX commissions_partner ON commissions (partner_id, id);
CREATE INDEX commissions_status ON commissions (status, hold_until);

-- Append-only: never updated or deleted.
CREATE TABLE ledger_entries (
    id            TEXT PRIMARY KEY,
    program_id    TEXT NOT NULL,
    partner_id    TEXT NOT NULL REFERENCES partners (id),
    commission_id TEXT REFERENCES commissions (id),
    payout_id     TEXT,
    currency      TEXT NOT NULL,
    kind          TEXT NOT NULL,
    pending       BIGINT NOT NULL,
    approved      BIGINT NOT NULL,
    paid          BIGINT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX ledger_partner ON ledger_entries (partner_id);
CREATE INDEX ledger_commission ON ledger_entries (commission_id);

-- Rollups maintained in the same transaction as each click and conversion, so reports never scan.
CREATE TABLE daily_stats (
    program_id    TEXT NOT NULL,
    partner_id    TEXT NOT NULL,
    link_id       TEXT NOT NULL,                     -- '' for conversions not tied to a link
    day           INTEGER NOT NULL,                  -- days since the epoch, UTC
    clicks        BIGINT NOT NULL,
    unique_clicks BIGINT NOT NULL,
    conversions   BIGINT NOT NULL,
    revenue       BIGINT NOT NULL,
    commission    BIGINT NOT NULL,
    PRIMARY KEY (program_id, partner_id, link_id, day)
);
CREATE INDEX daily_stats_partner ON daily_stats (partner_id, day);

CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL,                      -- the API key's id
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    body         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
