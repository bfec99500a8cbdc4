/**
 * A conflict-audit query no store can answer is `INVALID_ARGUMENT` on every
 * store: PostgreSQL threw its own error for a negative limit and
 * `toISOString` a `RangeError` for an invalid date, while memory dropped the
 * last records (`slice(0, -1)`) or matched none.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  MemoryAuditStore,
  SqlAuditStore,
  type AuditQuery,
  type ConflictAuditStore,
} from '../../src/conflicts/index.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';

const engines = [{ name: 'memory', available: true, open: async () => undefined }, ...sqlEngines] as const;

const BAD: readonly AuditQuery[] = [
  { limit: -1 },
  { limit: 1.5 },
  { limit: Number.NaN },
  { from: new Date('not a date') },
  { to: new Date(Number.NaN) },
  { status: 'open' as NonNullable<AuditQuery['status']> },
  { tenantIds: [7 as unknown as string] },
];

describe.each(engines)('conflict audit queries on $name', (engine) => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it.skipIf(!engine.available)('refuses one no store can answer with INVALID_ARGUMENT', async () => {
    db = (await engine.open()) ?? undefined;
    const audit: ConflictAuditStore = db ? new SqlAuditStore(db.sql, db.schema) : new MemoryAuditStore();
    await audit.migrate();
    for (const query of BAD) {
      await expect(audit.list(query), JSON.stringify(query)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    }
    expect(await audit.list({ limit: 0, from: new Date(0), to: new Date(), status: 'pending' })).toEqual([]);
  });
});
