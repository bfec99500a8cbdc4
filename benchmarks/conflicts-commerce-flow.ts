/**
 * `conflicts.commerce_flow` (part of `npm run bench -- conflicts`): the
 * conflict engine at work in the commerce flow on real PostgreSQL. PRODUCTS
 * products, four sources (TikTok webhook, manual admin, automated system,
 * scheduled sync) sending stock figures at a combined RATE per second as
 * `inventory.stock_reported`; `resolve-sync-conflicts` stages them, settles
 * each closed window and appends the resolved stock, which the inline
 * `inventory_levels` read model folds in the same transaction.
 *
 * Latency of a window: from the moment it is due (its first report's source
 * time + window + settle grace) to its settled value being committed in the
 * read model (or, escalated, its conflict audited). Most figures agree with
 * the product's true stock; some differ by a unit (resolved by the stock
 * minimum) and some by a lot or across platforms (escalated).
 *
 * The case runs once per window alignment: `conflicts.commerce_flow` with
 * `windowAlignment: 'staggered'` (each product's windows on its own phase, so
 * the 500 windows fall due spread over the 5 s), and
 * `conflicts.commerce_flow_anchored` with the default `'anchored'` (every
 * product's window opens at its first report: the sources report every product
 * within a quarter of a second, so all 500 fall due in that quarter second).
 *
 * Environment: BENCH_PG_URL, BENCH_FLOW_PRODUCTS (500), BENCH_FLOW_RATE
 * (2000), BENCH_FLOW_SECONDS (20), BENCH_FLOW_WINDOW_MS (5000),
 * BENCH_FLOW_SETTLE_MS (1000), BENCH_FLOW_TICK_MS (10), BENCH_FLOW_GATHER_MS
 * (the processor's default: 20 staggered, 0 anchored).
 */
import { loadavg } from 'node:os';
import pg from 'pg';
import { createCommerce } from '../src/commerce/create-commerce.js';
import { inventoryStream } from '../src/commerce/inventory/streams.js';
import { stockReportEvent, type StockReported } from '../src/commerce/conflicts/report-events.js';
import type { WindowAlignment } from '../src/commerce/conflicts/window-schedule.js';
import { startCpuMeter } from './support/cpu-meter.js';
import { openOurStore } from './support/our-store.js';
import { emit, latencySummary, nowMs, prng, round } from './support/stats.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

/**
 * Round trips this process sends to PostgreSQL, counted at the driver: every
 * statement, and the transactions among them (`BEGIN…`). Divided by the figures
 * settled they say what one figure costs the database, whatever the load.
 */
export function countRoundTrips(): { statements: number; transactions: number; stop(): void } {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const counts = {
    statements: 0,
    transactions: 0,
    stop: () => {
      proto.query = original;
    },
  };
  proto.query = function (this: unknown, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === 'string' ? first : (first as { text?: string } | null)?.text;
    counts.statements += 1;
    if (text?.startsWith('BEGIN')) counts.transactions += 1;
    return original.apply(this, args);
  };
  return counts;
}
const SOURCES: StockReported['source'][] = [
  'tiktok_webhook',
  'manual_admin',
  'automated_system',
  'scheduled_sync',
];

/**
 * Run the case once and emit its JSON line.
 *
 * @example
 * ```ts
 * await commerceFlowCase('staggered'); // BENCH_FLOW_SECONDS=3 BENCH_FLOW_PRODUCTS=50 for a smoke run
 * ```
 */
