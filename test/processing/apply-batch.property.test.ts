/**
 * Laws of the batched projection fold: the read model and the row-change feed
 * do not depend on how the log is cut into batches, and match a naive
 * one-event-at-a-time model — scope events (every row of a warehouse) included.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Row, RowChange } from '../../src/core/row-change.js';
import { quoteIdent } from '../../src/core/sql-client.js';
import {
  applyProjectionBatch,
  defineProjection,
  MemoryTable,
  SqlTable,
  type TableBackend,
} from '../../src/processing/index.js';
import type { StoredEvent } from '../../src/store/types.js';
import { pgliteEngine, type TestDatabase } from '../support/databases.js';
import { stockLevels, type StockRow } from './fixtures/projections.js';

/** The fixture plus `stock.counted`: a scope event, one more update on every row of a warehouse. */
const base = stockLevels();
const definition = defineProjection<StockRow>({
  name: base.name,
  key: ['sku', 'warehouse'],
  migrations: base.migrations,
  handlers: {
    ...base.handlers,
    'stock.counted': {
      key: () => null,
      scope: (e) => ({ warehouse: (e.data as { warehouse: string }).warehouse }),
      apply: (row) => (row === null ? undefined : { updates: row.updates + 1 }),
    },
  },
});

const eventArb = fc.record({
  type: fc.constantFrom('stock.set', 'stock.adjusted', 'stock.discontinued', 'stock.counted', 'noise.other'),
  sku: fc.constantFrom('a', 'b', 'c'),
  warehouse: fc.constantFrom('w1', 'w2'),
  quantity: fc.integer({ min: -5, max: 20 }),
});

function toEvents(
  specs: readonly { type: string; sku: string; warehouse: string; quantity: number }[],
): StoredEvent[] {
  return specs.map((s, i) => ({
    id: `e${i}`,
    aggregateId: s.sku,
    aggregateType: 'stock',
    type: s.type,
    data: { sku: s.sku, warehouse: s.warehouse, quantity: s.quantity },
    metadata: {},
    version: i + 1,
    globalPosition: i + 1,
    occurredAt: new Date(0),
    processedAt: new Date(0),
    checkpoint: `1:${i + 1}`,
  }));
}

/** The naive model: one event at a time, a map of rows. */
function model(events: readonly StoredEvent[]): { rows: Map<string, Row>; ops: string[] } {
  const rows = new Map<string, Row>();
  const ops: string[] = [];
  for (const e of events) {
    const d = e.data as { sku: string; warehouse: string; quantity: number };
    const k = `${d.sku}/${d.warehouse}`;
    const row = rows.get(k);
    if (e.type === 'stock.set') {
      ops.push(`${row ? 'UPDATE' : 'INSERT'} ${k}`);
      rows.set(k, {
        sku: d.sku,
        warehouse: d.warehouse,
        on_hand: d.quantity,
        updates: (Number(row?.updates) || 0) + 1,
      });
    } else if (e.type === 'stock.adjusted' && row) {
      ops.push(`UPDATE ${k}`);
      rows.set(k, { ...row, on_hand: Number(row.on_hand) + d.quantity, updates: Number(row.updates) + 1 });
    } else if (e.type === 'stock.counted') {
      // Every row of the warehouse as it stands, in key order.
      const inWarehouse = [...rows.values()]
        .filter((r) => r.warehouse === d.warehouse)
        .sort((a, b) => (String(a.sku) < String(b.sku) ? -1 : 1));
      for (const r of inWarehouse) {
        ops.push(`UPDATE ${String(r.sku)}/${d.warehouse}`);
        rows.set(`${String(r.sku)}/${d.warehouse}`, { ...r, updates: Number(r.updates) + 1 });
      }
    } else if (e.type === 'stock.discontinued' && row) {
      ops.push(`DELETE ${k}`);
      rows.delete(k);
    }
  }
  return { rows, ops };
}

async function fold(
  table: TableBackend,
  events: readonly StoredEvent[],
  cuts: readonly number[],
): Promise<RowChange[]> {
  const bounds = [...new Set(cuts.map((c) => c % (events.length + 1)))].sort((a, b) => a - b);
  const changes: RowChange[] = [];
  let start = 0;
  for (const end of [...bounds, events.length]) {
    if (end <= start) continue;
    changes.push(...(await applyProjectionBatch(definition, table, events.slice(start, end))));
    start = end;
  }
  return changes;
}

const normalize = (rows: Row[]) =>
  rows.map((r) => `${String(r.sku)}/${String(r.warehouse)}=${Number(r.on_hand)}:${Number(r.updates)}`).sort();

const specsArb = fc.array(eventArb, { maxLength: 60 });
const cutsArb = fc.array(fc.nat(), { maxLength: 10 });

describe('applyProjectionBatch laws (memory table)', () => {
  it('matches the one-at-a-time model for any batching', async () => {
    await fc.assert(
      fc.asyncProperty(specsArb, cutsArb, async (specs, cuts) => {
        const events = toEvents(specs);
        const expected = model(events);
        const table = new MemoryTable(definition.key);
        const changes = await fold(table, events, cuts);
        expect(normalize(await table.all())).toEqual(normalize([...expected.rows.values()]));
        expect(changes.map((c) => `${c.operation} ${String(c.key.sku)}/${String(c.key.warehouse)}`)).toEqual(
          expected.ops,
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe('applyProjectionBatch laws (PGlite table)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await pgliteEngine.open();
    await db.sql.query(`CREATE SCHEMA ${quoteIdent(db.schema)}`);
    await db.sql.exec(
      definition.migrations[0]!.replaceAll(':TABLE_NAME:', 'stock').replaceAll(
        ':TABLE:',
        `${quoteIdent(db.schema)}.stock`,
      ),
    );
  });
  afterAll(async () => db.close());

  it('the SQL table ends in the same state as the model for any batching', async () => {
    await fc.assert(
      fc.asyncProperty(specsArb, cutsArb, async (specs, cuts) => {
        await db.sql.query(`TRUNCATE ${quoteIdent(db.schema)}.stock`);
        const events = toEvents(specs);
        const table = new SqlTable(db.sql, db.schema, 'stock', definition.key);
        await fold(table, events, cuts);
        expect(normalize(await table.all())).toEqual(normalize([...model(events).rows.values()]));
      }),
      { numRuns: 40 },
    );
  });
});

describe('applyProjectionBatch edge cases', () => {
  it('skips event types that only exist on Object.prototype', async () => {
    const events = toEvents([
      { type: 'constructor', sku: 'a', warehouse: 'w1', quantity: 1 },
      { type: 'toString', sku: 'a', warehouse: 'w1', quantity: 1 },
    ]);
    const table = new MemoryTable(definition.key);
    expect(await applyProjectionBatch(definition, table, events)).toEqual([]);
    expect(await table.all()).toEqual([]);
  });

  it('rejects a key without every key column, naming the event', async () => {
    const events = toEvents([{ type: 'stock.set', sku: 'a', warehouse: 'w1', quantity: 1 }]);
    delete (events[0]!.data as { warehouse?: string }).warehouse;
    await expect(applyProjectionBatch(definition, new MemoryTable(definition.key), events)).rejects.toThrow(
      /lacks "warehouse"/,
    );
  });
});
