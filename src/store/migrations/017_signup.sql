-- Partner signup (README "Partner signup"): a program's public page at /join/{slug} with its
-- description, terms and whether applications are approved at once; a rejected application keeps
-- its reason; one-time password reset links, stored as the digest of their token. The programs
-- columns are written by src/app/programs.c, rejection_reason by src/app/partners.c,
-- password_resets by src/auth/resets.c.

ALTER TABLE programs ADD COLUMN slug TEXT;
ALTER TABLE programs ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE programs ADD COLUMN terms TEXT NOT NULL DEFAULT '';
ALTER TABLE programs ADD COLUMN auto_approve INTEGER NOT NULL DEFAULT 0;
-- Existing programs get a slug from their id: unique and URL-safe; the merchant may change it.
UPDATE programs SET slug = lower(replace(id, '_', '-'));
CREATE UNIQUE INDEX programs_slug ON programs (slug);

ALTER TABLE partners ADD COLUMN rejection_reason TEXT;
-- What an applicant told the merchant on the signup form.
ALTER TABLE partners ADD COLUMN website TEXT;
ALTER TABLE partners ADD COLUMN promotion TEXT;

CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,                 -- hex BLAKE2b of the token in the link
    email      TEXT NOT NULL,                    -- lower-cased
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT                            -- set once: a link works one time
);
CREATE INDEX password_resets_expires ON password_resets (expires_at);
