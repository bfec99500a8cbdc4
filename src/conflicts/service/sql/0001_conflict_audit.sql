-- Conflict audit: one row per conflict, the whole record in jsonb, the columns
-- the queue and the reports filter on beside it.
CREATE TABLE :SCHEMA:.conflict_audit (
  conflict_id    uuid PRIMARY KEY,
  entity_type    text NOT NULL,
  entity_id      text NOT NULL,
  kind           text NOT NULL,
  status         text NOT NULL CHECK (status IN ('resolved', 'pending', 'manually_resolved')),
  detected_at    timestamptz NOT NULL,
  resolved_at    timestamptz,
  resolution_ms  double precision,
  record         jsonb NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

-- The manual queue reads only pending rows.
CREATE INDEX conflict_audit_pending_idx ON :SCHEMA:.conflict_audit (detected_at) WHERE status = 'pending';
CREATE INDEX conflict_audit_detected_idx ON :SCHEMA:.conflict_audit (detected_at);
CREATE INDEX conflict_audit_entity_idx ON :SCHEMA:.conflict_audit (entity_type, entity_id);
