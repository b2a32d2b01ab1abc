-- What a person may see of an API key after it was shown once: its prefix and last characters
-- (e.g. pd_pt_...Xy3Q), so a list of keys tells them apart. Keys made before have none.
ALTER TABLE api_keys ADD COLUMN hint TEXT;

-- A partner's keys, listed by the merchant and by the partner.
CREATE INDEX api_keys_partner ON api_keys (partner_id, id);
