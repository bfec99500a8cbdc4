-- The audit record (a 20-contender conflict's is about 4 kB of JSON) compressed
-- with lz4 instead of pglz where the server has it: several times less CPU to
-- compress on insert and to read back, for a little more space. Rows already
-- written keep pglz and read back as before (each value names its method).
-- A server built without lz4 (PGlite) keeps its default.
DO $$
BEGIN
  ALTER TABLE :SCHEMA:.conflict_audit ALTER COLUMN record SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  NULL;
END
$$;
