/**
 * `npm run bench -- e2e`: the whole path, as deployed with two hosts.
 *
 * `e2e.webhook_to_dashboard`: two Express host processes
 * (`examples/express-host/index.ts`, started like an operator starts them)
 * on one PostgreSQL and Redis, the simulator's mock TikTok Shop Open API and
 * fake providers (no added latency) in this process. Signed TikTok Shop
 * webhooks — a new paid order each (`AWAITING_SHIPMENT`, which also starts
 * its fulfillment saga) — are POSTed to host A on a fixed schedule (open
 * loop); an SSE client of host B subscribed to `commerce_orders` (throttle
 * 0) records when each order's first delta arrives. Latency: from the
 * webhook's scheduled send time to that arrival (signature check, append,
 * the read-model processor, Redis fan-out, the hub's coalescing window, SSE).
 * Reports p50/p95/p99 after a warm-up, the p95 of the webhook's own answer
 * (`ack_p95_ms`), webhooks/s answered 2xx, non-2xx and orders whose delta
 * never came; the median run by p95. Target p95 ≤ 150 ms.
 *
 * Environment: BENCH_PG_URL, BENCH_REDIS_URL (default redis://127.0.0.1:6379),
 * BENCH_RUNS (default 3), BENCH_E2E_RATE (webhooks/s, default 500),
 * BENCH_E2E_SECONDS (measured, default 20), BENCH_E2E_WARMUP_SECONDS (default 3).
 */
import { connectRealtime } from '../src/client/index.js';
import type { Envelope } from '../src/realtime/index.js';
import { DEMO_CREDENTIALS, DEMO_TOKEN } from '../examples/shared/demo-credentials.js';
import { spawnHost, type HostProcess } from '../examples/shared/host-process.js';
import { CATALOG } from '../examples/simulator/catalog.js';
import type { SimOrder } from '../examples/simulator/fake-shop.js';
import { startSimulator, type Simulator } from '../examples/simulator/simulator.js';
import { buildWebhook } from '../examples/simulator/webhook-sender.js';
import { openLoop } from './support/load.js';
import { PG_URL, dropSchema, freshSchemaName } from './support/pg-bench.js';
import { emit, latencySummary, medianOf, nowMs, round } from './support/stats.js';

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const RATE = Number(process.env.BENCH_E2E_RATE ?? 500);
const SECONDS = Number(process.env.BENCH_E2E_SECONDS ?? 20);
const WARMUP_SECONDS = Number(process.env.BENCH_E2E_WARMUP_SECONDS ?? 3);
/** How long after the last send a delta may still arrive before its order counts as missing. */
const DRAIN_MS = 30_000;

interface RunResult extends Record<string, number> {
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  webhooks_per_s: number;
  webhooks: number;
  non_2xx: number;
  missing: number;
  sender_lag_ms: number;
  ack_p95_ms: number;
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

async function startHosts(schema: string, sim: Simulator): Promise<[HostProcess, HostProcess]> {
  const env = (id: string) => ({
    DATABASE_URL: PG_URL,
    REDIS_URL,
    DB_SCHEMA: schema,
    PORT: '0',
    HOST_ID: id,
    TIKTOK_API_URL: sim.apiUrl,
    PROVIDERS_URL: sim.providersUrl,
    // One shop sends every webhook: lift the per-shop limit above the offered rate.
    RATE_LIMIT_PER_MINUTE: String(Math.max(10_000, RATE * 120)),
  });
  // One after the other: A migrates the schema and takes the processor's lease.
  const a = await spawnHost({ env: env('bench-a') });
  const b = await spawnHost({ env: env('bench-b') });
  return [a, b];
}

async function run(runIndex: number): Promise<RunResult> {
  const schema = freshSchemaName('bench_e2e');
  const sim = await startSimulator({
    url: 'http://localhost',
    autoStart: false,
    seed: runIndex + 1,
    stockScale: 1000,
    providers: { payment: { latencyMs: 0 }, shipping: { latencyMs: 0 } },
  });
  let hosts: HostProcess[] = [];
  try {
    const [a, b] = await startHosts(schema, sim);
    hosts = [a, b];
    const arrived = new Map<string, number>();
    const client = connectRealtime({
      url: `${b.url}/realtime/sse`,
      channel: 'commerce_orders',
      throttleMs: 0,
      headers: { authorization: `Bearer ${DEMO_TOKEN}` },
    });
    client.messages$.subscribe((envelope: Envelope) => {
      if (envelope.type !== 'data') return;
      const at = nowMs();
      for (const [, key] of envelope.deltas ?? []) {
        const id = String(key.order_id);
        if (!arrived.has(id)) arrived.set(id, at);
      }
    });
    const connected = nowMs();
    while (client.cursor === null) {
      if (nowMs() - connected > 60_000) throw new Error('the SSE client of host B never got its snapshot');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    const calls = Math.round(RATE * (WARMUP_SECONDS + SECONDS));
    const ids: string[] = new Array<string>(calls);
    const statuses: number[] = new Array<number>(calls);
    const answeredMs: number[] = new Array<number>(calls);
    const target = { ...DEMO_CREDENTIALS, url: a.url };
    const { dueMs, lagMs } = await openLoop({
      ratePerS: RATE,
      calls,
      call: async (i) => {
        const order = paidOrder(sim, runIndex, i);
        ids[i] = order.id;
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
          statuses[i] = res.status;
          answeredMs[i] = nowMs();
        } catch {
          statuses[i] = 0;
        }
      },
    });
    const sendSeconds = (nowMs() - dueMs[0]!) / 1000;
    const accepted = statuses.filter((s) => s >= 200 && s < 300).length;
    const drainStart = nowMs();
    const pending = () => ids.some((id, i) => statuses[i]! < 300 && statuses[i]! >= 200 && !arrived.has(id));
    while (pending() && nowMs() - drainStart < DRAIN_MS) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    client.close();

    const warm = Math.round(RATE * WARMUP_SECONDS);
    const latencies: number[] = [];
    const acks: number[] = [];
    let missing = 0;
    for (let i = warm; i < calls; i++) {
      if (statuses[i]! < 200 || statuses[i]! >= 300) continue;
      acks.push(answeredMs[i]! - dueMs[i]!);
      const at = arrived.get(ids[i]!);
      if (at === undefined) missing++;
      else latencies.push(at - dueMs[i]!);
    }
    return {
      ...latencySummary(latencies),
      // The webhook's answer alone (host A's ingest), to tell intake from the rest of the path.
      ack_p95_ms: latencySummary(acks).p95_ms,
      webhooks_per_s: round(accepted / sendSeconds, 1),
      webhooks: calls,
      non_2xx: calls - accepted,
      missing,
      sender_lag_ms: lagMs,
    };
  } finally {
    await Promise.all(hosts.map((h) => h.stop()));
    await sim.stop();
    await dropSchema(schema).catch(() => undefined);
  }
}

/** Run the benchmark (default export, see benchmarks/run.ts). */
export default async function e2e(): Promise<void> {
  const result = await medianOf(RUNS, 'p95_ms', run);
  emit({
    name: 'e2e.webhook_to_dashboard',
    hosts: 2,
    rate_per_s: RATE,
    seconds: SECONDS,
    backends: 'postgres+redis',
    ...result,
    target_p95_ms: 150,
  });
}
