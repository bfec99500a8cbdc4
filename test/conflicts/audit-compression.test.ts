/**
 * Migration 3 of the conflict audit compresses its records with lz4 where the
 * server has it (PostgreSQL here) and changes nothing where it does not
 * (PGlite); either way a record written before the migration (pglz) and one
 * written after read back whole.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConflictResolver, SqlAuditStore, type ConflictRecord } from '../../src/conflicts/index.js';
import { CONFLICTS_COMPONENT } from '../../src/conflicts/service/audit/sql-audit-store.js';
import { migrations } from '../../src/conflicts/service/sql/index.generated.js';
import { commerceConflictConfig } from '../../src/commerce/conflicts/commerce-conflict-config.js';
import { runMigrations } from '../../src/core/migrator.js';
import { createEventStore } from '../../src/store/index.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';

/** A stock conflict of 20 figures, large enough to be compressed (about 4 kB of JSON). */
function conflictOf(entityId: string) {
  return {
    entityType: 'inventory',
    entityId,
    base: { quantity: 100 },
    contenders: Array.from({ length: 20 }, (_, i) => ({
      entityType: 'inventory',
      entityId,
      source: i % 2 === 0 ? 'tiktok_webhook' : 'manual_admin',
      sourceId: `source-${i % 2}`,
      eventId: `${entityId}-report-${i}`,
      hlc: { wallMs: 1_000 + i, logical: 0, node: 'n' },
      changes: { quantity: i === 3 ? 10 : 100 },
    })),
  };
}

describe.each(sqlEngines)('audit records compressed ($name)', (engine) => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it.runIf(engine.available)(
    'lz4 where the server has it; rows from before and after read back',
    async () => {
      db = await engine.open();
      const store = createEventStore({ sql: db.sql, schema: db.schema });
      await store.migrate();
      // The audit as it was before migration 3, with one record written then.
      await runMigrations(db.sql, {
        schema: db.schema,
        component: CONFLICTS_COMPONENT,
        migrations: migrations.filter((m) => m.version < 3),
      });
      const resolver = new ConflictResolver({ store, config: commerceConflictConfig() });
      const before: ConflictRecord = await resolver.resolve(conflictOf('p-before'));
      await resolver.migrate();
      const after: ConflictRecord = await resolver.resolve(conflictOf('p-after'));

      const { rows } = await db.sql.query<{ method: string | null; compression: string }>(
        `SELECT pg_column_compression(a.record) AS method,
              (SELECT attcompression FROM pg_attribute
                WHERE attrelid = '"${db.schema}".conflict_audit'::regclass AND attname = 'record') AS compression
         FROM "${db.schema}".conflict_audit a ORDER BY a.entity_id`,
      );
      const lz4 = engine.name === 'postgres';
      expect(rows.map((r) => r.compression)).toEqual(lz4 ? ['l', 'l'] : ['', '']);
      // p-after, p-before: each value keeps the method it was written with.
      expect(rows.map((r) => r.method)).toEqual(lz4 ? ['lz4', 'pglz'] : ['pglz', 'pglz']);

      const audit = new SqlAuditStore(db.sql, db.schema);
      expect(await audit.get(before.conflictId)).toEqual(before);
      expect(await audit.get(after.conflictId)).toEqual(after);
      resolver.close();
      await store.close();
    },
  );
});
