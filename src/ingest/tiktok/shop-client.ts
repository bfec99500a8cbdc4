/**
 * The outbound TikTok Shop API client on `fetch`: signs every request, retries
 * 429 and 5xx with backoff (honouring `Retry-After`), and records
 * `tiktok.rate_limit_hit` / `tiktok.api_error` events in the store.
 */
import { z } from 'zod';
import type { EventPayload } from '../../commerce/events/catalog.js';
import type { EventStore } from '../../store/types.js';
import { TikTokApiError } from './api-error.js';
import { signTikTokRequest } from './request-signature.js';

/**
 * The source recorded in the metadata of the client's events.
 *
 * @example
 * ```ts
 * events.filter((e) => e.metadata.source === TIKTOK_CLIENT_SOURCE);
 * ```
 */
export const TIKTOK_CLIENT_SOURCE = 'tiktok_client';

/** Options of {@link createTikTokShopHttpClient}. */
export interface TikTokShopHttpClientOptions {
  appKey: string;
  appSecret: string;
  /** The seller's access token, or a function returning a fresh one. */
  accessToken: string | (() => string | Promise<string>);
  /** The shop's `shop_cipher`, sent on shop-scoped calls. */
  shopCipher?: string;
  /** The shop id, recorded in events. */
  shopId?: string;
  /** Default `https://open-api.tiktokglobalshop.com`. */
  baseUrl?: string;
  /** Where `tiktok.rate_limit_hit` / `tiktok.api_error` go; none when absent. */
  store?: Pick<EventStore, 'append'>;
  /** Retries after the first attempt. Default 3. */
  maxRetries?: number;
  /** First backoff delay; doubles per retry, with full jitter. Default 500 ms. */
  baseDelayMs?: number;
  /** Longest wait before a retry; a longer `Retry-After` fails the call instead. Default 30 s. */
  maxDelayMs?: number;
  /** Per-attempt timeout. Default 10 s. */
  timeoutMs?: number;
  /** Injectable for tests. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
  /** Called when recording an event fails (the API call itself goes on). */
  onEventError?: (err: unknown) => void;
}

const optionsSchema = z.object({
  appKey: z.string().min(1),
  appSecret: z.string().min(1),
  baseUrl: z.url().default('https://open-api.tiktokglobalshop.com'),
  maxRetries: z.int().min(0).max(10).default(3),
  baseDelayMs: z.number().min(0).default(500),
  maxDelayMs: z.number().min(0).default(30_000),
  timeoutMs: z.int().min(1).default(10_000),
});

/** One API call. */
export interface TikTokRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** e.g. `/order/202309/orders`. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
}

/** The TikTok Shop response envelope. */
interface TikTokResponseBody {
  code?: number;
  message?: string;
  request_id?: string;
  data?: unknown;
}

/**
 * The TikTok Shop calls the fulfillment saga needs.
 *
 * @example
 * ```ts
 * const detail = await client.getOrderDetail(['576461413038785752']);
 * ```
 */
export interface TikTokShopHttpClient {
  /** A signed call; resolves with the response's `data`. */
  request<T = unknown>(request: TikTokRequest): Promise<T>;
  /** `GET /order/202309/orders?ids=…`: current status and lines of orders. */
  getOrderDetail(orderIds: readonly string[]): Promise<unknown>;
  /** `POST /fulfillment/202309/orders/{order_id}/shipping_info/update`: set tracking. */
  updateShippingInfo(
    orderId: string,
    info: { trackingNumber: string; shippingProviderId: string },
  ): Promise<unknown>;
  /** `POST /fulfillment/202309/packages/{package_id}/ship`: mark a package shipped. */
  shipPackage(packageId: string, body?: Record<string, unknown>): Promise<unknown>;
}

/**
 * Parse `Retry-After` (seconds or an HTTP date) into ms; undefined when absent or invalid.
 *
 * @example
 * ```ts
 * retryAfterToMs('3', Date.now()) // 3000
 * ```
 */
