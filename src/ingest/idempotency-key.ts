/**
 * Idempotency keys of webhooks, bounded to what the store accepts.
 */
import { createHash } from 'node:crypto';

/** The store's longest idempotency key (`src/store/prepare-append.ts`). */
const MAX_KEY_LENGTH = 256;

/**
 * The idempotency key of a sender's message id: `<namespace>:<id>` when it fits
 * the store's 256 characters, else `<namespace>#sha256:<base64url of the id's
 * SHA-256>`. A valid but long id (Standard Webhooks sets no length) is then
 * still deduplicated instead of failing every delivery. The two forms cannot
 * meet: namespaces hold no `#`, so a literal key always has `:` where a hashed
 * one has `#`.
 *
 * @example
 * ```ts
 * webhookIdempotencyKey('shipping:shippo', 'msg_1') // 'shipping:shippo:msg_1'
 * webhookIdempotencyKey('shipping:shippo', 'x'.repeat(300)).length // 59
 * ```
 */
export function webhookIdempotencyKey(namespace: string, id: string): string {
  const key = `${namespace}:${id}`;
  if (key.length <= MAX_KEY_LENGTH) return key;
  return `${namespace}#sha256:${createHash('sha256').update(id).digest('base64url')}`;
}
