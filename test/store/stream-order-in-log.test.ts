/**
 * A stream's versions come out of the log in version order, whatever order
 * concurrent flushes took their transaction ids in. The log is read in
 * (transaction_id, global_position) order; a flush takes its id at its first
 * write (a key claim, or the first of its stream locks) and may then wait for
 * another stream's row. Before store migration 0008 it then wrote that
 * stream's next version with an id older than the writer it waited for, and
 * the log held version 3 before version 2: readers of the log (async read
 * models, rebuilds) folded the stream out of order while inline read models
 * (commit order) did not. The chaos run's read-model check found it: a saga's
 * and a carrier's `order.shipped` of one order, under a held lock.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import { createEventStore, type EventStore, type NewEvent } from '../../src/index.js';
import { postgresUrl, uniqueSchema } from '../support/databases.js';
import { waitFor } from '../support/wait.js';
import { appendsWaitingOnLock, lockStreamRow } from './support/lock-stream-row.js';

const url = postgresUrl();
const event = (n: number): NewEvent => ({ type: 'order.updated', data: { n } });

describe.skipIf(!url)('stream order in the log on PostgreSQL', () => {
  let schema: string;
  let admin: pg.Pool;
  const pools: pg.Pool[] = [];
  const stores: EventStore[] = [];

  function openStore(): EventStore {
    const pool = new pg.Pool({ connectionString: url!, max: 4 });
    pools.push(pool);
    const store = createEventStore({ sql: fromPg(pool), schema });
    stores.push(store);
    return store;
  }

  const appendsWaiting = () => appendsWaitingOnLock(admin, schema);

  const lockRow = (streamId: string) => lockStreamRow(admin, schema, streamId);

  /** Every event of the log, in the order readers get them. */
  async function logOrder(store: EventStore): Promise<{ stream: string; version: number }[]> {
    const out: { stream: string; version: number }[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await store.readAll({ ...(after ? { after } : {}), limit: 100 });
      for (const e of page.events) out.push({ stream: e.aggregateId, version: e.version });
      if (page.events.length === 0) return out;
      after = page.checkpoint;
    }
  }

  beforeEach(async () => {
    schema = uniqueSchema();
    admin = new pg.Pool({ connectionString: url!, max: 4 });
    await openStore().migrate();
  });

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const pool of pools.splice(0)) await pool.end();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it("a flush that took its id before another flush wrote one of its streams sorts after that flush's versions", async () => {
    const first = openStore();
    const second = openStore();
    await first.append('order-a', [event(0)]);
    await first.append('order-b', [event(0)]);
    const release = await lockRow('order-a');
    // A keyed flush of both streams: its key claim gives it a transaction id,
    // then it waits for order-a's row.
    const early = first.appendMany([
      { streamId: 'order-a', events: [event(1)], options: { idempotencyKey: 'early-a' } },
      { streamId: 'order-b', events: [event(1)], options: { idempotencyKey: 'early-b' } },
    ]);
    await waitFor(async () => (await appendsWaiting()) === 1, { what: 'the early flush to wait' });
    // Another flush writes order-b meanwhile, with a newer id, and commits.
    await expect(second.append('order-b', [event(2)])).resolves.toMatchObject({ nextVersion: 2 });
    await release();
    const outcomes = await early;
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);

    const order = await logOrder(second);
    const versionsOf = (stream: string) => order.filter((e) => e.stream === stream).map((e) => e.version);
    expect(versionsOf('order-b')).toEqual([1, 2, 3]);
    expect(versionsOf('order-a')).toEqual([1, 2]);
    // And readStream agrees with the log about which event is which version.
    const stream = await second.readStream('order-b');
    expect(stream.events.map((e) => (e.data as { n: number }).n)).toEqual([0, 2, 1]);
  });

  it('a stream written by an older transaction is written without a retry', async () => {
    const store = openStore();
    await store.append('order-c', [event(0)]);
    await store.append('order-c', [event(1)], { idempotencyKey: 'c-1' });
    const { rows } = await admin.query<{ behind: boolean }>(
      `SELECT last_xid < pg_current_xact_id() AS behind FROM "${schema}".streams WHERE stream_id = 'order-c'`,
    );
    expect(rows[0]!.behind).toBe(true);
    expect((await logOrder(store)).map((e) => e.version)).toEqual([1, 2]);
  });
});
