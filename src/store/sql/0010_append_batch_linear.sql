-- append_batch (0009's overload, the one this version calls) decides its
-- requests in linear time. 0009's loop looked each request up by scanning
-- arrays: its stream in the locked streams (`array_position(v_streams, …)`),
-- its key among the keys already written in the batch (`v_owner_key`) and
-- among the stored keys, its index among the requests whose ids were found
-- stored; a conflict's re-check filtered the events by `= ANY` of the
-- conflicting requests, and the unused keys' DELETE by `<> ALL` of the written
-- ones. Each scan is as long as the batch, so the loop's time per request grew
-- with the batch: measured with benchmarks/probe/append-batch-scale.ts
-- (PROBE_TIMED), 2 / 4 / 8 / 14 µs a request at n = 100 / 500 / 1000 / 2000
-- unkeyed and 4 / 10 / 19 / 35 µs keyed.
--
-- Now every per-request lookup is an array subscript (PL/pgSQL keeps array
-- variables expanded, so a subscript is O(1)), prepared by one statement each:
--   v_sidx[i]   the request's stream among the locked streams, by rank of the
--               stream id (both sides sorted by the same COLLATE "C" order);
--   v_kfirst[i] the first request of the batch with the request's key, and
--               v_owner[v_kfirst[i]] the request that wrote it (0009's
--               v_owner_key), set when that request is written;
--   v_e_*[i]    the stored result of the request's key (0009's v_earlier),
--               one primary-key lookup a request (LATERAL … OFFSET 0, so the
--               plan is fixed: a nested loop over the index);
--   v_s_*[i]    whether the request's ids are stored (0009's v_stored_*);
-- the written keys (and so the unused ones) are read from the statuses at the
-- end. What is decided, written and returned is 0009's: statuses 0–6, the
-- fence, p_check_ids, keys (also on other streams), chained versions on one
-- stream, notify, streams created but not written deleted.
--
-- The earlier keys' lookup drops 0009's `k.key <> ALL(v_claimed)`: a key this
-- flush claimed was inserted by it without a result, so `result IS NOT NULL`
-- already leaves it out.
CREATE OR REPLACE FUNCTION :SCHEMA:.append_batch(
  p_lock_class int4, p_lock_key int4, p_channel text, p_check_ids boolean,
  r_stream text[], r_agg text[], r_expected int8[], r_key text[], r_count int4[],
  e_req int4[], e_off int4[], e_id uuid[], e_type text[], e_data text, e_meta text,
  e_occurred_ms float8[], p_attempt uuid,
  OUT statuses int2[], OUT from_versions int8[], OUT to_versions int8[], OUT dup_streams text[],
  OUT written_positions int8[], OUT txid text, OUT processed_ms float8)
-- Every statement reaches rows through a unique index (ON CONFLICT arbiters,
-- = ANY or a LATERAL lookup on a primary key), never a join whose plan depends
-- on array sizes, so the cached generic plans stay right and no call pays for
-- planning. CREATE OR REPLACE resets the SET clause: it is set again here (0007).
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  n int := cardinality(r_stream);
  v_keyed boolean := cardinality(array_remove(r_key, NULL)) > 0;
  v_claimed text[] := '{}';
  v_e_stream text[];
  v_e_from int8[];
  v_e_to int8[];
  v_streams text[];
  v_versions int8[];
  v_initial int8[];
  v_last_xids xid8[];
  v_sidx int4[];
  v_kfirst int4[];
  v_owner int4[];
  v_written_keys int := 0;
  v_s_found boolean[];
  v_s_ok boolean[];
  v_s_from int8[];
  v_s_where text[];
  v_run record;
  v_key text;
  v_idx int;
  v_cur int8;
  v_exp int8;
  v_any_written boolean := false;
  v_data jsonb := e_data::jsonb;
  v_meta jsonb := e_meta::jsonb;
