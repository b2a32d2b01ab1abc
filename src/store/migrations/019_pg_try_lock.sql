-- partnerd: postgres only
-- store_lock's try (src/store/store.c): takes a transaction advisory lock or fails with SQLSTATE
-- 55P03 (lock_not_available) when another transaction holds it. A failure rather than a false, so
-- that the lock can be sent without waiting for its answer: the job's next answered statement
-- reports it, and the writer runs the job again.
CREATE FUNCTION pd_try_xact_lock(k BIGINT) RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
    IF NOT pg_try_advisory_xact_lock(k) THEN
        RAISE EXCEPTION 'this is being written by another node; try again'
            USING ERRCODE = '55P03';
    END IF;
END
$$;
