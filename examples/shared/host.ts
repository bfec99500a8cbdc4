/**
 * Everything the Express and Fastify hosts share: configuration from the
 * environment (`host-config.ts`), the database (embedded PGlite by default,
 * PostgreSQL when `DATABASE_URL` is set), Redis when `REDIS_URL` is set
 * (rate limits and delta fan-out), the engine with the commerce module
 * (`createCommerce`: read models, inventory handling and the
 * order-fulfillment saga over TikTok Shop and payment and shipping
 * providers, resolving competing stock figures by source priority), the
 * demo's singleton jobs (inventory poller, stock-counts feed, health monitor)
 * under a lease, the commerce schedules (`sync-inventory-levels` every 5
 * minutes and on inventory events, reading TikTok's stock, the monthly log
 * archival; the engine runs both on one host of many by lease), authorisation (tokens with roles, service API keys,
 * per-browser anonymous identities), `resolve-sync-conflicts` with its manual
 * queue routes, the schedules' admin routes, the analytics updater
 * (forecasts, reorder plans; a schedule, and once at start) over an optional
 * imported sales history, and the health answer. The framework files only
 * mount routes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createRedisConnectionLimiter,
  createRedisRateLimiter,
  type RedisConnectionLimiter,
} from '@creatorflow/sync/redis';
import {
  createCommerce,
  instrumentAnalytics,
  manualQueueRoutes,
  syncReportRoutes,
  type Commerce,
} from '@creatorflow/sync/commerce';
import { commerceReceivers } from '@creatorflow/sync/commerce';
import { COMMERCE_EVENT_SCHEMAS } from '@creatorflow/sync/commerce';
import { tikTokShopClientFromHttp } from '@creatorflow/sync/commerce';
import {
  capacityCheckSchedule,
  capacityGauges,
  commerceSchedules,
  hostCapacitySampler,
} from '@creatorflow/sync/commerce';
import { createSyncEngine, type SyncEngine } from '@creatorflow/sync';
import { scheduleRoutes } from '@creatorflow/sync/scheduling';
import { createRouter, type HttpHandler, type HttpRequestHead } from '@creatorflow/sync/http';
import { createTikTokShopHttpClient } from '@creatorflow/sync/commerce';
import { createMemoryRateLimiter, type AdmissionOptions, type RateLimiter } from '@creatorflow/sync/ingest';
import type { Authorization, PubSub } from '@creatorflow/sync';
import { createRedisPubSub } from '@creatorflow/sync/realtime';
import { ADMIN_ROLE, ServiceKeys } from '@creatorflow/sync/access';
import * as promClient from 'prom-client';
import {
  createMetricsRegistry,
  fromPromClient,
  instrumentEngine,
  instrumentSagaRunner,
  teeMetrics,
  setStageTraceSink,
  traceStage,
  type Alerting,
  type AlertRule,
} from '@creatorflow/sync/monitoring';
import { BrowserIdentities } from './browser-identity.js';
import { HOST_CHANNELS } from './channels.js';
import { openDatabase } from './database.js';
import { commerceReadModel } from './domain/commerce-read-model.js';
import { conflictQueueProjection } from './domain/conflict-queue.js';
import { importDemoSalesHistory, type DemoSalesHistoryOptions } from './domain/demo-sales-history.js';
import { stockCountsFeed } from './domain/stock-counts-feed.js';
import { HostSignals, healthMonitorWorker } from './domain/health-monitor.js';
import { inventoryPoller } from './domain/inventory-poller.js';
import { readHostConfig, type HostCredentials } from './host-config.js';
import { admissionFromEnv } from './host-admission.js';
import { acknowledgeRoutes, hostAlerting } from './host-alerting.js';
import { healthHttpStatus, probeHealth, type HostHealth } from './host-health.js';
import { createHostLog, describeError, hostLogger, type HostLog } from './host-log.js';
import { providerPorts } from './providers/index.js';
import { pooledFetch } from './pooled-fetch.js';
import { connectRedis } from './redis-clients.js';
import { appendFileSync } from 'node:fs';

/** Options of {@link createHost}; each overrides its environment variable. */
export interface HostOptions {
  /** PostgreSQL URL; embedded PGlite when absent. Default `DATABASE_URL`. */
  databaseUrl?: string | undefined;
  /** Directory of a persistent PGlite database; in memory when absent. Default `PGLITE_DIR`. */
  pgliteDir?: string | undefined;
  /** Redis URL for rate limits and cross-process fan-out. Default `REDIS_URL`. */
  redisUrl?: string | undefined;
  /** Schema of the engine's tables. Default `DB_SCHEMA` or `'creatorflow'`. */
  schema?: string | undefined;
  /** Base URL of the TikTok Shop Open API. Default `TIKTOK_API_URL` or the simulator's `http://127.0.0.1:3100`. */
  tiktokApiUrl?: string | undefined;
  /** Base URL of the payment and shipping providers' service; in-process fakes when absent. Default `PROVIDERS_URL`. */
  providersUrl?: string | undefined;
  /** This process's id in logs and leases. Default `HOST_ID` or a random one. */
  hostId?: string;
  /** App, shop, creator and shipping credentials. Default: from the environment (`host-config.ts`). */
  credentials?: HostCredentials;
  /** Bearer tokens → identities. Default `REALTIME_TOKENS` (the demo's `demo-token` in demo mode). */
  tokens?: Readonly<Record<string, Authorization>>;
  /** A request without a token gets a per-browser anonymous identity. Default `OPEN_ACCESS` (on in demo mode). */
  openAccess?: boolean;
  /** Webhooks per minute per shop. Default `RATE_LIMIT_PER_MINUTE` or 10,000. */
  rateLimitPerMinute?: number;
  /**
   * Webhook admission (503 `OVERLOADED` while the pipeline is behind); false
   * turns it off. Default from `ADMISSION*` (`host-admission.ts`): off.
   */
  admission?: AdmissionOptions | false;
  /** Realtime heartbeats, ms. Default 30,000. */
  heartbeatMs?: number;
  /** Low-stock thresholds per seller SKU (the commerce default otherwise). Default `STOCK_THRESHOLDS` (JSON). */
  thresholds?: Readonly<Record<string, number>>;
  /** Poll interval of the inventory poller, ms. Default 1,000. */
  inventoryIntervalMs?: number;
  /** Lease of the singleton jobs and the scheduler, ms. Default 6,000. */
  singletonLeaseMs?: number;
  /** Interval of `sync-inventory-levels`, ms. Default `INVENTORY_SYNC_MS` or 300,000 (5 minutes). */
  inventorySyncMs?: number;
  /** Where log lines go. Default stderr, prefixed with the host id. */
  log?: HostLog;
  /** Alert rules evaluated over this host's metrics. Default the library's `DEFAULT_ALERT_RULES`. */
  alertRules?: readonly AlertRule[];
  /** Alert evaluation interval, ms. Default 15,000. */
  alertIntervalMs?: number;
  /** Interval of the analytics updater (forecasts, reorder plans), ms. Default `ANALYTICS_EVERY_MS` or 300,000. */
  analyticsEveryMs?: number;
  /**
   * How `resolve-sync-conflicts` cuts reports into windows: `'anchored'` or `'staggered'`
   * (docs/conflicts.md, step 2). Default `CONFLICT_WINDOWS` or anchored.
   */
  conflictWindows?: 'anchored' | 'staggered';
  /** Import a generated sales history of the demo creator's products at start (the demo's past). */
  salesHistory?: DemoSalesHistoryOptions;
}

