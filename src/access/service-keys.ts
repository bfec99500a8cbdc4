/**
 * Service API keys for machine callers (a scheduler, a partner's system).
 * A key is `cfsk_<key id>_<secret>`: 8 random bytes of id to find it, 32 of
 * secret. Only a SHA-256 of the secret is stored (the secret is random, so a
 * slow password hash buys nothing), compared in constant time. A key carries
 * its tenants and roles (`service` by default) and can be revoked; revoked
 * keys stay listed. The key itself is shown once, by `issue()`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SERVICE_ROLE, type Authorization } from '../core/authorization.js';
import { InvalidArgumentError } from '../core/errors.js';
import { quoteIdent, type SqlClient } from '../core/sql-client.js';
import { migrateAccess } from './migrate-access.js';

/** What a key may do. */
export interface ServiceKeyGrant {
  /** Who holds it, e.g. `inventory-sync`; the caller's user id becomes `service:<name>`. */
  name: string;
  /** Tenants the key may read and act for (at least one). */
  tenantIds: readonly string[];
  /** Default `['service']`. */
  roles?: readonly string[];
}

/** A stored key, without its secret. */
export interface ServiceKeyInfo {
  keyId: string;
  name: string;
  tenantIds: readonly string[];
  roles: readonly string[];
  /** ISO times. */
  createdAt: string;
  revokedAt: string | null;
}

/**
 * Options of {@link ServiceKeys}.
 *
 * @example
 * ```ts
 * const options: ServiceKeysOptions = { sql, schema: 'app' };
 * ```
 */
export interface ServiceKeysOptions {
  /** The database (`service_api_keys`); in memory when absent. */
  sql?: SqlClient | undefined;
  /** Default `public`. */
  schema?: string | undefined;
}

interface KeyRow {
  key_id: string;
  name: string;
  secret_hash: string;
  tenant_ids: string[];
  roles: string[];
  created_at: Date | string;
  revoked_at: Date | string | null;
}

const KEY_PATTERN = /^cfsk_([0-9a-f]{16})_([0-9a-f]{64})$/;
const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
// Compared against when the key id is unknown, so both answers take the same work.
const DUMMY_HASH = createHash('sha256').update('no such key').digest();

const hashOf = (secret: string): Buffer => createHash('sha256').update(secret, 'hex').digest();

/**
 * Issue, verify, list and revoke service API keys.
 *
 * @example
 * ```ts
 * const keys = new ServiceKeys({ sql, schema: 'app' });
 * await keys.migrate();
 * const { key } = await keys.issue({ name: 'inventory-sync', tenantIds: ['creator-1'] });
 * const auth = await keys.verify(key); // { userId: 'service:inventory-sync', tenantIds: ['creator-1'], roles: ['service'] }
 * ```
 */
export class ServiceKeys {
  readonly #sql: SqlClient | undefined;
  readonly #schema: string;
  readonly #table: string;
  readonly #memory = new Map<string, KeyRow>();

  constructor(options: ServiceKeysOptions = {}) {
    this.#sql = options.sql;
    this.#schema = options.schema ?? 'public';
    this.#table = `${quoteIdent(this.#schema)}.service_api_keys`;
  }

  /** Create the table (SQL only; component `access`). */
  async migrate(): Promise<void> {
    if (this.#sql) await migrateAccess(this.#sql, this.#schema);
  }

  /** A new key: `key` is shown this once and never stored. */
  async issue(grant: ServiceKeyGrant): Promise<{ key: string; info: ServiceKeyInfo }> {
    if (!NAME_PATTERN.test(grant.name))
      throw new InvalidArgumentError('a service key name is 1-64 letters, digits, ".", "_" or "-"');
    if (grant.tenantIds.length === 0 || grant.tenantIds.some((t) => typeof t !== 'string' || t === ''))
      throw new InvalidArgumentError('a service key needs at least one tenant id');
    const roles = [...(grant.roles ?? [SERVICE_ROLE])];
    if (roles.some((r) => typeof r !== 'string' || r === ''))
      throw new InvalidArgumentError('roles must be non-empty strings');
    const keyId = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('hex');
    const row: KeyRow = {
      key_id: keyId,
      name: grant.name,
      secret_hash: hashOf(secret).toString('hex'),
      tenant_ids: [...grant.tenantIds],
      roles,
      created_at: new Date().toISOString(),
      revoked_at: null,
    };
    if (this.#sql) {
      const { rows } = await this.#sql.query<KeyRow>(
        `INSERT INTO ${this.#table} (key_id, name, secret_hash, tenant_ids, roles)
         VALUES ($1, $2, $3, $4::jsonb, $5::jsonb) RETURNING *`,
        [keyId, row.name, row.secret_hash, JSON.stringify(row.tenant_ids), JSON.stringify(roles)],
      );
      return { key: `cfsk_${keyId}_${secret}`, info: infoOf(rows[0]!) };
    }
    this.#memory.set(keyId, row);
    return { key: `cfsk_${keyId}_${secret}`, info: infoOf(row) };
  }

  /**
   * The identity of a presented key, or null when it is malformed, unknown
   * or revoked. The secret's hash is compared in constant time.
   */
  async verify(presented: string): Promise<Authorization | null> {
    const match = KEY_PATTERN.exec(presented);
    if (!match) return null;
    const row = await this.#get(match[1]!);
    const stored = row ? Buffer.from(row.secret_hash, 'hex') : DUMMY_HASH;
    const equal = stored.length === DUMMY_HASH.length && timingSafeEqual(hashOf(match[2]!), stored);
    if (!row || !equal || row.revoked_at !== null) return null;
    return { userId: `service:${row.name}`, tenantIds: row.tenant_ids, roles: row.roles };
  }

  /** Revoke a key (false when unknown or already revoked); it stays listed. */
  async revoke(keyId: string): Promise<boolean> {
    if (this.#sql) {
      const { rows } = await this.#sql.query(
        `UPDATE ${this.#table} SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL RETURNING key_id`,
        [keyId],
      );
      return rows.length > 0;
    }
    const row = this.#memory.get(keyId);
    if (!row || row.revoked_at !== null) return false;
    row.revoked_at = new Date().toISOString();
    return true;
  }

  /** Every key, revoked ones included, oldest first. */
  async list(): Promise<ServiceKeyInfo[]> {
    if (!this.#sql) return [...this.#memory.values()].map(infoOf);
    const { rows } = await this.#sql.query<KeyRow>(
      `SELECT * FROM ${this.#table} ORDER BY created_at, key_id`,
    );
    return rows.map(infoOf);
  }

  async #get(keyId: string): Promise<KeyRow | undefined> {
    if (!this.#sql) return this.#memory.get(keyId);
    const { rows } = await this.#sql.query<KeyRow>(`SELECT * FROM ${this.#table} WHERE key_id = $1`, [keyId]);
    return rows[0];
  }
}

function infoOf(row: KeyRow): ServiceKeyInfo {
  return {
    keyId: row.key_id,
    name: row.name,
    tenantIds: [...row.tenant_ids],
    roles: [...row.roles],
    createdAt: new Date(row.created_at).toISOString(),
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at).toISOString(),
  };
}
