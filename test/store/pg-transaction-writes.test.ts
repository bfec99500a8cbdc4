/**
 * What a pipelined transaction costs the socket: the statements written in
 * one turn of the event loop (BEGIN and the first statement, queued
 * statements and the one after them) leave in one write, so a guarded
 * append's transaction is a few system calls on each side, not one per
 * statement. Counted on the client's socket (`_write`/`_writev`: one call
 * each per flush to the kernel), on real PostgreSQL.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import type { SqlClient } from '../../src/core/sql-client.js';
import { postgresEngine, postgresUrl } from '../support/databases.js';

/** A pool of one connection whose socket flushes are counted. */
function countingFlushes(pool: pg.Pool): { flushes: { count: number }; watch(): Promise<void> } {
  const flushes = { count: 0 };
  return {
    flushes,
    async watch() {
      const client = await pool.connect();
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
      client.release();
    },
  };
}

describe.skipIf(!postgresEngine.available)('a pipelined transaction on PostgreSQL', () => {
  let pool: pg.Pool;
  let sql: SqlClient;
  let counting: ReturnType<typeof countingFlushes>;

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: postgresUrl()!, max: 1 });
    sql = fromPg(pool);
    counting = countingFlushes(pool);
    await counting.watch();
  });
  afterAll(async () => {
    await pool.end();
  });

  it('writes BEGIN with its first statement, and queued statements with the next one, in one flush each', async () => {
    counting.flushes.count = 0;
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
    expect(counting.flushes.count).toBe(3);
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
