/**
 * The access module: read scopes, service API keys (hashed at rest, checked
 * in constant time, scoped, revocable) and the access audit, in memory, on
 * PGlite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccessDeniedError,
  auditedRead,
  createAccessAudit,
  readScope,
  requireRole,
  ServiceKeys,
  type AccessAuditStore,
} from '../../src/access/index.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';

describe('readScope', () => {
  it('keeps a non-admin inside their tenants, gives an admin what they ask for and flags reads beyond their own', () => {
    expect(readScope({ userId: 'u', tenantIds: ['a', 'b'] })).toEqual({
      tenantIds: ['a', 'b'],
      crossTenant: false,
    });
    expect(readScope({ userId: 'u', tenantIds: ['a'], roles: ['creator'] }, ['a', 'z'])).toEqual({
      tenantIds: ['a'],
      crossTenant: false,
    });
    expect(readScope({ userId: 'o', tenantIds: ['a'], roles: ['admin'] })).toEqual({
      tenantIds: null,
      crossTenant: true,
    });
    expect(readScope({ userId: 'o', tenantIds: ['a'], roles: ['admin'] }, ['a'])).toEqual({
      tenantIds: ['a'],
      crossTenant: false,
    });
    expect(readScope({ userId: 'o', tenantIds: ['a'], roles: ['admin'] }, ['a', 'b'])).toEqual({
      tenantIds: ['a', 'b'],
      crossTenant: true,
    });
  });

  it('requireRole refuses a caller with none of the roles', () => {
    expect(() => requireRole({ userId: 'u', tenantIds: [] }, ['admin'], 'Deciding')).toThrow(
      AccessDeniedError,
    );
    expect(() =>
      requireRole({ userId: 'u', tenantIds: [], roles: ['admin'] }, ['admin'], 'Deciding'),
    ).not.toThrow();
  });
});

const backends = [
  { name: 'memory', available: true, open: async (): Promise<TestDatabase | undefined> => undefined },
  ...sqlEngines.map((e) => ({ name: e.name, available: e.available, open: () => e.open() })),
];

describe.each(backends)('service keys and the access audit ($name)', (backend) => {
  let db: TestDatabase | undefined;
  let keys: ServiceKeys;
  let audit: AccessAuditStore;
  beforeAll(async () => {
    if (!backend.available) return;
    db = await backend.open();
    keys = new ServiceKeys({ sql: db?.sql, schema: db?.schema });
    audit = createAccessAudit({ sql: db?.sql, schema: db?.schema });
    await keys.migrate();
    await audit.migrate();
  });
  afterAll(async () => {
    await db?.close();
  });

  it.skipIf(!backend.available)(
    'a key verifies to its scoped identity, a wrong or malformed one to null, a revoked one no more; the secret is not stored',
    async () => {
      const { key, info } = await keys.issue({ name: 'inventory-sync', tenantIds: ['creator-1'] });
      expect(key).toMatch(/^cfsk_[0-9a-f]{16}_[0-9a-f]{64}$/);
      expect(await keys.verify(key)).toEqual({
        userId: 'service:inventory-sync',
        tenantIds: ['creator-1'],
        roles: ['service'],
      });
      const secret = key.slice(-64);
      const wrong = key.slice(0, -1) + (key.endsWith('0') ? '1' : '0');
      expect(await keys.verify(wrong)).toBeNull();
      expect(await keys.verify(`cfsk_${'0'.repeat(16)}_${secret}`)).toBeNull();
      expect(await keys.verify('Bearer nonsense')).toBeNull();
      if (db) {
        const { rows } = await db.sql.query<{ dump: string }>(
          `SELECT t::text AS dump FROM "${db.schema}".service_api_keys t`,
        );
        expect(rows).toHaveLength(1);
        expect(rows[0]!.dump).not.toContain(secret);
      }
      expect(await keys.revoke(info.keyId)).toBe(true);
      expect(await keys.revoke(info.keyId)).toBe(false);
      expect(await keys.verify(key)).toBeNull();
      expect((await keys.list()).map((k) => [k.keyId, k.revokedAt !== null])).toEqual([[info.keyId, true]]);
    },
  );

  it.skipIf(!backend.available)('refuses a key without a tenant or with a bad name', async () => {
    await expect(keys.issue({ name: 'x', tenantIds: [] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(keys.issue({ name: 'bad name', tenantIds: ['a'] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it.skipIf(!backend.available)(
    'auditedRead records an admin read beyond their tenants (before returning), not one inside them',
    async () => {
      const admin = { userId: 'ops-1', tenantIds: ['a'], roles: ['admin'] };
      const read = (tenantIds?: string[]) =>
        auditedRead(
          { audit, auth: admin, action: 'test.read', resource: 'things', tenantIds },
          async (scope) => scope.tenantIds ?? ['*'],
          (rows) => rows.length,
        );
      await read(['a']);
      expect(await audit.list()).toEqual([]);
      await read(['a', 'b']);
      await read();
      const entries = await audit.list({ userId: 'ops-1' });
      expect(entries.map((e) => [e.action, e.resource, e.tenantIds, e.rowCount])).toEqual([
        ['test.read', 'things', null, 1],
        ['test.read', 'things', ['b'], 2],
      ]);
      expect(await audit.prune(new Date(Date.now() + 60_000))).toBe(2);
      expect(await audit.list()).toEqual([]);
    },
  );
});
