-- A joined step's entry goes only with the events its own append writes
-- (docs/sagas.md, "A step's events and its log entry in one statement"). An
-- append answered by an earlier one (its idempotency key, its event ids)
-- wrote nothing now, and the output its step computed for it may not be the
-- step's: the earlier append may stand at another version, and the action
-- may still decide otherwise on what it reads next. Such a write is skipped
-- (neither applied nor fenced): the action goes on as it would, and the
-- runner records the step after it. The one exception is an entry already
-- there under the same lease token: the same step's earlier attempt wrote its
-- events and its entry together (its answer lost, or it timed out), so it
-- counts as applied, as in 0004.
--
-- p_ok: each request's append succeeded; p_written: it wrote its events now.
-- Returns the `req` of every write applied: the event store tells only those
-- that they committed. 0004's two-argument function stays for workers that
-- do not pass p_written yet (a rolling deploy).
CREATE FUNCTION :SCHEMA:.record_joined_steps(p_writes jsonb, p_ok boolean[], p_written boolean[])
RETURNS integer[]
LANGUAGE plpgsql
AS $$
DECLARE
  v_applied integer[];
  v_fenced text[];
BEGIN
  WITH i AS (
    SELECT DISTINCT ON (w.saga_id) w.*, p_written[w.req] AS written FROM jsonb_to_recordset(p_writes) AS w(
      req integer, owner text, saga_id text, token integer, transition boolean, status text, cursor integer,
      compensation_failed boolean, finish boolean, step_name text, step_index integer, attempts integer,
      output jsonb, started_at timestamptz)
     WHERE p_ok[w.req]
     ORDER BY w.saga_id, p_written[w.req] DESC, w.req),
  done AS (
    SELECT i.saga_id FROM i WHERE EXISTS (
      SELECT 1 FROM :SCHEMA:.saga_steps x
       WHERE x.saga_id = i.saga_id AND x.phase = 'action' AND x.step_index = i.step_index
         AND x.outcome = 'completed' AND x.lease_token = i.token)),
  fresh AS (SELECT i.* FROM i WHERE i.written AND i.saga_id NOT IN (SELECT saga_id FROM done)),
  l AS (
    SELECT g.saga_id FROM :SCHEMA:.sagas AS g JOIN fresh ON fresh.saga_id = g.saga_id
     WHERE g.lease_token = fresh.token AND g.lease_owner = fresh.owner
     ORDER BY g.saga_id FOR NO KEY UPDATE OF g),
  ok AS (SELECT fresh.* FROM fresh WHERE fresh.saga_id IN (SELECT saga_id FROM l)),
  u AS (
    UPDATE :SCHEMA:.sagas AS g
       SET status = ok.status, step_cursor = ok.cursor, compensation_failed = ok.compensation_failed,
           updated_at = now(),
           lease_owner = CASE WHEN ok.finish THEN NULL ELSE g.lease_owner END,
           lease_expires_at = CASE WHEN ok.finish THEN NULL ELSE g.lease_expires_at END,
           finished_at = CASE WHEN ok.finish THEN clock_timestamp() ELSE NULL END
      FROM ok WHERE g.saga_id = ok.saga_id AND ok.transition),
  st AS (
    INSERT INTO :SCHEMA:.saga_steps
      (saga_id, step_name, step_index, phase, outcome, attempts, output, error, worker_id, lease_token, started_at)
    SELECT saga_id, step_name, step_index, 'action', 'completed', attempts, output, NULL, owner, token, started_at
      FROM ok)
  SELECT array_agg(i.req) FILTER (WHERE i.saga_id IN (SELECT saga_id FROM ok) OR i.saga_id IN (SELECT saga_id FROM done)),
         array_agg(i.saga_id) FILTER (WHERE i.saga_id IN (SELECT saga_id FROM fresh) AND i.saga_id NOT IN (SELECT saga_id FROM ok))
    INTO v_applied, v_fenced
    FROM i;
  IF v_fenced IS NOT NULL THEN
    RAISE EXCEPTION 'saga lease lost before its step was recorded: %', array_to_string(v_fenced, ', ')
      USING ERRCODE = 'SAGF1', DETAIL = array_to_string(v_fenced, ',');
  END IF;
  RETURN COALESCE(v_applied, '{}');
END
$$;
