-- Runs of named schedules: one row per due time (the unique index is what
-- keeps two hosts from ever running the same due time) and per manual
-- trigger. The newest scheduled row of a schedule is where it resumes after
-- downtime; rows left 'running' by a host that died are taken over.
CREATE TABLE :SCHEMA:.schedule_runs (
  run_id       bigserial PRIMARY KEY,
  schedule     text NOT NULL,
  trigger      text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
  due_at       timestamptz NOT NULL,
  status       text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped')),
  attempts     int NOT NULL DEFAULT 0,
  -- Earlier due times this row passed over (missed-run policy).
  skipped      int NOT NULL DEFAULT 0,
  owner        text,
  trigger_key  text,
  requested_by text,
  error        jsonb,
  result       jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  started_at   timestamptz,
  finished_at  timestamptz
);

CREATE UNIQUE INDEX schedule_runs_due_idx ON :SCHEMA:.schedule_runs (schedule, due_at) WHERE trigger = 'schedule';
CREATE UNIQUE INDEX schedule_runs_key_idx ON :SCHEMA:.schedule_runs (schedule, trigger_key) WHERE trigger_key IS NOT NULL;
CREATE INDEX schedule_runs_open_idx ON :SCHEMA:.schedule_runs (schedule) WHERE status IN ('pending', 'running');
CREATE INDEX schedule_runs_history_idx ON :SCHEMA:.schedule_runs (schedule, run_id DESC);
