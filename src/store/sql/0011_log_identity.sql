-- The log's identity: a random id made once, when the schema's log is created.
-- Positions of two logs are not comparable, and nothing in a position says
-- which log it belongs to: a realtime cursor handed out on one database and
-- presented to a fresh one (a new database, a schema dropped and made again)
-- whose log has already passed that position would resume from the new log as
-- if it were the old. The realtime hub binds every cursor it hands out to this
-- id (docs/realtime.md, "Cursors are bound to their subscription"), so such a
-- cursor gets a snapshot. A logical dump restored elsewhere carries the id
-- along; `EventStore.logIdentity()` adds the events table's oid, which the
-- restore gives anew.
CREATE TABLE IF NOT EXISTS :SCHEMA:.log_identity (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO :SCHEMA:.log_identity DEFAULT VALUES ON CONFLICT (singleton) DO NOTHING;
