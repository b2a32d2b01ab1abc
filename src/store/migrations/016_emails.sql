-- The email outbox (README "Email"): each message queued in the transaction of the change that
-- causes it, rendered and sent over SMTP by the mailer, its outcome recorded; partners' opt-outs
-- and where each partner's commission digest stands. Written only by src/app/emails.c.

CREATE TABLE emails (
    id              TEXT PRIMARY KEY,                -- eml_…
    kind            TEXT NOT NULL,                   -- invite | password_reset | digest | …
    to_addr         TEXT NOT NULL,
    vars            TEXT NOT NULL,                   -- JSON object: what the template needs
    program_id      TEXT,                            -- the sender's name is the program's
    partner_id      TEXT,                            -- whom it is about, or NULL
    message_id      TEXT NOT NULL,                   -- Message-ID's left side, fixed when queued
    status          TEXT NOT NULL,                   -- queued | sending | sent | retrying | failed | not_sent
    attempts        INTEGER NOT NULL,                -- times claimed for sending
    next_attempt_at BIGINT NOT NULL,                 -- due then; while sending, the lease's end
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX emails_due ON emails (status, next_attempt_at);
CREATE INDEX emails_status ON emails (status, id);
CREATE INDEX emails_partner ON emails (partner_id, id);

-- A partner who turned a kind of email off (today: the digest).
CREATE TABLE email_optouts (
    partner_id TEXT NOT NULL,
    kind       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (partner_id, kind)
);

-- The commissions created before through_at were in a partner's last digest.
CREATE TABLE email_digests (
    partner_id TEXT PRIMARY KEY,
    through_at BIGINT NOT NULL
);
