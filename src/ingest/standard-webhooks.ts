/**
 * The Standard Webhooks scheme (standardwebhooks.com): `webhook-id`,
 * `webhook-timestamp` and `webhook-signature` headers; the signature is
 * `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed with the decoded
 * `whsec_…` secret. Several space-separated signatures allow key rotation.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidArgumentError } from '../core/errors.js';
import { IngestError } from './errors.js';

/**
 * Default tolerance between the sender's timestamp and now, in seconds (both directions).
 *
 * @example
 * ```ts
 * STANDARD_WEBHOOK_TOLERANCE_SECONDS // 300
 * ```
 */
export const STANDARD_WEBHOOK_TOLERANCE_SECONDS = 300;

const SECRET_PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const WEBHOOK_ID = /^[\x21-\x7e]{1,256}$/;
const TIMESTAMP = /^\d{1,15}$/;

/**
 * Decode a `whsec_<base64>` secret into its key bytes; throws `InvalidArgumentError` when malformed.
 *
 * @example
 * ```ts
 * decodeWebhookSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw') // Buffer
 * ```
 */
export function decodeWebhookSecret(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (!BASE64.test(encoded))
    throw new InvalidArgumentError('Webhook secret must be whsec_ followed by base64');
  const key = Buffer.from(encoded, 'base64');
  if (key.length < 16) throw new InvalidArgumentError('Webhook secret must hold at least 16 bytes');
  return key;
}

function mac(key: Buffer, id: string, timestamp: string, rawBody: Buffer): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(rawBody).digest();
}

/**
 * Sign a payload (for tests and senders): returns the `webhook-signature` value.
 *
 * @example
 * ```ts
 * const signature = signStandardWebhook('whsec_…', 'msg_1', Math.floor(Date.now() / 1000), body);
 * ```
 */
export function signStandardWebhook(
  secret: string,
  id: string,
  timestampSeconds: number,
  rawBody: Buffer,
): string {
  return `v1,${mac(decodeWebhookSecret(secret), id, String(timestampSeconds), rawBody).toString('base64')}`;
}

/** Input of {@link verifyStandardWebhook}. */
export interface StandardWebhookInput {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: Buffer;
  /** Decoded keys (see {@link decodeWebhookSecret}); any may match. */
  keys: readonly Buffer[];
  /** Now in ms. */
  nowMs: number;
  toleranceSeconds?: number;
}

/**
 * Verify a Standard Webhooks request; throws `SIGNATURE_MISSING`,
 * `STALE_TIMESTAMP` or `SIGNATURE_INVALID`. Comparisons are constant-time.
 *
 * @example
 * ```ts
 * verifyStandardWebhook({ id, timestamp, signature, rawBody, keys: [decodeWebhookSecret(secret)], nowMs: Date.now() });
 * ```
 */
export function verifyStandardWebhook(input: StandardWebhookInput): { id: string; timestampSeconds: number } {
  const { id, timestamp, signature } = input;
  if (!id || !timestamp || !signature) {
    throw new IngestError(
      'SIGNATURE_MISSING',
      'webhook-id, webhook-timestamp and webhook-signature are required',
    );
  }
  if (!WEBHOOK_ID.test(id)) throw new IngestError('SIGNATURE_INVALID', 'webhook-id is malformed');
  if (!TIMESTAMP.test(timestamp))
    throw new IngestError('SIGNATURE_INVALID', 'webhook-timestamp is malformed');
  const seconds = Number(timestamp);
  const tolerance = input.toleranceSeconds ?? STANDARD_WEBHOOK_TOLERANCE_SECONDS;
  if (Math.abs(input.nowMs / 1000 - seconds) > tolerance) {
    throw new IngestError('STALE_TIMESTAMP', `webhook-timestamp is outside the ±${tolerance} s window`);
  }
  const expected = input.keys.map((key) => mac(key, id, timestamp, input.rawBody));
  let matched = false;
  for (const part of signature.split(' ')) {
    const comma = part.indexOf(',');
    if (comma < 0 || part.slice(0, comma) !== 'v1') continue;
    const encoded = part.slice(comma + 1);
    if (!BASE64.test(encoded)) continue;
    const given = Buffer.from(encoded, 'base64');
    for (const digest of expected) {
      // Checking every pair (no early exit) keeps the time independent of which one matched.
      if (given.length === digest.length && timingSafeEqual(given, digest)) matched = true;
    }
  }
  if (!matched) throw new IngestError('SIGNATURE_INVALID', 'No webhook-signature matches the body');
  return { id, timestampSeconds: seconds };
}