export async function commerceFlowCase(windowAlignment: WindowAlignment): Promise<void> {
  const products = env('BENCH_FLOW_PRODUCTS', 500);
  const rate = env('BENCH_FLOW_RATE', 2_000);
  const seconds = env('BENCH_FLOW_SECONDS', 20);
  const windowMs = env('BENCH_FLOW_WINDOW_MS', 5_000);
  const settleMs = env('BENCH_FLOW_SETTLE_MS', 1_000);
  const tickMs = env('BENCH_FLOW_TICK_MS', 10);
  const gather = process.env.BENCH_FLOW_GATHER_MS;
  const bench = await openOurStore(16);
  const commerce = createCommerce({
    store: bench.store,
    conflicts: {
      tickMs,
      settleMs,
      windowAlignment,
      ...(gather === undefined ? {} : { gatherMs: Number(gather) }),
      config: { entities: { inventory: { windowMs } } },
    },
  });
  try {
    await commerce.start();
    const conflicts = commerce.conflicts!;
    const latencies: number[] = [];
    // The latency in two parts: due until a pass took the window, then taken until committed.
    const waits: number[] = [];
    const writes: number[] = [];
    let windows = 0;
    let conflictWindows = 0;
    let escalated = 0;
    let reports = 0;
    conflicts.on('settled', (_entity, record, window) => {
      const now = Date.now();
      latencies.push(now - window.dueAtMs);
      waits.push(window.takenAtMs - window.dueAtMs);
      writes.push(now - window.takenAtMs);
      windows += 1;
      reports += window.reports;
      if (record) conflictWindows += 1;
      if (record?.status === 'pending') escalated += 1;
    });
    const rand = prng(7);
    const truth = Array.from({ length: products }, () => 100 + Math.floor(rand() * 100));
    const creatorId = 'bench-creator';
    const figure = (p: number): number => {
      const r = rand();
      if (r < 0.9) return truth[p]!;
      if (r < 0.97) return Math.max(0, truth[p]! - 1);
      return Math.floor(rand() * 300);
    };

    // Open loop: batches every 10 ms at the combined rate, whatever the settling does.
    const started = nowMs();
    const cpu0 = process.cpuUsage();
    const trips = countRoundTrips();
    const meter = await startCpuMeter(bench.schema);
    let sent = 0;
    const inFlight = new Set<Promise<unknown>>();
    while (nowMs() - started < seconds * 1000) {
      const due = Math.floor(((nowMs() - started) / 1000) * rate);
      for (; sent < due; sent++) {
        const p = sent % products;
        const source = SOURCES[Math.floor(sent / products) % SOURCES.length]!;
        const append = bench.store
          .append(inventoryStream(creatorId, `p${p}`), [
            stockReportEvent({
              creatorId,
              productId: `p${p}`,
              quantity: figure(p),
              source,
              sourceId: source,
              reportedAt: new Date().toISOString(),
            }),
          ])
          .finally(() => inFlight.delete(append));
        inFlight.add(append);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(inFlight);
    // Let the last windows close and settle.
    await conflicts.whenCaughtUp({ timeoutMs: 120_000 });
    const drainUntil = Date.now() + windowMs + settleMs + 5_000;
    while (reports < sent && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 50));
    const elapsedS = (nowMs() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    trips.stop();
    const perReport = await meter.stop(Math.max(1, sent));
    const eventCount = await bench.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${bench.schema}.events`,
    );
    const s = latencySummary(latencies);
    const wait = latencySummary(waits);
    const write = latencySummary(writes);
    emit({
      name: windowAlignment === 'anchored' ? 'conflicts.commerce_flow_anchored' : 'conflicts.commerce_flow',
      engine: 'postgres',
      window_alignment: windowAlignment,
      // The run's own schema: its statements in pg_stat_statements name it.
      schema: bench.schema,
      products,
      sources: SOURCES.length,
      reports_per_s_offered: rate,
      reports_sent: sent,
      reports_settled: reports,
      window_ms: windowMs,
      settle_ms: settleMs,
      tick_ms: tickMs,
      gather_ms: commerce.conflicts!.gatherMs,
      windows,
      p50_ms: s.p50_ms,
      p95_ms: s.p95_ms,
      p99_ms: s.p99_ms,
      wait_p50_ms: wait.p50_ms,
      wait_p95_ms: wait.p95_ms,
      write_p50_ms: write.p50_ms,
      write_p95_ms: write.p95_ms,
      resolutions_per_s: round(conflictWindows / elapsedS, 1),
      windows_per_s: round(windows / elapsedS, 1),
      escalated_pct: conflictWindows === 0 ? 0 : round((escalated / conflictWindows) * 100, 1),
      cpu_s: round((cpu.user + cpu.system) / 1e6, 2),
      // Per figure sent: the sources' own appends included (one each).
      statements_per_report: round(trips.statements / Math.max(1, sent), 2),
      transactions_per_report: round(trips.transactions / Math.max(1, sent), 3),
      events_per_report: round(Number(eventCount.rows[0]!.n) / Math.max(1, sent), 3),
      client_cpu_us_per_report: perReport.client_cpu_us_per_event,
      server_cpu_us_per_report: perReport.server_cpu_us_per_event,
      load_avg_1m: round(loadavg()[0]!),
      target: { p95_ms: 50 },
    });
  } finally {
    await commerce.stop();
    await bench.dispose();
  }
}
