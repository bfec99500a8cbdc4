/**
 * Posts the fake shop's notifications as signed webhooks: TikTok Shop
 * (`Authorization` = HMAC of app key + body) and a shipping provider
 * (Standard Webhooks signature plus `x-api-key`).
 */
import { randomUUID } from 'node:crypto';
import { signTikTokWebhook } from '@creatorflow/sync/commerce';
import { signStandardWebhook } from '@creatorflow/sync/ingest';
import type { Notification } from './fake-shop.js';

/** Credentials and addresses of the receivers. */
export interface WebhookTarget {
  /** The host's base URL, e.g. `http://localhost:3000`. */
  url: string;
  appKey: string;
  appSecret: string;
  shopId: string;
  /** The creator the shop belongs to (echoed in shipment metadata). */
  creatorId: string;
  shipping: { provider: string; apiKey: string; secret: string };
}

/** What happened to one post. */
export interface PostResult {
  status: number;
  /** Network error message when the request never got an answer. */
  error?: string;
}

/** Seconds since the epoch. */
const unix = (ms: number): number => Math.floor(ms / 1000);

/**
 * Build the HTTP request for a notification (exported for tests).
 *
 * @example
 * ```ts
 * const { path, headers, body } = buildWebhook(target, notification, Date.now());
 * ```
 */
export function buildWebhook(
  target: WebhookTarget,
  n: Notification,
  now: number,
): { path: string; headers: Record<string, string>; body: string } {
  if (n.kind === 'tracking') {
    const id = `msg_${randomUUID()}`;
    const timestamp = unix(now);
    const body = JSON.stringify({
      type: 'tracking.updated',
      timestamp: new Date(now).toISOString(),
      data: {
        order_id: n.order.id,
        creator_id: target.creatorId,
        tracking_number: n.order.trackingNumber,
        carrier: 'UPS',
        status: n.status,
        occurred_at: new Date(now).toISOString(),
      },
    });
    return {
      path: `/api/webhooks/shipping/${target.shipping.provider}`,
      headers: {
        'content-type': 'application/json',
        'x-api-key': target.shipping.apiKey,
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signStandardWebhook(target.shipping.secret, id, timestamp, Buffer.from(body)),
      },
      body,
    };
  }
  const envelope =
    n.kind === 'order_status'
      ? {
          type: 1,
          data: {
            order_id: n.order.id,
            order_status: n.status === 'CANCELLED' ? 'CANCEL' : n.status,
            is_on_hold_order: false,
            update_time: unix(now),
          },
        }
      : { type: 5, data: { product_id: n.product.id, status: n.status, update_time: unix(now) } };
  const body = JSON.stringify({
    ...envelope,
    tts_notification_id: randomUUID(),
    shop_id: target.shopId,
    timestamp: unix(now),
  });
  return {
    path: '/api/webhooks/tiktok',
    headers: {
      'content-type': 'application/json',
      authorization: signTikTokWebhook(target.appKey, target.appSecret, Buffer.from(body)),
    },
    body,
  };
}

/**
 * Post one notification; never throws (the result says what happened).
 *
 * @example
 * ```ts
 * const { status } = await postWebhook(target, notification, Date.now());
 * ```
 */
export async function postWebhook(target: WebhookTarget, n: Notification, now: number): Promise<PostResult> {
  const { path, headers, body } = buildWebhook(target, n, now);
  try {
    const response = await fetch(new URL(path, target.url), { method: 'POST', headers, body });
    await response.arrayBuffer();
    return { status: response.status };
  } catch (err) {
    return { status: 0, error: err instanceof Error ? err.message : String(err) };
  }
}