export function retryAfterToMs(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * Create the client.
 *
 * @example
 * ```ts
 * const client = createTikTokShopHttpClient({ appKey, appSecret, accessToken, shopCipher, store });
 * await client.updateShippingInfo('5764…', { trackingNumber: '1Z…', shippingProviderId: '6617…' });
 * ```
 */
export function createTikTokShopHttpClient(options: TikTokShopHttpClientOptions): TikTokShopHttpClient {
  const config = Object.freeze(optionsSchema.parse(options));
  const doFetch = options.fetch ?? globalThis.fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const baseUrl = config.baseUrl.replace(/\/+$/, '');
  const streamId = `tiktok-api-${options.shopId ?? config.appKey}`;
  const shop = options.shopId === undefined ? {} : { shopId: options.shopId };

  async function record(
    event:
      | { type: 'tiktok.rate_limit_hit'; data: EventPayload<'tiktok.rate_limit_hit'> }
      | { type: 'tiktok.api_error'; data: EventPayload<'tiktok.api_error'> },
  ): Promise<void> {
    if (!options.store) return;
    try {
      await options.store.append(streamId, [{ type: event.type, data: event.data }], {
        aggregateType: 'tiktok_api',
        metadata: { source: TIKTOK_CLIENT_SOURCE },
      });
    } catch (err) {
      options.onEventError?.(err);
    }
  }

  const backoff = (attempt: number) =>
    Math.round(Math.min(config.maxDelayMs, config.baseDelayMs * 2 ** (attempt - 1)) * random());

  async function request<T>(req: TikTokRequest): Promise<T> {
    const token =
      typeof options.accessToken === 'function' ? await options.accessToken() : options.accessToken;
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    const attempts = config.maxRetries + 1;
    for (let attempt = 1; ; attempt++) {
      // Re-signed per attempt: the timestamp must be fresh.
      const query: Record<string, string> = {
        app_key: config.appKey,
        timestamp: String(Math.floor(now() / 1000)),
      };
      if (options.shopCipher !== undefined) query.shop_cipher = options.shopCipher;
      for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) query[k] = String(v);
      query.sign = signTikTokRequest({
        appSecret: config.appSecret,
        path: req.path,
        query,
        ...(body === undefined ? {} : { body }),
      });
      const url = `${baseUrl}${req.path}?${new URLSearchParams(query).toString()}`;
      const canRetry = attempt < attempts;
      const where = { method: req.method, path: req.path, ...shop, attempt };

      let response: Response;
      try {
        response = await doFetch(url, {
          method: req.method,
          headers: { 'content-type': 'application/json', 'x-tts-access-token': token },
          ...(body === undefined ? {} : { body }),
          signal: AbortSignal.timeout(config.timeoutMs),
        });
      } catch (cause) {
        const message = cause instanceof Error ? cause.message : String(cause);
        await record({
          type: 'tiktok.api_error',
          data: { ...where, status: null, message, willRetry: canRetry },
        });
        if (!canRetry) {
          throw new TikTokApiError('TIKTOK_NETWORK_ERROR', `${req.method} ${req.path} failed: ${message}`, {
            httpStatus: null,
            cause,
          });
        }
        await sleep(backoff(attempt));
        continue;
      }

      const text = await response.text();
      let parsed: TikTokResponseBody = {};
      try {
        parsed = text ? (JSON.parse(text) as TikTokResponseBody) : {};
      } catch {
        parsed = {};
      }
      const details = {
        httpStatus: response.status,
        ...(typeof parsed.code === 'number' ? { tiktokCode: parsed.code } : {}),
        ...(typeof parsed.request_id === 'string' ? { requestId: parsed.request_id } : {}),
      };
      const message =
        typeof parsed.message === 'string' && parsed.message ? parsed.message : `HTTP ${response.status}`;

      if (response.status === 429 || response.status >= 500) {
        const retryAfter = retryAfterToMs(response.headers.get('retry-after'), now());
        const delay = retryAfter ?? backoff(attempt);
        const willRetry = canRetry && delay <= config.maxDelayMs;
        if (response.status === 429) {
          await record({
            type: 'tiktok.rate_limit_hit',
            data: { ...where, retryAfterMs: Math.round(delay) },
          });
        } else {
          await record({
            type: 'tiktok.api_error',
            data: { ...where, status: response.status, message, willRetry, ...pickCode(parsed) },
          });
        }
        if (!willRetry) {
          const code = response.status === 429 ? 'TIKTOK_RATE_LIMITED' : 'TIKTOK_API_ERROR';
          throw new TikTokApiError(code, `${req.method} ${req.path} failed: ${message}`, details);
        }
        await sleep(delay);
        continue;
      }
      if (!response.ok || (typeof parsed.code === 'number' && parsed.code !== 0)) {
        await record({
          type: 'tiktok.api_error',
          data: { ...where, status: response.status, message, willRetry: false, ...pickCode(parsed) },
        });
        throw new TikTokApiError('TIKTOK_API_ERROR', `${req.method} ${req.path} failed: ${message}`, details);
      }
      return parsed.data as T;
    }
  }

  return {
    request,
    getOrderDetail: (orderIds) =>
      request({ method: 'GET', path: '/order/202309/orders', query: { ids: orderIds.join(',') } }),
    updateShippingInfo: (orderId, info) =>
      request({
        method: 'POST',
        path: `/fulfillment/202309/orders/${encodeURIComponent(orderId)}/shipping_info/update`,
        body: { tracking_number: info.trackingNumber, shipping_provider_id: info.shippingProviderId },
      }),
    shipPackage: (packageId, body = {}) =>
      request({
        method: 'POST',
        path: `/fulfillment/202309/packages/${encodeURIComponent(packageId)}/ship`,
        body,
      }),
  };
}

function pickCode(body: TikTokResponseBody): { tiktokCode?: number } {
  return typeof body.code === 'number' && Number.isInteger(body.code) ? { tiktokCode: body.code } : {};
}
