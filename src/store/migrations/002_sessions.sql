-- partnerd schema, version 2: dashboard sessions. SQL that SQLite and PostgreSQL both accept.
-- The cookie holds a random token; only its BLAKE2b hash is stored, so a copy of the database
-- cannot be used to log in. A session ends at expires_at, at logout, or when its partner is
-- suspended (checked on every request).
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,                        -- admin | partner
    subject_id TEXT NOT NULL,                        -- adm_… | ptn_…
    csrf_token TEXT NOT NULL,                        -- sent back in X-CSRF-Token
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_subject ON sessions (subject_id);
