-- The tenant an audited conflict belongs to (commerce: the creator), so the
-- queue, the audit and the reports can be read per tenant. Records audited
-- before this migration carry none: only a cross-tenant (admin) read sees them.
ALTER TABLE :SCHEMA:.conflict_audit ADD COLUMN tenant_id text;
UPDATE :SCHEMA:.conflict_audit SET tenant_id = record->>'tenantId' WHERE record ? 'tenantId';
CREATE INDEX conflict_audit_tenant_idx ON :SCHEMA:.conflict_audit (tenant_id, detected_at);
CREATE INDEX conflict_audit_tenant_pending_idx ON :SCHEMA:.conflict_audit (tenant_id, detected_at)
  WHERE status = 'pending';
