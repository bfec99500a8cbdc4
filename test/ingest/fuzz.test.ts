/**
 * Fuzzing the receivers: random and mutated requests never crash a handler,
 * never write an event, and always get a 4xx problem with a known code.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressAdapter } from '../../src/http/express.js';
import type { HttpHandler, HttpRequest, HttpResponse } from '../../src/http/types.js';
import { INGEST_ERROR_CODES } from '../../src/ingest/errors.js';
import { createCommerceIngestHandler } from '../../src/commerce/ingest/commerce-ingest-handler.js';
import { signStandardWebhook } from '../../src/ingest/standard-webhooks.js';
import { TIKTOK_REPLAY_WINDOW_SECONDS } from '../../src/commerce/ingest/tiktok/webhook-handler.js';
import { signTikTokWebhook } from '../../src/commerce/ingest/tiktok/webhook-signature.js';
import type { EventStore } from '../../src/store/types.js';
import {
  APP_KEY,
  APP_SECRET,
  CREATOR,
  NOW_MS,
  NOW_S,
  SHIPPO_API_KEY,
  SHIPPO_SECRET,
  allEvents,
  memoryStore,
  seedOrder,
  shippingRequest,
  tiktokEnvelope,
  tiktokRequest,
  trackingBody,
} from './support.js';

// VALIDATION_FAILED: the store refused a payload (say, a NUL character PostgreSQL cannot hold).
const KNOWN_CODES = new Set<string>([
  ...INGEST_ERROR_CODES,
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'VALIDATION_FAILED',
]);
const MAX_BODY = 16 * 1024;

function ingest(store: EventStore): HttpHandler {
  return createCommerceIngestHandler({
    tiktok: { store, appKey: APP_KEY, appSecret: APP_SECRET, now: () => NOW_MS, maxBodyBytes: MAX_BODY },
    shipping: {
      store,
      providers: { shippo: { apiKey: SHIPPO_API_KEY, secrets: SHIPPO_SECRET, creators: [CREATOR] } },
      now: () => NOW_MS,
      maxBodyBytes: MAX_BODY,
    },
  });
}

function expectRejected(res: { status: number; headers: Record<string, string>; body: string }): void {
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  expect(res.headers['content-type']).toBe('application/problem+json');
  const problem = JSON.parse(res.body) as { code: string; status: number };
  expect(KNOWN_CODES.has(problem.code)).toBe(true);
  expect(problem.status).toBe(res.status);
}

// ---- fully random requests -------------------------------------------------

const anyPath = fc.oneof(
  fc.constant('/api/webhooks/tiktok'),
  fc.constant('/api/webhooks/shipping/shippo'),
  fc.string({ maxLength: 12 }).map((p) => `/api/webhooks/shipping/${encodeURIComponent(p)}`),
  fc.webPath(),
);
const anyHeaderValue = fc.oneof(fc.string({ maxLength: 80 }), fc.stringMatching(/^[0-9a-f]{64}$/));
const randomRequest: fc.Arbitrary<HttpRequest> = fc.record({
  method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH'),
  path: anyPath,
  headers: fc.record(
    {
      authorization: anyHeaderValue,
      'content-type': fc.constantFrom('application/json', 'text/plain', ''),
      'webhook-id': anyHeaderValue,
      'webhook-timestamp': fc.oneof(fc.constant(String(NOW_S)), fc.string({ maxLength: 12 })),
      'webhook-signature': fc.oneof(
        anyHeaderValue,
        fc.base64String({ maxLength: 44 }).map((s) => `v1,${s}`),
      ),
      'x-api-key': fc.oneof(anyHeaderValue, fc.constant(SHIPPO_API_KEY)),
    },
    { requiredKeys: [] },
  ),
  rawBody: fc.oneof(
    fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
    fc.json({ maxDepth: 3 }).map((j) => Buffer.from(j)),
    fc
      .jsonValue({ maxDepth: 2 })
      .map((v) => Buffer.from(JSON.stringify(tiktokEnvelope({ data: v })) ?? 'null')),
  ),
  params: fc.constant({}),
}) as fc.Arbitrary<HttpRequest>;

// ---- mutations of valid signed requests ---------------------------------------

type Mutation = (req: HttpRequest) => HttpRequest;

const resignTikTok = (rawBody: Buffer): HttpRequest => tiktokRequest(rawBody);

/** Mutations that each make a valid TikTok request invalid, whatever else they hit. */
const tiktokMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, x]) => (req: HttpRequest) => {
    const body = Buffer.from(req.rawBody);
    body[at % body.length]! ^= x;
    return { ...req, rawBody: body };
  }),
  fc
    .nat()
    .map((n) => (req: HttpRequest) => ({ ...req, rawBody: req.rawBody.subarray(0, n % req.rawBody.length) })),
  fc.uint8Array({ minLength: 1, maxLength: 8 }).map((extra) => (req: HttpRequest) => ({
    ...req,
    rawBody: Buffer.concat([req.rawBody, Buffer.from(extra)]),
  })),
  fc.constant((req: HttpRequest) => ({ ...req, headers: { ...req.headers, authorization: undefined } })),
  fc.constant((req: HttpRequest) => ({
    ...req,
    headers: { ...req.headers, authorization: String(req.headers.authorization).toUpperCase() },
  })),
  fc
    .string({ maxLength: 70 })
    .map((s) => (req: HttpRequest) => ({ ...req, headers: { ...req.headers, authorization: s } })),
  fc.constant((req: HttpRequest) => ({
    ...req,
    headers: { ...req.headers, authorization: signTikTokWebhook(APP_KEY, 'another-secret', req.rawBody) },
  })),
  // Re-signed, but malformed JSON.
  fc.constant((req: HttpRequest) => resignTikTok(req.rawBody.subarray(0, req.rawBody.length - 1))),
  // Re-signed, but a required envelope field removed or retyped.
  fc
    .tuple(fc.constantFrom('type', 'tts_notification_id', 'shop_id', 'timestamp', 'data'), fc.boolean())
    .map(([field, drop]) => (req: HttpRequest) => {
      const envelope = JSON.parse(req.rawBody.toString()) as Record<string, unknown>;
      if (drop) delete envelope[field];
      else envelope[field] = field === 'data' ? 'not-an-object' : { nested: true };
      return resignTikTok(Buffer.from(JSON.stringify(envelope)));
    }),
  // Re-signed, but the type's data violates its schema.
  fc
    .constantFrom(
      { order_status: 'SHIPPED_BY_OWL' },
      { order_id: '' },
      { update_time: 'yesterday' },
      { order_status: undefined },
    )
    .map((patch) => (req: HttpRequest) => {
      const envelope = JSON.parse(req.rawBody.toString()) as { type: number; data: Record<string, unknown> };
      // Order fields only matter to order webhooks; every type rejects a non-numeric update_time.
      envelope.data =
        envelope.type === 1 ? { ...envelope.data, ...patch } : { ...envelope.data, update_time: 'x' };
      return resignTikTok(Buffer.from(JSON.stringify(envelope)));
    }),
  // Re-signed, but older than the redelivery schedule or ahead by more than clock skew.
  fc
    .tuple(fc.integer({ min: 901, max: 10_000_000 }), fc.boolean())
    .map(([skew, past]) => (req: HttpRequest) => {
      const envelope = JSON.parse(req.rawBody.toString()) as Record<string, unknown>;
      envelope.timestamp = past ? Math.max(1, NOW_S - TIKTOK_REPLAY_WINDOW_SECONDS - skew) : NOW_S + skew;
      return resignTikTok(Buffer.from(JSON.stringify(envelope)));
    }),
  // Re-signed, but oversized.
  fc.constant((req: HttpRequest) => {
    const envelope = JSON.parse(req.rawBody.toString()) as Record<string, unknown>;
    return resignTikTok(Buffer.from(JSON.stringify({ ...envelope, pad: 'x'.repeat(MAX_BODY) })));
  }),
  fc.constantFrom('GET', 'PUT', 'DELETE').map((method) => (req: HttpRequest) => ({ ...req, method })),
  fc.webPath().map((p) => (req: HttpRequest) => ({ ...req, path: `/api/webhooks/tiktok/x${p}` })),
);

