/**
 * The shipping-provider receiver (`POST /api/webhooks/shipping/:provider`),
 * framework-agnostic: per-provider API key plus Standard Webhooks signatures.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { orderStream } from '../../inventory/streams.js';
import { isConcurrencyError } from '../../../core/errors.js';
import { errorToProblem, logInternalError } from '../../../http/problem.js';
import { resolveLogger, type Logger } from '../../../core/logger.js';
import { COMMERCE_ERROR_REGISTRY } from '../../error-codes.js';
import { WebhookSubjectUnknownError } from '../../errors.js';
import {
  headerValue,
  jsonResponse,
  withBodyLimit,
  type HttpHandler,
  type HttpRequest,
} from '../../../http/types.js';
import type { AppendOptions, AppendResult, EventStore, NewEvent } from '../../../store/types.js';
import { enforceRateLimit } from '../../../ingest/enforce-rate-limit.js';
import { IngestError } from '../../../ingest/errors.js';
import { webhookIdempotencyKey } from '../../../ingest/idempotency-key.js';
import { assertBodySize, parseJsonBody, parseWith } from '../../../ingest/parse-json.js';
import { createMemoryRateLimiter, type RateLimiter } from '../../../ingest/rate-limiter.js';
import {
  DEFAULT_SOURCE_TIME_BOUNDS,
  assertSourceTime,
  sourceTimeBoundsSchema,
  type SourceTimeBounds,
} from '../../../ingest/source-time.js';
import {
  STANDARD_WEBHOOK_TOLERANCE_SECONDS,
  decodeWebhookSecret,
  verifyStandardWebhook,
} from '../../../ingest/standard-webhooks.js';
import { mapTrackingUpdate } from './map-webhook.js';
import { shippingEnvelopeSchema, trackingUpdateSchema } from './webhook-schemas.js';
import { parseOptions } from '../../../core/parse-options.js';

/**
 * Credentials of one shipping provider.
 *
 * @example
 * ```ts
 * const providers: Record<string, ShippingProviderConfig> = {
 *   shipfast: { apiKey: process.env.SHIPFAST_KEY!, secrets: ['whsec_new', 'whsec_old'], creators: ['c1', 'c2'] },
 *   parcelco: { apiKey: process.env.PARCELCO_KEY!, secrets: 'whsec_p', creators: (id) => creatorsOnParcelCo.has(id) },
 * };
 * ```
 */
export interface ShippingProviderConfig {
  /** Expected in the `x-api-key` header. */
  apiKey: string;
  /** `whsec_…` signing secret(s); list several while rotating. */
  secrets: string | readonly string[];
  /**
   * The creators this provider ships for: its key may write only to their
   * orders (the `creator_id` a webhook names must be one of them). A list, or
   * a function for hosts with many creators.
   */
  creators: readonly string[] | ((creatorId: string) => boolean | Promise<boolean>);
}

/**
 * Options of {@link createShippingWebhookHandler}.
 *
 * @example
 * ```ts
 * const shipping = createShippingWebhookHandler({ store, providers, rateLimiter, toleranceSeconds: 300 });
 * app.post('/webhooks/shipping/:provider', expressAdapter(shipping));
 * ```
 */
export interface ShippingWebhookOptions {
  store: Pick<EventStore, 'append'>;
  /** Provider name (the `:provider` path segment) → credentials. */
  providers: Record<string, ShippingProviderConfig>;
  /** Limiter keyed per provider and creator; default in-memory, 1,000 requests/minute. */
  rateLimiter?: RateLimiter;
  /** Default 300 (±5 min). */
  toleranceSeconds?: number;
  /** Default 256 KiB. */
  maxBodyBytes?: number;
  /** How far the carrier's times may lie from now. Default {@link DEFAULT_SOURCE_TIME_BOUNDS}. */
  sourceTimeBounds?: SourceTimeBounds;
  /**
   * Also append each `order.shipped` / `order.delivered` as `order.state_reported`
   * (source `shipping_provider`, `sourceId` the provider), a contender of
   * `resolve-sync-conflicts`, in the same append: set it when the commerce on
   * this store runs with `conflicts`. Default false.
   */
  reportOrderState?: boolean;
  now?: () => number;
  /**
   * Where an error answered as 500 (`INTERNAL_ERROR`, hidden from the sender)
   * is logged, at `error` with the request's method and path. Default: the
   * library's stderr logger; `createSyncEngine` passes its own `logger`.
   */
  logger?: Logger | undefined;
}

const providerName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/);
const optionsSchema = z.object({
  providers: z.record(
    providerName,
    z.object({
      apiKey: z.string().min(8),
      secrets: z.union([z.string(), z.array(z.string()).min(1)]),
      creators: z.union([
        z.array(z.string().min(1)).min(1),
        z.custom<(creatorId: string) => boolean | Promise<boolean>>((v) => typeof v === 'function'),
      ]),
    }),
  ),
  toleranceSeconds: z.int().min(1).default(STANDARD_WEBHOOK_TOLERANCE_SECONDS),
  maxBodyBytes: z
    .int()
    .min(1)
    .default(256 * 1024),
  sourceTimeBounds: sourceTimeBoundsSchema.default(DEFAULT_SOURCE_TIME_BOUNDS),
  reportOrderState: z.boolean().default(false),
});

/**
 * The source recorded in the metadata of every event this receiver writes.
 *
 * @example
 * ```ts
 * events.filter((e) => e.metadata.source === SHIPPING_WEBHOOK_SOURCE);
 * ```
 */
export const SHIPPING_WEBHOOK_SOURCE = 'shipping_provider';

interface Provider {
  apiKeyDigest: Buffer;
  keys: Buffer[];
  serves: (creatorId: string) => boolean | Promise<boolean>;
}

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();
const memberOf = (set: ReadonlySet<string>) => (id: string) => set.has(id);