/** The analytics updater's schedule. */
export const ANALYTICS_SCHEDULE = 'update-analytics';

/** Where the schedules' admin routes are mounted. */
export const SCHEDULES_PATH = '/api/schedules';

/** A wired host, framework-independent. */
export interface Host {
  readonly hostId: string;
  readonly log: HostLog;
  readonly engine: SyncEngine;
  readonly signals: HostSignals;
  /** The commerce module: its read models feed the dashboard's channels. */
  readonly commerce: Commerce;
  /** Alert evaluation and notification; its state feeds the `monitoring_alerts` channel. */
  readonly alerting: Alerting;
  /** `'pglite'` or `'postgres'`, and whether Redis is on. */
  readonly backends: { database: 'pglite' | 'postgres'; redis: boolean };
  /** The webhook receivers, measured for the health monitor. */
  readonly ingest: HttpHandler;
  /**
   * The manual conflict queue under {@link CONFLICT_QUEUE_PREFIX}: creators (and
   * the open-access browser) read their part, admins read all and decide; and
   * `POST …/reports/stock|order`, other sources' figures (service keys, admins).
   */
  readonly conflictQueue: HttpHandler;
  /** Service API keys (`Authorization: Bearer cfsk_…`) for machine callers of the queue. */
  readonly serviceKeys: ServiceKeys;
  /** `SCHEDULES_PATH…`: the schedules, their run history and a manual trigger; admins only. */
  readonly schedules: HttpHandler;
  /** True while this host runs the singleton jobs (and, usually, the schedules). */
  readonly leader: boolean;
  /**
   * Identity of a realtime request: a token, a service API key (its roles
   * apply: an `admin` key is audited across creators), or the open-access
   * browser; rejects when refused.
   */
  authorize(req: IncomingMessage): Promise<Authorization>;
  /**
   * In open-access mode, give a request that has neither a token nor a
   * browser identity its cookie on the response (the page and the SSE route
   * call it before answering); no-op otherwise.
   */
  identifyBrowser(req: IncomingMessage, res: ServerResponse): void;
  /** The same for a WebSocket upgrade: call it from the ws server's `headers` event. */
  identifyUpgrade(headers: string[], req: IncomingMessage): void;
  /** `GET /healthz`: 200 unless the host cannot take webhooks (`down`, 503). */
  healthz(): Promise<{ status: number; body: HostHealth }>;
  /**
   * `POST /alerts/:fingerprint/acknowledge`: admins (or a service key of the
   * alerts' creator); problem+json 401 without an identity, 403 without the role.
   */
  readonly alerts: HttpHandler;
  /** `GET /metrics`: the Prometheus text exposition of this host's metrics. */
  metrics(): Promise<{ contentType: string; body: string }>;
  close(): Promise<void>;
}

