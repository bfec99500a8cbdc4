/**
 * Everything the Express and Fastify hosts share: the database (embedded
 * PGlite by default, PostgreSQL when `DATABASE_URL` is set), Redis when
 * `REDIS_URL` is set (rate limits and delta fan-out), the engine with the
 * commerce module (`createCommerce`: read models, inventory handling and the
 * order-fulfillment saga over TikTok Shop and fake payment and shipping
 * providers), the demo's inventory poller and health monitor,
 * authorisation, and the health answer. The framework files only mount routes.
 */
import { PGlite } from '@electric-sql/pglite';
import type { IncomingMessage } from 'node:http';
import { Redis } from 'ioredis';
import pg from 'pg';
import { fromPg } from '../../src/adapters/pg.js';
import { fromPglite } from '../../src/adapters/pglite.js';
import { createRedisRateLimiter } from '../../src/adapters/redis.js';
import { createCommerce, type Commerce } from '../../src/commerce/create-commerce.js';
import { COMMERCE_EVENT_SCHEMAS } from '../../src/commerce/events/index.js';
import {
  FakePaymentGateway,
  FakeShippingProvider,
  tikTokShopClientFromHttp,
} from '../../src/commerce/ports/index.js';
import type { SqlClient } from '../../src/core/sql-client.js';
import { createSyncEngine, type EngineWorker, type SyncEngine } from '../../src/engine.js';
import type { HttpHandler } from '../../src/http/index.js';
import {
  createMemoryRateLimiter,
  createTikTokShopHttpClient,
  type RateLimiter,
} from '../../src/ingest/index.js';
import { createRedisPubSub, type Authorization, type PubSub } from '../../src/realtime/index.js';
import { DEMO_CREDENTIALS } from './demo-credentials.js';
import { commerceReadModel } from './domain/commerce-read-model.js';
import { HostSignals, healthMonitorWorker } from './domain/health-monitor.js';
import { inventoryPoller } from './domain/inventory-poller.js';

/** Options of {@link createHost}; every one has an environment default. */
export interface HostOptions {
  /** PostgreSQL URL; embedded PGlite when absent. Default `process.env.DATABASE_URL`. */
  databaseUrl?: string | undefined;
  /** Directory of a persistent PGlite database; in memory when absent. Default `process.env.PGLITE_DIR`. */
  pgliteDir?: string | undefined;
  /** Redis URL for rate limits and cross-process fan-out. Default `process.env.REDIS_URL`. */
  redisUrl?: string | undefined;
  /** Schema of the engine's tables. Default `process.env.DB_SCHEMA` or `'creatorflow'`. */
  schema?: string | undefined;
  /** Base URL of the TikTok Shop Open API. Default `process.env.TIKTOK_API_URL` or the simulator's `http://127.0.0.1:3100`. */
  tiktokApiUrl?: string | undefined;
  /** App, shop, creator and shipping credentials. Default: the demo's. */
  credentials?: typeof DEMO_CREDENTIALS;
  /** Bearer tokens → identities. Default: `demo-token` for the demo creator. */
  tokens?: Readonly<Record<string, Authorization>>;
  /** Let requests without a token in as the demo user (the dashboard). Default true. */
  openAccess?: boolean;
  /** Webhooks per minute per shop. Default 10,000. */
  rateLimitPerMinute?: number;
  /** Realtime heartbeats, ms. Default 30,000. */
  heartbeatMs?: number;
  /** Low-stock thresholds per seller SKU (the commerce default otherwise). */
  thresholds?: Readonly<Record<string, number>>;
  /** Poll interval of the inventory poller, ms. Default 1,000. */
  inventoryIntervalMs?: number;
}

/** A wired host, framework-independent. */
export interface Host {
  readonly engine: SyncEngine;
  readonly signals: HostSignals;
  /** The commerce module: its read models feed the dashboard's channels. */
  readonly commerce: Commerce;
  /** `'pglite'` or `'postgres'`, and whether Redis is on. */
  readonly backends: { database: 'pglite' | 'postgres'; redis: boolean };
  /** The webhook receivers, measured for the health monitor. */
  readonly ingest: HttpHandler;
  /** Identity of a realtime request (throws when refused). */
  authorize(req: IncomingMessage): Authorization;
  /** `GET /healthz`: 200 when healthy, 503 otherwise. */
  healthz(): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  return new URL(req.url ?? '/', 'http://localhost').searchParams.get('token') ?? undefined;
}

/**
 * Open the database and Redis, wire and start the engine.
 *
 * @example
 * ```ts
 * const host = await createHost({ tiktokApiUrl: simulator.apiUrl });
 * app.use(expressAdapter(host.ingest));
 * ```
 */
