-- What the audited request asked for beyond its action and resource (a
-- realtime subscription's filter); NULL for reads that have nothing more.
ALTER TABLE :SCHEMA:.access_audit ADD COLUMN detail text;
