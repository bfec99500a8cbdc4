/**
 * The deployment the end-to-end benchmarks drive: two Express host processes
 * (`examples/express-host/index.ts`, started like an operator starts them) on
 * a PostgreSQL database of their own and Redis, the simulator's mock TikTok
 * Shop Open API and fake providers (no added latency) in this process, and an
 * SSE client of host B on `commerce_orders` (throttle 0) that records when
 * each order's first delta arrives and when its fulfillment saga is done
 * (the row reaches `shipped` or `cancelled`). A database of its own, not a
 * schema in the shared one, so `pg_stat_database` counts only its work.
 */
import { connectRealtime, type RealtimeClient } from '../../src/client/index.js';
import type { Envelope } from '../../src/realtime/index.js';
import { DEMO_CREDENTIALS, DEMO_TOKEN } from '../../examples/shared/demo-credentials.js';
import { spawnHost, type HostProcess } from '../../examples/shared/host-process.js';
import { CATALOG } from '../../examples/simulator/catalog.js';
import type { SimOrder } from '../../examples/simulator/fake-shop.js';
import { startSimulator, type Simulator } from '../../examples/simulator/simulator.js';
import { buildWebhook } from '../../examples/simulator/webhook-sender.js';
import { createDatabase, databaseUrl, dropDatabase, freshSchemaName } from './pg-bench.js';
import { nowMs } from './stats.js';

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Order statuses that end the fulfillment saga's work on an order. */
const DONE_STATUSES = new Set(['shipped', 'cancelled']);

/** A running deployment. */
export interface E2eDeployment {
  /** The deployment's own database (its name). */
  readonly database: string;
  readonly sim: Simulator;
  readonly a: HostProcess;
  readonly b: HostProcess;
  /** Order id → when its first delta reached host B's SSE client (performance.now()). */
  readonly arrived: ReadonlyMap<string, number>;
  /** Order id → when its row reached a final status at that client. */
  readonly done: ReadonlyMap<string, number>;
  /** POST order `i`'s signed webhook (a new paid order) to host A; resolves with its id and HTTP status (0: no answer). */
  sendOrder(i: number): Promise<{ id: string; status: number }>;
  /** The hosts' stage-trace files (empty without `traceDir`). */
  readonly traceFiles: readonly string[];
  /** Stop the client, the hosts and the simulator; drop the database. */
  close(): Promise<void>;
}

/** Options of {@link startE2eDeployment}. */
export interface E2eDeploymentOptions {
  /** Distinguishes the order ids and the seed of successive runs. */
  runIndex: number;
  /** Offered webhooks/s: the per-shop rate limit is lifted above it. */
  ratePerS: number;
  /** Each host writes its stage trace to `<traceDir>/<host id>.trace` (`STAGE_TRACE_FILE`). Default: no tracing. */
  traceDir?: string | undefined;
}

/** A paid order the fake shop knows (so the saga it starts finds it on the mock Open API). */
function paidOrder(sim: Simulator, run: number, i: number): SimOrder {
  const product = CATALOG[i % CATALOG.length]!;
  const now = Date.now();
  const order: SimOrder = {
    id: `97${String(run).padStart(2, '0')}${String(i).padStart(14, '0')}`,
    status: 'AWAITING_SHIPMENT',
    product,
    quantity: 1,
    total: product.price,
    createdAt: now,
    updatedAt: now,
    trackingNumber: `1ZBENCH${String(i).padStart(10, '0')}`,
    nextAt: Infinity,
    willCancel: false,
  };
  sim.shop.orders.set(order.id, order);
  return order;
}

