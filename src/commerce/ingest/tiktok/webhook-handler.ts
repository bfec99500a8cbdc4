/**
 * The TikTok Shop webhook receiver (`POST /api/webhooks/tiktok`), framework-agnostic.
 */
import { z } from 'zod';
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
import type { EventStore } from '../../../store/types.js';
import { enforceRateLimit } from '../../../ingest/enforce-rate-limit.js';
import { IngestError } from '../../../ingest/errors.js';
import { webhookIdempotencyKey } from '../../../ingest/idempotency-key.js';
import { assertBodySize, decodeBody, parseJsonText, parseWith } from '../../../ingest/parse-json.js';
import { createMemoryRateLimiter, type RateLimiter } from '../../../ingest/rate-limiter.js';
import {
  DEFAULT_SOURCE_TIME_BOUNDS,
  sourceTimeBoundsSchema,
  type SourceTimeBounds,
} from '../../../ingest/source-time.js';
import { mapTikTokWebhook } from './map-webhook.js';
import { verifyTikTokWebhook } from './webhook-signature.js';
import { tiktokEnvelopeSchema } from './webhook-schemas.js';
import { parseOptions } from '../../../core/parse-options.js';

/**
 * Options of {@link createTikTokWebhookHandler}.
 *
 * @example
 * ```ts
 * const tiktok = createTikTokWebhookHandler({
 *   store, appKey, appSecret, rateLimiter,
 *   resolveCreatorId: (shopId) => creatorOfShop.get(shopId), // undefined: not a shop of this host
 * });
 * app.post('/webhooks/tiktok', expressAdapter(tiktok));
 * ```
 */
export interface TikTokWebhookOptions {
  /** Where events go (only `append` is used). */
  store: Pick<EventStore, 'append'>;
  appKey: string;
  appSecret: string;
  /** Per-shop limiter; default in-memory, 1,000 requests/minute per shop. */
  rateLimiter?: RateLimiter;
  /**
   * How old an envelope's `timestamp` may be. Default {@link TIKTOK_REPLAY_WINDOW_SECONDS}
   * (73 h: TikTok redelivers a failed notification with its original timestamp
   * for up to 72 h). Replays within it are stopped by the notification id's
   * idempotency key, so keep idempotency keys at least this long.
   */
  replayWindowSeconds?: number;
  /** How far in the future an envelope's `timestamp` may be (clock skew). Default 900 (15 min). */
  futureSkewSeconds?: number;
  /** Largest accepted body. Default 256 KiB. */
  maxBodyBytes?: number;
  /** How far `data.update_time` may lie from now. Default {@link DEFAULT_SOURCE_TIME_BOUNDS}. */
  sourceTimeBounds?: SourceTimeBounds;
  /** Map a TikTok shop to its creator; return undefined for shops this host does not serve. Default: the shop id. */
  resolveCreatorId?: (shopId: string) => string | undefined | Promise<string | undefined>;
  /**
   * Also append each order status change as `order.state_reported`, a
   * contender of `resolve-sync-conflicts`, in the same append as its lifecycle
   * events: set it when the commerce on this store runs with `conflicts` (whose
   * processor registers the report's schema). Default false.
   */
  reportOrderState?: boolean;
  /** Time source in ms (tests). Default `Date.now`. */
  now?: () => number;
  /**
   * Where an error answered as 500 (`INTERNAL_ERROR`, hidden from the sender)
   * is logged, at `error` with the request's method and path. Default: the
   * library's stderr logger; `createSyncEngine` passes its own `logger`.
   */
  logger?: Logger | undefined;
}

/**
 * Default age limit of a TikTok envelope: TikTok's 72-hour redelivery schedule
 * plus an hour of margin.
 *
 * @example
 * ```ts
 * TIKTOK_REPLAY_WINDOW_SECONDS // 262800
 * ```
 */
export const TIKTOK_REPLAY_WINDOW_SECONDS = 73 * 3600;

