/**
 * The commerce webhook receivers (TikTok Shop, shipping providers) as
 * {@link WebhookReceiver}s for `createSyncEngine({ receivers })`, and one
 * handler serving both for hosts that wire the parts themselves.
 */
import { createRouter, type Route } from '../../http/router.js';
import type { HttpHandler } from '../../http/types.js';
import type { Logger } from '../../core/logger.js';
import type { ReceiverContext, WebhookReceiver } from '../../ingest/webhook-receiver.js';
import { createShippingWebhookHandler, type ShippingWebhookOptions } from './shipping/webhook-handler.js';
import { createTikTokWebhookHandler, type TikTokWebhookOptions } from './tiktok/webhook-handler.js';

/**
 * Paths of the commerce receivers.
 *
 * @example
 * ```ts
 * app.post(COMMERCE_WEBHOOK_PATHS.tiktok, expressAdapter(engine.ingest));
 * ```
 */
export const COMMERCE_WEBHOOK_PATHS = {
  tiktok: '/api/webhooks/tiktok',
  shipping: '/api/webhooks/shipping/:provider',
} as const;

/**
 * TikTok receiver settings; the store and shared limiter come from the engine.
 *
 * @example
 * ```ts
 * const tiktok: TikTokReceiverOptions = {
 *   appKey,
 *   appSecret,
 *   resolveCreatorId: (shopId) => (shopId === 'shop-7' ? 'c1' : undefined), // shops this host serves
 * };
 * createSyncEngine({ sql, receivers: [tikTokReceiver(tiktok)] });
 * ```
 */
export type TikTokReceiverOptions = Omit<TikTokWebhookOptions, 'store' | 'rateLimiter'>;
/**
 * Shipping receiver settings; the store and shared limiter come from the engine.
 *
 * @example
 * ```ts
 * const shipping: ShippingReceiverOptions = {
 *   providers: { shippo: { apiKey: process.env.SHIPPO_KEY!, secrets: ['whsec_new', 'whsec_old'], creators: ['c1', 'c2'] } },
 *   toleranceSeconds: 120,
 * };
 * createSyncEngine({ sql, receivers: [shippingReceiver(shipping)] });
 * ```
 */
export type ShippingReceiverOptions = Omit<ShippingWebhookOptions, 'store' | 'rateLimiter'>;

/** The engine's store, limiter and logger; a logger the receiver's options name wins. */
function fromContext({ store, rateLimiter, logger }: ReceiverContext, own: { logger?: Logger | undefined }) {
  return {
    store,
    ...(rateLimiter === undefined ? {} : { rateLimiter }),
    logger: own.logger ?? logger,
  };
}

/**
 * The TikTok Shop receiver (`POST /api/webhooks/tiktok`).
 *
 * @example
 * ```ts
 * createSyncEngine({ sql, receivers: [tikTokReceiver({ appKey, appSecret })] });
 * ```
 */
export function tikTokReceiver(options: TikTokReceiverOptions): WebhookReceiver {
  return {
    path: COMMERCE_WEBHOOK_PATHS.tiktok,
    create: (context) => createTikTokWebhookHandler({ ...options, ...fromContext(context, options) }),
  };
}

/**
 * The shipping receiver (`POST /api/webhooks/shipping/:provider`).
 *
 * @example
 * ```ts
 * createSyncEngine({ sql, receivers: [shippingReceiver({ providers: { shipfast: { apiKey, secrets, creators } } })] });
 * ```
 */
export function shippingReceiver(options: ShippingReceiverOptions): WebhookReceiver {
  return {
    path: COMMERCE_WEBHOOK_PATHS.shipping,
    create: (context) => createShippingWebhookHandler({ ...options, ...fromContext(context, options) }),
  };
}

/**
 * The commerce receivers to enable; each is off when absent.
 *
 * @example
 * ```ts
 * const options: CommerceReceiversOptions = {
 *   tiktok: { appKey, appSecret },
 *   reportOrderState: true, // createCommerce({ store, conflicts: true }) on the same store
 *   shipping: { providers: { shippo: { apiKey: process.env.SHIPPO_KEY!, secrets: 'whsec_…', creators: ['c1'] } } },
 * };
 * createSyncEngine({ sql, rateLimiter, receivers: commerceReceivers(options) });
 * ```
 */
export interface CommerceReceiversOptions {
  tiktok?: TikTokReceiverOptions;
  shipping?: ShippingReceiverOptions;
  /**
   * The default of both receivers' `reportOrderState`: report order status
   * changes and tracking transitions to `resolve-sync-conflicts` as
   * `order.state_reported`. Set it when `createCommerce` runs with `conflicts`
   * on the same store. Default false.
   */
  reportOrderState?: boolean;
}

/**
 * The enabled commerce receivers.
 *
 * @example
 * ```ts
 * createSyncEngine({ sql, receivers: commerceReceivers({ tiktok: { appKey, appSecret } }) });
 * ```
 */
export function commerceReceivers(options: CommerceReceiversOptions): WebhookReceiver[] {
  const report = options.reportOrderState === undefined ? {} : { reportOrderState: options.reportOrderState };
  return [
    ...(options.tiktok ? [tikTokReceiver({ ...report, ...options.tiktok })] : []),
    ...(options.shipping ? [shippingReceiver({ ...report, ...options.shipping })] : []),
  ];
}

/**
 * Options of {@link createCommerceIngestHandler}: the receivers to enable, each with its store.
 *
 * @example
 * ```ts
 * const options: CommerceIngestHandlerOptions = {
 *   tiktok: { store, appKey, appSecret },
 *   shipping: { store, providers: { shippo: { apiKey: process.env.SHIPPO_KEY!, secrets: 'whsec_…', creators: ['c1'] } } },
 * };
 * app.use(expressAdapter(createCommerceIngestHandler(options)));
 * ```
 */
export interface CommerceIngestHandlerOptions {
  tiktok?: TikTokWebhookOptions;
  shipping?: ShippingWebhookOptions;
}

/**
 * A single handler serving `POST /api/webhooks/tiktok` and
 * `POST /api/webhooks/shipping/:provider` (404 / 405 problems otherwise).
 *
 * @example
 * ```ts
 * const ingest = createCommerceIngestHandler({ tiktok: { store, appKey, appSecret }, shipping: { store, providers } });
 * app.use(expressAdapter(ingest));
 * ```
 */
export function createCommerceIngestHandler(options: CommerceIngestHandlerOptions): HttpHandler {
  const routes: Route[] = [];
  if (options.tiktok) {
    routes.push({
      method: 'POST',
      path: COMMERCE_WEBHOOK_PATHS.tiktok,
      handler: createTikTokWebhookHandler(options.tiktok),
    });
  }
  if (options.shipping) {
    routes.push({
      method: 'POST',
      path: COMMERCE_WEBHOOK_PATHS.shipping,
      handler: createShippingWebhookHandler(options.shipping),
    });
  }
  return createRouter(routes);
}