const REALTIME_PREFIX = '/realtime/';

/** Where the hosts mount the manual conflict queue (`GET …/pending`, `GET …/report`, `POST …/:id/decision`) and the reports (`POST …/reports/stock|order`). */
export const CONFLICT_QUEUE_PREFIX = '/api/conflicts';

/** The role an open-access browser gets: the demo creator's reads, no decisions. */
const BROWSER_ROLES = Object.freeze(['creator']);

/**
 * The bearer token of a realtime request: the `Authorization` header, or
 * `?token=` where a browser API cannot send headers (WebSocket). Only the
 * realtime routes read it; the access log never shows it.
 */
function bearer(req: Pick<IncomingMessage, 'headers' | 'url'>): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (!url.pathname.startsWith(REALTIME_PREFIX)) return undefined;
  return url.searchParams.get('token') ?? undefined;
}

/** `STOCK_THRESHOLDS`: `{"<seller sku>": <units>}`. */
function parseThresholds(text: string | undefined): Record<string, number> | undefined {
  if (!text) return undefined;
  const parsed: unknown = JSON.parse(text);
  const valid =
    typeof parsed === 'object' &&
    parsed !== null &&
    Object.values(parsed).every((n) => Number.isInteger(n) && (n as number) >= 0);
  if (!valid) throw new Error('STOCK_THRESHOLDS must be JSON: {"<seller sku>": <units>}');
  return parsed as Record<string, number>;
}

