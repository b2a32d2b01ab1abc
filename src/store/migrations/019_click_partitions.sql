-- partnerd: postgres only
-- Raw clicks partitioned by month on PostgreSQL, so that retention drops a month's partition
-- instead of deleting its rows one by one (src/app/clicks.c, clicks_purge): a month goes once all
-- of it is past retention. The partition key is the click id, a ULID that sorts by created_at: a
-- month's partition holds the ids from the smallest id of its first millisecond up to (not
-- including) the next month's, so the primary key stays the id alone and a lookup by id reads one
-- partition. The scheduler creates the months ahead (clicks_partitions_ahead); the default
-- partition only catches a click whose month has none. Every click already stored is copied into
-- its month (on a large table this migration takes as long as that copy). SQLite keeps one table.
CREATE FUNCTION pg_temp.ulid_floor(ms BIGINT) RETURNS TEXT LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    alphabet CONSTANT TEXT := '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    out TEXT := '';
BEGIN
    FOR i IN REVERSE 9..0 LOOP
        out := out || substr(alphabet, ((ms >> (5 * i)) & 31)::int + 1, 1);
    END LOOP;
    RETURN out || '0000000000000000';
END $$;

DROP VIEW clicks;
ALTER TABLE click_log RENAME TO click_log_unpartitioned;
ALTER INDEX click_log_pkey RENAME TO click_log_unpartitioned_pkey;

CREATE TABLE click_log (
    id          TEXT NOT NULL,                       -- ULID: sorts by created_at
    link_id     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    ip          TEXT,                                -- truncated
    agent       BIGINT,                              -- click_texts.id of the user agent
    referrer    BIGINT,                              -- click_texts.id of the referrer
    landing_url TEXT,
    sub1 TEXT, sub2 TEXT, sub3 TEXT, sub4 TEXT, sub5 TEXT,
    bot         INTEGER NOT NULL,
    is_unique   INTEGER NOT NULL,
    PRIMARY KEY (id)
) PARTITION BY RANGE (id);

-- click_log_YYYYMM from the month of the oldest click to two months ahead (UTC).
DO $$
DECLARE
    m TIMESTAMP;
    last TIMESTAMP := date_trunc('month', now() AT TIME ZONE 'UTC') + INTERVAL '2 months';
BEGIN
    SELECT date_trunc('month', to_timestamp(MIN(created_at) / 1000.0) AT TIME ZONE 'UTC')
        INTO m FROM click_log_unpartitioned;
    IF m IS NULL OR m > last THEN
        m := date_trunc('month', now() AT TIME ZONE 'UTC');
    END IF;
    WHILE m <= last LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF click_log FOR VALUES FROM (%L) TO (%L)',
                       'click_log_' || to_char(m, 'YYYYMM'),
                       pg_temp.ulid_floor((extract(epoch FROM m) * 1000)::BIGINT),
                       pg_temp.ulid_floor((extract(epoch FROM m + INTERVAL '1 month') * 1000)::BIGINT));
        m := m + INTERVAL '1 month';
    END LOOP;
END $$;
CREATE TABLE click_log_default PARTITION OF click_log DEFAULT;

INSERT INTO click_log SELECT * FROM click_log_unpartitioned;
DROP TABLE click_log_unpartitioned;

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
