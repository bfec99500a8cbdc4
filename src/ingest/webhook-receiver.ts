/**
 * Webhook receivers as data: a path and a factory the host (or
 * `createSyncEngine`) calls with its store and shared rate limiter. The
 * library knows no provider; a domain supplies its receivers.
 */
import { createRouter } from '../http/router.js';
import type { HttpHandler } from '../http/types.js';
import type { EventStore } from '../store/types.js';
import type { RateLimiter } from './rate-limiter.js';

/** What a receiver is built with. */
export interface ReceiverContext {
  /** Where the receiver appends (only `append` is used by the built-in ones). */
  readonly store: Pick<EventStore, 'append'>;
  /** A limiter shared by every receiver (e.g. Redis); each receiver's own default when absent. */
  readonly rateLimiter?: RateLimiter;
}

/**
 * One webhook endpoint: `POST path` served by the handler `create` builds.
 *
 * @example
 * ```ts
 * const stripe: WebhookReceiver = {
 *   path: '/api/webhooks/stripe',
 *   create: ({ store }) => createStripeHandler({ store, secret }),
 * };
 * createSyncEngine({ sql, receivers: [stripe] });
 * ```
 */
export interface WebhookReceiver {
  /** Route path; `:name` segments match one path segment. */
  readonly path: string;
  create(context: ReceiverContext): HttpHandler;
}

/**
 * One handler serving every receiver's `POST` route (404 / 405 problems otherwise).
 *
 * @example
 * ```ts
 * const ingest = createIngestHandler(commerceReceivers({ tiktok: { appKey, appSecret } }), { store });
 * app.use(expressAdapter(ingest));
 * ```
 */
export function createIngestHandler(
  receivers: readonly WebhookReceiver[],
  context: ReceiverContext,
): HttpHandler {
  return createRouter(receivers.map((r) => ({ method: 'POST', path: r.path, handler: r.create(context) })));
}
