/**
 * `npm run bench -- e2e`: the whole path, as deployed with two hosts.
 *
 * `e2e.webhook_to_dashboard`: two Express host processes
 * (`examples/express-host/index.ts`, started like an operator starts them)
 * on a PostgreSQL database of their own and Redis, the simulator's mock
 * TikTok Shop Open API and fake providers (no added latency) in this
 * process (`support/e2e-deployment.ts`). Signed TikTok Shop
 * webhooks — a new paid order each (`AWAITING_SHIPMENT`, which also starts
 * its fulfillment saga) — are POSTed to host A on a fixed schedule (open
 * loop); an SSE client of host B subscribed to `commerce_orders` (throttle
 * 0) records when each order's first delta arrives. Latency: from the
 * webhook's scheduled send time to that arrival (signature check, append,
 * the read-model processor, Redis fan-out, the hub's coalescing window, SSE).
 * Reports p50/p95/p99 after a warm-up, the p95 of the webhook's own answer
 * (`ack_p95_ms`), webhooks/s answered 2xx, non-2xx (of which 503 — admission
 * control refusing, docs/ingestion.md *Overload* — and no answer) and orders whose delta
 * never came; the median run by p95. Target p95 ≤ 150 ms. The work per
 * order, which latency on a shared machine does not show, is `e2e-cost`.
 *
 * Environment: BENCH_PG_URL, BENCH_REDIS_URL (default redis://127.0.0.1:6379),
 * BENCH_RUNS (default 3), BENCH_E2E_RATE (webhooks/s, default 500),
 * BENCH_E2E_SECONDS (measured, default 20), BENCH_E2E_WARMUP_SECONDS (default 3),
 * BENCH_E2E_TRACE=1 (the hosts trace each order's hops; one more JSON line per
 * run, `e2e.stage_breakdown`: each hop's time since the send and its gap from
 * the hop before, p50/p95 — run it at a low rate, 10–20/s).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startE2eDeployment } from './support/e2e-deployment.js';
import { openLoop } from './support/load.js';
import { stageBreakdown, type TracedOrder } from './support/stage-breakdown.js';
import { emit, latencySummary, medianOf, nowMs, round } from './support/stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const RATE = Number(process.env.BENCH_E2E_RATE ?? 500);
const SECONDS = Number(process.env.BENCH_E2E_SECONDS ?? 20);
const WARMUP_SECONDS = Number(process.env.BENCH_E2E_WARMUP_SECONDS ?? 3);
const TRACE = process.env.BENCH_E2E_TRACE === '1';
/** How long after the last send a delta may still arrive before its order counts as missing. */
const DRAIN_MS = 30_000;

interface RunResult extends Record<string, number> {
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  webhooks_per_s: number;
  webhooks: number;
  non_2xx: number;
  /** Of those: 503 (admission control refusing, or the database away) and no answer at all. */
  refused_503: number;
  no_answer: number;
  missing: number;
  sender_lag_ms: number;
  ack_p95_ms: number;
}

async function run(runIndex: number): Promise<RunResult> {
  const traceDir = TRACE ? mkdtempSync(join(tmpdir(), 'e2e-trace-')) : undefined;
  const deployment = await startE2eDeployment({ runIndex, ratePerS: RATE, traceDir });
  try {
    const { arrived } = deployment;
    const calls = Math.round(RATE * (WARMUP_SECONDS + SECONDS));
    const ids: string[] = new Array<string>(calls);
    const statuses: number[] = new Array<number>(calls);
    const answeredMs: number[] = new Array<number>(calls);
    const { dueMs, lagMs } = await openLoop({
      ratePerS: RATE,
      calls,
      call: async (i) => {
        const { id, status } = await deployment.sendOrder(i);
        ids[i] = id;
        statuses[i] = status;
        answeredMs[i] = nowMs();
      },
    });
    const sendSeconds = (nowMs() - dueMs[0]!) / 1000;
    const accepted = statuses.filter((s) => s >= 200 && s < 300).length;
    const drainStart = nowMs();
    const pending = () => ids.some((id, i) => statuses[i]! < 300 && statuses[i]! >= 200 && !arrived.has(id));
    while (pending() && nowMs() - drainStart < DRAIN_MS) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const warm = Math.round(RATE * WARMUP_SECONDS);
    const latencies: number[] = [];
    const acks: number[] = [];
    let missing = 0;
    const traced: TracedOrder[] = [];
    // performance.now() of this process → wall-clock ms, as the hosts' traces stamp.
    const wall = (ms: number) => performance.timeOrigin + ms;
    for (let i = warm; i < calls; i++) {
      if (statuses[i]! < 200 || statuses[i]! >= 300) continue;
      acks.push(answeredMs[i]! - dueMs[i]!);
      const at = arrived.get(ids[i]!);
      traced.push({
        id: ids[i]!,
        sentAt: wall(dueMs[i]!),
        answeredAt: wall(answeredMs[i]!),
        receivedAt: at === undefined ? undefined : wall(at),
      });
      if (at === undefined) missing++;
      else latencies.push(at - dueMs[i]!);
    }
    if (traceDir) {
      // Let the hosts finish writing the last orders' hops before reading them.
      await deployment.close();
      emit({
        name: 'e2e.stage_breakdown',
        run: runIndex,
        rate_per_s: RATE,
        stages: stageBreakdown(deployment.traceFiles, traced),
      });
    }
    return {
      ...latencySummary(latencies),
      // The webhook's answer alone (host A's ingest), to tell intake from the rest of the path.
      ack_p95_ms: latencySummary(acks).p95_ms,
      webhooks_per_s: round(accepted / sendSeconds, 1),
      webhooks: calls,
      non_2xx: calls - accepted,
      refused_503: statuses.filter((s) => s === 503).length,
      no_answer: statuses.filter((s) => s === 0).length,
      missing,
      sender_lag_ms: lagMs,
    };
  } finally {
    await deployment.close();
    if (traceDir) rmSync(traceDir, { recursive: true, force: true });
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
