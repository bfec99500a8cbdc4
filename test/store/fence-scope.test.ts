/**
 * The recovery fence is the recovering flush's own (store migration 0009).
 * After an attempt's outcome is lost, the flush fences that attempt's id
 * before running again: the lost attempt can no longer commit, and nothing
 * else is touched. Before, a recovery moved one global fence, rolling back
 * every attempt then waiting for its locks — on every host — while a lost
 * attempt that reached the server after the fence was not fenced at all.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import { ConcurrencyError, createEventStore, type EventStore, type NewEvent } from '../../src/index.js';
import { pgliteEngine, postgresUrl, uniqueSchema, type TestDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';
import { AppendWriter } from '../../src/store/postgres/append-writer.js';
import { EventTypeRegistry } from '../../src/store/event-registry.js';
import { prepareAppend } from '../../src/store/prepare-append.js';
import { holdingProxy, type HoldingProxy } from './support/holding-proxy.js';
import { appendsWaitingOnLock, lockStreamRow } from './support/lock-stream-row.js';
import { recordAttempts } from './support/record-attempts.js';

const url = postgresUrl();
const event = (id: string, n: number): NewEvent => ({ id, type: 'order.updated', data: { n } });
const ID = {
  seed: '0f3e5c0a-0000-4000-8000-000000000001',
  lost: '0f3e5c0a-0000-4000-8000-000000000002',
  other: '0f3e5c0a-0000-4000-8000-000000000003',
};

describe.skipIf(!url)('the recovery fence on PostgreSQL', () => {
  let schema: string;
  let admin: pg.Pool;
  const pools: pg.Pool[] = [];
  const stores: EventStore[] = [];
  const proxies: HoldingProxy[] = [];

  /** A store on a pool of its own (another host, as far as the database can tell). */
  function openStore(
    pool: pg.PoolConfig,
    config: Parameters<typeof createEventStore>[0] = {},
    attempts: string[] = [],
  ): EventStore {
    const p = new pg.Pool({ connectionString: url!, max: 4, ...pool });
    p.on('error', () => undefined); // connections closed under the client are expected here
    pools.push(p);
    const store = createEventStore({ sql: recordAttempts(fromPg(p), attempts), schema, ...config });
    stores.push(store);
    return store;
  }

  const appendsWaiting = () => appendsWaitingOnLock(admin, schema);

  /** Every stored event id, by stream and version, once no append runs any more. */
  async function storedIds(): Promise<string[]> {
    await waitFor(
      async () => {
        const { rows } = await admin.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE state = 'active' AND query LIKE '%append_batch%' AND query LIKE $1 AND pid <> pg_backend_pid()`,
          [`%"${schema}"%`],
        );
        return rows[0]!.n === 0;
      },
      { what: 'appends to finish' },
    );
    const { rows } = await admin.query<{ id: string }>(
      `SELECT id FROM "${schema}".events ORDER BY aggregate_id, version`,
    );
    return rows.map((r) => r.id);
  }

  beforeEach(async () => {
    schema = uniqueSchema();
    admin = new pg.Pool({ connectionString: url!, max: 4 });
    await openStore({}).migrate();
  });

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const pool of pools.splice(0)) await pool.end();
    for (const proxy of proxies.splice(0)) await proxy.close();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it("one host's recovery does not roll back another host's append waiting for the same lock", async () => {
    const attemptsOfB: string[] = [];
    const a = openStore({ query_timeout: 300 }, { maxConcurrentFlushes: 1 });
    const b = openStore({}, {}, attemptsOfB);
    await b.append('order-1', [event(ID.seed, 0)]);
    const release = await lockStreamRow(admin, schema, 'order-1');

    const appendedByB = b.append('order-1', [event(ID.other, 1)]);
    await waitFor(async () => (await appendsWaiting()) === 1, { what: "host B's append to wait" });
    // Host A's attempt times out on the client while waiting; A fences it and
    // runs the flush again: three waiting attempts (B, A's lost one, A's next)
    // mean A's recovery has committed its fence.
    const appendedByA = a.append('order-1', [event(ID.lost, 2)]);
    await waitFor(async () => (await appendsWaiting()) >= 3, { what: "host A's recovery" });
    await release();

    await expect(appendedByB).resolves.toMatchObject({ streamId: 'order-1', duplicate: false });
    expect(attemptsOfB).toHaveLength(2); // the seed's, and this append's first attempt: never rolled back
    await expect(appendedByA).resolves.toMatchObject({ streamId: 'order-1', duplicate: false });
    const stored = await storedIds();
    expect(stored[0]).toBe(ID.seed);
    expect(stored.slice(1).sort()).toEqual([ID.lost, ID.other].sort());
  });

  it('a lost attempt that reaches the server after its flush recovered cannot commit', async () => {
    const b = openStore({});
    await b.append('order-1', [event(ID.seed, 0)]);
    const target = new URL(url!);
    const proxy = await holdingProxy({ host: target.hostname, port: Number(target.port || 5432) }, ID.lost);
    proxies.push(proxy);
    const viaProxy = new URL(url!);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const a = openStore(
      { connectionString: viaProxy.toString(), query_timeout: 300 },
      { maxConcurrentFlushes: 1 },
    );

    // The first attempt is held in the network; the client gives up on it and
    // recovers: the flush runs again and the stream is at version 1, so the
    // caller is told its expected version 2 does not hold — nothing written.
    const err = await a
      .append('order-1', [event(ID.lost, 1)], { expectedVersion: 2 })
      .catch((e: unknown) => e);
    await proxy.held;
    expect(err).toBeInstanceOf(ConcurrencyError);
    expect(err).toMatchObject({ expectedVersion: 2, actualVersion: 1 });

    // The stream moves to version 2, then the lost attempt arrives: its
    // expected version now holds, but the caller was answered — it must roll back.
    await b.append('order-1', [event(ID.other, 1)], { expectedVersion: 1 });
    await proxy.release();
    expect(await storedIds()).toEqual([ID.seed, ID.other]);
    expect((await b.readStream('order-1')).version).toBe(2);
  });
});

describe('the recovery fence on PGlite', () => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await pgliteEngine.open();
  });

  afterEach(async () => {
    await db.close();
  });

  it('runs the same SQL: a fenced attempt rolls back, others commit', async () => {
    const store = createEventStore({ sql: db.sql, schema: db.schema });
    await store.migrate();
    await store.append('order-1', [event(ID.seed, 0)]);
    const writer = new AppendWriter(db.schema, `creatorflow_events_${db.schema}`);
    const limits = { maxPayloadBytes: 1 << 20, maxEventsPerAppend: 10, occurredAtWindow: null };
    const request = (id: string) =>
      prepareAppend('order-1', [event(id, 1)], {}, new EventTypeRegistry(false), limits, () => new Date());
    const fencedId = '6a1b7f00-0000-4000-8000-0000000000f1';
    await writer.fence(db.sql, [fencedId]);
    await writer.fence(db.sql, [fencedId]); // fencing again is harmless
    await expect(
      writer.write(db.sql, [request(ID.lost)], { withEvents: false, mode: 'normal', attemptId: fencedId }),
    ).rejects.toMatchObject({ code: '40001' });
    const written = await writer.write(db.sql, [request(ID.other)], {
      withEvents: false,
      mode: 'normal',
      attemptId: '6a1b7f00-0000-4000-8000-0000000000f2',
    });
    expect(written.outcomes).toMatchObject([{ ok: true, value: { nextVersion: 2 } }]);
    expect((await store.readStream('order-1')).events.map((e) => e.id)).toEqual([ID.seed, ID.other]);
    await store.close();
  });

  it('keeps fenced ids for 2 hours; attempts older than the purge horizon roll back', async () => {
    const store = createEventStore({ sql: db.sql, schema: db.schema });
    await store.migrate();
    const s = `"${db.schema}"`;
    const writer = new AppendWriter(db.schema, `creatorflow_events_${db.schema}`);
    const old = '6a1b7f00-0000-4000-8000-0000000000a1';
    const recent = '6a1b7f00-0000-4000-8000-0000000000a2';
    await db.sql.query(
      `INSERT INTO ${s}.fenced_attempts (attempt_id, fenced_at)
       VALUES ($1, now() - interval '3 hours'), ($2, now() - interval '90 minutes')`,
      [old, recent],
    );
    const fresh = '6a1b7f00-0000-4000-8000-0000000000a3';
    await writer.fence(db.sql, [fresh]);
    const { rows } = await db.sql.query<{ attempt_id: string }>(
      `SELECT attempt_id FROM ${s}.fenced_attempts ORDER BY attempt_id`,
    );
    expect(rows.map((r) => r.attempt_id)).toEqual([recent, fresh]);
    // The horizon moved to an hour before the purge: an attempt that started
    // before it could be one whose fence is gone.
    const horizon = await db.sql.query<{ behind_s: number }>(
      `SELECT extract(epoch FROM now() - purged_before)::int AS behind_s FROM ${s}.append_fence`,
    );
    expect(horizon.rows[0]!.behind_s).toBeGreaterThanOrEqual(3599);
    expect(horizon.rows[0]!.behind_s).toBeLessThan(3700);

    // Stand in for an attempt that started before the horizon: move the horizon past now.
    await db.sql.query(`UPDATE ${s}.append_fence SET purged_before = now() + interval '1 minute'`);
    const limits = { maxPayloadBytes: 1 << 20, maxEventsPerAppend: 10, occurredAtWindow: null };
    const request = prepareAppend(
      'order-9',
      [event(ID.other, 1)],
      {},
      new EventTypeRegistry(false),
      limits,
      () => new Date(),
    );
    await expect(
      writer.write(db.sql, [request], {
        withEvents: false,
        mode: 'normal',
        attemptId: '6a1b7f00-0000-4000-8000-0000000000a4',
      }),
    ).rejects.toMatchObject({ code: '40001' });
    expect((await store.readStream('order-9')).version).toBe(0);
    await store.close();
  });
});