/** Mutations that each make a valid shipping request invalid. */
const shippingMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, x]) => (req: HttpRequest) => {
    const body = Buffer.from(req.rawBody);
    body[at % body.length]! ^= x;
    return { ...req, rawBody: body };
  }),
  fc.string({ maxLength: 30 }).map((key) => (req: HttpRequest) => ({
    ...req,
    headers: { ...req.headers, 'x-api-key': key === SHIPPO_API_KEY ? `${key}!` : key },
  })),
  fc
    .constantFrom('webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-api-key')
    .map((h) => (req: HttpRequest) => ({
      ...req,
      headers: { ...req.headers, [h]: undefined },
    })),
  fc.string({ minLength: 1, maxLength: 20 }).map((id) => (req: HttpRequest) => ({
    ...req,
    headers: { ...req.headers, 'webhook-id': `${String(req.headers['webhook-id'])}${id}` },
  })),
  fc
    .tuple(fc.integer({ min: 301, max: 1_000_000 }), fc.boolean())
    .map(([skew, past]) => (req: HttpRequest) => {
      const ts = past ? NOW_S - skew : NOW_S + skew;
      const id = String(req.headers['webhook-id']);
      return {
        ...req,
        headers: {
          ...req.headers,
          'webhook-timestamp': String(ts),
          'webhook-signature': signStandardWebhook(SHIPPO_SECRET, id, ts, req.rawBody),
        },
      };
    }),
  fc.string({ minLength: 1, maxLength: 15 }).map((p) => (req: HttpRequest) => {
    const provider = p === 'shippo' ? 'shippo2' : p;
    return { ...req, path: `/api/webhooks/shipping/${encodeURIComponent(provider)}`, params: {} };
  }),
  // Re-signed, but the tracking data violates its schema.
  fc
    .constantFrom(
      { status: 'lost_at_sea' },
      { order_id: '' },
      { creator_id: 42 },
      { tracking_number: undefined },
    )
    .map((patch) => (req: HttpRequest) => {
      const body = JSON.parse(req.rawBody.toString()) as { data: Record<string, unknown> };
      body.data = { ...body.data, ...patch };
      return shippingRequest(Buffer.from(JSON.stringify(body)), { id: String(req.headers['webhook-id']) });
    }),
  fc.constant((req: HttpRequest) => shippingRequest(req.rawBody.subarray(1))),
);

