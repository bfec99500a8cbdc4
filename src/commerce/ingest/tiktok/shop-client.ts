/**
 * The outbound TikTok Shop API client on `fetch`: signs every request, renews
 * an expired access token through the host, retries what is safe to send
 * again with the runtime's `withRetry` (honouring `Retry-After`), and records
 * `tiktok.rate_limit_hit` / `tiktok.api_error` events in the store.
 */
import { z } from 'zod';
import type { EventPayload } from '../../events/catalog.js';
import { classifyFailure } from '../../../runtime/classify-failure.js';
import {
  nominalRetryDelayMs,
  resolveRetryPolicy,
  type RetryPolicy,
  type RetryPolicyInput,
} from '../../../runtime/retry-policy.js';
import { withRetry } from '../../../runtime/with-retry.js';
import type { EventStore } from '../../../store/types.js';
import { accessTokens, type AccessTokenOptions } from './access-token.js';
import { TikTokApiError, type TIKTOK_API_ERROR_CODES } from './api-error.js';
import { signTikTokRequest } from './request-signature.js';
import { parseOptions } from '../../../core/parse-options.js';

/**
 * The source recorded in the metadata of the client's events.
 *
 * @example
 * ```ts
 * events.filter((e) => e.metadata.source === TIKTOK_CLIENT_SOURCE);
 * ```
 */
export const TIKTOK_CLIENT_SOURCE = 'tiktok_client';

/**
 * Options of {@link createTikTokShopHttpClient}.
 *
 * @example
 * ```ts
 * const client = createTikTokShopHttpClient({
 *   appKey, appSecret, shopCipher: 'GCP_abc', shopId: 'shop-1',
 *   accessToken: () => tokens.current('shop-1'),
 *   store, retry: { attempts: 6 }, timeoutMs: 5_000, // rate limits and API errors recorded as events
 * });
 * ```
 */
export interface TikTokShopHttpClientOptions extends AccessTokenOptions {
  appKey: string;
  appSecret: string;
  /** The shop's `shop_cipher`, sent on shop-scoped calls. */
  shopCipher?: string;
  /** The shop id, recorded in events. */
  shopId?: string;
  /** Default `https://open-api.tiktokglobalshop.com`. */
  baseUrl?: string;
  /** Where `tiktok.rate_limit_hit` / `tiktok.api_error` go; none when absent. */
  store?: Pick<EventStore, 'append'>;
  /**
   * The runtime's retry policy for what is safe to send again. Default
   * {@link TIKTOK_RETRY_POLICY} (4 attempts, 500 ms doubling to 30 s, with
   * jitter); `maxTimeoutMs` is also the longest `Retry-After` it waits out (a
   * longer one fails the call at once).
   */
  retry?: RetryPolicyInput;
  /** @deprecated Use `retry: { attempts: maxRetries + 1 }`. Retries after the first attempt (0–10); `retry` wins. */
  maxRetries?: number;
  /** @deprecated Use `retry: { minTimeoutMs }`; `retry` wins. */
  baseDelayMs?: number;
  /** @deprecated Use `retry: { maxTimeoutMs }`; `retry` wins. */
  maxDelayMs?: number;
  /** Per-exchange timeout. Default 10 s. */
  timeoutMs?: number;
  /** Injectable for tests. */
  fetch?: typeof fetch;
  /** Waits out a `Retry-After` (tests). */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Called when recording an event fails (the API call itself goes on). */
  onEventError?: (err: unknown) => void;
}

const optionsSchema = z.object({
  appKey: z.string().min(1),
  appSecret: z.string().min(1),
  baseUrl: z.url().default('https://open-api.tiktokglobalshop.com'),
  maxRetries: z.int().min(0).max(10).optional(),
  baseDelayMs: z.number().min(0).optional(),
  maxDelayMs: z.number().min(0).optional(),
  timeoutMs: z.int().min(1).default(10_000),
});

/**
 * The client's default retry policy: 4 attempts, 500 ms doubling to at most
 * 30 s (also the longest `Retry-After` waited out), with jitter.
 *
 * @example
 * ```ts
 * createTikTokShopHttpClient({ ...credentials, retry: { ...TIKTOK_RETRY_POLICY, attempts: 6 } });
 * ```
 */
