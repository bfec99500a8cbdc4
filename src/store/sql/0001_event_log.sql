-- Streams: one row per aggregate, the optimistic-concurrency check.
-- (A unique index cannot span the monthly partitions of the events table.)
CREATE TABLE :SCHEMA:.streams (
  stream_id      text PRIMARY KEY,
  aggregate_type text NOT NULL,
  version        bigint NOT NULL DEFAULT 0,
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE SEQUENCE :SCHEMA:.events_global_position_seq AS bigint;

-- The log, partitioned by month on occurred_at. Readers order by
-- (transaction_id, global_position) and only pass transactions older than the
-- snapshot's xmin, so a late commit is never skipped.
CREATE TABLE :SCHEMA:.events (
  global_position bigint NOT NULL DEFAULT nextval(':SCHEMA:.events_global_position_seq'),
  transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
  id              uuid NOT NULL,
  aggregate_id    text NOT NULL,
  aggregate_type  text NOT NULL,
  event_type      text NOT NULL,
  event_data      jsonb NOT NULL,
  metadata        jsonb NOT NULL DEFAULT '{}'::jsonb,
  version         bigint NOT NULL,
  occurred_at     timestamptz NOT NULL,
  processed_at    timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (occurred_at);

CREATE INDEX events_log_order_idx ON :SCHEMA:.events (transaction_id, global_position);
CREATE INDEX events_aggregate_idx ON :SCHEMA:.events (aggregate_id, version);
CREATE INDEX events_type_idx ON :SCHEMA:.events (event_type);
-- BRIN: occurred_at follows insertion order, so a block-range index is nearly free to maintain.
CREATE INDEX events_occurred_at_idx ON :SCHEMA:.events USING brin (occurred_at);

-- Idempotency keys: claimed at the start of an append, holding its result.
CREATE TABLE :SCHEMA:.idempotency_keys (
  key        text PRIMARY KEY,
  stream_id  text NOT NULL,
  result     jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Months moved out of the live log by archive(); restoreArchived() re-attaches them.
CREATE TABLE :SCHEMA:.archived_partitions (
  month       text PRIMARY KEY,
  table_name  text NOT NULL,
  archived_at timestamptz NOT NULL DEFAULT now()
);
