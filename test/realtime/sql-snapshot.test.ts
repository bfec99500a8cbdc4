import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdent } from '../../src/core/sql-client.js';
import { parseFilter, matchesFilter } from '../../src/realtime/filter.js';
import { readProcessorCheckpoint } from '../../src/processing/checkpoint-reader.js';
import { createSqlSnapshot } from '../../src/realtime/sql-snapshot.js';
import { type TestDatabase, sqlEngines } from '../support/databases.js';
import { inventory } from './support.js';

describe.each(sqlEngines)('SQL snapshot on $name', (engine) => {
  let db: TestDatabase;
  let s: string;

  beforeAll(async () => {
    if (!engine.available) return;
    db = await engine.open();
    s = quoteIdent(db.schema);
    await db.sql.exec(`
      CREATE SCHEMA ${s};
      CREATE TABLE ${s}.inventory_alerts (
        creator_id text NOT NULL, sku text NOT NULL, severity text, stock int,
        PRIMARY KEY (creator_id, sku));
      CREATE TABLE ${s}.processor_checkpoints (processor text PRIMARY KEY, checkpoint text NOT NULL);
      INSERT INTO ${s}.processor_checkpoints VALUES ('projection:inventory_alerts', '77:1234');`);
  });
  afterAll(async () => db?.close());

  it.skipIf(!engine.available)(
    'selects the tenant’s matching rows and the checkpoint in one snapshot',
    async () => {
      await db.sql.query(
        `INSERT INTO ${s}.inventory_alerts VALUES ('c1','A','critical',3), ('c1','B','warning',30), ('c2','A','critical',1), ('c1','C',NULL,NULL)`,
      );
      const snapshot = createSqlSnapshot(db.sql, {
        schema: db.schema,
        checkpoint: readProcessorCheckpoint(db.schema, (c) => `projection:${c.name}`),
      });
      const got = await snapshot(
        inventory,
        parseFilter(inventory, 'severity=in.(critical,warning) AND stock=lt.10'),
        ['c1'],
      );
      expect(got).toEqual({
        checkpoint: '77:1234',
        rows: [{ creator_id: 'c1', sku: 'A', severity: 'critical', stock: 3 }],
      });
      // The position alone: what a resume cursor from another host is checked against.
      expect(await snapshot.position!(inventory)).toBe('77:1234');
      const hostile = await snapshot(inventory, parseFilter(inventory, "sku=eq.A' OR '1'='1"), ['c1']);
      expect(hostile.rows).toEqual([]);
      await db.sql.query(`DELETE FROM ${s}.inventory_alerts`);
    },
  );

  it.skipIf(!engine.available)(
    'reads every tenant’s rows for an every-tenant (admin) scope, still through the filter',
    async () => {
      await db.sql.query(
        `INSERT INTO ${s}.inventory_alerts VALUES ('c1','A','critical',3), ('c2','A','critical',1), ('c3','B','warning',2)`,
      );
      const snapshot = createSqlSnapshot(db.sql, { schema: db.schema, checkpoint: async () => '0:0' });
      const all = await snapshot(inventory, parseFilter(inventory, undefined), null);
      expect(all.rows.map((r) => r.creator_id)).toEqual(['c1', 'c2', 'c3']);
      const some = await snapshot(
        inventory,
        parseFilter(inventory, 'creator_id=neq.c1 AND stock=lt.2'),
        null,
      );
      expect(some.rows).toEqual([{ creator_id: 'c2', sku: 'A', severity: 'critical', stock: 1 }]);
      await db.sql.query(`DELETE FROM ${s}.inventory_alerts`);
    },
  );

  it.skipIf(!engine.available)(
    'agrees with the in-memory matcher on every row and filter (law)',
    async () => {
      const snapshot = createSqlSnapshot(db.sql, { schema: db.schema, checkpoint: async () => '0:0' });
      const rowArb = fc.record({
        creator_id: fc.constantFrom('c1', 'c2'),
        sku: fc.constantFrom('A', 'B', 'C', 'D'),
        severity: fc.option(fc.constantFrom('warning', 'critical'), { nil: null }),
        stock: fc.option(fc.integer({ min: -5, max: 20 }), { nil: null }),
      });
      const termArb = fc.oneof(
        fc
          .tuple(fc.constantFrom('eq', 'neq', 'lt', 'lte', 'gt', 'gte'), fc.integer({ min: -5, max: 20 }))
          .map(([op, n]) => `stock=${op}.${n}`),
        fc
          .tuple(fc.constantFrom('eq', 'neq', 'lt', 'gte'), fc.constantFrom('warning', 'critical', 'info'))
          .map(([op, v]) => `severity=${op}.${v}`),
        fc.subarray(['A', 'B', 'C', 'D'], { minLength: 1 }).map((xs) => `sku=in.(${xs.join(',')})`),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(rowArb, { selector: (r) => `${r.creator_id}/${r.sku}`, maxLength: 8 }),
          fc.array(termArb, { maxLength: 3 }),
          async (rows, terms) => {
            await db.sql.query(`DELETE FROM ${s}.inventory_alerts`);
            for (const r of rows) {
              await db.sql.query(`INSERT INTO ${s}.inventory_alerts VALUES ($1, $2, $3, $4)`, [
                r.creator_id,
                r.sku,
                r.severity,
                r.stock,
              ]);
            }
            const filter = parseFilter(inventory, terms.join(' AND '));
            const got = await snapshot(inventory, filter, ['c1']);
            const expected = rows
              .filter((r) => r.creator_id === 'c1' && matchesFilter(filter, r))
              .sort((a, b) => a.sku.localeCompare(b.sku));
            expect(got.rows).toEqual(expected);
          },
        ),
        { numRuns: 40 },
      );
    },
  );
});
