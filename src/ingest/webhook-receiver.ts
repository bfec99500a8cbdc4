/**
 * Webhook receivers as data: a path and a factory the host (or
 * `createSyncEngine`) calls with its store and shared rate limiter. The
 * library knows no provider; a domain supplies its receivers.
 */
import { problemResponse } from '../http/problem.js';
import { createRouter } from '../http/router.js';
import type { HttpHandler, HttpRequest } from '../http/types.js';
import type { EventStore } from '../store/types.js';
import type { AdmissionControl } from './admission-control.js';
import { INGEST_ERROR_STATUS } from './errors.js';
import type { RateLimiter } from './rate-limiter.js';
import type { Logger } from '../core/logger.js';

/** What a receiver is built with. */
export interface ReceiverContext {
  /** Where the receiver appends (only `append` is used by the built-in ones). */
  readonly store: Pick<EventStore, 'append'>;
  /** A limiter shared by every receiver (e.g. Redis); each receiver's own default when absent. */
  readonly rateLimiter?: RateLimiter;
  /**
   * Admission control in front of every receiver: a webhook it refuses gets
   * 503 `OVERLOADED` with `Retry-After` before anything is read or written.
   * None by default (the engine's `admission` option builds one).
   */
  readonly admission?: Pick<AdmissionControl, 'admit'>;
  /** Where receivers log what they answer with 500 (the engine's `logger`); each receiver's default when absent. */
  readonly logger?: Logger;
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
  const { admission } = context;
  return createRouter(
    receivers.map((r) => {
      const handler = r.create(context);
      return { method: 'POST', path: r.path, handler: admission ? admitted(handler, admission) : handler };
    }),
  );
}

/** `handler` behind admission control: refused before it runs, released once it answered. */
function admitted(handler: HttpHandler, admission: Pick<AdmissionControl, 'admit'>): HttpHandler {
  const guarded: HttpHandler = async (req: HttpRequest) => {
    const ticket = admission.admit();
    if (!ticket.admitted) {
      return problemResponse({
        status: INGEST_ERROR_STATUS.OVERLOADED,
        code: 'OVERLOADED',
        message: `Intake is shedding load (${ticket.reason}); nothing was written, retry later`,
        headers: { 'retry-after': String(ticket.retryAfterS) },
      });
    }
    try {
      return await handler(req);
    } finally {
      ticket.release();
    }
  };
  if (handler.maxBodyBytes) guarded.maxBodyBytes = handler.maxBodyBytes;
  return guarded;
}
