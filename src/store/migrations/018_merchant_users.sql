-- Merchant users (README "Team and keys"): the admins table becomes the merchant's team. Each
-- login has a role (owner | admin | viewer); the logins made before roles existed are owners. An
-- invited user has no password yet (password_hash '') and holds a one-time invite. Written only
-- by src/app/users.c.
ALTER TABLE admins ADD COLUMN role TEXT NOT NULL DEFAULT 'owner';
ALTER TABLE admins ADD COLUMN name TEXT;
ALTER TABLE admins ADD COLUMN invite_token_hash TEXT;
ALTER TABLE admins ADD COLUMN updated_at BIGINT;
CREATE UNIQUE INDEX admins_invite ON admins (invite_token_hash);

-- A merchant key's label, so a list of keys says what each is for.
ALTER TABLE api_keys ADD COLUMN name TEXT;

-- Links the merchant edits: a disabled link, or an archived one (deleted while it had clicks),
-- sends its visitors to the program's default URL uncredited; an archived link leaves the lists
-- but keeps its clicks, conversions and reports.
ALTER TABLE links ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE links ADD COLUMN archived_at BIGINT;
ALTER TABLE links ADD COLUMN updated_at BIGINT;
