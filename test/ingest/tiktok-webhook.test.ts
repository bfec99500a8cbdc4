import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCommerceEvents } from '../../src/commerce/events/catalog.js';
import { orderStream } from '../../src/commerce/inventory/streams.js';
import { createMemoryRateLimiter, unlimitedRateLimiter } from '../../src/ingest/rate-limiter.js';
import { createTikTokWebhookHandler } from '../../src/commerce/ingest/tiktok/webhook-handler.js';
import {
  signTikTokWebhook,
  verifyTikTokWebhook,
} from '../../src/commerce/ingest/tiktok/webhook-signature.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import {
  APP_KEY,
  APP_SECRET,
  NOW_MS,
  NOW_S,
  SHOP_ID,
  allEvents,
  json,
  memoryStore,
  tiktokEnvelope,
  tiktokRequest,
} from './support.js';

function handlerFor(
  store: EventStore,
  extra: Partial<Parameters<typeof createTikTokWebhookHandler>[0]> = {},
) {
  return createTikTokWebhookHandler({
    store,
    appKey: APP_KEY,
    appSecret: APP_SECRET,
    rateLimiter: unlimitedRateLimiter,
    now: () => NOW_MS,
    ...extra,
  });
}

describe('TikTok webhook signature', () => {
  it('verifies what it signs, and no single flipped byte of body or signature passes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (bytes, at, flip) => {
          const body = Buffer.from(bytes);
          const signature = signTikTokWebhook(APP_KEY, APP_SECRET, body);
          expect(signature).toMatch(/^[0-9a-f]{64}$/);
          expect(verifyTikTokWebhook(signature, APP_KEY, APP_SECRET, body)).toBe(true);
          const tampered = Buffer.from(body);
          tampered[at % tampered.length]! ^= flip;
          expect(verifyTikTokWebhook(signature, APP_KEY, APP_SECRET, tampered)).toBe(false);
          const i = at % signature.length;
          const other = signature[i] === '0' ? '1' : '0';
          expect(
            verifyTikTokWebhook(
              signature.slice(0, i) + other + signature.slice(i + 1),
              APP_KEY,
              APP_SECRET,
              body,
            ),
          ).toBe(false);
        },
      ),
    );
  });

  it('is keyed with the secret over app_key + body (vector from openssl)', () => {
    // printf 'key{}' | openssl dgst -sha256 -hmac secret
    expect(signTikTokWebhook('key', 'secret', Buffer.from('{}'))).toBe(
      '5f768f687492fb5684b5ef91d386e48b3a3c0dba6eba9eeb1a9ca7248c24538d',
    );
  });
});

