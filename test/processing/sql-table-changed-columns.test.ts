/**
 * A fold that updates rows it read in its own transaction writes only the
 * columns that changed, and leaves a row none of whose columns changed
 * alone: a recomputation of every row of a tenant (the inventory sync run)
 * must not rewrite each row's untouched jsonb and facts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Row } from '../../src/core/row-change.js';
import { quoteIdent } from '../../src/core/sql-client.js';
import { applyProjectionBatch, defineProjection, SqlTable } from '../../src/processing/index.js';
import type { StoredEvent } from '../../src/store/types.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { interceptSql } from '../support/intercept-sql.js';

interface ShelfRow extends Row {
  shelf: string;
  sku: string;
  on_hand: number;
  history: { hours: number[] };
  checked_at: string | Date;
}

/** `shelf.stocked` sets a row; `shelf.checked` (scope: a shelf) sets `on_hand` and `checked_at` as its data says. */
const shelves = defineProjection<ShelfRow>({
  name: 'shelves',
  key: ['shelf', 'sku'],
  migrations: [
    `CREATE TABLE :TABLE: (shelf text NOT NULL, sku text NOT NULL, on_hand integer NOT NULL,
       history jsonb NOT NULL, checked_at timestamptz NOT NULL, PRIMARY KEY (shelf, sku))`,
  ],
  handlers: {
    'shelf.stocked': {
      key: (e) => ({ shelf: data(e).shelf, sku: data(e).sku! }),
      apply: (_row, e) => ({
        on_hand: data(e).onHand,
        history: { hours: [1, 2, 3] },
        checked_at: data(e).at,
      }),
    },
    'shelf.checked': {
      key: () => null,
      scope: (e) => ({ shelf: data(e).shelf }),
      // A new history object with the stored content, a Date of the stored instant.
      apply: (row, e) =>
        row === null
          ? undefined
          : {
              on_hand: data(e).onHand ?? row.on_hand,
              history: { hours: [...row.history.hours] },
              checked_at: new Date(data(e).at),
            },
    },
  },
});

interface ShelfData {
  shelf: string;
  sku?: string;
  onHand: number;
  at: string;
}

function data(e: StoredEvent): ShelfData {
  return e.data as ShelfData;
}

let position = 0;
function event(type: string, d: ShelfData): StoredEvent {
  position += 1;
  return {
    id: `e${position}`,
    aggregateId: d.shelf,
    aggregateType: 'shelf',
    type,
    data: d,
    metadata: {},
    version: position,
    globalPosition: position,
    occurredAt: new Date(0),
    processedAt: new Date(0),
    checkpoint: `1:${position}`,
  };
}

const AT = '2026-03-01T12:00:00.000Z';

describe.each(sqlEngines)('SqlTable writes changed columns only ($name)', (engine) => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  /** The table with rows a/b on shelf s1, and the statements sent to it from now on. */
  async function stocked(): Promise<{
    table: SqlTable;
    statements: string[];
    xmins: () => Promise<string[]>;
  }> {
    db = await engine.open();
    const { schema } = db;
    await db.sql.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    await db.sql.exec(shelves.migrations[0]!.replaceAll(':TABLE:', `${quoteIdent(schema)}.shelves`));
    const statements: string[] = [];
    const sql = interceptSql(db.sql, (text, _params, next) => {
      statements.push(text.replace(/\s+/g, ' '));
      return next();
    });
    const table = new SqlTable(sql, schema, 'shelves', shelves.key);
    await applyProjectionBatch(shelves, table, [
      event('shelf.stocked', { shelf: 's1', sku: 'a', onHand: 5, at: AT }),
      event('shelf.stocked', { shelf: 's1', sku: 'b', onHand: 7, at: AT }),
    ]);
    statements.length = 0;
    const sqlDirect = db.sql;
    const xmins = async () =>
      (
        await sqlDirect.query<{ xmin: string }>(
          `SELECT xmin::text AS xmin FROM ${quoteIdent(schema)}.shelves ORDER BY sku`,
        )
      ).rows.map((r) => r.xmin);
    return { table, statements, xmins };
  }

  it.skipIf(!engine.available)('an update sets only the columns that differ', async () => {
    const { table, statements } = await stocked();
    await applyProjectionBatch(shelves, table, [event('shelf.checked', { shelf: 's1', onHand: 9, at: AT })]);

    const writes = statements.filter((s) => !s.startsWith('SELECT'));
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/^UPDATE .* SET "on_hand" = r\."on_hand" FROM/);
    const rows = (await table.all()) as ShelfRow[];
    expect(rows.map((r) => [r.sku, r.on_hand, r.history, new Date(r.checked_at).toISOString()])).toEqual([
      ['a', 9, { hours: [1, 2, 3] }, AT],
      ['b', 9, { hours: [1, 2, 3] }, AT],
    ]);
  });

  it.skipIf(!engine.available)('a row whose columns all stay the same is not written', async () => {
    const { table, statements, xmins } = await stocked();
    const before = await xmins();
    await applyProjectionBatch(shelves, table, [event('shelf.checked', { shelf: 's1', onHand: 5, at: AT })]);

    // Row a: same on_hand, history and instant (as a Date) — untouched; row b changes.
    expect(statements.filter((s) => !s.startsWith('SELECT'))).toHaveLength(1);
    const after = await xmins();
    expect(after[0]).toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
    const rows = (await table.all()) as ShelfRow[];
    expect(rows.map((r) => [r.sku, r.on_hand])).toEqual([
      ['a', 5],
      ['b', 5],
    ]);
  });

  it.skipIf(!engine.available)('a new row in the same batch is still inserted whole', async () => {
    const { table } = await stocked();
    await applyProjectionBatch(shelves, table, [
      event('shelf.stocked', { shelf: 's1', sku: 'c', onHand: 1, at: AT }),
      event('shelf.checked', { shelf: 's1', onHand: 4, at: AT }),
    ]);
    const rows = (await table.all()) as ShelfRow[];
    expect(rows.map((r) => [r.sku, r.on_hand, r.history])).toEqual([
      ['a', 4, { hours: [1, 2, 3] }],
      ['b', 4, { hours: [1, 2, 3] }],
      ['c', 4, { hours: [1, 2, 3] }],
    ]);
  });
});