export const TIKTOK_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  attempts: 4,
  minTimeoutMs: 500,
  maxTimeoutMs: 30_000,
  factor: 2,
  jitter: true,
});

/** One API call. */
export interface TikTokRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** e.g. `/order/202309/orders`. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /**
   * Safe to send again after TikTok may have acted on it (a 5xx, a connection
   * lost after sending, a timeout). Default: true for GET, PUT and DELETE,
   * false for POST. Requests refused before acting (429, an expired token, a
   * connection never made) are sent again whatever this says.
   */
  idempotent?: boolean;
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

/** The response code TikTok gives an expired access token. */
const TOKEN_EXPIRED = 105002;

/** The connection was never made, so the request never left: safe to send again, whatever the method. */
function neverSent(err: unknown): boolean {
  return classifyFailure(err) === 'not_sent';
}

/** One HTTP exchange: the parsed answer, or the network error. */
type Exchange =
  { ok: true; response: Response; body: TikTokResponseBody } | { ok: false; cause: unknown; sent: boolean };

/** A failed attempt that may be retried, carrying the error to report and TikTok's wait. */
class RetryableFailure extends Error {
  constructor(
    readonly failure: TikTokApiError,
    readonly retryAfterMs: number | undefined,
  ) {
    super(failure.message);
  }
}

/**
 * Create the client.
 *
 * @example
 * ```ts
 * const client = createTikTokShopHttpClient({
 *   appKey, appSecret, shopCipher, store,
 *   accessToken: saved.accessToken,
 *   refreshAccessToken: async () => (await refreshWithTikTok(saved.refreshToken)).accessToken,
 * });
 * await client.updateShippingInfo('5764…', { trackingNumber: '1Z…', shippingProviderId: '6617…' });
 * ```
 */
