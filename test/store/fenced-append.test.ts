/**
 * An append attempt rolled back by the server (40001) is proven not written:
 * running it again is right, however often it happens. Chaos found it: during
 * a held `LOCK TABLE streams`, hosts with a short `query_timeout` recovered
 * flush after flush, each recovery then fenced every attempt waiting (on every
 * host), and a flush fenced a fourth time used up the three retries meant for
 * failures of its own; the raw 40001 reached the webhook receiver and was
 * answered 500 INTERNAL_ERROR. Now a rolled-back flush is retried until the
 * recovery window ends, then every caller gets a typed, retryable
 * STORE_UNAVAILABLE (503, Retry-After), and nothing was written.
 *
 * A recovery fences only its own flush's lost attempts now (store migration
 * 0009; `fence-scope.test.ts`), so these tests fence the waiting attempt by
 * its id, as a source of repeated rollbacks (a stream's newer last writer,
 * 0008, or a deadlock roll an attempt back the same way).
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import { orderStream } from '../../src/commerce/inventory/streams.js';
import { silentLogger } from '../../src/core/logger.js';
import type { HttpRequest } from '../../src/http/types.js';
import { createEventStore, type EventStore, type NewEvent } from '../../src/index.js';
import { AppendWriter } from '../../src/store/postgres/append-writer.js';
import { postgresUrl, uniqueSchema } from '../support/databases.js';
import { waitFor } from '../support/wait.js';
import { lockStreamRow } from './support/lock-stream-row.js';
import { recordAttempts } from './support/record-attempts.js';
import {
  CREATOR,
  NOW_MS,
  SHOP_ID,
  json,
  shippingHandlerOn,
  tiktokHandlerOn,
  seedOrder,
  shippingRequest,
  tiktokEnvelope,
  tiktokRequest,
  trackingBody,
} from '../ingest/support.js';

const url = postgresUrl();
const event = (id: string, n: number): NewEvent => ({ id, type: 'order.updated', data: { n } });
const ID = {
  seed: '5e1f0a3e-0000-4000-8000-000000000001',
  one: '5e1f0a3e-0000-4000-8000-000000000002',
};

describe.skipIf(!url)('appends fenced off by recoveries on PostgreSQL', () => {
  let schema: string;
  let admin: pg.Pool;
  const pools: pg.Pool[] = [];
  const stores: EventStore[] = [];
  /** Ids of the append attempts the stores sent, in order. */
  let attempts: string[];

  function openStore(config: Parameters<typeof createEventStore>[0] = {}): EventStore {
    const pool = new pg.Pool({ connectionString: url!, max: 4 });
    pools.push(pool);
    const store = createEventStore({ sql: recordAttempts(fromPg(pool), attempts), schema, ...config });
    stores.push(store);
    return store;
  }

  /** Backends of this schema waiting for a lock, running `like`. */
  async function waiting(like: string): Promise<number> {
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE state = 'active' AND wait_event_type = 'Lock' AND query LIKE $1 AND query LIKE $2
          AND pid <> pg_backend_pid()`,
      [like, `%"${schema}"%`],
    );
    return rows[0]!.n;
  }

  const lockRow = (streamId: string) => lockStreamRow(admin, schema, streamId);

  /**
   * While `streamId`'s row is locked, fence off `times` attempts of the append
   * waiting for it, one after the other: each attempt waits, its id is
   * fenced, the next holder queues behind the attempt, and the attempt gets
   * the row, finds its fence and rolls back.
   */
  async function fenceAttempts(streamId: string, release: () => Promise<void>, times: number) {
    const writer = new AppendWriter(schema, `creatorflow_events_${schema}`);
    const sent = attempts.length;
    let holder = release;
    for (let i = 1; i <= times; i++) {
      // Attempt i is sent once attempt i - 1 has rolled back.
      await waitFor(async () => attempts.length === sent + i && (await waiting('%append_batch%')) === 1, {
        what: `attempt ${i} to wait`,
      });
      await writer.fence(fromPg(admin), [attempts.at(-1)!]);
      const last = i === times;
      const next = last ? undefined : lockRow(streamId);
      if (next) await waitFor(async () => (await waiting('%FOR UPDATE%')) === 1, { what: 'the next holder' });
      await holder();
      if (next) holder = await next;
    }
  }

  async function storedIds(): Promise<string[]> {
    const { rows } = await admin.query<{ id: string }>(
      `SELECT id FROM "${schema}".events ORDER BY global_position`,
    );
    return rows.map((r) => r.id);
  }

  beforeEach(async () => {
    attempts = [];
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

  it('an append rolled back four times (its attempts fenced) is written once, not failed with the raw 40001', async () => {
    const store = openStore();
    await store.append('order-1', [event(ID.seed, 0)]);
    const release = await lockRow('order-1');
    const appended = store.append('order-1', [event(ID.one, 1)], { expectedVersion: 1 });
    await fenceAttempts('order-1', release, 4);
    await expect(appended).resolves.toMatchObject({ nextVersion: 2, duplicate: false });
    expect(await storedIds()).toEqual([ID.seed, ID.one]);
  });

  const tiktok = (store: EventStore) => tiktokHandlerOn(store, silentLogger);
  const shipping = (store: EventStore) => shippingHandlerOn(store, silentLogger);
  const ORDER = 'o-fenced';
  const cases: [string, typeof tiktok, string, (store: EventStore) => Promise<void>, () => HttpRequest][] = [
    [
      'tiktok',
      tiktok,
      orderStream(SHOP_ID, ORDER),
      async (store) => {
        const first = tiktokRequest(tiktokEnvelope({ data: { ...order(), order_status: 'UNPAID' } }));
        expect((await tiktok(store)(first)).status).toBe(200);
      },
      () => tiktokRequest(tiktokEnvelope({ tts_notification_id: 'n-fenced', data: order() })),
    ],
    [
      'shipping',
      shipping,
      orderStream(CREATOR, ORDER),
      (store) => seedOrder(store, ORDER),
      () => shippingRequest(trackingBody('in_transit', { order_id: ORDER }), { id: 'msg_fenced' }),
    ],
  ];

  it.each(cases)(
    '%s webhook: fenced until the recovery window ends → 503 STORE_UNAVAILABLE with Retry-After, nothing written; the redelivery is accepted once',
    async (_name, make, stream, seed, request) => {
      const store = openStore({ outcomeRecoveryMs: 1 });
      await seed(store);
      const before = await storedIds();
      const handler = make(store);
      const release = await lockRow(stream);
      const answer = handler(request());
      await fenceAttempts(stream, release, 1);
      const res = await answer;
      expect({ status: res.status, retryAfter: res.headers['retry-after'], code: json(res).code }).toEqual({
        status: 503,
        retryAfter: '1',
        code: 'STORE_UNAVAILABLE',
      });
      expect(await storedIds()).toEqual(before);

      const redelivered = await handler(request());
      expect(redelivered.status).toBe(200);
      expect(json(redelivered)).toMatchObject({ duplicate: false });
      const written = (await storedIds()).length - before.length;
      expect(written).toBeGreaterThan(0);
      const again = await handler(request());
      expect(json(again)).toMatchObject({ duplicate: true, events: 0 });
      expect((await storedIds()).length - before.length).toBe(written);
    },
  );
});

function order(): Record<string, unknown> {
  return {
    order_id: 'o-fenced',
    order_status: 'AWAITING_SHIPMENT',
    is_on_hold_order: false,
    update_time: Math.floor(NOW_MS / 1000) - 2,
  };
}