export async function createHost(options: HostOptions = {}): Promise<Host> {
  const env = process.env;
  const credentials = options.credentials ?? DEMO_CREDENTIALS;
  const databaseUrl = options.databaseUrl ?? env.DATABASE_URL;
  const redisUrl = options.redisUrl ?? env.REDIS_URL;
  const schema = options.schema ?? env.DB_SCHEMA ?? 'creatorflow';
  const closers: (() => Promise<unknown>)[] = [];

  let sql: SqlClient;
  if (databaseUrl) {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
    sql = fromPg(pool);
    closers.push(async () => {
      await sql.close?.();
      await pool.end();
    });
  } else {
    const db = await PGlite.create(options.pgliteDir ?? env.PGLITE_DIR);
    sql = fromPglite(db);
    closers.push(() => db.close());
  }

  const limit = { limit: options.rateLimitPerMinute ?? 10_000, windowMs: 60_000 };
  let rateLimiter: RateLimiter = createMemoryRateLimiter(limit);
  let pubsub: PubSub | undefined;
  if (redisUrl) {
    const commands = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
    const subscriber = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
    rateLimiter = createRedisRateLimiter({
      ...limit,
      redis: commands,
      prefix: `creatorflow:${schema}:ratelimit:`,
    });
    pubsub = createRedisPubSub({ publisher: commands, subscriber, prefix: `creatorflow:${schema}:` });
    closers.push(async () => {
      commands.disconnect();
      subscriber.disconnect();
    });
  }

  const client = createTikTokShopHttpClient({
    appKey: credentials.appKey,
    appSecret: credentials.appSecret,
    accessToken: 'demo-access-token',
    shopId: credentials.shopId,
    baseUrl: options.tiktokApiUrl ?? env.TIKTOK_API_URL ?? 'http://127.0.0.1:3100',
    maxRetries: 1,
    baseDelayMs: 100,
    timeoutMs: 3000,
  });
  const signals = new HostSignals();
  const creatorIds = [credentials.creatorId];
  let built: Commerce | undefined;
  const engine = createSyncEngine({
    sql,
    schema,
    store: { eventTypes: COMMERCE_EVENT_SCHEMAS },
    // The channels default to the library's DEFAULT_CHANNELS: the commerce
    // tables system_health_metrics, order_metrics, inventory_alerts,
    // sync_operations and daily_revenue_metrics.
    readModels: (store) => {
      built = createCommerce({
        store,
        // One processor folds every table, so snapshots carry its checkpoint.
        readModels: 'async',
        ports: {
          // TikTok Shop over the real HTTP client (the simulator's mock Open API in the demo).
          tiktok: tikTokShopClientFromHttp({ clientFor: () => client }),
          payments: new FakePaymentGateway({ latencyMs: [20, 120] }),
          shipping: new FakeShippingProvider({ name: credentials.shipping.provider, latencyMs: [30, 150] }),
        },
      });
      return [commerceReadModel(built)];
    },
    ...(pubsub ? { pubsub } : {}),
    rateLimiter,
    tiktok: {
      appKey: credentials.appKey,
      appSecret: credentials.appSecret,
      resolveCreatorId: (shopId) => (shopId === credentials.shopId ? credentials.creatorId : undefined),
    },
    shipping: {
      providers: {
        [credentials.shipping.provider]: {
          apiKey: credentials.shipping.apiKey,
          secrets: credentials.shipping.secret,
          // The provider's key may write only to the demo creator's orders.
          creators: [credentials.creatorId],
        },
      },
    },
    realtime: { heartbeatMs: options.heartbeatMs ?? 30_000 },
  });
  // createSyncEngine builds its read models synchronously.
  const commerce = built!;
  const sagas = commerce.sagaRunner!;
  sagas.on('saga:completed', () => signals.sagas.completed++);
  sagas.on('saga:compensated', () => signals.sagas.failed++);
  sagas.on('saga:dead_lettered', () => signals.sagas.failed++);
  // Background failures are reported, never thrown.
  commerce.on('error', (err) => console.error('commerce:', err instanceof Error ? err.message : err));
  engine.hub.events.on('error', (err) => console.error('realtime:', err));
  await engine.start();

  // Started after the engine (they read the commerce read models), stopped before it.
  const workers: EngineWorker[] = [
    inventoryPoller({
      client,
      commerce,
      creatorId: credentials.creatorId,
      ...(options.thresholds ? { thresholds: options.thresholds } : {}),
      intervalMs: options.inventoryIntervalMs ?? 1000,
      onPoll: ({ ok, at }) => {
        if (ok) signals.inventoryPoll.lastOkAt = at;
      },
    }),
    healthMonitorWorker({
      signals,
      creatorIds,
      engine: async () => {
        const health = await engine.health();
        const lags = Object.values(health.readModels);
        return {
          lagMs: Math.max(0, ...lags.map((r) => r.lagMs)),
          queueDepth: lags.reduce((n, r) => n + r.lagEvents, 0) + sagas.activeCount,
        };
      },
    }),
  ];
  const context = { store: engine.store, sql, schema };
  for (const w of workers) await w.start(context);

  const tokens: Record<string, Authorization> = {
    'demo-token': { userId: 'demo-user', creatorIds },
    ...options.tokens,
  };
  const openAccess = options.openAccess ?? true;

  return {
    engine,
    signals,
    commerce,
    backends: { database: databaseUrl ? 'postgres' : 'pglite', redis: Boolean(redisUrl) },
    ingest: async (req) => {
      const started = performance.now();
      const response = await engine.ingest(req);
      signals.webhook(response.status, performance.now() - started);
      return response;
    },
    authorize(req) {
      const token = bearer(req);
      if (token === undefined && openAccess) return tokens['demo-token']!;
      const identity = token === undefined ? undefined : tokens[token];
      if (!identity) throw new Error('Unknown token');
      return identity;
    },
    async healthz() {
      try {
        const health = await engine.health();
        return {
          status: health.status === 'ok' ? 200 : 503,
          body: {
            ...health,
            // The engine's own runner has no sagas here: the fulfillment saga runs on the commerce runner.
            sagas: { active: sagas.activeCount },
            database: databaseUrl ? 'postgres' : 'pglite',
            redis: Boolean(redisUrl),
          },
        };
      } catch (err) {
        return {
          status: 503,
          body: { status: 'down', error: err instanceof Error ? err.message : String(err) },
        };
      }
    },
    async close() {
      for (const w of [...workers].reverse()) await w.stop();
      await engine.close();
      for (const close of closers.reverse()) await close();
    },
  };
}
