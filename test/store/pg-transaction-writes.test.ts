/**
 * What a pipelined transaction costs the socket: the statements written in
 * one turn of the event loop (BEGIN and the first statement, queued
 * statements and the one after them) leave in one write, so a guarded
 * append's transaction is three system calls on each side, not six. Counted
 * on the clients' sockets (`_write`/`_writev`: one call each per flush to the
 * kernel), on real PostgreSQL.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import type { SqlClient } from '../../src/core/sql-client.js';
import { createProjectionSet, defineProjection, type ProjectionSet } from '../../src/processing/index.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import { postgresEngine, postgresUrl, uniqueSchema } from '../support/databases.js';

/** Count the flushes of every connection `pool` opens. */
function countFlushes(pool: pg.Pool): { count: number } {
  const flushes = { count: 0 };
  pool.on('connect', (client) => {
    const stream = (client as unknown as { connection: { stream: Record<string, unknown> } }).connection
      .stream;
    for (const method of ['_write', '_writev'] as const) {
      const original = stream[method] as ((...args: unknown[]) => unknown) | undefined;
      if (!original) continue;
      stream[method] = function (this: unknown, ...args: unknown[]) {
        flushes.count++;
        return original.apply(this, args);
      };
    }
  });
  return flushes;
}

describe.skipIf(!postgresEngine.available)('a pipelined transaction on PostgreSQL', () => {
  let pool: pg.Pool;
  let sql: SqlClient;
  let flushes: { count: number };

  beforeAll(() => {
    pool = new pg.Pool({ connectionString: postgresUrl()!, max: 1 });
    flushes = countFlushes(pool);
    sql = fromPg(pool);
  });
  afterAll(async () => {
    await pool.end();
  });

  it('writes BEGIN with its first statement, and queued statements with the next one, in one flush each', async () => {
    await sql.query('SELECT 1'); // connect first: the startup messages are not counted
    flushes.count = 0;
    const answers = await sql.transaction(async (tx) => {
      const first = await tx.query<{ n: number }>('SELECT $1::int AS n', [1]);
      // Two queued statements, then a read: one flush; then COMMIT: one more.
      void tx.queue!('SELECT $1::int AS n', [2]);
      void tx.queue!('SELECT $1::int AS n', [3]);
      const last = await tx.query<{ n: number }>('SELECT $1::int AS n', [4]);
      return [first.rows[0]!.n, last.rows[0]!.n];
    });
    expect(answers).toEqual([1, 4]);
    // BEGIN + first statement; three statements; COMMIT. Written one by one it was six.
    expect(flushes.count).toBe(3);
  });

  it('still fails the transaction at the statement that failed, and the connection stays usable', async () => {
    await expect(
      sql.transaction(async (tx) => {
        void tx.queue!('SELECT 1/0');
        await tx.query('SELECT 1');
      }),
    ).rejects.toThrow(/division by zero/);
    const { rows } = await sql.query<{ n: number }>('SELECT 5 AS n');
    expect(rows[0]!.n).toBe(5);
  });
});

const stock = defineProjection<{ shop_id: string; sku: string; quantity: number }>({
  name: 'wr_stock',
  key: ['shop_id', 'sku'],
  migrations: [
    'CREATE TABLE :TABLE: (shop_id text, sku text, quantity int NOT NULL, PRIMARY KEY (shop_id, sku))',
  ],
  handlers: {
    'stock.moved': {
      key: (e) => ({ shop_id: 's1', sku: (e.data as { sku: string }).sku }),
      apply: (row, e) => ({ quantity: (row?.quantity ?? 0) + (e.data as { delta: number }).delta }),
    },
  },
});

describe.skipIf(!postgresEngine.available)('a guarded append on PostgreSQL, in socket writes', () => {
  const schema = uniqueSchema('wr');
  let pool: pg.Pool;
  let flushes: { count: number };
  let store: EventStore;
  let set: ProjectionSet;

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: postgresUrl()!, max: 2 });
    flushes = countFlushes(pool);
    store = createEventStore({ sql: fromPg(pool), schema });
    await store.migrate();
    set = createProjectionSet({
      store,
      name: 'wr_shop',
      definitions: [stock],
      guards: [
        ({ changes }) => {
          if (changes.some((c) => Number(c.newRow?.['quantity']) < 0)) throw new Error('oversold');
        },
      ],
    });
    await set.start();
    await store.append('sku-a', [{ type: 'stock.moved', data: { sku: 'a', delta: 5 } }]); // warm
  });
  afterAll(async () => {
    await set.stop();
    await store.close();
    await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
    await pool.end();
  });

  it('sends its six statements (BEGIN, append_batch, lock, read, upsert, COMMIT) in three writes', async () => {
    flushes.count = 0;
    await store.append('sku-a', [{ type: 'stock.moved', data: { sku: 'a', delta: -2 } }]);
    expect(flushes.count).toBe(3);
    expect(await set.unscopedFind('wr_stock', { shop_id: 's1', sku: 'a' })).toMatchObject({ quantity: 3 });
  });
});
