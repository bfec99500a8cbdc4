-- Processor checkpoints: written in the same transaction as a processor's
-- effects, so a read model is updated exactly once across crashes. Every batch
-- locks its row first and checks the checkpoint it started from: that is the
-- fence that stops two holders (or a rebuild swap) from applying a batch twice.
CREATE TABLE :SCHEMA:.processor_checkpoints (
  processor  text PRIMARY KEY,
  checkpoint text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Leases: exactly one host process runs a processor (or a saga shard) at a
-- time. The holder renews expires_at; anyone may take an expired lease.
CREATE TABLE :SCHEMA:.leases (
  name        text PRIMARY KEY,
  owner       text NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT now(),
  renewed_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);

-- Events a processor gave up on after its retries; redrive re-runs them.
CREATE TABLE :SCHEMA:.dead_letters (
  id              bigserial PRIMARY KEY,
  processor       text NOT NULL,
  event_id        text NOT NULL,
  event_type      text NOT NULL,
  global_position bigint NOT NULL,
  checkpoint      text NOT NULL,
  event           jsonb NOT NULL,
  error           text NOT NULL,
  attempts        int NOT NULL,
  failed_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (processor, event_id)
);
CREATE INDEX dead_letters_processor_idx ON :SCHEMA:.dead_letters (processor, id);

-- Projections: which generation of the table is live (blue/green rebuilds).
CREATE TABLE :SCHEMA:.projections (
  name        text PRIMARY KEY,
  table_name  text NOT NULL,
  generation  int NOT NULL DEFAULT 0,
  rebuilt_at  timestamptz
);
