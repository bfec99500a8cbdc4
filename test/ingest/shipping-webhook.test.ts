import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCommerceEvents } from '../../src/commerce/events/catalog.js';
import { orderStream } from '../../src/commerce/inventory/streams.js';
import { createMemoryRateLimiter, unlimitedRateLimiter } from '../../src/ingest/rate-limiter.js';
import { createShippingWebhookHandler } from '../../src/commerce/ingest/shipping/webhook-handler.js';
import {
  decodeWebhookSecret,
  signStandardWebhook,
  verifyStandardWebhook,
} from '../../src/ingest/standard-webhooks.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import { postgresEngine, type TestDatabase } from '../support/databases.js';
import {
  CREATOR,
  NOW_MS,
  NOW_S,
  SHIPPO_API_KEY,
  SHIPPO_OLD_SECRET,
  SHIPPO_SECRET,
  allEvents,
  json,
  memoryStore,
  seedOrder,
  shippingRequest,
  trackingBody,
} from './support.js';

function handlerFor(
  store: EventStore,
  extra: Partial<Parameters<typeof createShippingWebhookHandler>[0]> = {},
) {
  return createShippingWebhookHandler({
    store,
    providers: {
      shippo: {
        apiKey: SHIPPO_API_KEY,
        secrets: [SHIPPO_SECRET, SHIPPO_OLD_SECRET],
        creators: [CREATOR, 'creator-2'],
      },
    },
    rateLimiter: unlimitedRateLimiter,
    now: () => NOW_MS,
    ...extra,
  });
}

describe('Standard Webhooks verification', () => {
  it('matches the published test vector of the specification', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const body = Buffer.from('{"test": 2432232314}');
    expect(signStandardWebhook(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body)).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('accepts timestamps within ±tolerance and rejects anything outside, in both directions', () => {
    const key = decodeWebhookSecret(SHIPPO_SECRET);
    const body = Buffer.from('{}');
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), (skew) => {
        const ts = NOW_S + skew;
        const signature = signStandardWebhook(SHIPPO_SECRET, 'msg_1', ts, body);
        const run = () =>
          verifyStandardWebhook({
            id: 'msg_1',
            timestamp: String(ts),
            signature,
            rawBody: body,
            keys: [key],
            nowMs: NOW_MS,
          });
        if (Math.abs(skew) <= 300) expect(run()).toEqual({ id: 'msg_1', timestampSeconds: ts });
        else expect(run).toThrow(expect.objectContaining({ code: 'STALE_TIMESTAMP' }));
      }),
    );
  });

  it('accepts any one of several space-separated signatures (key rotation) and ignores other versions', () => {
    const key = decodeWebhookSecret(SHIPPO_SECRET);
    const body = Buffer.from('{"a":1}');
    const good = signStandardWebhook(SHIPPO_SECRET, 'msg_2', NOW_S, body);
    const stale = signStandardWebhook(SHIPPO_OLD_SECRET, 'msg_2', NOW_S, body);
    const input = { id: 'msg_2', timestamp: String(NOW_S), rawBody: body, keys: [key], nowMs: NOW_MS };
    expect(() =>
      verifyStandardWebhook({ ...input, signature: `${stale} v1a,${good.slice(3)} ${good}` }),
    ).not.toThrow();
    expect(() => verifyStandardWebhook({ ...input, signature: `${stale} v1a,${good.slice(3)}` })).toThrow(
      expect.objectContaining({ code: 'SIGNATURE_INVALID' }),
    );
    expect(() => verifyStandardWebhook({ ...input, signature: `v2,${good.slice(3)}` })).toThrow(
      expect.objectContaining({ code: 'SIGNATURE_INVALID' }),
    );
  });

  it('fails when id, timestamp or body changes after signing', () => {
    const key = decodeWebhookSecret(SHIPPO_SECRET);
    const body = Buffer.from('{"a":1}');
    const signature = signStandardWebhook(SHIPPO_SECRET, 'msg_3', NOW_S, body);
    const ok = {
      id: 'msg_3',
      timestamp: String(NOW_S),
      signature,
      rawBody: body,
      keys: [key],
      nowMs: NOW_MS,
    };
    expect(() => verifyStandardWebhook(ok)).not.toThrow();
    for (const bad of [
      { id: 'msg_4' },
      { timestamp: String(NOW_S + 1) },
      { rawBody: Buffer.from('{"a":2}') },
    ]) {
      expect(() => verifyStandardWebhook({ ...ok, ...bad })).toThrow(
        expect.objectContaining({ code: 'SIGNATURE_INVALID' }),
      );
    }
  });
});