const tiktokBase = fc
  .record({
    type: fc.constantFrom(1, 2, 4, 5, 6),
    status: fc.constantFrom('UNPAID', 'AWAITING_SHIPMENT', 'CANCEL', 'DELIVERED'),
    order: fc.stringMatching(/^[0-9]{6,19}$/),
  })
  .map(({ type, status, order }) => {
    const data: Record<string, unknown> =
      type === 1
        ? { order_id: order, order_status: status, update_time: NOW_S }
        : type === 2
          ? { order_id: order, reverse_order_id: `r${order}`, reverse_order_status: 1, update_time: NOW_S }
          : type === 4
            ? { order_id: order, package_id: `p${order}`, update_time: NOW_S }
            : type === 5
              ? { product_id: order, status: 'ACTIVATE', update_time: NOW_S }
              : { message: 'bye', update_time: NOW_S };
    return tiktokRequest(tiktokEnvelope({ type, data }));
  });

/** Orders that exist (seeded in every store), so valid shipping updates are accepted. */
const ORDERS = ['ord1', 'ord2', 'ord3'] as const;
/** A store with the {@link ORDERS} in it. */
async function seededStore(): Promise<EventStore> {
  const store = await memoryStore();
  for (const id of ORDERS) await seedOrder(store, id);
  return store;
}

const shippingBase = fc
  .record({
    status: fc.constantFrom('picked_up', 'in_transit', 'delivered'),
    order: fc.constantFrom(...ORDERS),
  })
  .map(({ status, order }) => shippingRequest(trackingBody(status, { order_id: order })));

const mutatedRequest: fc.Arbitrary<HttpRequest> = fc.oneof(
  fc.tuple(tiktokBase, tiktokMutation).map(([req, m]) => m(req)),
  fc.tuple(shippingBase, shippingMutation).map(([req, m]) => m(req)),
);

describe('fuzzing the framework-agnostic handler', () => {
  let store: EventStore;
  let handler: HttpHandler;
  beforeAll(async () => {
    store = await seededStore();
    handler = ingest(store);
  });
  afterAll(() => store.close());

  it('control: the unmutated base requests are accepted (so the mutations are what gets rejected)', async () => {
    const control = await seededStore();
    const h = ingest(control);
    await fc.assert(
      fc.asyncProperty(fc.oneof(tiktokBase, shippingBase), async (req) => {
        expect((await h(req)).status).toBe(200);
      }),
      { numRuns: 50 },
    );
    expect((await allEvents(control)).length).toBeGreaterThan(ORDERS.length);
    await control.close();
  });

  it('4,000 random requests: no crash, only 4xx problems', async () => {
    await fc.assert(
      fc.asyncProperty(randomRequest, async (req) => {
        expectRejected(await handler(req));
      }),
      { numRuns: 4000 },
    );
    expect(await allEvents(store)).toHaveLength(ORDERS.length);
  });

  it('6,000 mutated signed requests: no crash, only 4xx problems, nothing written', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedRequest, async (req) => {
        expectRejected(await handler(req));
      }),
      { numRuns: 6000 },
    );
    expect(await allEvents(store)).toHaveLength(ORDERS.length);
  });
});

describe('fuzzing through a real Express server', () => {
  let store: EventStore;
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    store = await seededStore();
    const app = express();
    app.use(expressAdapter(ingest(store)));
    server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await store.close();
  });

  it('300 mutated requests over HTTP: only 4xx problems, nothing written', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedRequest, async (req) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) {
          // fetch refuses header values with control characters; those never reach a server anyway.
          if (typeof v !== 'string' || !/^[\x20-\x7e]*$/.test(v)) continue;
          // HTTP strips a field value's outer whitespace (RFC 9110 §5.5), so a
          // mutation that only adds some never reaches the server: not a mutation here.
          fc.pre(v.trim() === v);
          headers[k] = v;
        }
        const method = req.method;
        const res = await fetch(base + req.path, {
          method,
          headers,
          ...(method === 'GET' ? {} : { body: new Uint8Array(req.rawBody) }),
        });
        const response: HttpResponse = {
          status: res.status,
          headers: { 'content-type': res.headers.get('content-type') ?? '' },
          body: await res.text(),
        };
        expectRejected(response);
      }),
      { numRuns: 300 },
    );
    expect(await allEvents(store)).toHaveLength(ORDERS.length);
  });
});
