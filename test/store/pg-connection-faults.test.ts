/**
 * The pg adapter under connection faults on real PostgreSQL: a server that
 * closes pooled connections (a restart, pg_terminate_backend) must fail the
 * calls that were running, never the process.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import type { SqlClient } from '../../src/core/sql-client.js';
import { classifyFailure } from '../../src/runtime/index.js';
import { createEventStore } from '../../src/index.js';
import { postgresUrl, uniqueSchema } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

const url = postgresUrl();

describe.skipIf(!url)('pg adapter under connection faults', () => {
  let appName: string;
  let pool: pg.Pool;
  let admin: pg.Pool;
  let sql: SqlClient;
  const seen: Error[] = [];

  /** Terminate every server connection of the pool under test. */
  async function terminateAll(): Promise<number> {
    const { rows } = await admin.query<{ n: string }>(
      `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = $1`,
      [appName],
    );
    return Number(rows[0]!.n);
  }

  beforeEach(() => {
    appName = `cf_faults_${randomBytes(4).toString('hex')}`;
    pool = new pg.Pool({ connectionString: url!, max: 3, application_name: appName });
    admin = new pg.Pool({ connectionString: url!, max: 2 });
    seen.length = 0;
    sql = fromPg(pool, { onConnectionError: (err) => seen.push(err) });
  });

  afterEach(async () => {
    await sql.close?.();
    await pool.end();
    await admin.end();
  });

  it('an idle connection the server closes is reported and replaced, and the process lives on', async () => {
    await sql.query('SELECT 1');
    expect(pool.idleCount).toBe(1);
    expect(await terminateAll()).toBe(1);
    // Without a listener on the pool, this error event would end the process.
    await waitFor(() => seen.length === 1, { what: 'the idle connection error' });
    expect(seen[0]).toMatchObject({ code: '57P01' });
    await expect(sql.query<{ n: number }>('SELECT 2 AS n')).resolves.toMatchObject({ rows: [{ n: 2 }] });
  });

  it('a connection broken inside a transaction fails that transaction with an unknown outcome', async () => {
    const err = await sql
      .transaction(async (tx) => {
        await tx.query('SELECT 1');
        await terminateAll();
        await tx.query('SELECT pg_sleep(0.05)');
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(classifyFailure(err)).toBe('unknown');
    await expect(sql.transaction((tx) => tx.query('SELECT 3 AS n'))).resolves.toMatchObject({
      rows: [{ n: 3 }],
    });
  });

  it('a live subscription outlives its connections being terminated, without gap or repeat', async () => {
    const schema = uniqueSchema();
    const store = createEventStore({ sql, schema, pollIntervalMs: 100 });
    const writer = createEventStore({ sql: fromPg(admin), schema });
    try {
      await store.migrate();
      await writer.append('s', [{ type: 't', data: { n: 1 } }]);
      const seen: number[] = [];
      const sub = store.subscribe({ after: 'start' }).subscribe({
        next: (e) => seen.push((e.data as { n: number }).n),
        error: (err: unknown) => seen.push(-1, String(err).length),
      });
      await waitFor(() => seen.length === 1, { what: 'the first event' });
      for (let round = 0; round < 3; round++) {
        expect(await terminateAll()).toBeGreaterThan(0);
        await writer.append('s', [{ type: 't', data: { n: seen.length + 1 } }]);
        await waitFor(() => seen.length === round + 2, { what: `event ${round + 2}` });
      }
      sub.unsubscribe();
      expect(seen).toEqual([1, 2, 3, 4]);
    } finally {
      await store.close();
      await writer.close();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  });
});
