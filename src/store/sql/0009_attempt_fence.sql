-- The recovery fence, scoped to the recovering flush's own lost attempts.
--
-- Until now (0003) a flush whose attempt had an unknown outcome moved one
-- global fence before running again, and every attempt failed with
-- serialization_failure when the fence had moved after the server received
-- it. So every recovery rolled back every attempt then waiting for its locks,
-- on every host: healthy flushes were rolled back by another host's recovery,
-- and under a held lock one flush was fenced four times. The time comparison
-- also let through a lost attempt that reached the server after the fence.
--
-- Now each attempt carries an id (a uuid the client makes per attempt,
-- p_attempt). A recovering flush records the ids of its own lost attempts in
-- fenced_attempts (fence_attempts, its own committed statement) before it
-- runs again, and an attempt fails with serialization_failure, after locking
-- its streams, only when its own id is fenced. The race is the same as
-- before: a lost attempt that read no fence for its id already held its
-- stream locks, so the recovery's next attempt waits for it and finds its ids
-- if it committed; one that reads later finds its id and rolls back — also
-- when it reached the server after the fence.
--
-- Fenced ids are kept for 2 hours; fence_attempts deletes older ones, and
-- moves append_fence.purged_before to one hour before it did: an attempt
-- whose statement started before that horizon rolls back too (it could be a
-- lost attempt whose fence is gone). The table holds only the last two hours'
-- lost attempts, the horizon rolls back only attempts that waited for an
-- hour, and a lost attempt would escape only by reaching the server more than
-- an hour after its fence was written.
--
-- Rolling upgrade: this migration adds an overload; 0008's 16-argument
-- append_batch stays for clients of the previous version, with its check of
-- the global fence (append_fence.fenced_at), which their recoveries still
-- move. Their attempts and recoveries only affect each other; attempts of
-- this version never read fenced_at.
CREATE TABLE :SCHEMA:.fenced_attempts (
  attempt_id uuid PRIMARY KEY,
  fenced_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

ALTER TABLE :SCHEMA:.append_fence ADD COLUMN purged_before timestamptz NOT NULL DEFAULT '-infinity';

-- Fence the given attempts (lost attempts of the caller's own flush), first
-- dropping fences older than 2 hours and moving the purge horizon.
CREATE FUNCTION :SCHEMA:.fence_attempts(p_attempts uuid[])
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
  v_now timestamptz := clock_timestamp();
BEGIN
  IF EXISTS (SELECT 1 FROM :SCHEMA:.fenced_attempts a WHERE a.fenced_at < v_now - interval '2 hours') THEN
    -- The horizon first: no attempt can pass between the two (one transaction).
    UPDATE :SCHEMA:.append_fence
       SET purged_before = greatest(purged_before, v_now - interval '1 hour');
    DELETE FROM :SCHEMA:.fenced_attempts a WHERE a.fenced_at < v_now - interval '2 hours';
  END IF;
  INSERT INTO :SCHEMA:.fenced_attempts (attempt_id, fenced_at)
  SELECT DISTINCT x.id, v_now FROM unnest(p_attempts) AS x(id) WHERE x.id IS NOT NULL
  ON CONFLICT (attempt_id) DO NOTHING;
END
$$;

-- 0008's function with p_attempt and the check of its fence.
CREATE FUNCTION :SCHEMA:.append_batch(
  p_lock_class int4, p_lock_key int4, p_channel text, p_check_ids boolean,
  r_stream text[], r_agg text[], r_expected int8[], r_key text[], r_count int4[],
  e_req int4[], e_off int4[], e_id uuid[], e_type text[], e_data text, e_meta text,
  e_occurred_ms float8[], p_attempt uuid,
  OUT statuses int2[], OUT from_versions int8[], OUT to_versions int8[], OUT dup_streams text[],
  OUT written_positions int8[], OUT txid text, OUT processed_ms float8)
-- Every statement reaches rows through a unique index (ON CONFLICT arbiters,
-- = ANY on a primary key), never a join whose plan depends on array sizes, so
-- the cached generic plans stay right and no call pays for planning.
LANGUAGE plpgsql
AS $$
DECLARE
  n int := cardinality(r_stream);
  v_keyed boolean := cardinality(array_remove(r_key, NULL)) > 0;
  v_claimed text[] := '{}';
  v_earlier text[] := '{}';
  v_earlier_stream text[];
  v_earlier_from int8[];
  v_earlier_to int8[];
  v_streams text[];
  v_versions int8[];
  v_initial int8[];
  v_last_xids xid8[];
  v_owner_key text[] := '{}';
  v_owner_idx int4[] := '{}';
  v_done_keys text[] := '{}';
  v_done_streams text[] := '{}';
  v_done_from int8[] := '{}';
  v_done_to int8[] := '{}';
  v_stored_req int4[] := '{}';
  v_stored_ok boolean[];
  v_stored_from int8[];
  v_stored_where text[];
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
    SELECT coalesce(array_agg(k.key), '{}'), array_agg(k.stream_id),
           array_agg((k.result->>'from')::int8), array_agg((k.result->>'to')::int8)
      INTO v_earlier, v_earlier_stream, v_earlier_from, v_earlier_to
      FROM :SCHEMA:.idempotency_keys k
     WHERE k.key = ANY(r_key) AND k.key <> ALL(v_claimed) AND k.result IS NOT NULL;
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
  SELECT array_agg(l.stream_id), array_agg(l.version), array_agg(l.last_xid)
    INTO v_streams, v_versions, v_last_xids FROM locked l;
  v_initial := v_versions;

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
    SELECT coalesce(array_agg(f.req), '{}'), array_agg(f.same), array_agg(f.first_version), array_agg(f.stored_in)
      INTO v_stored_req, v_stored_ok, v_stored_from, v_stored_where
      FROM :SCHEMA:.stored_event_runs(r_stream, r_count, e_req, e_off, e_id, NULL) f;
  END IF;

  -- Decide each request in order; requests on one stream chain their versions.
  FOR i IN 1..n LOOP
    v_key := r_key[i];
    IF v_key IS NOT NULL THEN
      v_idx := array_position(v_earlier, v_key);
      IF v_idx IS NOT NULL THEN
        IF v_earlier_stream[v_idx] <> r_stream[i] THEN
          statuses[i] := 4;
        ELSE
          statuses[i] := 2;
          from_versions[i] := v_earlier_from[v_idx];
          to_versions[i] := v_earlier_to[v_idx];
        END IF;
        dup_streams[i] := v_earlier_stream[v_idx];
        CONTINUE;
      END IF;
      v_idx := array_position(v_owner_key, v_key);
      IF v_idx IS NOT NULL THEN
        IF r_stream[v_owner_idx[v_idx]] <> r_stream[i] THEN
          statuses[i] := 4;
          dup_streams[i] := r_stream[v_owner_idx[v_idx]];
        ELSE
          statuses[i] := 3;
          from_versions[i] := v_owner_idx[v_idx];
        END IF;
        CONTINUE;
      END IF;
    END IF;
    v_idx := array_position(v_stored_req, i);
    IF v_idx IS NOT NULL THEN
      IF v_stored_ok[v_idx] THEN
        statuses[i] := 5;
        from_versions[i] := v_stored_from[v_idx];
        to_versions[i] := v_stored_from[v_idx] + r_count[i] - 1;
      ELSE
        statuses[i] := 6;
        dup_streams[i] := v_stored_where[v_idx];
      END IF;
      CONTINUE;
    END IF;
    v_idx := array_position(v_streams, r_stream[i]);
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
      v_owner_key := v_owner_key || v_key;
      v_owner_idx := v_owner_idx || i;
      v_done_keys := v_done_keys || v_key;
      v_done_streams := v_done_streams || r_stream[i];
      v_done_from := v_done_from || (v_cur + 1);
      v_done_to := v_done_to || (v_cur + r_count[i]);
    END IF;
  END LOOP;

  -- A conflict may be the retry of a caller that never heard back: when its
  -- events are stored, it gets their result instead (a conflict writes nothing,
  -- so deciding it again changes no other request).
  IF NOT p_check_ids AND 1 = ANY(statuses) THEN
    FOR v_run IN
      SELECT * FROM :SCHEMA:.stored_event_runs(r_stream, r_count, e_req, e_off, e_id,
        ARRAY(SELECT s.i FROM unnest(statuses) WITH ORDINALITY AS s(status, i) WHERE s.status = 1)::int4[])
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

  IF cardinality(v_done_keys) > 0 THEN
    -- Each key was claimed by this flush, maybe with the stream of a request
    -- that failed: the writer's stream goes with the result.
    INSERT INTO :SCHEMA:.idempotency_keys AS k (key, stream_id, result)
    SELECT d.key, d.stream_id, jsonb_build_object('from', d.from_version, 'to', d.to_version)
      FROM unnest(v_done_keys, v_done_streams, v_done_from, v_done_to) AS d(key, stream_id, from_version, to_version)
    ON CONFLICT (key) DO UPDATE SET stream_id = excluded.stream_id, result = excluded.result;
  END IF;
  -- Keys this flush claimed but did not use (their requests failed): free them.
  IF cardinality(v_claimed) > cardinality(v_done_keys) THEN
    DELETE FROM :SCHEMA:.idempotency_keys WHERE key = ANY(v_claimed) AND key <> ALL(v_done_keys);
  END IF;

  processed_ms := floor(extract(epoch FROM now()) * 1000);
END
$$;

-- 0007's setting, for the new overload.
ALTER FUNCTION :SCHEMA:.append_batch(int4, int4, text, boolean, text[], text[], int8[], text[], int4[],
  int4[], int4[], uuid[], text[], text, text, float8[], uuid)
  SET plan_cache_mode = force_generic_plan;
