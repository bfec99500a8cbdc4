-- Saga instances. A worker holds a saga through a lease (owner, expiry) and a
-- fencing token bumped at every claim; writes that advance a saga must match
-- the token, so a worker whose lease was taken over can never record a step.
CREATE TABLE :SCHEMA:.sagas (
  saga_id             text PRIMARY KEY,
  definition          text NOT NULL,
  input               jsonb NOT NULL,
  status              text NOT NULL CHECK (status IN ('running', 'completed', 'compensating', 'compensated', 'compensation_failed')),
  -- running: index of the next step; compensating: index of the next step to undo.
  step_cursor         integer NOT NULL DEFAULT 0,
  compensation_failed boolean NOT NULL DEFAULT false,
  error               jsonb,
  lease_owner         text,
  lease_expires_at    timestamptz,
  lease_token         integer NOT NULL DEFAULT 0,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  finished_at         timestamptz
) WITH (fillfactor = 70);
-- fillfactor: room on each page for HOT updates, since every step rewrites its saga row.

-- Claiming scans only active sagas, oldest lease first (NULL = never leased).
CREATE INDEX sagas_claimable_idx ON :SCHEMA:.sagas (lease_expires_at NULLS FIRST)
  WHERE status IN ('running', 'compensating');
CREATE INDEX sagas_status_idx ON :SCHEMA:.sagas (status, created_at);

-- The step log: one row per action or compensation, after all its attempts.
-- No foreign key to sagas: rows are only written by the fenced update of their
-- saga (same statement), and the per-row check costs a third of a step's write.
CREATE TABLE :SCHEMA:.saga_steps (
  -- Orders a saga's entries; (saga_id, id) below is the only index it needs.
  id          bigint GENERATED ALWAYS AS IDENTITY,
  saga_id     text NOT NULL,
  step_name   text NOT NULL,
  step_index  integer NOT NULL,
  phase       text NOT NULL CHECK (phase IN ('action', 'compensation')),
  outcome     text NOT NULL CHECK (outcome IN ('completed', 'failed')),
  attempts    integer NOT NULL,
  output      jsonb,
  error       jsonb,
  worker_id   text NOT NULL,
  lease_token integer NOT NULL,
  started_at  timestamptz NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX saga_steps_saga_idx ON :SCHEMA:.saga_steps (saga_id, id);
-- Defence in depth behind the fencing token: a step is recorded done at most once.
CREATE UNIQUE INDEX saga_steps_done_once_idx ON :SCHEMA:.saga_steps (saga_id, phase, step_index)
  WHERE outcome = 'completed';

-- Compensations that failed after all retries, for a person to look at.
CREATE TABLE :SCHEMA:.saga_dead_letters (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  saga_id      text NOT NULL,
  definition   text NOT NULL,
  step_name    text NOT NULL,
  compensation text NOT NULL,
  error        jsonb NOT NULL,
  attempts     integer NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  resolved_at  timestamptz
);

CREATE INDEX saga_dead_letters_open_idx ON :SCHEMA:.saga_dead_letters (saga_id) WHERE resolved_at IS NULL;

-- Checkpoints of event triggers (log reader position), moved in the same
-- transaction as the sagas they start, so each event starts its saga once.
CREATE TABLE :SCHEMA:.saga_triggers (
  name            text PRIMARY KEY,
  transaction_id  numeric(20, 0) NOT NULL,
  global_position bigint NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
