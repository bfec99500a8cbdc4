-- Marking is at-least-once (an upsert, then the checkpoint): a crash in
-- between delivers the events again. A run no longer deletes its marks; it
-- records the position it synced, so an event delivered again at or below it
-- marks nothing and a product is never synced twice for one event. A row is
-- pending while position > synced_position (one row a product, kept).
ALTER TABLE :SCHEMA:.inventory_sync_marks
  ADD COLUMN synced_position bigint NOT NULL DEFAULT 0;
