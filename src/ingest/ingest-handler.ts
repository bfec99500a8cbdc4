/**
 * One handler for every webhook receiver, routed by path.
 */
import { createRouter, type Route } from '../http/router.js';
import type { HttpHandler } from '../http/types.js';
import { createShippingWebhookHandler, type ShippingWebhookOptions } from './shipping/webhook-handler.js';
import { createTikTokWebhookHandler, type TikTokWebhookOptions } from './tiktok/webhook-handler.js';

/**
 * Paths of the receivers.
 *
 * @example
 * ```ts
 * app.post(INGEST_PATHS.tiktok, expressAdapter(tiktokHandler));
 * ```
 */
export const INGEST_PATHS = {
  tiktok: '/api/webhooks/tiktok',
  shipping: '/api/webhooks/shipping/:provider',
} as const;

/**
 * Options of {@link createIngestHandler}: the receivers to enable.
 *
 * @example
 * ```ts
 * const ingest = createIngestHandler({ tiktok: { store, appKey, appSecret }, shipping: { store, providers } });
 * ```
 */
export interface IngestHandlerOptions {
  tiktok?: TikTokWebhookOptions;
  shipping?: ShippingWebhookOptions;
}

/**
 * A single handler serving `POST /api/webhooks/tiktok` and
 * `POST /api/webhooks/shipping/:provider` (404 / 405 problems otherwise).
 *
 * @example
 * ```ts
 * const ingest = createIngestHandler({ tiktok: { store, appKey, appSecret }, shipping: { store, providers } });
 * app.use(expressAdapter(ingest));
 * ```
 */
export function createIngestHandler(options: IngestHandlerOptions): HttpHandler {
  const routes: Route[] = [];
  if (options.tiktok) {
    routes.push({
      method: 'POST',
      path: INGEST_PATHS.tiktok,
      handler: createTikTokWebhookHandler(options.tiktok),
    });
  }
  if (options.shipping) {
    routes.push({
      method: 'POST',
      path: INGEST_PATHS.shipping,
      handler: createShippingWebhookHandler(options.shipping),
    });
  }
  return createRouter(routes);
}
