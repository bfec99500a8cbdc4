/**
 * TikTok Shop API request signing (API version 202309): hex HMAC-SHA256, keyed
 * with the app secret, over
 * `app_secret + path + sorted(query key+value, without sign and access_token) + body + app_secret`.
 */
import { createHmac } from 'node:crypto';

/** Input of {@link signTikTokRequest}. */
export interface TikTokRequestToSign {
  appSecret: string;
  /** The URL path, e.g. `/order/202309/orders`. */
  path: string;
  /** Query parameters (without `sign`; `access_token` is ignored if present). */
  query: Readonly<Record<string, string>>;
  /** The exact JSON body sent, for non-multipart requests. */
  body?: string;
}

/**
 * Compute the `sign` query parameter of a TikTok Shop API request.
 *
 * @example
 * ```ts
 * const sign = signTikTokRequest({ appSecret, path: '/order/202309/orders',
 *   query: { app_key: 'k', timestamp: '1700000000', ids: '576' } });
 * ```
 */
export function signTikTokRequest(request: TikTokRequestToSign): string {
  const params = Object.keys(request.query)
    .filter((key) => key !== 'sign' && key !== 'access_token')
    .sort()
    .map((key) => `${key}${request.query[key]}`)
    .join('');
  const payload = `${request.appSecret}${request.path}${params}${request.body ?? ''}${request.appSecret}`;
  return createHmac('sha256', request.appSecret).update(payload).digest('hex');
}
