/**
 * Appends whose outcome the client cannot know — a client-side query timeout,
 * a connection terminated by the server — on real PostgreSQL. The store must
 * find out what the lost attempt did before writing again: no event id is ever
 * stored twice, and every caller gets the true answer (or a typed error after
 * which a retry with the same ids is safe).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import {
  AppendOutcomeUnknownError,
  createEventStore,
  StoreUnavailableError,
  type EventStore,
  type NewEvent,
} from '../../src/index.js';
import { AppendWriter } from '../../src/store/postgres/append-writer.js';
import { prepareAppend } from '../../src/store/prepare-append.js';
import { EventTypeRegistry } from '../../src/store/event-registry.js';
import { postgresUrl, uniqueSchema } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

const url = postgresUrl();

const ID = {
  seed: '7d0c1a3e-0000-4000-8000-000000000001',
  one: '7d0c1a3e-0000-4000-8000-000000000002',
  two: '7d0c1a3e-0000-4000-8000-000000000003',
};
const event = (id: string, n: number): NewEvent => ({ id, type: 'order.updated', data: { n } });

describe.skipIf(!url)('appends with an unknown outcome on PostgreSQL', () => {
  let schema: string;
  let admin: pg.Pool;
  const pools: pg.Pool[] = [];
  const stores: EventStore[] = [];

  /** A store on a pool of its own; `pool` options such as `query_timeout` apply to its queries. */
  function openStore(pool: pg.PoolConfig, config: Parameters<typeof createEventStore>[0] = {}): EventStore {
    const p = new pg.Pool({ connectionString: url!, max: 6, ...pool });
    p.on('error', () => undefined); // terminated idle clients are expected here
    pools.push(p);
    const store = createEventStore({ sql: fromPg(p), schema, ...config });
    stores.push(store);
    return store;
  }

  /** Backends of this schema running append_batch, by what they wait on. */
  async function appendBackends(): Promise<{ pid: number; waiting: boolean }[]> {
    const { rows } = await admin.query<{ pid: number; waiting: boolean }>(
      `SELECT pid, wait_event_type = 'Lock' AS waiting FROM pg_stat_activity
        WHERE state = 'active' AND query LIKE '%append_batch%' AND query LIKE $1 AND pid <> pg_backend_pid()`,
      [`%"${schema}"%`],
    );
    return rows;
  }

  /** Hold the row lock of `streamId` in an open transaction until the returned function commits. */
  async function lockStream(streamId: string): Promise<() => Promise<void>> {
    const client = await admin.connect();
    await client.query('BEGIN');
    await client.query(`SELECT version FROM "${schema}".streams WHERE stream_id = $1 FOR UPDATE`, [streamId]);
    return async () => {
      await client.query('COMMIT');
      client.release();
    };
  }

  /** Every stored event of the schema: id and where it is, once every append backend has finished. */
  async function storedEvents(): Promise<{ id: string; aggregate_id: string; version: string }[]> {
    await waitFor(async () => (await appendBackends()).length === 0, { what: 'lost attempts to finish' });
    const { rows } = await admin.query<{ id: string; aggregate_id: string; version: string }>(
      `SELECT id, aggregate_id, version FROM "${schema}".events ORDER BY aggregate_id, version`,
    );
    return rows;
  }

  beforeEach(async () => {
    schema = uniqueSchema();
    admin = new pg.Pool({ connectionString: url!, max: 4 });
    await openStore({}).migrate();
  });

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const pool of pools.splice(0)) await pool.end();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('a flush that timed out on the client is found out, not written again', async () => {
    const store = openStore({ query_timeout: 300 }, { maxConcurrentFlushes: 1 });
    await store.append('order-1', [event(ID.seed, 0)]);
    const release = await lockStream('order-1');
    // One flush for both: order-1 waits for the lock, the client gives up after 300 ms.
    const first = store.append('order-1', [event(ID.one, 1)]);
    const second = store.append('order-2', [event(ID.two, 2)]);
    await waitFor(async () => (await appendBackends()).filter((b) => b.waiting).length >= 2, {
      what: 'the lost attempt and a second one waiting for the lock',
    });
    await release();

    const [r1, r2] = await Promise.allSettled([first, second]);
    expect(r1).toMatchObject({ status: 'fulfilled', value: { streamId: 'order-1', nextVersion: 2 } });
    expect(r2).toMatchObject({ status: 'fulfilled', value: { streamId: 'order-2', nextVersion: 1 } });
    expect(await storedEvents()).toEqual([
      { id: ID.seed, aggregate_id: 'order-1', version: '1' },
      { id: ID.one, aggregate_id: 'order-1', version: '2' },
      { id: ID.two, aggregate_id: 'order-2', version: '1' },
    ]);
    const read = await store.readStream('order-1');
    expect(read.events.map((e) => e.globalPosition).at(-1)).toBe(
      (r1 as PromiseFulfilledResult<{ positions: number[] }>).value.positions[0],
    );
  });

  it('a flush whose connection the server terminated is run again safely', async () => {
    const store = openStore({}, { maxConcurrentFlushes: 1 });
    await store.append('order-1', [event(ID.seed, 0)]);
    const release = await lockStream('order-1');
    const first = store.append('order-1', [event(ID.one, 1)], { expectedVersion: 1 });
    const second = store.append('order-2', [event(ID.two, 2)], { expectedVersion: 'no_stream' });
    await waitFor(async () => (await appendBackends()).some((b) => b.waiting), { what: 'a waiting flush' });
    const [lost] = await appendBackends();
    await admin.query('SELECT pg_terminate_backend($1)', [lost!.pid]); // 57P01 to the client
    await waitFor(async () => (await appendBackends()).some((b) => b.waiting && b.pid !== lost!.pid), {
      what: 'the flush run again',
    });
    await release();

    await expect(first).resolves.toMatchObject({ nextVersion: 2, duplicate: false });
    await expect(second).resolves.toMatchObject({ nextVersion: 1, duplicate: false });
    expect((await storedEvents()).map((e) => e.id)).toEqual([ID.seed, ID.one, ID.two]);
  });

  it('after the recovery window, the caller learns the outcome is unknown; retrying with the same ids is safe', async () => {
    const store = openStore({ query_timeout: 200 }, { outcomeRecoveryMs: 800 });
    await store.append('order-1', [event(ID.seed, 0)]);
    const release = await lockStream('order-1');
    const err = await store
      .append('order-1', [event(ID.one, 1)], { expectedVersion: 1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppendOutcomeUnknownError);
    expect(err).toMatchObject({ code: 'APPEND_OUTCOME_UNKNOWN', retryable: true, eventIds: [ID.one] });
    await release();

    // Whichever lost attempt got through (at most one: the others were fenced
    // off or found its ids), the retry returns the stored result.
    const retry = await store.append('order-1', [event(ID.one, 1)], { expectedVersion: 1 });
    expect(retry.nextVersion).toBe(2);
    expect((await storedEvents()).map((e) => e.id)).toEqual([ID.seed, ID.one]);
  });

  it('an unreachable database fails appends with a retryable error once the window closes', async () => {
    const store = createEventStore({
      sql: fromPg(new pg.Pool({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 200 })),
      schema,
      outcomeRecoveryMs: 300,
    });
    const err = await store.append('order-1', [event(ID.one, 1)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err).toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
    await store.close();
  });

  it('an attempt whose id is fenced rolls back when it gets its locks; another waiting attempt commits', async () => {
    await openStore({}).append('order-1', [event(ID.seed, 0)]);
    const release = await lockStream('order-1');
    const writer = new AppendWriter(schema, `creatorflow_events_${schema}`);
    const limits = { maxPayloadBytes: 1 << 20, maxEventsPerAppend: 10, occurredAtWindow: null };
    const prepare = (id: string, n: number) =>
      prepareAppend('order-1', [event(id, n)], {}, new EventTypeRegistry(false), limits, () => new Date());
    const attempt = (id: string, n: number) =>
      writer
        .write(fromPg(admin), [prepare(id, n)], {
          withEvents: false,
          mode: 'normal',
          attemptId: randomUUID(),
        })
        .catch((e: unknown) => e);
    const lostId = randomUUID();
    const lost = writer
      .write(fromPg(admin), [prepare(ID.one, 1)], { withEvents: false, mode: 'normal', attemptId: lostId })
      .catch((e: unknown) => e);
    await waitFor(async () => (await appendBackends()).filter((b) => b.waiting).length === 1, {
      what: 'the lost attempt to wait',
    });
    const other = attempt(ID.two, 2);
    await waitFor(async () => (await appendBackends()).filter((b) => b.waiting).length === 2, {
      what: 'the other attempt to wait',
    });
    await writer.fence(fromPg(admin), [lostId]);
    await release();
    expect(await lost).toMatchObject({ code: '40001' });
    expect(await other).toMatchObject({ outcomes: [{ ok: true, value: { nextVersion: 2 } }] });
    expect((await storedEvents()).map((e) => e.id)).toEqual([ID.seed, ID.two]);
  });
});
