-- Reports waiting for their detection window to close (resolve-sync-conflicts).
-- A row leaves once its window is settled; the settlement is idempotent, so a
-- crash between settling and deleting only settles the same window again.
CREATE TABLE :SCHEMA:.sync_contenders (
  event_id     text PRIMARY KEY,
  creator_id   text NOT NULL,
  entity_type  text NOT NULL,
  entity_id    text NOT NULL,
  at_ms        bigint NOT NULL,
  contender    jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX sync_contenders_entity_idx ON :SCHEMA:.sync_contenders (creator_id, entity_type, entity_id, at_ms);