BEGIN
  -- The writer lock comes before any write, so before this transaction has an id.
  PERFORM pg_advisory_xact_lock_shared(p_lock_class, p_lock_key);
  statuses := array_fill(0::int2, ARRAY[n]);
  from_versions := array_fill(NULL::int8, ARRAY[n]);
  to_versions := array_fill(NULL::int8, ARRAY[n]);
  dup_streams := array_fill(NULL::text, ARRAY[n]);

  IF v_keyed THEN
    -- Claim in key order (no deadlock between flushes); a key claimed by a
    -- running transaction makes this wait for its outcome.
    WITH claimed AS (
      INSERT INTO :SCHEMA:.idempotency_keys (key, stream_id)
      SELECT DISTINCT ON (k.key) k.key, k.stream
        FROM unnest(r_key, r_stream) WITH ORDINALITY AS k(key, stream, ord)
       WHERE k.key IS NOT NULL
       ORDER BY k.key, k.ord
      ON CONFLICT (key) DO NOTHING RETURNING key)
    SELECT coalesce(array_agg(key), '{}') INTO v_claimed FROM claimed;
    -- Per request: the stored result of its key, if any (a key claimed above
    -- has none), and the first request of the batch with the same key.
    SELECT array_agg(e.stream_id ORDER BY r.ord), array_agg(e.from_version ORDER BY r.ord),
           array_agg(e.to_version ORDER BY r.ord)
      INTO v_e_stream, v_e_from, v_e_to
      FROM unnest(r_key) WITH ORDINALITY AS r(key, ord)
      LEFT JOIN LATERAL (
        SELECT k.stream_id, (k.result->>'from')::int8 AS from_version, (k.result->>'to')::int8 AS to_version
          FROM :SCHEMA:.idempotency_keys k
         WHERE k.key = r.key AND k.result IS NOT NULL
        OFFSET 0) e ON true;
    SELECT array_agg(g.first ORDER BY g.ord) INTO v_kfirst
      FROM (SELECT r.ord, CASE WHEN r.key IS NOT NULL THEN min(r.ord) OVER (PARTITION BY r.key) END AS first
              FROM unnest(r_key) WITH ORDINALITY AS r(key, ord)) g;
    v_owner := array_fill(NULL::int4, ARRAY[n]);
  END IF;

  -- Create-or-lock the streams in id order; DO UPDATE (a no-op) takes the row
  -- lock and returns the version in the same statement.
  WITH wanted AS (
    SELECT DISTINCT ON (r.stream) r.stream, r.agg, r.ord
      FROM unnest(r_stream, r_agg) WITH ORDINALITY AS r(stream, agg, ord)
     ORDER BY r.stream, r.ord
  ), locked AS (
    INSERT INTO :SCHEMA:.streams AS st (stream_id, aggregate_type)
    SELECT w.stream, w.agg FROM wanted w ORDER BY w.stream
    ON CONFLICT (stream_id) DO UPDATE SET stream_id = st.stream_id
    RETURNING stream_id, version, last_xid)
  SELECT array_agg(l.stream_id ORDER BY l.stream_id COLLATE "C"),
         array_agg(l.version ORDER BY l.stream_id COLLATE "C"),
         array_agg(l.last_xid ORDER BY l.stream_id COLLATE "C")
    INTO v_streams, v_versions, v_last_xids FROM locked l;
  v_initial := v_versions;
  -- Each request's stream as its index in v_streams: the rank of its id in the same order.
  SELECT array_agg(x.rank ORDER BY x.ord) INTO v_sidx
    FROM (SELECT r.ord, dense_rank() OVER (ORDER BY r.stream COLLATE "C")::int4 AS rank
            FROM unnest(r_stream) WITH ORDINALITY AS r(stream, ord)) x;

  -- Read after the stream locks, with this statement's own snapshot: this
  -- attempt's own fence, and the horizon below which fences were purged.
  IF EXISTS (SELECT 1 FROM :SCHEMA:.fenced_attempts a WHERE a.attempt_id = p_attempt)
     OR (SELECT f.purged_before FROM :SCHEMA:.append_fence f) > statement_timestamp() THEN
    RAISE EXCEPTION 'append attempt fenced by the recovery of its own flush'
      USING ERRCODE = 'serialization_failure';
  END IF;

  -- The log is read in transaction-id order. This transaction took its id
  -- before it had every stream lock (a key claim or an earlier stream's lock
  -- gives it one); a stream's last writer with a newer id committed while it
  -- waited, and writing now would put this stream's next versions before
  -- that writer's in the log. Roll back: the attempt runs again with a new id.
  IF EXISTS (SELECT 1 FROM unnest(v_last_xids) AS x(id) WHERE x.id > pg_current_xact_id()) THEN
    RAISE EXCEPTION 'append attempt took its transaction id before a later writer of one of its streams'
      USING ERRCODE = 'serialization_failure';
  END IF;

  IF p_check_ids THEN
    v_s_found := array_fill(false, ARRAY[n]);
    v_s_ok := array_fill(NULL::boolean, ARRAY[n]);
    v_s_from := array_fill(NULL::int8, ARRAY[n]);
    v_s_where := array_fill(NULL::text, ARRAY[n]);
    FOR v_run IN SELECT * FROM :SCHEMA:.stored_event_runs(r_stream, r_count, e_req, e_off, e_id, NULL) LOOP
      v_s_found[v_run.req] := true;
      v_s_ok[v_run.req] := v_run.same;
      v_s_from[v_run.req] := v_run.first_version;
      v_s_where[v_run.req] := v_run.stored_in;
    END LOOP;
  END IF;

  -- Decide each request in order; requests on one stream chain their versions.
  FOR i IN 1..n LOOP
    v_key := r_key[i];
    IF v_key IS NOT NULL THEN
      IF v_e_stream[i] IS NOT NULL THEN
        IF v_e_stream[i] <> r_stream[i] THEN
          statuses[i] := 4;
        ELSE
          statuses[i] := 2;
          from_versions[i] := v_e_from[i];
          to_versions[i] := v_e_to[i];
        END IF;
        dup_streams[i] := v_e_stream[i];
        CONTINUE;
      END IF;
      v_idx := v_owner[v_kfirst[i]];
      IF v_idx IS NOT NULL THEN
        IF r_stream[v_idx] <> r_stream[i] THEN
          statuses[i] := 4;
          dup_streams[i] := r_stream[v_idx];
        ELSE
          statuses[i] := 3;
          from_versions[i] := v_idx;
        END IF;
        CONTINUE;
      END IF;
    END IF;
    IF p_check_ids AND v_s_found[i] THEN
      IF v_s_ok[i] THEN
        statuses[i] := 5;
        from_versions[i] := v_s_from[i];
        to_versions[i] := v_s_from[i] + r_count[i] - 1;
      ELSE
        statuses[i] := 6;
        dup_streams[i] := v_s_where[i];
      END IF;
      CONTINUE;
    END IF;
    v_idx := v_sidx[i];
    v_cur := v_versions[v_idx];
    v_exp := r_expected[i];
    IF NOT (v_exp = -1 OR v_exp = v_cur OR (v_exp = -2 AND v_cur = 0) OR (v_exp = -3 AND v_cur > 0)) THEN
      statuses[i] := 1;
      to_versions[i] := v_cur;
      CONTINUE;
    END IF;
    from_versions[i] := v_cur + 1;
    to_versions[i] := v_cur + r_count[i];
    v_versions[v_idx] := v_cur + r_count[i];
    v_any_written := true;
    IF v_key IS NOT NULL THEN
      v_owner[v_kfirst[i]] := i;
      v_written_keys := v_written_keys + 1;
    END IF;
  END LOOP;

  -- A conflict may be the retry of a caller that never heard back: when its
  -- events are stored, it gets their result instead (a conflict writes nothing,
  -- so deciding it again changes no other request).
  IF NOT p_check_ids AND 1 = ANY(statuses) THEN
    -- Only the conflicting requests' events (0009 filtered them by `= ANY`).
    FOR v_run IN
      SELECT f.* FROM (
        SELECT array_agg(e.req) AS req, array_agg(e.off) AS off, array_agg(e.id) AS id
          FROM unnest(e_req, e_off, e_id) AS e(req, off, id)
         WHERE statuses[e.req] = 1) c,
        LATERAL :SCHEMA:.stored_event_runs(r_stream, r_count, c.req, c.off, c.id, NULL) f
    LOOP
      IF v_run.same THEN
        statuses[v_run.req] := 5;
        from_versions[v_run.req] := v_run.first_version;
        to_versions[v_run.req] := v_run.first_version + r_count[v_run.req] - 1;
      ELSE
        statuses[v_run.req] := 6;
        dup_streams[v_run.req] := v_run.stored_in;
      END IF;
    END LOOP;
  END IF;

  IF v_any_written THEN
    -- The ids first: a taken id fails the statement (unique_violation on
    -- event_ids_pkey) before any event row is written; the client then runs the
    -- flush again with p_check_ids to tell each request what it found.
    INSERT INTO :SCHEMA:.event_ids (id, stream_id, version)
    SELECT e.id, r_stream[e.req], from_versions[e.req] + e.off
      FROM unnest(e_req, e_off, e_id) AS e(req, off, id)
     WHERE statuses[e.req] = 0;

    WITH ins AS (
      INSERT INTO :SCHEMA:.events
        (id, aggregate_id, aggregate_type, event_type, event_data, metadata, version, occurred_at)
      SELECT e.id, r_stream[e.req], r_agg[e.req], e.type, v_data -> (e.ord - 1)::int,
             v_meta -> (e.ord - 1)::int, from_versions[e.req] + e.off, to_timestamp(e.occ / 1000)
        FROM unnest(e_req, e_off, e_id, e_type, e_occurred_ms) WITH ORDINALITY AS e(req, off, id, type, occ, ord)
       WHERE statuses[e.req] = 0
       ORDER BY e.ord
      RETURNING global_position)
    -- Positions come from a sequence read in insert order, so their order is the events' order.
    SELECT array_agg(global_position ORDER BY global_position) INTO written_positions FROM ins;

    -- The rows exist and are locked by this transaction: these upserts are updates.
    INSERT INTO :SCHEMA:.streams AS st (stream_id, aggregate_type, version)
    SELECT v.stream_id, '', v.version
      FROM unnest(v_streams, v_versions, v_initial) AS v(stream_id, version, initial)
     WHERE v.version <> v.initial
    ON CONFLICT (stream_id) DO UPDATE
      SET version = excluded.version, updated_at = now(), last_xid = pg_current_xact_id();
    txid := pg_current_xact_id()::text;
    PERFORM pg_notify(p_channel, '');
  END IF;

  -- Streams this flush created but did not write (every request on them failed).
  IF array_position(v_versions, 0::int8) IS NOT NULL THEN
    DELETE FROM :SCHEMA:.streams
     WHERE stream_id = ANY(ARRAY(SELECT v.stream_id FROM unnest(v_streams, v_versions) AS v(stream_id, version)
                                  WHERE v.version = 0))
       AND version = 0;
  END IF;

  IF v_written_keys > 0 THEN
    -- Each key was claimed by this flush, maybe with the stream of a request
    -- that failed: the writer's stream goes with the result. The written
    -- requests are those with status 0 (the re-check above changes only 1s).
    INSERT INTO :SCHEMA:.idempotency_keys AS k (key, stream_id, result)
    SELECT d.key, d.stream_id, jsonb_build_object('from', d.from_version, 'to', d.to_version)
      FROM unnest(r_key, r_stream, statuses, from_versions, to_versions)
           AS d(key, stream_id, status, from_version, to_version)
     WHERE d.status = 0 AND d.key IS NOT NULL
    ON CONFLICT (key) DO UPDATE SET stream_id = excluded.stream_id, result = excluded.result;
  END IF;
  -- Keys this flush claimed but did not use (their requests failed): free them.
  IF cardinality(v_claimed) > v_written_keys THEN
    DELETE FROM :SCHEMA:.idempotency_keys
     WHERE key = ANY(ARRAY(SELECT c.key FROM unnest(v_claimed) AS c(key)
                           EXCEPT
                           SELECT d.key FROM unnest(r_key, statuses) AS d(key, status)
                            WHERE d.status = 0 AND d.key IS NOT NULL));
  END IF;

  processed_ms := floor(extract(epoch FROM now()) * 1000);
END
$$;

