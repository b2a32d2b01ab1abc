-- Clicks in about a third of the bytes (the busiest table: one row per visitor).
-- New clicks go to click_log: the program and partner come from the link (a link never changes
-- hands), user agents and referrers are stored once each in click_texts and referenced by a keyed
-- 63-bit hash of the text (computed by partnerd, so every node agrees without a sequence), and the
-- (partner_id, created_at) index is gone: reports read the daily rollups, and a scan of a period
-- walks the time-ordered click ids instead. The view `clicks` keeps the old shape for readers,
-- over the new table and the clicks stored before this migration (clicks_v1).
ALTER TABLE clicks RENAME TO clicks_v1;

CREATE TABLE click_texts (
    id   BIGINT PRIMARY KEY,
    text TEXT NOT NULL
);

CREATE TABLE click_log (
    id          TEXT PRIMARY KEY,                    -- ULID: sorts by created_at
    link_id     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    ip          TEXT,                                -- truncated
    agent       BIGINT,                              -- click_texts.id of the user agent
    referrer    BIGINT,                              -- click_texts.id of the referrer
    landing_url TEXT,
    sub1 TEXT, sub2 TEXT, sub3 TEXT, sub4 TEXT, sub5 TEXT,
    bot         INTEGER NOT NULL,
    is_unique   INTEGER NOT NULL
);

CREATE VIEW clicks AS
    SELECT c.id, l.program_id, l.partner_id, c.link_id, c.created_at, c.ip,
           a.text AS user_agent, r.text AS referrer, c.landing_url,
           c.sub1, c.sub2, c.sub3, c.sub4, c.sub5, c.bot, c.is_unique
    FROM click_log c
    LEFT JOIN links l ON l.id = c.link_id
    LEFT JOIN click_texts a ON a.id = c.agent
    LEFT JOIN click_texts r ON r.id = c.referrer
    UNION ALL
    SELECT id, program_id, partner_id, link_id, created_at, ip, user_agent, referrer, landing_url,
           sub1, sub2, sub3, sub4, sub5, bot, is_unique
    FROM clicks_v1;
