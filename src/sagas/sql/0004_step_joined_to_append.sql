-- A step's completion written in its last append's own statement
-- (docs/sagas.md, "A step's events and its log entry in one statement"): the
-- event store calls this after append_batch, in the same statement and
-- transaction, with the batch's per-request outcomes. Each write is one step
-- log entry (a completed action), fenced like a recorded write: its saga row
-- is locked only where the owner and lease token still match. A write whose
-- append did not succeed (a version conflict, a key of another stream) is
-- skipped. A write whose append succeeded but whose fence does not hold
-- raises SAGF1, which rolls back the statement: neither the events nor the
-- entry are written. An entry already written under the same token (the same
-- step's earlier attempt committed, its answer lost, and the append was run
-- again) counts as applied and is not written twice.
CREATE FUNCTION :SCHEMA:.record_joined_steps(p_writes jsonb, p_ok boolean[])
RETURNS text[]
LANGUAGE plpgsql
AS $$
DECLARE
  v_applied text[];
  v_fenced text[];
BEGIN
  WITH i AS (
    SELECT DISTINCT ON (w.saga_id) w.* FROM jsonb_to_recordset(p_writes) AS w(
      req integer, owner text, saga_id text, token integer, transition boolean, status text, cursor integer,
      compensation_failed boolean, finish boolean, step_name text, step_index integer, attempts integer,
      output jsonb, started_at timestamptz)
     WHERE p_ok[w.req]
     ORDER BY w.saga_id, w.req),
  done AS (
    SELECT i.saga_id FROM i WHERE EXISTS (
      SELECT 1 FROM :SCHEMA:.saga_steps x
       WHERE x.saga_id = i.saga_id AND x.phase = 'action' AND x.step_index = i.step_index
         AND x.outcome = 'completed' AND x.lease_token = i.token)),
  l AS (
    SELECT g.saga_id FROM :SCHEMA:.sagas AS g JOIN i ON i.saga_id = g.saga_id
     WHERE g.lease_token = i.token AND g.lease_owner = i.owner
       AND g.saga_id NOT IN (SELECT saga_id FROM done)
     ORDER BY g.saga_id FOR NO KEY UPDATE OF g),
  ok AS (SELECT i.* FROM i WHERE i.saga_id IN (SELECT saga_id FROM l)),
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
  SELECT array_agg(i.saga_id) FILTER (WHERE i.saga_id IN (SELECT saga_id FROM ok) OR i.saga_id IN (SELECT saga_id FROM done)),
         array_agg(i.saga_id) FILTER (WHERE i.saga_id NOT IN (SELECT saga_id FROM ok) AND i.saga_id NOT IN (SELECT saga_id FROM done))
    INTO v_applied, v_fenced
    FROM i;
  IF v_fenced IS NOT NULL THEN
    RAISE EXCEPTION 'saga lease lost before its step was recorded: %', array_to_string(v_fenced, ', ')
      USING ERRCODE = 'SAGF1', DETAIL = array_to_string(v_fenced, ',');
  END IF;
  RETURN COALESCE(v_applied, '{}');
END
$$;