/**
 * Open the database and Redis, wire and start the engine and the singleton jobs.
 *
 * @example
 * ```ts
 * const host = await createHost({ tiktokApiUrl: simulator.apiUrl });
 * app.use(expressAdapter(host.ingest));
 * ```
 */
export async function createHost(options: HostOptions = {}): Promise<Host> {
  const env = process.env;
  const config = readHostConfig(env);
  const hostId = options.hostId ?? config.hostId;
  const log = options.log ?? createHostLog(hostId);
  const credentials = options.credentials ?? config.credentials;
  const schema = options.schema ?? env.DB_SCHEMA ?? 'creatorflow';
  const redisUrl = options.redisUrl ?? env.REDIS_URL;
  const thresholds = options.thresholds ?? parseThresholds(env.STOCK_THRESHOLDS);
  const closers: (() => Promise<unknown> | void)[] = [];
  // `STAGE_TRACE_FILE`: one line per traced hop (the e2e benchmark's stage breakdown); off by default.
  const traceFile = env.STAGE_TRACE_FILE;
  if (traceFile) {
    setStageTraceSink((stage, ids, atMs) =>
      appendFileSync(traceFile, `${atMs.toFixed(3)}\t${hostId}\t${stage}\t${ids.join(' ')}\n`),
    );
    closers.push(() => setStageTraceSink(undefined));
  }

  const database = await openDatabase({
    url: options.databaseUrl ?? env.DATABASE_URL,
    pgliteDir: options.pgliteDir ?? env.PGLITE_DIR,
    log,
  });
  const { sql } = database;
  closers.push(() => database.close());

  const perMinute = options.rateLimitPerMinute ?? Number(env.RATE_LIMIT_PER_MINUTE || 10_000);
  if (!(Number.isInteger(perMinute) && perMinute > 0))
    throw new Error('RATE_LIMIT_PER_MINUTE must be a positive integer');
  const limit = { limit: perMinute, windowMs: 60_000 };
  let rateLimiter: RateLimiter = createMemoryRateLimiter(limit);
  let pubsub: PubSub | undefined;
  let connectionLimiter: RedisConnectionLimiter | undefined;
  let redisUp: (() => boolean) | undefined;
  if (redisUrl) {
    const redis = connectRedis(redisUrl, log);
    rateLimiter = createRedisRateLimiter({
      ...limit,
      redis: redis.commands,
      prefix: `creatorflow:${schema}:ratelimit:`,
    });
    pubsub = createRedisPubSub({
      publisher: redis.commands,
      subscriber: redis.subscriber,
      prefix: `creatorflow:${schema}:`,
    });
    // Realtime connections per user counted across every host of the deployment.
    connectionLimiter = createRedisConnectionLimiter({
      redis: redis.commands,
      prefix: `creatorflow:${schema}:realtime:connections:`,
    });
    const limiter = connectionLimiter;
    limiter.events.on('error', (err) => log.warn(`realtime limiter: ${describeError(err)}`));
    redisUp = redis.up;
    closers.push(async () => {
      await limiter.close();
      await redis.close();
    });
  }

  const client = createTikTokShopHttpClient({
    appKey: credentials.appKey,
    appSecret: credentials.appSecret,
    accessToken: credentials.accessToken,
    shopId: credentials.shopId,
    baseUrl: options.tiktokApiUrl ?? env.TIKTOK_API_URL ?? 'http://127.0.0.1:3100',
    retry: { attempts: 2, minTimeoutMs: 100 },
    timeoutMs: 3000,
    // Four calls per order: a keep-alive pool on undici's request, not the global fetch.
    fetch: pooledFetch(),
  });
  // TikTok Shop over the real HTTP client (the simulator's mock Open API in the demo); its stock
  // is what sync-inventory-levels reads, on its schedule and on inventory events.
  const tiktok = tikTokShopClientFromHttp({ clientFor: () => client });
  const tiktokStock = {
    client: tiktok,
    shopOf: (creatorId: string) => (creatorId === credentials.creatorId ? credentials.shopId : undefined),
  };
  const signals = new HostSignals();
  const tenantIds = [credentials.creatorId];
  const registry = createMetricsRegistry();
  // The demo's operators are its creator's: the alerts channel is scoped to them.
  const alerts = hostAlerting(
    { registry, log, owner: hostId, rules: options.alertRules, intervalMs: options.alertIntervalMs },
    credentials.creatorId,
  );
  let built: Commerce | undefined;
  const engine: SyncEngine = createSyncEngine({
    sql,
    schema,
    // What the library logs (a webhook answered 500 with the error it hid, a processor's failure) goes to the host's log.
    logger: hostLogger(log),
    store: { eventTypes: COMMERCE_EVENT_SCHEMAS },
    channels: HOST_CHANNELS,
    // The conflicts panel's channel (`conflict_queue`) and the alerts panel's (`monitoring_alerts`).
    projections: [conflictQueueProjection, alerts.projection],
    readModels: (store) => {
      built = createCommerce({
        store,
        // One processor folds every table, so snapshots carry its checkpoint.
        readModels: 'async',
        // Stock figures from TikTok, the warehouse, the ERP and admins compete by source
        // priority; short windows so the dashboard moves (docs/conflicts.md).
        conflicts: {
          settleMs: 500,
          tickMs: 100,
          // An unknown value is refused by the processor (INVALID_ARGUMENT) when the host starts.
          windowAlignment:
            options.conflictWindows ?? (env.CONFLICT_WINDOWS as 'anchored' | undefined) ?? 'anchored',
          config: { entities: { inventory: { windowMs: 2_000 } } },
        },
        // The sagas report what the payment processor captured and refunded as order reports too,
        // beside the receivers' reportOrderState below (a capture 10 % off the order total, or a
        // refund over $500, goes to the manual queue; docs/conflicts.md).
        reportOrderState: true,
        // sync-inventory-levels on inventory events too, debounced per product (docs/commerce.md).
        inventorySync: { tiktok: tiktokStock },
        // Forecasts and reorder plans; run by the engine's schedule below (one host of many).
        analytics: { schedule: false },
        ports: {
          tiktok,
          ...providerPorts({
            providersUrl: options.providersUrl ?? env.PROVIDERS_URL,
            shippingProvider: credentials.shipping.provider,
          }),
        },
      });
      return [commerceReadModel(built)];
    },
    ...(pubsub ? { pubsub } : {}),
    rateLimiter,
    // Refuse early rather than queue: accepted webhooks keep a bounded latency, TikTok redelivers the rest.
    admission: options.admission ?? admissionFromEnv(env),
    receivers: commerceReceivers({
      // The commerce runs with conflicts: TikTok's order statuses and the carrier's tracking compete
      // as order reports too (TikTok against the carrier goes to the manual queue; docs/conflicts.md).
      reportOrderState: true,
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
    }),
    realtime: {
      heartbeatMs: options.heartbeatMs ?? 30_000,
      ...(connectionLimiter ? { connectionLimiter } : {}),
    },
    // One host of many runs these, by lease, and another takes them over
    // within 10 s when it dies; started after the rest of the engine (they
    // read the commerce read models), stopped before it.
    hostId,
    ...(options.singletonLeaseMs === undefined ? {} : { lease: { ttlMs: options.singletonLeaseMs } }),
    singletons: () => [
      inventoryPoller({
        client,
        commerce: built!,
        creatorId: credentials.creatorId,
        ...(thresholds ? { thresholds } : {}),
        intervalMs: options.inventoryIntervalMs ?? 1000,
        onPoll: ({ ok, at }) => {
          if (ok) signals.inventoryPoll.lastOkAt = at;
        },
      }),
      stockCountsFeed({ client, commerce: built!, creatorId: credentials.creatorId }),
      healthMonitorWorker({
        signals,
        creatorIds: tenantIds,
        engine: async () => {
          const health = await engine.health();
          const lags = Object.values(health.readModels);
          return {
            lagMs: Math.max(0, ...lags.map((r) => r.lagMs)),
            queueDepth: lags.reduce((n, r) => n + r.lagEvents, 0) + built!.sagaRunner!.activeCount,
          };
        },
      }),
    ],
    // Every host keeps the capacity gauges of the newest check, wherever the schedule ran, and
    // reports its own CPU and memory to it (HOST_NAME: a name that outlives restarts keeps the history).
    workers: [
      capacityGauges({ metrics: () => monitoring.instruments }),
      hostCapacitySampler({ host: env.HOST_NAME || undefined }),
    ],
    schedules: ({ store }) => [
      ...commerceSchedules(built!, {
        creatorIds: tenantIds,
        tiktok: tiktokStock,
        inventoryEveryMs: options.inventorySyncMs ?? Number(env.INVENTORY_SYNC_MS || 300_000),
      }),
      {
        name: ANALYTICS_SCHEDULE,
        every: options.analyticsEveryMs ?? Number(env.ANALYTICS_EVERY_MS || 300_000),
        missed: 'latest',
        run: async () => {
          const run = await built!.analytics!.runOnce();
          return { products: run.products, insights: run.insights };
        },
      },
      // Hourly: database size, log growth, connections, every host's CPU and memory; alerts when one is
      // forecast at 70 % within 30 days.
      capacityCheckSchedule({
        store,
        registry,
        metrics: () => monitoring.instruments,
        capacities: { diskGb: Number(env.CAPACITY_DISK_GB || 10) },
      }),
    ],
  });
  // createSyncEngine builds its read models synchronously.
  const commerce = built!;
  const sagas = commerce.sagaRunner!;
  sagas.on('saga:completed', () => signals.sagas.completed++);
  sagas.on('saga:compensated', () => signals.sagas.failed++);
  sagas.on('saga:dead_lettered', () => signals.sagas.failed++);
  // Background failures are reported, never thrown.
  commerce.on('error', (err) => log.error(`commerce: ${describeError(err)}`));
  const prom = fromPromClient(promClient);
  const monitoring = instrumentEngine(engine, { metrics: teeMetrics(registry, prom) });
  const stopSagaMetrics = instrumentSagaRunner(sagas, monitoring.instruments);
  // Live forecast accuracy (within 20 %, interval coverage, forecasts scored) after each analytics run on this host.
  const stopAnalyticsMetrics = instrumentAnalytics(commerce.analytics!, monitoring.instruments);
  engine.hub.events.on('error', (err) => log.error(`realtime: ${describeError(err)}`));
  await engine.start();
  await alerts.alerting.start({ store: engine.store });
  if (options.salesHistory) {
    const imported = await importDemoSalesHistory(engine.store, credentials.creatorId, options.salesHistory);
    if (imported > 0) log.info(`imported ${imported} days of demo sales history`);
    // A first forecast once the history is folded, rather than at the first scheduled run.
    void commerce
      .whenIdle(60_000)
      .then(() => commerce.analytics!.runOnce())
      .catch((err: unknown) => log.warn(`analytics: ${describeError(err)}`));
  }

  const tokens = options.tokens ?? config.tokens;
  const openAccess = options.openAccess ?? config.openAccess;
  const browsers = new BrowserIdentities(config.sessionSecret);
  const serviceKeys = new ServiceKeys({ sql, schema });
  await serviceKeys.migrate();
  // Own entries only: `tokens['constructor']` is Object itself, which a lookup by
  // index took for an identity (a 500 from the queue, 403s elsewhere, for no token at all).
  const identityOfToken = async (token: string): Promise<Authorization | null> =>
    Object.hasOwn(tokens, token) ? tokens[token]! : await serviceKeys.verify(token);
  // The queue's caller: a token, a service API key, or (open access) the browser's identity.
  const queueCaller = async (head: HttpRequestHead): Promise<Authorization | null> => {
    const token = bearer({ headers: head.headers as IncomingMessage['headers'], url: head.path });
    if (token !== undefined) return identityOfToken(token);
    if (!openAccess) return null;
    const browser = browsers.read({ headers: head.headers } as IncomingMessage);
    return browser === undefined ? null : { userId: `browser:${browser}`, tenantIds, roles: BROWSER_ROLES };
  };
  // The schedules' routes: the same callers, admins only (scheduleRoutes checks the role). A run
  // acts for every creator as the schedule's system principal, so a service key scoped to its
  // creators may not trigger one either; each trigger is access-audited.
  const schedules = createRouter(
    scheduleRoutes({
      scheduler: engine.scheduler,
      prefix: SCHEDULES_PATH,
      authorize: queueCaller,
      roles: { read: [ADMIN_ROLE], trigger: [ADMIN_ROLE] },
      audit: commerce.accessAudit,
    }),
  );
  // The queue, and the reports of other sources (service keys within their creators, admins):
  // each report a contender of resolve-sync-conflicts with its source's priority.
  const conflictQueue = createRouter([
    ...manualQueueRoutes({
      queue: commerce.conflictQueue!,
      authorize: queueCaller,
      prefix: CONFLICT_QUEUE_PREFIX,
    }),
    ...syncReportRoutes({
      store: engine.store,
      audit: commerce.accessAudit,
      authorize: queueCaller,
      prefix: CONFLICT_QUEUE_PREFIX,
    }),
  ]);
  const acknowledge = createRouter(acknowledgeRoutes(alerts, queueCaller));
  const browserCookie = (req: IncomingMessage) =>
    openAccess && bearer(req) === undefined ? browsers.ensure(req) : undefined;
  const authorize = async (req: IncomingMessage): Promise<Authorization> => {
    const token = bearer(req);
    if (token !== undefined) {
      const identity = await identityOfToken(token);
      if (!identity) throw new Error('Unknown token');
      return identity;
    }
    if (!openAccess) throw new Error('A token is required');
    const browser = browsers.read(req);
    if (browser === undefined) throw new Error('No browser identity');
    return { userId: `browser:${browser}`, tenantIds, roles: BROWSER_ROLES };
  };
  const healthDeadlineMs = database.engine === 'pglite' ? 10_000 : 3000;

  return {
    hostId,
    log,
    engine,
    signals,
    commerce,
    alerting: alerts.alerting,
    backends: { database: database.engine, redis: Boolean(redisUrl) },
    get leader() {
      return engine.singletons.leading;
    },
    schedules,
    ingest: async (req) => {
      const started = performance.now();
      traceStage('webhook.received', () => [req.rawBody.toString('utf8')]);
      const response = await monitoring.ingest(req);
      traceStage('webhook.answered', () => [req.rawBody.toString('utf8')]);
      signals.webhook(response.status, performance.now() - started);
      return response;
    },
    conflictQueue,
    serviceKeys,
    authorize,
    identifyBrowser(req, res) {
      const cookie = browserCookie(req);
      if (cookie) res.setHeader('set-cookie', cookie);
    },
    identifyUpgrade(headers, req) {
      const cookie = browserCookie(req);
      if (cookie) headers.push(`Set-Cookie: ${cookie}`);
    },
    alerts: acknowledge,
    async healthz() {
      const body = await probeHealth({
        hostId,
        engine: database.engine,
        sql,
        engineHealth: () => engine.health(),
        redisUp,
        sagas: () => ({ active: sagas.activeCount, ...signals.sagas }),
        leader: () => engine.singletons.leading,
        deadlineMs: healthDeadlineMs,
      });
      return { status: healthHttpStatus(body), body };
    },
    async metrics() {
      await monitoring.sample();
      return { contentType: prom.contentType, body: await prom.scrape() };
    },
    async close() {
      await alerts.alerting.stop();
      stopSagaMetrics();
      stopAnalyticsMetrics();
      monitoring.stop();
      await engine.close();
      for (const close of closers.reverse()) await close();
    },
  };
}
