/**
 * The pg adapter's priority lane: a connection of its own, outside the host's
 * pool, for lease renewals and releases. It answers while every pooled
 * connection is taken, re-opens after it broke (its `error` events handled),
 * keeps working after a statement the server refused, lets the statements take
 * the pool's path while it cannot connect, and closes with the adapter.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import type { SqlClient, SqlQueryable } from '../../src/core/sql-client.js';
import { postgresUrl } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

const pidOf = async (sql: SqlQueryable): Promise<number> =>
  Number((await sql.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);

describe.skipIf(postgresUrl() === null)('the pg priority lane (PostgreSQL)', () => {
  let pool: pg.Pool;
  let observer: pg.Client;
  let sql: SqlClient | undefined;
  const connectionErrors: Error[] = [];
  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: postgresUrl()!, max: 1 });
    connectionErrors.length = 0;
    observer = new pg.Client({ connectionString: postgresUrl()! });
    await observer.connect();
  });
  afterEach(async () => {
    await sql?.close?.();
    sql = undefined;
    await observer.end();
    await pool.end();
  });

  const open = (options: Parameters<typeof fromPg>[1] = {}): SqlClient => {
    sql = fromPg(pool, { onConnectionError: (err) => connectionErrors.push(err), ...options });
    return sql;
  };
  const alive = async (pid: number): Promise<boolean> =>
    (await observer.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rows.length === 1;

  it('answers while the pool has no connection to give', async () => {
    const lane = open().priorityLane!;
    const held = await pool.connect(); // the pool's only connection
    try {
      const lanePid = await pidOf(lane);
      const { rows } = await held.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      expect(lanePid).not.toBe(Number(rows[0]!.pid));
    } finally {
      held.release();
    }
  });

  it('re-opens after its connection was terminated, without an unhandled error', async () => {
    const lane = open().priorityLane!;
    const first = await pidOf(lane);
    await observer.query('SELECT pg_terminate_backend($1)', [first]);
    await waitFor(() => connectionErrors.length > 0, { what: "the lane's connection error" });
    const second = await pidOf(lane);
    expect(second).not.toBe(first);
    expect(await alive(second)).toBe(true);
  });

  it('fails the statement running when its connection was terminated; one waiting takes the pool, the next a new connection', async () => {
    const lane = open().priorityLane!;
    const first = await pidOf(lane);
    const running = lane.query('SELECT pg_sleep(30)');
    running.catch(() => undefined);
    // Sent while the sleep runs: it waits for its turn on the lane.
    const waiting = pidOf(lane);
    waiting.catch(() => undefined);
    await waitFor(
      async () =>
        (
          await observer.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND query LIKE '%pg_sleep%'`, [
            first,
          ])
        ).rows.length === 1,
      { what: 'the sleep to run on the lane' },
    );
    await observer.query('SELECT pg_terminate_backend($1)', [first]);
    await expect(running).rejects.toThrow();
    // Not sent on the broken connection (it failed with it when the driver queued it).
    expect(await waiting).not.toBe(first);
    const second = await pidOf(lane);
    expect(second).not.toBe(first);
  });

  it('sends its statements one after another, never two at once on its connection (pg@9 refuses that)', async () => {
    let running = 0;
    let most = 0;
    const lane = open({
      priorityLane: () => {
        const client = new pg.Client({ connectionString: postgresUrl()! });
        const query = client.query.bind(client) as (config: unknown) => Promise<unknown>;
        (client as unknown as { query: (config: unknown) => Promise<unknown> }).query = (config) => {
          most = Math.max(most, ++running);
          return query(config).finally(() => (running -= 1));
        };
        return client;
      },
    }).priorityLane!;
    const pids = await Promise.all(Array.from({ length: 8 }, () => pidOf(lane)));
    expect(new Set(pids).size).toBe(1);
    expect(most).toBe(1);
  });

  it('keeps its connection after a statement the server refused', async () => {
    const lane = open().priorityLane!;
    const first = await pidOf(lane);
    await expect(lane.query('SELECT * FROM no_such_table_here')).rejects.toMatchObject({ code: '42P01' });
    expect(await pidOf(lane)).toBe(first);
    expect(connectionErrors).toEqual([]);
  });

  it("takes the pool's path while it cannot connect", async () => {
    const lane = open({
      priorityLane: () => new pg.Client({ host: '127.0.0.1', port: 1, user: 'root', database: 'test' }),
      listenReconnectMs: 60_000,
    }).priorityLane!;
    const pooledPid = await pidOf(sql!);
    expect(await pidOf(lane)).toBe(pooledPid);
    expect(connectionErrors.length).toBeGreaterThan(0);
    // Waiting before trying again: the next statement goes straight to the pool.
    expect(await pidOf(lane)).toBe(pooledPid);
    expect(connectionErrors).toHaveLength(1);
  });

  it('closes its connection with the adapter', async () => {
    const client = open();
    const lanePid = await pidOf(client.priorityLane!);
    await client.close!();
    await waitFor(async () => !(await alive(lanePid)), { what: "the lane's connection to close" });
  });

  it('is absent when switched off', () => {
    expect(open({ priorityLane: false }).priorityLane).toBeUndefined();
  });
});