export function createTikTokShopHttpClient(options: TikTokShopHttpClientOptions): TikTokShopHttpClient {
  const config = parseOptions('createTikTokShopHttpClient', optionsSchema, options);
  // `retry` over the deprecated aliases over the client's defaults.
  const aliases: RetryPolicyInput = {
    attempts: config.maxRetries === undefined ? undefined : config.maxRetries + 1,
    minTimeoutMs: config.baseDelayMs,
    maxTimeoutMs: config.maxDelayMs,
  };
  const retry = resolveRetryPolicy(options.retry, resolveRetryPolicy(aliases, TIKTOK_RETRY_POLICY));
  const doFetch = options.fetch ?? globalThis.fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? Date.now;
  const tokens = accessTokens(options);
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

  async function exchange(req: TikTokRequest, body: string | undefined, token: string): Promise<Exchange> {
    // Signed per exchange: the timestamp must be fresh.
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
    let response: Response;
    try {
      response = await doFetch(url, {
        method: req.method,
        headers: { 'content-type': 'application/json', 'x-tts-access-token': token },
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(config.timeoutMs),
      });
    } catch (cause) {
      return { ok: false, cause, sent: !neverSent(cause) };
    }
    const text = await response.text().catch(() => '');
    let parsed: TikTokResponseBody = {};
    try {
      parsed = text ? (JSON.parse(text) as TikTokResponseBody) : {};
    } catch {
      parsed = {};
    }
    return { ok: true, response, body: parsed };
  }

  const expired = (x: Exchange) => x.ok && x.body.code === TOKEN_EXPIRED;
  // The host's token functions failed: not TikTok's answer, and not retried here.
  const tokenFailure = (cause: unknown): never => {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new TikTokApiError('TIKTOK_TOKEN_EXPIRED', `No access token: ${message}`, {
      httpStatus: null,
      cause,
    });
  };

  /** One attempt: an exchange, and one more with a renewed token if TikTok says it expired. */
  async function attempt<T>(req: TikTokRequest, body: string | undefined, attemptNumber: number): Promise<T> {
    const idempotent = req.idempotent ?? req.method !== 'POST';
    const canRetry = attemptNumber < retry.attempts;
    const where = { method: req.method, path: req.path, ...shop, attempt: attemptNumber };
    const token = await tokens.current().catch(tokenFailure);
    let result = await exchange(req, body, token);
    if (expired(result)) {
      // TikTok refused the token before acting, so sending again is safe for any method.
      const fresh = await tokens.renew(token).catch(tokenFailure);
      if (fresh !== undefined) result = await exchange(req, body, fresh);
    }

    if (!result.ok) {
      const message = result.cause instanceof Error ? result.cause.message : String(result.cause);
      // Lost after sending: TikTok may have acted, so only an idempotent request goes again.
      const retryable = idempotent || !result.sent;
      await record({
        type: 'tiktok.api_error',
        data: { ...where, status: null, message, willRetry: retryable && canRetry },
      });
      const error = new TikTokApiError(
        'TIKTOK_NETWORK_ERROR',
        `${req.method} ${req.path} failed: ${message}`,
        {
          httpStatus: null,
          outcomeUnknown: result.sent,
          cause: result.cause,
        },
      );
      throw retryable ? new RetryableFailure(error, undefined) : error;
    }

    const { response, body: parsed } = result;
    const details = {
      httpStatus: response.status,
      ...(typeof parsed.code === 'number' ? { tiktokCode: parsed.code } : {}),
      ...(typeof parsed.request_id === 'string' ? { requestId: parsed.request_id } : {}),
    };
    const message =
      typeof parsed.message === 'string' && parsed.message ? parsed.message : `HTTP ${response.status}`;
    const failed = (code: (typeof TIKTOK_API_ERROR_CODES)[number], extra = {}) =>
      new TikTokApiError(code, `${req.method} ${req.path} failed: ${message}`, { ...details, ...extra });

    if (response.status === 429) {
      // Refused before acting: safe to send again, after TikTok's wait when it names one.
      const retryAfter = retryAfterToMs(response.headers.get('retry-after'), now());
      const retryable = retryAfter === undefined || retryAfter <= retry.maxTimeoutMs;
      const wait = retryAfter ?? nominalRetryDelayMs(retry, attemptNumber);
      await record({ type: 'tiktok.rate_limit_hit', data: { ...where, retryAfterMs: Math.round(wait) } });
      const error = failed('TIKTOK_RATE_LIMITED');
      throw retryable ? new RetryableFailure(error, retryAfter) : error;
    }
    if (response.status >= 500) {
      // The server failed while handling it: it may have acted.
      await record({
        type: 'tiktok.api_error',
        data: {
          ...where,
          status: response.status,
          message,
          willRetry: idempotent && canRetry,
          ...pickCode(parsed),
        },
      });
      const error = failed('TIKTOK_API_ERROR', { outcomeUnknown: true });
      throw idempotent ? new RetryableFailure(error, undefined) : error;
    }
    if (!response.ok || (typeof parsed.code === 'number' && parsed.code !== 0)) {
      await record({
        type: 'tiktok.api_error',
        data: { ...where, status: response.status, message, willRetry: false, ...pickCode(parsed) },
      });
      throw failed(parsed.code === TOKEN_EXPIRED ? 'TIKTOK_TOKEN_EXPIRED' : 'TIKTOK_API_ERROR');
    }
    return parsed.data as T;
  }

  async function request<T>(req: TikTokRequest): Promise<T> {
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    try {
      return await withRetry((attemptNumber) => attempt<T>(req, body, attemptNumber), retry, {
        // Only what the attempt marked as safe to send again; everything else is final.
        shouldRetry: (error) => error instanceof RetryableFailure,
        // TikTok's own wait first; the policy's backoff follows.
        onFailedAttempt: async ({ error, willRetry }) => {
          if (willRetry && error instanceof RetryableFailure && error.retryAfterMs !== undefined) {
            await sleep(error.retryAfterMs);
          }
        },
      });
    } catch (err) {
      throw err instanceof RetryableFailure ? err.failure : err;
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
        // It sets the order's tracking to these values: sending it twice leaves the same state.
        idempotent: true,
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