async function startHosts(
  database: string,
  sim: Simulator,
  ratePerS: number,
  traceDir: string | undefined,
): Promise<HostProcess[]> {
  const env = (id: string) => ({
    ...(traceDir ? { STAGE_TRACE_FILE: `${traceDir}/${id}.trace` } : {}),
    DATABASE_URL: databaseUrl(database),
    REDIS_URL,
    // The Redis keys are prefixed by schema: unique per run.
    DB_SCHEMA: database,
    PORT: '0',
    HOST_ID: id,
    TIKTOK_API_URL: sim.apiUrl,
    PROVIDERS_URL: sim.providersUrl,
    // One shop sends every webhook: lift the per-shop limit above the offered rate.
    RATE_LIMIT_PER_MINUTE: String(Math.max(10_000, ratePerS * 120)),
  });
  // E.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile both hosts.
  const nodeArgs = (process.env.BENCH_HOST_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const hosts: HostProcess[] = [];
  try {
    // One after the other: A migrates the schema and takes the processor's lease.
    hosts.push(await spawnHost({ env: env('bench-a'), nodeArgs }));
    hosts.push(await spawnHost({ env: env('bench-b'), nodeArgs }));
    return hosts;
  } catch (err) {
    await Promise.all(hosts.map((h) => h.stop()));
    throw err;
  }
}

function follow(url: string, arrived: Map<string, number>, done: Map<string, number>): RealtimeClient {
  const client = connectRealtime({
    url: `${url}/realtime/sse`,
    channel: 'commerce_orders',
    throttleMs: 0,
    headers: { authorization: `Bearer ${DEMO_TOKEN}` },
  });
  client.messages$.subscribe((envelope: Envelope) => {
    if (envelope.type !== 'data') return;
    const at = nowMs();
    for (const [, key, fields] of envelope.deltas ?? []) {
      const id = String(key.order_id);
      if (!arrived.has(id)) arrived.set(id, at);
      if (DONE_STATUSES.has(String(fields.status)) && !done.has(id)) done.set(id, at);
    }
  });
  return client;
}

/**
 * Create the database, start the simulator, both hosts and the SSE client;
 * resolves once the client has its snapshot.
 *
 * @example
 * ```ts
 * const d = await startE2eDeployment({ runIndex: 0, ratePerS: 50 });
 * const { id, status } = await d.sendOrder(0);
 * await d.close();
 * ```
 */
export async function startE2eDeployment(options: E2eDeploymentOptions): Promise<E2eDeployment> {
  const database = freshSchemaName('bench_e2e');
  await createDatabase(database);
  const closers: (() => Promise<unknown>)[] = [() => dropDatabase(database)];
  let closing: Promise<void> | undefined;
  // Once, however often it is called (the traced benchmark closes before its finally block does).
  const close = () =>
    (closing ??= (async () => {
      for (const fn of closers.reverse()) await fn().catch(() => undefined);
    })());
  try {
    const sim = await startSimulator({
      url: 'http://localhost',
      autoStart: false,
      seed: options.runIndex + 1,
      stockScale: 1000,
      providers: { payment: { latencyMs: 0 }, shipping: { latencyMs: 0 } },
    });
    closers.push(() => sim.stop());
    const hosts = await startHosts(database, sim, options.ratePerS, options.traceDir);
    closers.push(() => Promise.all(hosts.map((h) => h.stop())));
    const [a, b] = hosts as [HostProcess, HostProcess];
    const arrived = new Map<string, number>();
    const done = new Map<string, number>();
    const client = follow(b.url, arrived, done);
    closers.push(async () => client.close());
    const connected = nowMs();
    while (client.cursor === null) {
      if (nowMs() - connected > 60_000) throw new Error('the SSE client of host B never got its snapshot');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const target = { ...DEMO_CREDENTIALS, url: a.url };
    return {
      database,
      sim,
      a,
      b,
      arrived,
      done,
      traceFiles: options.traceDir
        ? ['bench-a', 'bench-b'].map((id) => `${options.traceDir}/${id}.trace`)
        : [],
      async sendOrder(i) {
        const order = paidOrder(sim, options.runIndex, i);
        const w = buildWebhook(
          target,
          { kind: 'order_status', order, status: 'AWAITING_SHIPMENT' },
          Date.now(),
        );
        try {
          const res = await fetch(new URL(w.path, a.url), {
            method: 'POST',
            headers: w.headers,
            body: w.body,
          });
          await res.arrayBuffer();
          return { id: order.id, status: res.status };
        } catch {
          return { id: order.id, status: 0 };
        }
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
