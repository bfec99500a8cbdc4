/**
 * TikTok Shop webhook signatures: `Authorization` is the lowercase hex
 * HMAC-SHA256 of `app_key + raw body`, keyed with the app secret.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * Sign a webhook body as TikTok Shop does (for tests and simulators).
 *
 * @example
 * ```ts
 * const authorization = signTikTokWebhook('app-key', 'app-secret', Buffer.from(body));
 * ```
 */
export function signTikTokWebhook(appKey: string, appSecret: string, rawBody: Buffer): string {
  return createHmac('sha256', appSecret).update(appKey).update(rawBody).digest('hex');
}

/**
 * Check an `Authorization` header against the raw body in constant time.
 * Returns false for a missing, malformed or wrong signature.
 *
 * @example
 * ```ts
 * if (!verifyTikTokWebhook(req.headers.authorization, appKey, appSecret, rawBody)) reject();
 * ```
 */
export function verifyTikTokWebhook(
  authorization: string | undefined,
  appKey: string,
  appSecret: string,
  rawBody: Buffer,
): boolean {
  if (authorization === undefined || !HEX_SHA256.test(authorization)) return false;
  const expected = createHmac('sha256', appSecret).update(appKey).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(authorization, 'hex'));
}
