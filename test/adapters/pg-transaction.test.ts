/**
 * `fromPg(pool).transaction`: the first statement travels in the message that
 * opens the transaction (one round trip fewer), a transaction that sends
 * nothing costs nothing, and everything else behaves as before: rollback on
 * failure, statements in the order they were asked for, array rows.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import type { SqlClient } from '../../src/core/sql-client.js';
import { countingPgPool } from '../support/counting-pg-pool.js';
import { postgresEngine, postgresUrl, uniqueSchema } from '../support/databases.js';

describe.skipIf(!postgresEngine.available)('pg adapter transactions', () => {
  let inner: pg.Pool;
  let sent: string[];
  let sql: SqlClient;
  const schema = uniqueSchema('pgtx');
  const t = `"${schema}".t`;

  beforeAll(async () => {
    inner = new pg.Pool({ connectionString: postgresUrl()!, max: 2 });
    const counting = countingPgPool(inner);
    sent = counting.sent;
    sql = fromPg(counting.pool);
    await inner.query(
      `CREATE SCHEMA "${schema}"; CREATE TABLE ${t} (id int PRIMARY KEY, note text, at serial)`,
    );
  });
  afterAll(async () => {
    await inner.query(`DROP SCHEMA "${schema}" CASCADE`);
    await inner.end();
  });

  const rows = async () =>
    (await inner.query<{ id: number; note: string }>(`SELECT id, note FROM ${t} ORDER BY at`)).rows;

  it('opens the transaction with its first statement: two statements, three round trips', async () => {
    sent.length = 0;
    const result = await sql.transaction(async (tx) => {
      const first = await tx.query<{ id: number }>(
        `INSERT INTO ${t} (id, note) VALUES ($1, $2) RETURNING id`,
        [1, "it's \\ first"],
      );
      await tx.query(`INSERT INTO ${t} (id, note) VALUES ($1, $2)`, [2, 'second']);
      return first.rows;
    });
    expect(result).toEqual([{ id: 1 }]);
    expect(sent).toHaveLength(3); // BEGIN + first, second, COMMIT
    expect(sent[0]).toMatch(/^BEGIN; .*; INSERT/s);
    expect(await rows()).toEqual([
      { id: 1, note: "it's \\ first" },
      { id: 2, note: 'second' },
    ]);
  });

  it('sends nothing for a transaction that sends nothing', async () => {
    sent.length = 0;
    expect(await sql.transaction(async () => 'nothing')).toBe('nothing');
    expect(sent).toHaveLength(0);
  });

  it('rolls back when the first statement fails, and the connection serves the next transaction', async () => {
    await expect(
      sql.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${t} (id, note) VALUES ($1, $2)`, [1, 'duplicate']);
      }),
    ).rejects.toMatchObject({ code: '23505' });
    await expect(
      sql.transaction(async (tx) => {
        await tx.query(`UPDATE ${t} SET note = $1 WHERE id = 2`, ['changed']);
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect((await rows()).map((r) => r.note)).toEqual(["it's \\ first", 'second']);
  });

  it('opens with BEGIN alone when a parameter cannot be written out, with the same result', async () => {
    sent.length = 0;
    await sql.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${t} (id, note) VALUES (3, $1::bytea::text)`, [Buffer.from('bytes')]);
    });
    expect(sent).toHaveLength(3); // BEGIN, the statement, COMMIT
    expect((await rows()).at(-1)).toEqual({ id: 3, note: '\\x6279746573' });
  });

  it('runs statements asked for at once in the order asked, and gives array rows of the first', async () => {
    const [first] = await sql.transaction((tx) =>
      Promise.all([
        tx.query(`INSERT INTO ${t} (id, note) VALUES ($1, 'a') RETURNING id, note`, [10], {
          arrayRows: true,
        }),
        tx.query(`INSERT INTO ${t} (id, note) VALUES ($1, 'b')`, [11]),
        tx.query(`INSERT INTO ${t} (id, note) VALUES ($1, 'c')`, [12]),
      ]),
    );
    expect(first.rows).toEqual([[10, 'a']]);
    expect((await rows()).slice(-3).map((r) => r.id)).toEqual([10, 11, 12]);
  });

  it('runs a script as the first statement', async () => {
    sent.length = 0;
    await sql.transaction(async (tx) => {
      await tx.exec(
        `INSERT INTO ${t} (id, note) VALUES (20, 'x'); INSERT INTO ${t} (id, note) VALUES (21, 'y')`,
      );
    });
    expect(sent).toHaveLength(2);
    expect((await rows()).slice(-2).map((r) => r.id)).toEqual([20, 21]);
  });
});
