-- Saga triggers are processors now: their checkpoints move to processing's
-- table under the processor name 'saga-trigger:<name>', so an upgraded trigger
-- resumes exactly where it stopped (the saga store migrates processing first).
-- Should a row exist already (a new trigger that ran before this migration),
-- the earlier checkpoint wins: replaying an event only meets the saga it
-- already started (ids are idempotent), skipping one would lose its saga.
INSERT INTO :SCHEMA:.processor_checkpoints AS c (processor, checkpoint, updated_at)
SELECT 'saga-trigger:' || t.name, t.transaction_id::text || ':' || t.global_position::text, t.updated_at
  FROM :SCHEMA:.saga_triggers AS t
ON CONFLICT (processor) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, updated_at = now()
 WHERE (split_part(EXCLUDED.checkpoint, ':', 1)::numeric, split_part(EXCLUDED.checkpoint, ':', 2)::bigint)
     < (split_part(c.checkpoint, ':', 1)::numeric, split_part(c.checkpoint, ':', 2)::bigint);

DROP TABLE :SCHEMA:.saga_triggers;
