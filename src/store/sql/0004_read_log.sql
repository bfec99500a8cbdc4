-- The log reader's statements in one round trip each (log-reader.ts). A read
-- needs the reader horizon first and the rows after it, in a newer snapshot:
-- under READ COMMITTED each statement of a VOLATILE function takes a snapshot
-- of its own when it starts, so the rows' snapshot here is taken after the
-- writers were looked up in pg_locks, as it was when the client sent the two
-- statements one after the other — the same proof (writer-lock.ts), without
-- the second round trip.

-- A writer's 32-bit transaction id (as pg_locks shows it) widened to 64 bits
-- relative to `base` (the snapshot's xmin, as int8): a running (or later)
-- writer's id is at or above xmin and less than 2^32 past it.
CREATE FUNCTION :SCHEMA:.widen_xid(base int8, xid int8)
RETURNS int8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT base + ((xid - base % 4294967296 + 4294967296) % 4294967296)
$$;

-- The reader horizon: every transaction below it that wrote events has
-- finished (and, since locks are released after its commit is visible, its
-- rows are visible to any snapshot taken after this statement). It is the
-- snapshot's xmax, or the oldest transaction still holding the store's writer
-- lock (`p_lock_class`, `p_lock_key`: writer-lock.ts) when that is older.
-- Writers take the lock before they have a transaction id, so a writer the
-- lock table does not show yet gets an id at or past xmax.
CREATE FUNCTION :SCHEMA:.log_horizon(p_lock_class oid, p_lock_key oid)
RETURNS xid8
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
  -- PL/pgSQL, not SQL: its plan is cached for the session (a SQL function's
  -- body is planned again on every call, and this one joins pg_locks twice).
  RETURN (
    SELECT least(s.xmax, min(:SCHEMA:.widen_xid(s.xmin, w.xid)))::text::xid8
      FROM (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::int8 AS xmin,
                   pg_snapshot_xmax(pg_current_snapshot())::text::int8 AS xmax) s
      LEFT JOIN (SELECT t.transactionid::text::int8 AS xid
                   FROM pg_locks w
                   JOIN pg_locks t ON t.pid = w.pid AND t.locktype = 'transactionid'
                                  AND t.mode = 'ExclusiveLock' AND t.granted
                  WHERE w.locktype = 'advisory' AND w.granted AND w.objsubid = 2
                    AND w.classid = p_lock_class AND w.objid = p_lock_key
                    AND w.database = (SELECT oid FROM pg_database WHERE datname = current_database())) w
        ON true
     GROUP BY s.xmin, s.xmax);
END
$$;

-- Pages of the log under one horizon: page i holds at most p_limit[i] events
-- after (p_after_txid[i], p_after_position[i]), in commit order, each as one
-- JSON text (the text of EVENT_JSON in event-rows.ts, which tests compare).
-- The page's arguments are read through a materialized CTE, so the planner's
-- estimate never depends on their values and the cached generic plan is used
-- (planning this partitioned table costs about half a millisecond a page).
CREATE FUNCTION :SCHEMA:.read_log(p_lock_class oid, p_lock_key oid,
  p_after_txid xid8[], p_after_position int8[], p_limit int8[])
RETURNS TABLE (page int4, event_json text)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_horizon xid8;
BEGIN
  -- First statement: the horizon. Each page below is a later statement, with a later snapshot.
  v_horizon := :SCHEMA:.log_horizon(p_lock_class, p_lock_key);
  FOR i IN 1 .. coalesce(cardinality(p_after_txid), 0) LOOP
    RETURN QUERY
      WITH args AS MATERIALIZED (
        SELECT p_after_txid[i] AS after_txid, p_after_position[i] AS after_position,
               p_limit[i] AS max_count, v_horizon AS horizon)
      SELECT i, '[' || concat_ws(',', e.global_position, '"' || e.transaction_id || '"', e.version,
               floor(extract(epoch FROM e.occurred_at) * 1000)::int8,
               floor(extract(epoch FROM e.processed_at) * 1000)::int8,
               e.event_data, e.metadata, '"' || e.id || '"',
               array_to_json(ARRAY[e.aggregate_id, e.aggregate_type, e.event_type])) || ']'
        FROM :SCHEMA:.events e
       WHERE (e.transaction_id, e.global_position) > ((SELECT after_txid FROM args), (SELECT after_position FROM args))
         AND e.transaction_id < (SELECT horizon FROM args)
       ORDER BY e.transaction_id, e.global_position
       LIMIT (SELECT max_count FROM args);
  END LOOP;
END
$$;

-- The checkpoint of the newest event below the horizon (no row: the log is empty below it).
CREATE FUNCTION :SCHEMA:.read_head(p_lock_class oid, p_lock_key oid)
RETURNS TABLE (head_txid text, head_position int8)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_horizon xid8;
BEGIN
  v_horizon := :SCHEMA:.log_horizon(p_lock_class, p_lock_key);
  RETURN QUERY
    SELECT e.transaction_id::text, e.global_position FROM :SCHEMA:.events e
     WHERE e.transaction_id < v_horizon
     ORDER BY e.transaction_id DESC, e.global_position DESC LIMIT 1;
END
$$;
