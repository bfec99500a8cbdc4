/**
 * The TikTok Shop traffic simulator: a fake shop whose orders move through
 * their statuses, with cancellations, restocks and a viral spike on one
 * product, delivered to one host or spread over several (round robin) as
 * signed webhooks; plus the mock Open API the host calls back for order
 * details and inventory, and the fake payment and shipping providers'
 * service with its ledger.
 */
import { DEMO_CREDENTIALS } from '../shared/demo-credentials.js';
import { FakeShop, type Notification, type TrafficOptions } from './fake-shop.js';
import {
  serveFakeProviders,
  type FakeProviders,
  type FakeProvidersOptions,
} from './fake-providers/provider-service.js';
import { closeServer } from './http-server.js';
import { serveOpenApi } from './open-api.js';
import { seededRandom } from './random.js';
import { StockCounts, type StockCountsOptions } from './stock-counts.js';
import { postWebhook, type WebhookTarget } from './webhook-sender.js';

/** Options of {@link startSimulator}. */
export interface SimulatorOptions extends TrafficOptions {
  /** The host's base URL, or several hosts' (webhooks go round robin). */
  url: string | readonly string[];
  /** Credentials; the demo's by default. */
  target?: Partial<Omit<WebhookTarget, 'url'>>;
  /** Port of the mock Open API (0 = any). Default 0. */
  apiPort?: number;
  /** Port of the fake providers' service (0 = any). Default 0. */
  providersPort?: number;
  /** Latency and failures of the fake providers. */
  providers?: FakeProvidersOptions;
  /** Seed of the traffic. Default: time-based. */
  seed?: number;
  /** Tick interval in ms. Default 100. */
  tickMs?: number;
  /** Most webhooks in flight at once. Default 16. */
  concurrency?: number;
  /** Start posting right away. Default true; else call `resume()`. */
  autoStart?: boolean;
  /** The competing stock counts (warehouse, ERP, an admin's miscount); `false` for none. */
  stockCounts?: StockCountsOptions | false;
  /** Called per failed post (status 0 or ≥ 400). */
  onError?: (n: Notification, status: number, error?: string) => void;
}

/** Counters of a run. */
export interface SimulatorStats {
  sent: number;
  failed: number;
  orders: number;
  byStatus: Record<number, number>;
}

/** A running simulator. */
export interface Simulator {
  readonly shop: FakeShop;
  /** The competing stock counts (absent when turned off). */
  readonly stockCounts: StockCounts | undefined;
  /** Base URL of the mock TikTok Shop Open API. */
  readonly apiUrl: string;
  /** Base URL of the fake payment and shipping providers (`PROVIDERS_URL` of the hosts; `GET /ledger`). */
  readonly providersUrl: string;
  /** The fake providers (their ledger). */
  readonly providers: FakeProviders;
  readonly stats: SimulatorStats;
  /** Send to other host URLs from now on (e.g. once the hosts picked their ports). */
  retarget(url: string | readonly string[]): void;
  /** Start (or restart) generating traffic. */
  resume(): void;
  /** Stop generating traffic (the mock API keeps answering). */
  pause(): void;
  /** Wait until every webhook posted so far was answered. */
  flush(): Promise<void>;
  /** Stop everything. */
  stop(): Promise<void>;
}

/**
 * Start the mock API and (unless `autoStart` is false) the traffic.
 *
 * @example
 * ```ts
 * const sim = await startSimulator({ url: 'http://localhost:3000', rate: 5 });
 * // … later
 * await sim.stop();
 * ```
 */
export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const credentials: Omit<WebhookTarget, 'url'> = { ...DEMO_CREDENTIALS, ...options.target };
  let urls = targetsOf(options.url);
  let posted = 0;
  const shop = new FakeShop(seededRandom(options.seed ?? Date.now()), options);
  const random = seededRandom((options.seed ?? Date.now()) + 1);
  const counts =
    options.stockCounts === false ? undefined : new StockCounts(shop, random, options.stockCounts);
  const api = await serveOpenApi(shop, credentials.appSecret, options.apiPort ?? 0, '127.0.0.1', counts);
  // One charge in fifty captures 80 % of the order: the hosts report it, and the dashboard's
  // queue shows it as an amount escalation (docs/demo.md).
  const providers = await serveFakeProviders(
    { partialCaptureRate: 0.02, ...options.providers },
    options.providersPort ?? 0,
  );
  const stats: SimulatorStats = { sent: 0, failed: 0, orders: 0, byStatus: {} };
  const concurrency = options.concurrency ?? 16;
  // Per-order chains keep one order's webhooks in order; chains run concurrently.
  const chains = new Map<string, Promise<void>>();
  const inFlight = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | null = null;

  const keyOf = (n: Notification): string => (n.kind === 'product_status' ? `p:${n.product.id}` : n.order.id);

  function enqueue(n: Notification, now: number): void {
    if (n.kind === 'order_status' && n.status === 'UNPAID') stats.orders++;
    const key = keyOf(n);
    const previous = chains.get(key) ?? Promise.resolve();
    const next = previous.then(async () => {
      const url = urls[posted++ % urls.length]!;
      const result = await postWebhook({ ...credentials, url }, n, now);
      stats.sent++;
      stats.byStatus[result.status] = (stats.byStatus[result.status] ?? 0) + 1;
      if (result.status === 0 || result.status >= 400) {
        stats.failed++;
        options.onError?.(n, result.status, result.error);
      }
    });
    chains.set(key, next);
    inFlight.add(next);
    void next.finally(() => {
      inFlight.delete(next);
      if (chains.get(key) === next) chains.delete(key);
    });
  }

  function tick(): void {
    // Back-pressure: a slow host slows the shop down instead of piling up requests.
    const now = Date.now();
    if (inFlight.size >= concurrency * 2) return shop.skipTo(now);
    for (const n of shop.tick(now)) enqueue(n, now);
    counts?.tick(now);
  }

  const simulator: Simulator = {
    shop,
    stockCounts: counts,
    apiUrl: api.url,
    providersUrl: providers.url,
    providers: providers.providers,
    stats,
    retarget(url) {
      urls = targetsOf(url);
    },
    resume() {
      timer ??= setInterval(tick, options.tickMs ?? 100);
    },
    pause() {
      if (timer) clearInterval(timer);
      timer = null;
    },
    async flush() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    async stop() {
      simulator.pause();
      await simulator.flush();
      await Promise.all([closeServer(api.server), closeServer(providers.server)]);
    },
  };
  if (options.autoStart ?? true) simulator.resume();
  return simulator;
}

function targetsOf(url: string | readonly string[]): readonly string[] {
  const urls = typeof url === 'string' ? [url] : [...url];
  if (urls.length === 0) throw new Error('the simulator needs at least one host URL');
  return urls;
}
