-- The newest log position a projection's previous generation can have handed
-- out (as a row change's or a snapshot's cursor), recorded by a rebuild's
-- swap: a reader holding a cursor at or before it holds rows of the old
-- table, so a realtime hub refuses to resume from it (a snapshot instead),
-- on every host and also on one started after the rebuild.
ALTER TABLE :SCHEMA:.projections ADD COLUMN rebuilt_through text;