const optionsSchema = z.object({
  appKey: z.string().min(1),
  appSecret: z.string().min(1),
  replayWindowSeconds: z.int().min(1).default(TIKTOK_REPLAY_WINDOW_SECONDS),
  futureSkewSeconds: z.int().min(0).default(900),
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
 * events.filter((e) => e.metadata.source === TIKTOK_WEBHOOK_SOURCE);
 * ```
 */
export const TIKTOK_WEBHOOK_SOURCE = 'tiktok_webhook';

/**
 * Create the TikTok Shop webhook handler. Order of checks: body size,
 * signature over the raw bytes, JSON, envelope schema, replay window, per-shop
 * rate limit, known shop, type-specific schema and its `update_time`; then one atomic append keyed by
 * `tts_notification_id`. The 200 is sent only after the append committed; a
 * redelivery gets 200 with `duplicate: true` and writes nothing.
 *
 * @example
 * ```ts
 * const tiktok = createTikTokWebhookHandler({ store, appKey, appSecret });
 * app.post('/api/webhooks/tiktok', expressAdapter(tiktok));
 * ```
 */
export function createTikTokWebhookHandler(options: TikTokWebhookOptions): HttpHandler {
  const config = parseOptions('createTikTokWebhookHandler', optionsSchema, options);
  const { store } = options;
  const limiter = options.rateLimiter ?? createMemoryRateLimiter();
  const now = options.now ?? Date.now;
  const logger = resolveLogger(options.logger, 'createTikTokWebhookHandler');
  const resolveCreatorId = options.resolveCreatorId ?? ((shopId: string) => shopId);

  async function handle(req: HttpRequest) {
    assertBodySize(req.rawBody, config.maxBodyBytes);
    const authorization = headerValue(req.headers, 'authorization');
    if (authorization === undefined || authorization.length === 0) {
      throw new IngestError(
        'SIGNATURE_MISSING',
        'The Authorization header with the webhook signature is missing',
      );
    }
    if (!verifyTikTokWebhook(authorization, config.appKey, config.appSecret, req.rawBody)) {
      throw new IngestError('SIGNATURE_INVALID', 'The Authorization signature does not match the body');
    }
    const body = decodeBody(req.rawBody);
    const envelope = parseWith(tiktokEnvelopeSchema, parseJsonText(body), 'TikTok webhook envelope');
    // Old is fine up to the redelivery schedule (the notification id dedupes
    // replays); the future only up to clock skew.
    const nowMs = now();
    const ageSeconds = nowMs / 1000 - envelope.timestamp;
    if (ageSeconds > config.replayWindowSeconds || -ageSeconds > config.futureSkewSeconds) {
      const limit =
        ageSeconds > 0 ? `${config.replayWindowSeconds} s old` : `${config.futureSkewSeconds} s ahead`;
      throw new IngestError(
        'STALE_TIMESTAMP',
        `Envelope timestamp is ${Math.round(Math.abs(ageSeconds))} s ${ageSeconds > 0 ? 'old' : 'ahead'}, over the limit of ${limit}`,
      );
    }
    await enforceRateLimit(limiter, `tiktok:${envelope.shop_id}`);
    const creatorId = await resolveCreatorId(envelope.shop_id);
    if (creatorId === undefined) {
      throw new WebhookSubjectUnknownError(
        'UNKNOWN_SHOP',
        `Shop ${envelope.shop_id} is not served by this receiver`,
      );
    }
    const { streamId, aggregateType, events } = mapTikTokWebhook(envelope, {
      creatorId,
      body,
      nowMs,
      sourceTimeBounds: config.sourceTimeBounds,
      reportOrderState: config.reportOrderState,
    });
    const result = await store.append(streamId, events, {
      aggregateType,
      idempotencyKey: webhookIdempotencyKey('tiktok', envelope.tts_notification_id),
      metadata: { correlationId: envelope.tts_notification_id, source: TIKTOK_WEBHOOK_SOURCE },
    });
    return jsonResponse(200, {
      status: 'accepted',
      duplicate: result.duplicate,
      notificationId: envelope.tts_notification_id,
      events: result.duplicate ? 0 : events.length,
    });
  }

  // The adapters stop reading past the limit, rather than buffer what assertBodySize refuses.
  return withBodyLimit(
    (req) =>
      handle(req).catch((err: unknown) =>
        errorToProblem(err, COMMERCE_ERROR_REGISTRY, (e) =>
          logInternalError(logger, 'webhook:tiktok', req, e),
        ),
      ),
    config.maxBodyBytes,
  );
}