describe('shipping webhook receiver', () => {
  let store: EventStore;
  beforeAll(async () => {
    store = await memoryStore();
  });
  afterAll(() => store.close());

  it('moves an order to shipped, then delivered', async () => {
    const handler = handlerFor(store);
    await seedOrder(store, 'o-s1');
    const shipped = await handler(shippingRequest(trackingBody('in_transit', { order_id: 'o-s1' })));
    const delivered = await handler(shippingRequest(trackingBody('delivered', { order_id: 'o-s1' })));
    expect([shipped.status, delivered.status]).toEqual([200, 200]);
    const { events } = await store.readStream(orderStream(CREATOR, 'o-s1'));
    expect(events.map((e) => e.type)).toEqual(['order.validated', 'order.shipped', 'order.delivered']);
    expect(events[1]!.data).toMatchObject({
      creatorId: 'creator-1',
      orderId: 'o-s1',
      provider: 'shippo',
      trackingNumber: '1Z999AA10123456784',
      carrier: 'ups',
    });
    expect(events[1]!.metadata).toMatchObject({ source: 'shipping_provider', provider: 'shippo' });
  });

  it('accepts a request signed with the previous secret during rotation', async () => {
    await seedOrder(store, 'o-s2');
    const res = await handlerFor(store)(
      shippingRequest(trackingBody('picked_up', { order_id: 'o-s2' }), { secret: SHIPPO_OLD_SECRET }),
    );
    expect(res.status).toBe(200);
    expect((await store.readStream(orderStream(CREATOR, 'o-s2'))).events).toHaveLength(2);
  });

  it('deduplicates by webhook-id', async () => {
    const handler = handlerFor(store);
    await seedOrder(store, 'o-s3');
    const req = shippingRequest(trackingBody('delivered', { order_id: 'o-s3' }), { id: 'msg_dup' });
    expect(json(await handler(req))).toMatchObject({ duplicate: false, events: 1 });
    expect(json(await handler(req))).toMatchObject({ duplicate: true, events: 0 });
    expect((await store.readStream(orderStream(CREATOR, 'o-s3'))).events).toHaveLength(2);
  });

  it("keeps the carrier's time in the payload and the receive time as the log's time", async () => {
    await seedOrder(store, 'o-time');
    const scanned = new Date(NOW_MS - 2 * 86_400_000).toISOString();
    const before = Date.now();
    const res = await handlerFor(store)(
      shippingRequest(trackingBody('in_transit', { order_id: 'o-time', occurred_at: scanned })),
    );
    expect(res.status).toBe(200);
    const shipped = (await store.readStream(orderStream(CREATOR, 'o-time'))).events[1]!;
    expect(shipped.data).toMatchObject({ shippedAt: scanned });
    // The store's clock, not the carrier's, picks the partition.
    expect(shipped.occurredAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(shipped.occurredAt.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it.each([
    ['year 1', { occurred_at: '0001-01-01T00:00:00Z' }, {}],
    ['year 9999', { occurred_at: '9999-12-31T23:59:59Z' }, {}],
    ['1999', { occurred_at: '1999-06-01T00:00:00Z' }, {}],
    ['two hours ahead', { occurred_at: new Date(NOW_MS + 2 * 3_600_000).toISOString() }, {}],
    ['an envelope timestamp in 1999', {}, { timestamp: '1999-06-01T00:00:00Z' }],
  ])('refuses a carrier time of %s with 400 and writes nothing', async (_name, data, envelope) => {
    const fresh = await memoryStore();
    await seedOrder(fresh, 'o-absurd');
    const body = { ...trackingBody('delivered', { order_id: 'o-absurd', ...data }), ...envelope };
    const res = await handlerFor(fresh)(shippingRequest(body));
    expect(res.status).toBe(400);
    expect(json(res)).toMatchObject({ code: 'TIMESTAMP_OUT_OF_RANGE' });
    expect(await allEvents(fresh)).toHaveLength(1);
    await fresh.close();
  });

  it('deduplicates webhook-ids of any valid length (up to 256 characters)', async () => {
    const handler = handlerFor(store);
    await seedOrder(store, 'o-long');
    const long = (last: string) => `msg_${'x'.repeat(239)}${last}`; // 244 characters
    const first = shippingRequest(trackingBody('in_transit', { order_id: 'o-long' }), { id: long('a') });
    expect(json(await handler(first))).toMatchObject({ status: 'accepted', duplicate: false });
    expect(json(await handler(first))).toMatchObject({ status: 'accepted', duplicate: true });
    // Ids that differ only at the end are different messages.
    const other = shippingRequest(trackingBody('delivered', { order_id: 'o-long' }), { id: long('b') });
    expect(json(await handler(other))).toMatchObject({ status: 'accepted', duplicate: false });
    const longest = shippingRequest(trackingBody('delivered', { order_id: 'o-long' }), {
      id: 'y'.repeat(256),
    });
    expect((await handler(longest)).status).toBe(200);
    expect((await store.readStream(orderStream(CREATOR, 'o-long'))).events).toHaveLength(4);
  });

  it('acknowledges updates without an order transition and writes nothing', async () => {
    const fresh = await memoryStore();
    const handler = handlerFor(fresh);
    expect((await handler(shippingRequest(trackingBody('label_created')))).status).toBe(200);
    expect((await handler(shippingRequest({ type: 'shipment.created', data: {} }))).status).toBe(200);
    expect(await allEvents(fresh)).toHaveLength(0);
    await fresh.close();
  });

  describe('rejects bad input with a problem and writes nothing', () => {
    const cases: [string, () => ReturnType<typeof shippingRequest>, number, string][] = [
      [
        'unknown provider',
        () => shippingRequest(trackingBody('delivered'), { provider: 'fedex' }),
        404,
        'UNKNOWN_PROVIDER',
      ],
      [
        'provider named like an Object key',
        () => shippingRequest(trackingBody('delivered'), { provider: '__proto__' }),
        404,
        'UNKNOWN_PROVIDER',
      ],
      [
        'missing API key',
        () => shippingRequest(trackingBody('delivered'), { apiKey: null }),
        401,
        'API_KEY_MISSING',
      ],
      [
        'wrong API key',
        () => shippingRequest(trackingBody('delivered'), { apiKey: 'nope' }),
        401,
        'API_KEY_INVALID',
      ],
      [
        'wrong secret',
        () =>
          shippingRequest(trackingBody('delivered'), {
            secret: `whsec_${Buffer.alloc(24, 1).toString('base64')}`,
          }),
        401,
        'SIGNATURE_INVALID',
      ],
      [
        'missing signature',
        () => shippingRequest(trackingBody('delivered'), { signature: '' }),
        401,
        'SIGNATURE_MISSING',
      ],
      [
        'timestamp 6 min old',
        () => shippingRequest(trackingBody('delivered'), { timestampS: NOW_S - 360 }),
        401,
        'STALE_TIMESTAMP',
      ],
      [
        'timestamp 6 min ahead',
        () => shippingRequest(trackingBody('delivered'), { timestampS: NOW_S + 360 }),
        401,
        'STALE_TIMESTAMP',
      ],
      ['malformed JSON', () => shippingRequest('{"type":'), 400, 'MALFORMED_JSON'],
      ['unknown tracking status', () => shippingRequest(trackingBody('teleported')), 422, 'SCHEMA_VIOLATION'],
      [
        'missing creator',
        () => shippingRequest(trackingBody('delivered', { creator_id: undefined })),
        422,
        'SCHEMA_VIOLATION',
      ],
      [
        'oversized body',
        () => shippingRequest({ ...trackingBody('delivered'), pad: 'x'.repeat(300 * 1024) }),
        413,
        'PAYLOAD_TOO_LARGE',
      ],
    ];
    it.each(cases)('%s', async (_name, make, status, code) => {
      const fresh = await memoryStore();
      // The order exists: each case is refused for its own reason.
      await seedOrder(fresh, '576461413038785752');
      const res = await handlerFor(fresh)(make());
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(json(res)).toMatchObject({ status, code });
      expect(await allEvents(fresh)).toHaveLength(1);
      await fresh.close();
    });
  });

  describe('binds the provider to its creators and writes only to their existing orders', () => {
    it('refuses a creator the provider does not ship for, even one that has the order', async () => {
      const fresh = await memoryStore();
      await seedOrder(fresh, 'o-x', 'creator-3');
      const res = await handlerFor(fresh)(
        shippingRequest(trackingBody('delivered', { order_id: 'o-x', creator_id: 'creator-3' })),
      );
      expect(res.status).toBe(403);
      expect(json(res)).toMatchObject({ code: 'UNKNOWN_CREATOR' });
      expect(await allEvents(fresh)).toHaveLength(1);
      await fresh.close();
    });

    it("refuses an order the creator does not have, also another creator's order of that id", async () => {
      const fresh = await memoryStore();
      await seedOrder(fresh, 'o-y', 'creator-2');
      const handler = handlerFor(fresh);
      for (const orderId of ['o-y', 'o-none']) {
        const res = await handler(shippingRequest(trackingBody('in_transit', { order_id: orderId })));
        expect(res.status).toBe(404);
        expect(json(res)).toMatchObject({ code: 'UNKNOWN_ORDER' });
      }
      expect(await allEvents(fresh)).toHaveLength(1);
      expect((await fresh.readStream(orderStream(CREATOR, 'o-y'))).version).toBe(0);
      await fresh.close();
    });

    it("writes into the named creator's order only, when two creators have the same order id", async () => {
      const fresh = await memoryStore();
      await seedOrder(fresh, 'same', CREATOR);
      await seedOrder(fresh, 'same', 'creator-2');
      const res = await handlerFor(fresh)(
        shippingRequest(trackingBody('delivered', { order_id: 'same', creator_id: 'creator-2' })),
      );
      expect(res.status).toBe(200);
      const types = async (creatorId: string) =>
        (await fresh.readStream(orderStream(creatorId, 'same'))).events.map((e) => e.type);
      expect(await types(CREATOR)).toEqual(['order.validated']);
      expect(await types('creator-2')).toEqual(['order.validated', 'order.delivered']);
      await fresh.close();
    });

    it('takes the binding as a function', async () => {
      const fresh = await memoryStore();
      await seedOrder(fresh, 'o-f', 'vip-1');
      await seedOrder(fresh, 'o-f', 'other');
      const handler = handlerFor(fresh, {
        providers: {
          shippo: { apiKey: SHIPPO_API_KEY, secrets: SHIPPO_SECRET, creators: (id) => id.startsWith('vip-') },
        },
      });
      const send = (creatorId: string) =>
        handler(shippingRequest(trackingBody('delivered', { order_id: 'o-f', creator_id: creatorId })));
      expect((await send('vip-1')).status).toBe(200);
      expect((await send('other')).status).toBe(403);
      await fresh.close();
    });
  });

  it('rate-limits per provider and creator', async () => {
    const fresh = await memoryStore();
    for (const id of ['a', 'b']) await seedOrder(fresh, id);
    await seedOrder(fresh, 'c', 'creator-2');
    const handler = handlerFor(fresh, {
      rateLimiter: createMemoryRateLimiter({ limit: 1, windowMs: 1000, now: () => NOW_MS }),
    });
    expect((await handler(shippingRequest(trackingBody('delivered', { order_id: 'a' })))).status).toBe(200);
    const limited = await handler(shippingRequest(trackingBody('delivered', { order_id: 'b' })));
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(
      (await handler(shippingRequest(trackingBody('delivered', { order_id: 'c', creator_id: 'creator-2' }))))
        .status,
    ).toBe(200);
    await fresh.close();
  });

  it('refuses malformed provider configuration', () => {
    const provider = { apiKey: SHIPPO_API_KEY, secrets: SHIPPO_SECRET, creators: [CREATOR] };
    expect(() =>
      handlerFor(store, { providers: { shippo: { ...provider, secrets: 'whsec_!!' } } }),
    ).toThrow();
    expect(() => handlerFor(store, { providers: { 'Bad Name': provider } })).toThrow();
    // A provider bound to no creator could write nowhere: a configuration mistake.
    expect(() => handlerFor(store, { providers: { shippo: { ...provider, creators: [] } } })).toThrow();
  });
});

describe.skipIf(!postgresEngine.available)('shipping webhook receiver on PostgreSQL', () => {
  let db: TestDatabase;
  let store: EventStore;
  beforeAll(async () => {
    db = await postgresEngine.open();
    store = createEventStore({ sql: db.sql, schema: db.schema, strict: true });
    registerCommerceEvents(store);
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    await db.close();
  });

  it('deduplicates concurrent redeliveries of one webhook-id', async () => {
    const handler = handlerFor(store);
    await seedOrder(store, 'o-pg');
    const req = shippingRequest(trackingBody('delivered', { order_id: 'o-pg' }), { id: 'msg_pg' });
    const responses = await Promise.all(Array.from({ length: 4 }, () => handler(req)));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect((await store.readStream(orderStream(CREATOR, 'o-pg'))).events.map((e) => e.type)).toEqual([
      'order.validated',
      'order.delivered',
    ]);
  });
});
