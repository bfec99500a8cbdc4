-- Pub/sub messages too large for a NOTIFY payload (8000 bytes): the payload is
-- stored here and the notification carries only its id. Rows are pruned by age.
CREATE TABLE :SCHEMA:.realtime_messages (
  id         bigserial PRIMARY KEY,
  topic      text NOT NULL,
  payload    text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX realtime_messages_created_at_idx ON :SCHEMA:.realtime_messages (created_at);