/**
 * Create the shipping-provider webhook handler. Checks: known provider, body
 * size, API key, Standard Webhooks signature and timestamp, JSON, schema,
 * creator served by the provider, rate limit; then one append keyed by
 * `webhook-id` (a redelivery writes nothing) to the creator's order stream,
 * which must exist.
 *
 * @example
 * ```ts
 * const shipping = createShippingWebhookHandler({
 *   store,
 *   providers: { shippo: { apiKey, secrets: 'whsec_…', creators: ['creator-1'] } },
 * });
 * app.post('/api/webhooks/shipping/:provider', expressAdapter(shipping));
 * ```
 */
export function createShippingWebhookHandler(options: ShippingWebhookOptions): HttpHandler {
  const config = parseOptions('createShippingWebhookHandler', optionsSchema, options);
  const providers = new Map<string, Provider>();
  for (const [name, p] of Object.entries(config.providers)) {
    const secrets = typeof p.secrets === 'string' ? [p.secrets] : p.secrets;
    const serves = typeof p.creators === 'function' ? p.creators : memberOf(new Set(p.creators));
    providers.set(name, { apiKeyDigest: sha256(p.apiKey), keys: secrets.map(decodeWebhookSecret), serves });
  }
  const { store } = options;
  const limiter = options.rateLimiter ?? createMemoryRateLimiter();
  const now = options.now ?? Date.now;
  const logger = resolveLogger(options.logger, 'createShippingWebhookHandler');

  async function handle(req: HttpRequest) {
    const name = req.params.provider ?? '';
    const provider = Object.prototype.hasOwnProperty.call(config.providers, name)
      ? providers.get(name)
      : undefined;
    if (!provider)
      throw new IngestError('UNKNOWN_PROVIDER', `No shipping provider is configured as "${name}"`);
    assertBodySize(req.rawBody, config.maxBodyBytes);
    const apiKey = headerValue(req.headers, 'x-api-key');
    if (!apiKey) throw new IngestError('API_KEY_MISSING', 'The x-api-key header is missing');
    // Comparing digests keeps the comparison constant-time whatever the key lengths.
    if (!timingSafeEqual(sha256(apiKey), provider.apiKeyDigest)) {
      throw new IngestError('API_KEY_INVALID', 'The API key is not valid for this provider');
    }
    const nowMs = now();
    const { id } = verifyStandardWebhook({
      id: headerValue(req.headers, 'webhook-id'),
      timestamp: headerValue(req.headers, 'webhook-timestamp'),
      signature: headerValue(req.headers, 'webhook-signature'),
      rawBody: req.rawBody,
      keys: provider.keys,
      nowMs,
      toleranceSeconds: config.toleranceSeconds,
    });
    const envelope = parseWith(shippingEnvelopeSchema, parseJsonBody(req.rawBody), 'Shipping webhook');
    if (envelope.type !== 'tracking.updated') {
      await enforceRateLimit(limiter, `shipping:${name}`);
      return jsonResponse(200, { status: 'ignored', type: envelope.type });
    }
    const update = parseWith(trackingUpdateSchema, envelope.data, 'Tracking update');
    if (envelope.timestamp !== undefined) {
      assertSourceTime(Date.parse(envelope.timestamp), nowMs, config.sourceTimeBounds, 'timestamp');
    }
    if (update.occurred_at !== undefined) {
      assertSourceTime(Date.parse(update.occurred_at), nowMs, config.sourceTimeBounds, 'data.occurred_at');
    }
    const creatorId = update.creator_id;
    // The payload names the creator; only the provider's binding makes it trusted.
    if (!(await provider.serves(creatorId))) {
      throw new WebhookSubjectUnknownError(
        'UNKNOWN_CREATOR',
        `Provider "${name}" does not ship for creator ${creatorId}`,
      );
    }
    await enforceRateLimit(limiter, `shipping:${name}:${creatorId}`);
    const events = mapTrackingUpdate(name, update, envelope.timestamp ?? new Date(nowMs).toISOString(), {
      reportOrderState: config.reportOrderState,
    });
    if (events.length === 0) return jsonResponse(200, { status: 'ignored', trackingStatus: update.status });
    const result = await appendToOrder(creatorId, update.order_id, events, {
      aggregateType: 'order',
      // The order must already exist in this creator's stream: checked by the append itself.
      expectedVersion: 'stream_exists',
      idempotencyKey: webhookIdempotencyKey(`shipping:${name}`, id),
      metadata: { correlationId: id, causationId: id, source: SHIPPING_WEBHOOK_SOURCE, provider: name },
    });
    return jsonResponse(200, {
      status: 'accepted',
      duplicate: result.duplicate,
      webhookId: id,
      events: result.duplicate ? 0 : events.length,
    });
  }

  async function appendToOrder(
    creatorId: string,
    orderId: string,
    events: NewEvent[],
    appendOptions: AppendOptions,
  ): Promise<AppendResult> {
    try {
      return await store.append(orderStream(creatorId, orderId), events, appendOptions);
    } catch (err) {
      if (!isConcurrencyError(err)) throw err;
      throw new WebhookSubjectUnknownError('UNKNOWN_ORDER', `Creator ${creatorId} has no order ${orderId}`, {
        cause: err,
      });
    }
  }

  // The adapters stop reading past the limit, rather than buffer what assertBodySize refuses.
  return withBodyLimit(
    (req) =>
      handle(req).catch((err: unknown) =>
        errorToProblem(err, COMMERCE_ERROR_REGISTRY, (e) =>
          logInternalError(logger, 'webhook:shipping', req, e),
        ),
      ),
    config.maxBodyBytes,
  );
}