describe('TikTok webhook receiver (memory store)', () => {
  let store: EventStore;
  beforeAll(async () => {
    store = await memoryStore();
  });
  afterAll(() => store.close());

  it('maps an AWAITING_SHIPMENT order to webhook_received, order_status_changed and received_from_tiktok', async () => {
    const envelope = tiktokEnvelope({
      data: { order_id: 'o-100', order_status: 'AWAITING_SHIPMENT', update_time: NOW_S - 5 },
    });
    const res = await handlerFor(store)(tiktokRequest(envelope));
    expect(res.status).toBe(200);
    expect(json(res)).toMatchObject({ status: 'accepted', duplicate: false, events: 3 });
    const { events } = await store.readStream(orderStream(SHOP_ID, 'o-100'));
    expect(events.map((e) => e.type)).toEqual([
      'tiktok.webhook_received',
      'tiktok.order_status_changed',
      'order.received_from_tiktok',
    ]);
    const [received, changed, order] = events;
    expect(received!.metadata).toMatchObject({
      correlationId: envelope.tts_notification_id,
      causationId: envelope.tts_notification_id,
      source: 'tiktok_webhook',
    });
    expect(changed!.metadata).toMatchObject({
      correlationId: envelope.tts_notification_id,
      causationId: received!.id,
    });
    expect(order!.metadata.causationId).toBe(received!.id);
    expect(order!.data).toMatchObject({
      orderId: 'o-100',
      creatorId: envelope.shop_id,
      status: 'AWAITING_SHIPMENT',
    });
    // TikTok's time is in the payload; the log's time is when the store wrote it.
    expect(order!.data).toMatchObject({ updateTime: new Date((NOW_S - 5) * 1000).toISOString() });
    expect(Math.abs(order!.occurredAt.getTime() - order!.processedAt.getTime())).toBeLessThan(1000);
    expect(Math.abs(received!.occurredAt.getTime() - Date.now())).toBeLessThan(60_000);
    expect(received!.aggregateType).toBe('order');
  });

  it('normalises CANCEL to CANCELLED and emits order.cancelled', async () => {
    const res = await handlerFor(store)(
      tiktokRequest(
        tiktokEnvelope({ data: { order_id: 'o-101', order_status: 'CANCEL', update_time: NOW_S } }),
      ),
    );
    expect(res.status).toBe(200);
    const { events } = await store.readStream(orderStream(SHOP_ID, 'o-101'));
    expect(events.map((e) => e.type)).toEqual([
      'tiktok.webhook_received',
      'tiktok.order_status_changed',
      'order.cancelled',
    ]);
    expect(events[1]!.data).toMatchObject({ status: 'CANCELLED', rawStatus: 'CANCEL' });
  });

  it.each([
    'UNPAID',
    'ON_HOLD',
    'AWAITING_COLLECTION',
    'PARTIALLY_SHIPPING',
    'IN_TRANSIT',
    'DELIVERED',
    'COMPLETED',
    'CANCELLED',
  ])('accepts order status %s', async (status) => {
    const orderId = `o-status-${status}`;
    const res = await handlerFor(store)(
      tiktokRequest(
        tiktokEnvelope({ data: { order_id: orderId, order_status: status, update_time: NOW_S } }),
      ),
    );
    expect(res.status).toBe(200);
    const { events } = await store.readStream(orderStream(SHOP_ID, orderId));
    expect(events[1]!.data).toMatchObject({ status });
  });

  it('acknowledges a redelivery and writes nothing', async () => {
    const handler = handlerFor(store);
    const envelope = tiktokEnvelope({
      data: { order_id: 'o-102', order_status: 'UNPAID', update_time: NOW_S },
    });
    const first = await handler(tiktokRequest(envelope));
    const before = (await allEvents(store)).length;
    const again = await handler(tiktokRequest(envelope));
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(json(again)).toMatchObject({ duplicate: true, events: 0 });
    expect((await allEvents(store)).length).toBe(before);
  });

  it('accepts a redelivery long after an outage once, by its notification id', async () => {
    const fresh = await memoryStore();
    const handler = handlerFor(fresh);
    // TikTok retries for up to 72 h with the original signed timestamp.
    const late = tiktokEnvelope({
      timestamp: NOW_S - 71 * 3600,
      data: { order_id: 'o-late', order_status: 'UNPAID', update_time: NOW_S - 71 * 3600 - 5 },
    });
    const first = await handler(tiktokRequest(late));
    expect(first.status).toBe(200);
    expect(json(first)).toMatchObject({ duplicate: false, events: 2 });
    const again = await handler(tiktokRequest(late));
    expect(json(again)).toMatchObject({ duplicate: true, events: 0 });
    expect(await allEvents(fresh)).toHaveLength(2);
    await fresh.close();
  });

  it('handles return, package, product and deauthorisation webhooks', async () => {
    const handler = handlerFor(store);
    const cases = [
      tiktokEnvelope({
        type: 2,
        data: {
          order_id: 'o-103',
          reverse_order_id: 'r-1',
          reverse_order_status: 1,
          reverse_event_type: 'ORDER_RETURN',
          update_time: NOW_S,
        },
      }),
      tiktokEnvelope({
        type: 4,
        data: { order_id: 'o-103', package_id: 'pk-1', sc_type: 'SPLIT', update_time: NOW_S },
      }),
      tiktokEnvelope({
        type: 5,
        data: {
          product_id: 'p-9',
          status: 'PRODUCT_AUDIT_FAILED',
          suspended_reason: 'image',
          update_time: NOW_S,
        },
      }),
      tiktokEnvelope({ type: 6, shop_id: 'shop-deauth', data: { message: 'revoked', update_time: NOW_S } }),
    ];
    for (const envelope of cases) expect((await handler(tiktokRequest(envelope))).status).toBe(200);
    expect((await store.readStream(orderStream(SHOP_ID, 'o-103'))).events.map((e) => e.type)).toEqual([
      'tiktok.webhook_received',
      'tiktok.webhook_received',
    ]);
    const product = await store.readStream('product-p-9');
    expect(product.events.map((e) => e.type)).toEqual(['tiktok.webhook_received', 'tiktok.product_updated']);
    expect(product.events[1]!.data).toMatchObject({
      productId: 'p-9',
      status: 'PRODUCT_AUDIT_FAILED',
      suspendedReason: 'image',
    });
    const shop = await store.readStream('tiktok-shop-shop-deauth');
    expect(shop.events.map((e) => e.type)).toEqual([
      'tiktok.webhook_received',
      'system.sync_failure_detected',
    ]);
    expect(shop.events[1]!.data).toMatchObject({ errorCode: 'SELLER_DEAUTHORIZED', component: 'tiktok_api' });
  });

  it('records and acknowledges webhook types it does not map', async () => {
    const res = await handlerFor(store)(
      tiktokRequest(tiktokEnvelope({ type: 3, shop_id: 'shop-x', data: { anything: true } })),
    );
    expect(res.status).toBe(200);
    const { events } = await store.readStream('tiktok-shop-shop-x');
    expect(events.map((e) => e.type)).toEqual(['tiktok.webhook_received']);
    expect(events[0]!.data).toMatchObject({ typeName: 'UNKNOWN_3' });
  });

  it('verifies the raw bytes, not a re-serialised body', async () => {
    const handler = handlerFor(store);
    const envelope = tiktokEnvelope({
      data: { order_id: 'o-104', order_status: 'UNPAID', update_time: NOW_S },
    });
    const raw = Buffer.from(JSON.stringify(envelope, null, 2));
    expect((await handler(tiktokRequest(raw))).status).toBe(200);
    // A signature over the compact re-serialisation does not match the pretty bytes.
    const other = tiktokEnvelope({ data: { order_id: 'o-105', order_status: 'UNPAID', update_time: NOW_S } });
    const pretty = Buffer.from(JSON.stringify(other, null, 2));
    const compactSig = signTikTokWebhook(APP_KEY, APP_SECRET, Buffer.from(JSON.stringify(other)));
    const res = await handler(tiktokRequest(pretty, { authorization: compactSig }));
    expect(res.status).toBe(401);
    expect(json(res).code).toBe('SIGNATURE_INVALID');
  });

  it('keeps the signed body text in webhook_received, not a lossy re-parse', async () => {
    const fresh = await memoryStore();
    // Big integers, 1e400, escapes, a BOM, spacing and key order: JSON.parse keeps none of them.
    const text =
      `\uFEFF{ "data": {"order_id":"o-exact","order_status":"UNPAID","update_time":${NOW_S},` +
      `"big": 12345678901234567890123, "huge": 1e400, "name": "caf\\u00e9 \u20ac"},\n` +
      `"type":1,"tts_notification_id":"n-exact","shop_id":"${SHOP_ID}","timestamp":${NOW_S}}`;
    const res = await handlerFor(fresh)(tiktokRequest(Buffer.from(text)));
    expect(res.status).toBe(200);
    const [received] = (await fresh.readStream(orderStream(SHOP_ID, 'o-exact'))).events;
    expect(received!.type).toBe('tiktok.webhook_received');
    expect((received!.data as { body: string }).body).toBe(text);
    expect(Buffer.from((received!.data as { body: string }).body).equals(Buffer.from(text))).toBe(true);
    await fresh.close();
  });

  describe('rejects bad input with a problem and writes nothing', () => {
    const cases: [string, () => ReturnType<typeof tiktokRequest>, number, string][] = [
      [
        'missing signature',
        () => tiktokRequest(tiktokEnvelope(), { authorization: null }),
        401,
        'SIGNATURE_MISSING',
      ],
      [
        'wrong secret',
        () => tiktokRequest(tiktokEnvelope(), { secret: 'not-the-secret' }),
        401,
        'SIGNATURE_INVALID',
      ],
      [
        'non-hex signature',
        () => tiktokRequest(tiktokEnvelope(), { authorization: 'Bearer abc' }),
        401,
        'SIGNATURE_INVALID',
      ],
      ['malformed JSON', () => tiktokRequest('{"type": 1,'), 400, 'MALFORMED_JSON'],
      ['invalid UTF-8', () => tiktokRequest(Buffer.from([0x7b, 0xff, 0x7d])), 400, 'MALFORMED_JSON'],
      [
        'envelope violation',
        () => tiktokRequest({ ...tiktokEnvelope(), tts_notification_id: '' }),
        422,
        'SCHEMA_VIOLATION',
      ],
      [
        'unknown order status',
        () =>
          tiktokRequest(
            tiktokEnvelope({ data: { order_id: 'o', order_status: 'TELEPORTED', update_time: NOW_S } }),
          ),
        422,
        'SCHEMA_VIOLATION',
      ],
      [
        'update_time in 1970',
        () =>
          tiktokRequest(tiktokEnvelope({ data: { order_id: 'o', order_status: 'UNPAID', update_time: 1 } })),
        400,
        'TIMESTAMP_OUT_OF_RANGE',
      ],
      [
        'update_time in the year 5138',
        () =>
          tiktokRequest(
            tiktokEnvelope({
              type: 5,
              data: { product_id: 'p', status: 'ACTIVATE', update_time: 99_999_999_999 },
            }),
          ),
        400,
        'TIMESTAMP_OUT_OF_RANGE',
      ],
      [
        'timestamp older than the 72 h redelivery schedule',
        () => tiktokRequest(tiktokEnvelope({ timestamp: NOW_S - 74 * 3600 })),
        401,
        'STALE_TIMESTAMP',
      ],
      [
        'timestamp more than 15 min ahead',
        () => tiktokRequest(tiktokEnvelope({ timestamp: NOW_S + 16 * 60 })),
        401,
        'STALE_TIMESTAMP',
      ],
      [
        'oversized body',
        () => tiktokRequest({ ...tiktokEnvelope(), pad: 'x'.repeat(300 * 1024) }),
        413,
        'PAYLOAD_TOO_LARGE',
      ],
    ];
    it.each(cases)('%s', async (_name, make, status, code) => {
      const fresh = await memoryStore();
      const res = await handlerFor(fresh)(make());
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(json(res)).toMatchObject({ status, code });
      expect(await allEvents(fresh)).toHaveLength(0);
      await fresh.close();
    });
  });

  it('limits each shop separately and answers 429 with Retry-After', async () => {
    const fresh = await memoryStore();
    const handler = handlerFor(fresh, {
      rateLimiter: createMemoryRateLimiter({ limit: 2, windowMs: 60_000, now: () => NOW_MS }),
    });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await handler(tiktokRequest(tiktokEnvelope({ shop_id: 'shop-a' })))).status);
    const limited = await handler(tiktokRequest(tiktokEnvelope({ shop_id: 'shop-a' })));
    const otherShop = await handler(tiktokRequest(tiktokEnvelope({ shop_id: 'shop-b' })));
    expect(statuses).toEqual([200, 200, 429]);
    expect(limited.status).toBe(429);
    expect(json(limited).code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBe(60);
    expect(otherShop.status).toBe(200);
    expect((await allEvents(fresh)).filter((e) => e.type === 'tiktok.webhook_received')).toHaveLength(3);
    await fresh.close();
  });

  it('answers only after the append committed, and not with 200 when it fails', async () => {
    const fresh = await memoryStore();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let committed = false;
    const gated = {
      append: async (...args: Parameters<EventStore['append']>) => {
        await gate;
        const result = await fresh.append(...args);
        committed = true;
        return result;
      },
    };
    let answered = false;
    const pending = handlerFor(fresh, { store: gated })(tiktokRequest(tiktokEnvelope())).then((res) => {
      answered = true;
      expect(committed).toBe(true);
      return res;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(answered).toBe(false);
    release();
    expect((await pending).status).toBe(200);

    await fresh.close();
    const afterClose = await handlerFor(fresh)(tiktokRequest(tiktokEnvelope()));
    expect(afterClose.status).toBe(503);
    expect(json(afterClose).code).toBe('STORE_CLOSED');
  });

  it('keeps the orders of two creators with the same order id in separate streams', async () => {
    const fresh = await memoryStore();
    const handler = handlerFor(fresh, { resolveCreatorId: (shop) => `creator-of-${shop}` });
    for (const shop of ['shop-1', 'shop-2']) {
      const data = { order_id: 'o-same', order_status: 'UNPAID', update_time: NOW_S };
      expect((await handler(tiktokRequest(tiktokEnvelope({ shop_id: shop, data })))).status).toBe(200);
    }
    for (const shop of ['shop-1', 'shop-2']) {
      const { events } = await fresh.readStream(orderStream(`creator-of-${shop}`, 'o-same'));
      expect(events.map((e) => (e.data as { shopId: string }).shopId)).toEqual([shop, shop]);
    }
    await fresh.close();
  });

  it('rejects shops the host does not serve and maps shops to creators', async () => {
    const fresh = await memoryStore();
    const handler = handlerFor(fresh, {
      resolveCreatorId: (shop) => (shop === 'shop-known' ? 'creator-7' : undefined),
    });
    const unknown = await handler(tiktokRequest(tiktokEnvelope({ shop_id: 'shop-other' })));
    expect(unknown.status).toBe(403);
    expect(json(unknown).code).toBe('UNKNOWN_SHOP');
    const known = await handler(
      tiktokRequest(
        tiktokEnvelope({
          shop_id: 'shop-known',
          data: { order_id: 'o-7', order_status: 'UNPAID', update_time: NOW_S },
        }),
      ),
    );
    expect(known.status).toBe(200);
    const { events } = await fresh.readStream(orderStream('creator-7', 'o-7'));
    expect(events.every((e) => (e.data as { creatorId: string }).creatorId === 'creator-7')).toBe(true);
    await fresh.close();
  });
});

describe.each(sqlEngines)('TikTok webhook receiver on $name', (engine) => {
  let db: TestDatabase;
  let store: EventStore;
  beforeAll(async () => {
    if (!engine.available) return;
    db = await engine.open();
    store = createEventStore({ sql: db.sql, schema: db.schema, strict: true });
    registerCommerceEvents(store);
    await store.migrate();
  });
  afterAll(async () => {
    if (!engine.available) return;
    await store.close();
    await db.close();
  });

  it.skipIf(!engine.available)(
    'commits the events once, however often and concurrently TikTok redelivers',
    async () => {
      const handler = handlerFor(store);
      const envelope = tiktokEnvelope({
        data: { order_id: 'o-200', order_status: 'AWAITING_SHIPMENT', update_time: NOW_S },
      });
      const responses = await Promise.all(Array.from({ length: 5 }, () => handler(tiktokRequest(envelope))));
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      expect(responses.filter((r) => json(r).duplicate === false)).toHaveLength(1);
      const { events } = await store.readStream(orderStream(SHOP_ID, 'o-200'));
      expect(events.map((e) => e.type)).toEqual([
        'tiktok.webhook_received',
        'tiktok.order_status_changed',
        'order.received_from_tiktok',
      ]);
      expect(events[0]!.metadata.source).toBe('tiktok_webhook');
    },
  );

  it.skipIf(!engine.available)(
    'stores the signed body text exactly (jsonb keeps a string as it is)',
    async () => {
      const text = `{"type":1,"tts_notification_id":"n-sql-exact","shop_id":"${SHOP_ID}","timestamp":${NOW_S},
      "data":{"order_id":"o-sql-exact","order_status":"UNPAID","update_time":${NOW_S},"big":12345678901234567890123,"huge":1e400,"s":"caf\\u00e9 \u20ac"}}`;
      expect((await handlerFor(store)(tiktokRequest(Buffer.from(text)))).status).toBe(200);
      const [received] = (await store.readStream(orderStream(SHOP_ID, 'o-sql-exact'))).events;
      expect((received!.data as { body: string }).body).toBe(text);
    },
  );

  it.skipIf(!engine.available)('writes nothing for a schema violation', async () => {
    const before = (await allEvents(store)).length;
    const res = await handlerFor(store)(
      tiktokRequest(tiktokEnvelope({ type: 5, data: { product_id: 'p', update_time: NOW_S } })),
    );
    expect(res.status).toBe(422);
    expect((await allEvents(store)).length).toBe(before);
  });

  it.skipIf(!engine.available)(
    'refuses a notification or order id with a lone surrogate: 400 and nothing written, not a 500 the sender retries forever',
    async () => {
      const before = (await allEvents(store)).length;
      // JSON escapes of half a pair: jsonb refuses them, and a name would be stored as U+FFFD.
      const notification = (id: string, orderId: string) =>
        tiktokRequest(
          Buffer.from(
            `{"type":1,"tts_notification_id":"${id}","shop_id":"${SHOP_ID}","timestamp":${NOW_S},` +
              `"data":{"order_id":"${orderId}","order_status":"UNPAID","update_time":${NOW_S}}}`,
          ),
        );
      const responses = [
        await handlerFor(store)(notification('n-half-\\ud800', 'o-half-1')),
        await handlerFor(store)(notification('n-half-\\udfff', 'o-half-2')),
        await handlerFor(store)(notification('n-half-3', 'o-half-\\ud800')),
        await handlerFor(store)(notification('n-half-4', 'o-half-\\udfff')),
      ];
      expect(responses.map((r) => [r.status, json(r).code])).toEqual(
        Array.from({ length: 4 }, () => [400, 'INVALID_ARGUMENT']),
      );
      expect((await allEvents(store)).length).toBe(before);
    },
  );
});
