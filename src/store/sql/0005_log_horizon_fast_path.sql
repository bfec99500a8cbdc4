-- The reader horizon (0004) without reading the lock table when it can be
-- proven otherwise. Every log read computes the horizon, and `pg_locks` is a
-- view over pg_lock_status(): each call copies every lock held on the server
-- (taking each lock-manager partition's lock to do so), and 0004 read it
-- twice (the view joined to itself): 0.1-0.3 ms a read with a few hundred
-- locks held. Each step below answers what 0004 would, in this order:
--
-- 1. The snapshot's xmin equals its xmax: no transaction with an id is
--    running. A writer that holds the lock now has no id yet and will get
--    one at or past xmax; every writer with an id below xmax has finished,
--    and its rows are visible to any later snapshot. Horizon: xmax.
-- 2. No transaction holds the writer lock: a conditional exclusive request
--    for it is granted, in a subtransaction rolled back at once (so the grant
--    can never outlive this block: an error or a cancel ends it with the
--    subtransaction). Taken after the snapshot, as 0004 read the lock table:
--    a writer with an id below xmax took the lock before it had the id, so
--    it has finished and released the lock, after its commit became
--    visible. Horizon: xmax. A writer that asks for the lock during the
--    grant waits those microseconds; a queued writer makes the request fail
--    (it never waits). Steps 1 and 2 only when the caller's own transaction
--    has no id: its own writer lock would not conflict with the request.
-- 3. Otherwise one pass over pg_lock_status(), grouped by transaction: those
--    holding the writer lock, and the ids each holds its ExclusiveLock on
--    (its own; a subtransaction's ids are newer than its parent's). Horizon:
--    the oldest of those ids, or xmax.
CREATE OR REPLACE FUNCTION :SCHEMA:.log_horizon(p_lock_class oid, p_lock_key oid)
RETURNS xid8
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  -- A simple expression of a VOLATILE function: a fresh snapshot of its own.
  v_snapshot pg_snapshot := pg_current_snapshot();
  v_xmin int8 := pg_snapshot_xmin(v_snapshot)::text::int8;
  v_xmax int8 := pg_snapshot_xmax(v_snapshot)::text::int8;
  v_own_id xid8 := pg_current_xact_id_if_assigned();
  v_oldest_writer int8;
BEGIN
  IF v_own_id IS NULL THEN
    IF v_xmin = v_xmax THEN
      RETURN v_xmax::text::xid8;
    END IF;
    BEGIN
      IF pg_try_advisory_xact_lock(p_lock_class::int8::int4, p_lock_key::int8::int4) THEN
        RAISE EXCEPTION USING ERRCODE = 'CFH01'; -- roll the grant back with the subtransaction
      END IF;
    EXCEPTION WHEN SQLSTATE 'CFH01' THEN
      RETURN v_xmax::text::xid8;
    END;
  END IF;
  SELECT min(w.xid) INTO v_oldest_writer
    FROM (SELECT min(:SCHEMA:.widen_xid(v_xmin, l.transactionid::text::int8))
                   FILTER (WHERE l.locktype = 'transactionid') AS xid
            FROM pg_lock_status() l
           WHERE l.granted
             AND ((l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock')
               OR (l.locktype = 'advisory' AND l.objsubid = 2
                   AND l.classid = p_lock_class AND l.objid = p_lock_key
                   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())))
           GROUP BY l.virtualtransaction
          HAVING bool_or(l.locktype = 'advisory')) w;
  RETURN least(v_xmax, v_oldest_writer)::text::xid8;
END
$$;
