/**
 * The e2e benchmark's stage breakdown (`BENCH_E2E_TRACE=1`): the hosts write
 * one line per traced hop (`STAGE_TRACE_FILE`, `src/core/stage-trace.ts`:
 * wall-clock ms, host id, stage, ids); this joins them with the benchmark's
 * own stamps (scheduled send, webhook answered, delta received by the SSE
 * client) per order id, and summarises each stage's time since the send and
 * the gap from the stage before it on the path.
 */
import { readFileSync } from 'node:fs';
import { percentile, round } from './stats.js';

/** The benchmark's order ids (`97<run><index>`, see e2e-deployment.ts). */
const ORDER_ID = /97\d{16}/g;

/** Per order: its scheduled send (wall ms) and the bench's own stamps. */
export interface TracedOrder {
  id: string;
  sentAt: number;
  answeredAt: number;
  receivedAt: number | undefined;
}

/** One stage's summary. */
export interface StageSummary {
  /** `host stage`, or `bench …` for the benchmark's own stamps. */
  stage: string;
  orders: number;
  /** Since the scheduled send. */
  p50_ms: number;
  p95_ms: number;
  /** Since the previous stage of the path (the stage before it by median), for the same order. */
  gap_p50_ms: number;
  gap_p95_ms: number;
}

/** First time (wall ms) each order passed each stage, from the hosts' trace files. */
function readTraces(files: readonly string[], orders: ReadonlySet<string>): Map<string, Map<string, number>> {
  const byStage = new Map<string, Map<string, number>>();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // a host that traced nothing
    }
    for (const line of text.split('\n')) {
      const [at, host, stage, ids] = line.split('\t');
      if (!ids) continue;
      const key = `${host} ${stage}`;
      let first = byStage.get(key);
      if (!first) byStage.set(key, (first = new Map()));
      for (const id of new Set(ids.match(ORDER_ID) ?? [])) {
        if (!orders.has(id)) continue;
        const t = Number(at);
        const seen = first.get(id);
        if (seen === undefined || t < seen) first.set(id, t);
      }
    }
  }
  return byStage;
}

/**
 * Summarise the hops of `orders` (those measured) from the hosts' trace files,
 * ordered by median time since the send.
 *
 * @example
 * ```ts
 * const stages = stageBreakdown(['/tmp/a.trace', '/tmp/b.trace'], orders);
 * ```
 */
export function stageBreakdown(files: readonly string[], orders: readonly TracedOrder[]): StageSummary[] {
  const byStage = readTraces(files, new Set(orders.map((o) => o.id)));
  byStage.set('bench webhook answered', new Map(orders.map((o) => [o.id, o.answeredAt])));
  byStage.set(
    'bench delta received',
    new Map(orders.filter((o) => o.receivedAt !== undefined).map((o) => [o.id, o.receivedAt!])),
  );
  const sent = new Map(orders.map((o) => [o.id, o.sentAt]));
  const since = (first: Map<string, number>) =>
    [...first].map(([id, t]) => t - sent.get(id)!).filter((ms) => Number.isFinite(ms));
  const stages = [...byStage]
    .filter(([, first]) => first.size > 0)
    .map(([stage, first]) => ({ stage, first, p50: percentile(since(first), 50) }))
    .sort((a, b) => a.p50 - b.p50);
  return stages.map(({ stage, first, p50 }, i) => {
    const before = i === 0 ? sent : stages[i - 1]!.first;
    const gaps = [...first].flatMap(([id, t]) => (before.has(id) ? [t - before.get(id)!] : []));
    const all = since(first);
    return {
      stage,
      orders: first.size,
      p50_ms: round(p50, 1),
      p95_ms: round(percentile(all, 95), 1),
      gap_p50_ms: round(percentile(gaps, 50), 1),
      gap_p95_ms: round(percentile(gaps, 95), 1),
    };
  });
}
