/**
 * Helpers of the ingestion suites: signed TikTok and shipping requests.
 */
import { randomBytes } from 'node:crypto';
import { commerceEvent, registerCommerceEvents } from '../../src/commerce/events/catalog.js';
import { orderStream } from '../../src/commerce/inventory/streams.js';
import type { HttpRequest } from '../../src/http/types.js';
import { signStandardWebhook } from '../../src/ingest/standard-webhooks.js';
import { signTikTokWebhook } from '../../src/commerce/ingest/tiktok/webhook-signature.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import type { Logger } from '../../src/core/logger.js';
import { unlimitedRateLimiter } from '../../src/ingest/rate-limiter.js';
import { createShippingWebhookHandler } from '../../src/commerce/ingest/shipping/webhook-handler.js';
import { createTikTokWebhookHandler } from '../../src/commerce/ingest/tiktok/webhook-handler.js';

export const APP_KEY = 'test-app-key';
export const APP_SECRET = 'test-app-secret-0123456789';
export const SHIPPO_API_KEY = 'shippo-api-key-123456';
export const SHIPPO_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
export const SHIPPO_OLD_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

/** A fixed "now" for handlers, in ms. */
export const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0);
export const NOW_S = Math.floor(NOW_MS / 1000);

/** An in-memory store knowing every catalog event (strict, so unknown types fail loudly). */
export async function memoryStore(): Promise<EventStore> {
  const store = createEventStore({ strict: true });
  registerCommerceEvents(store);
  await store.migrate();
  return store;
}

/** The shop of {@link tiktokEnvelope}; the receivers' default maps a shop to a creator of the same id. */
export const SHOP_ID = '7494049642642441621';

/** A TikTok webhook envelope. */
export function tiktokEnvelope(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 1,
    tts_notification_id: `n-${randomBytes(6).toString('hex')}`,
    shop_id: SHOP_ID,
    timestamp: NOW_S,
    data: {
      order_id: '576461413038785752',
      order_status: 'AWAITING_SHIPMENT',
      is_on_hold_order: false,
      update_time: NOW_S - 2,
    },
    ...overrides,
  };
}

/** A signed TikTok webhook request for `body` (an object is serialised, a string or Buffer sent as is). */
export function tiktokRequest(
  body: unknown,
  options: { secret?: string; authorization?: string | null } = {},
): HttpRequest {
  const rawBody = Buffer.isBuffer(body)
    ? body
    : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const authorization =
    options.authorization === undefined
      ? signTikTokWebhook(APP_KEY, options.secret ?? APP_SECRET, rawBody)
      : options.authorization;
  return {
    method: 'POST',
    path: '/api/webhooks/tiktok',
    headers: {
      'content-type': 'application/json',
      ...(authorization === null ? {} : { authorization }),
    },
    rawBody,
    params: {},
  };
}

/** The creator of the tracking updates {@link trackingBody} builds. */
export const CREATOR = 'creator-1';

/** Make an order exist in the creator's order stream, as TikTok's webhook would. */
export async function seedOrder(store: EventStore, orderId: string, creatorId = CREATOR): Promise<void> {
  await store.append(
    orderStream(creatorId, orderId),
    [commerceEvent('order.validated', { creatorId, orderId })],
    {
      aggregateType: 'order',
    },
  );
}

/** A tracking update body. */
export function trackingBody(
  status: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    type: 'tracking.updated',
    timestamp: new Date(NOW_MS).toISOString(),
    data: {
      order_id: '576461413038785752',
      creator_id: CREATOR,
      tracking_number: '1Z999AA10123456784',
      carrier: 'ups',
      status,
      occurred_at: new Date(NOW_MS - 60_000).toISOString(),
      ...overrides,
    },
  };
}

/** A signed Standard Webhooks request to a shipping provider. */
export function shippingRequest(
  body: unknown,
  options: {
    provider?: string;
    id?: string;
    timestampS?: number;
    secret?: string;
    signature?: string;
    apiKey?: string | null;
  } = {},
): HttpRequest {
  const rawBody = Buffer.isBuffer(body)
    ? body
    : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const id = options.id ?? `msg_${randomBytes(8).toString('hex')}`;
  const ts = options.timestampS ?? NOW_S;
  const signature =
    options.signature ?? signStandardWebhook(options.secret ?? SHIPPO_SECRET, id, ts, rawBody);
  const apiKey = options.apiKey === undefined ? SHIPPO_API_KEY : options.apiKey;
  const provider = options.provider ?? 'shippo';
  return {
    method: 'POST',
    path: `/api/webhooks/shipping/${provider}`,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(ts),
      'webhook-signature': signature,
      ...(apiKey === null ? {} : { 'x-api-key': apiKey }),
    },
    rawBody,
    params: { provider },
  };
}

/** Every event in the store's log. */
export async function allEvents(store: EventStore) {
  return (await store.readAll({ limit: 100_000 })).events;
}

/** The parsed JSON body of a response. */
export function json(response: { body: string }): Record<string, unknown> {
  return JSON.parse(response.body) as Record<string, unknown>;
}

/** The TikTok receiver on `store` with the test credentials, no rate limit and a fixed clock. */
export function tiktokHandlerOn(store: Pick<EventStore, 'append'>, logger?: Logger) {
  return createTikTokWebhookHandler({
    store,
    appKey: APP_KEY,
    appSecret: APP_SECRET,
    rateLimiter: unlimitedRateLimiter,
    now: () => NOW_MS,
    logger,
  });
}

/** The shipping receiver on `store`: provider `shippo` serving {@link CREATOR}, no rate limit, a fixed clock. */
export function shippingHandlerOn(store: Pick<EventStore, 'append'>, logger?: Logger) {
  return createShippingWebhookHandler({
    store,
    providers: { shippo: { apiKey: SHIPPO_API_KEY, secrets: SHIPPO_SECRET, creators: [CREATOR] } },
    rateLimiter: unlimitedRateLimiter,
    now: () => NOW_MS,
    logger,
  });
}
