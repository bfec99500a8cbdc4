-- Access audit: one row per read that reached beyond the caller's own tenants
-- (an admin reading across tenants), appended and never updated.
CREATE TABLE :SCHEMA:.access_audit (
  id          uuid PRIMARY KEY,
  -- Insertion order: ties on `at` still list newest first.
  seq         bigint GENERATED ALWAYS AS IDENTITY,
  at          timestamptz NOT NULL DEFAULT now(),
  user_id     text NOT NULL,
  roles       jsonb NOT NULL,
  action      text NOT NULL,
  resource    text NOT NULL,
  -- Tenants the read reached outside the caller's own; NULL: every tenant.
  tenant_ids  jsonb,
  row_count   integer
);
CREATE INDEX access_audit_at_idx ON :SCHEMA:.access_audit (at, seq);
CREATE INDEX access_audit_user_idx ON :SCHEMA:.access_audit (user_id, at);

-- Service API keys: only a SHA-256 of the secret is kept; revoked keys stay
-- (revoked_at set) so the audit can still name them.
CREATE TABLE :SCHEMA:.service_api_keys (
  key_id       text PRIMARY KEY,
  name         text NOT NULL,
  secret_hash  text NOT NULL,
  tenant_ids   jsonb NOT NULL,
  roles        jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz
);
