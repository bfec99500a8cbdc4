/**
 * Probe (not part of `npm run bench`): where a settle transaction's time goes in
 * `conflicts.commerce_flow`. Wraps pg.Client#query to time every statement per
 * connection; a transaction holding the audit INSERT is a settle transaction.
 * Prints, for settle transactions: queue wait (AppendCollector.flush → BEGIN),
 * each statement's time, the client gaps between them, and COMMIT; plus the
 * event loop's delay.
 *
 * Run: `BENCH_PG_URL=… npx tsx benchmarks/probe/flow-trace.ts`
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';
import { AppendCollector } from '../../src/commerce/conflicts/append-collector.js';
import { SyncConflictProcessor } from '../../src/commerce/conflicts/sync-conflict-processor.js';
import { commerceFlowCase } from '../conflicts-commerce-flow.js';
import { percentile } from '../support/stats.js';

type Stmt = { kind: string; start: number; end: number; rows: number };
const kindOf = (text: string): string => {
  if (text.startsWith('BEGIN')) return 'BEGIN';
  if (text.startsWith('COMMIT')) return 'COMMIT';
  if (text.startsWith('ROLLBACK')) return 'ROLLBACK';
  if (text.includes('append_batch')) return 'append_batch';
  if (text.includes('conflict_audit') || text.includes('conflicts_audit')) return 'audit';
  if (/DELETE FROM \S*sync_contenders/.test(text)) return 'staging_delete';
  if (/INSERT INTO \S*sync_contenders/.test(text)) return 'staging_insert';
  if (text.includes('read_log')) return 'read_log';
  if (text.includes('pg_advisory')) return 'advisory';
  if (text.includes('inventory_levels'))
    return text.trimStart().startsWith('SELECT') ? 'levels_select' : 'levels_write';
  return text.replace(/\s+/g, ' ').slice(0, 50);
};
const txs: { stmts: Stmt[] }[] = [];
const loose: Stmt[] = [];
const open = new WeakMap<object, { stmts: Stmt[] }>();
const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
const original = proto.query;
proto.query = function (this: object, ...args: unknown[]) {
  const first = args[0];
  const text = (typeof first === 'string' ? first : (first as { text?: string } | null)?.text) ?? '';
  const kind = kindOf(text);
  if (kind === 'BEGIN') open.set(this, { stmts: [] });
  const tx = open.get(this);
  const s: Stmt = { kind, start: performance.now(), end: 0, rows: 0 };
  if (tx) tx.stmts.push(s);
  else loose.push(s);
  if (kind === 'COMMIT' || kind === 'ROLLBACK') {
    open.delete(this);
    if (tx) txs.push(tx);
  }
  const cb = args.at(-1);
  if (typeof cb === 'function')
    args[args.length - 1] = (err: unknown, res: { rowCount?: number } | undefined) => {
      s.end = performance.now();
      s.rows = res?.rowCount ?? 0;
      return (cb as (e: unknown, r: unknown) => unknown)(err, res);
    };
  const r = original.apply(this, args) as Promise<{ rowCount?: number }> | undefined;
  if (r && typeof (r as Promise<unknown>).then === 'function')
    void r.then(
      (res) => {
        s.end = performance.now();
        s.rows = res?.rowCount ?? 0;
      },
      () => (s.end = performance.now()),
    );
  return r;
};
// collector.flush → when called
const flushes: { at: number; n: number; done: number }[] = [];
const flush = AppendCollector.prototype.flush;
AppendCollector.prototype.flush = async function (this: AppendCollector) {
  const f = { at: performance.now(), n: 0, done: 0 };
  flushes.push(f);
  try {
    return await flush.call(this);
  } finally {
    f.done = performance.now();
  }
};
// The pass's take time, from the processor's 'settled' events (Date.now ms → performance ms).
const taken = new Map<number, number>();
const emit = SyncConflictProcessor.prototype.emit;
SyncConflictProcessor.prototype.emit = function (
  this: SyncConflictProcessor,
  name: string,
  ...args: unknown[]
) {
  if (name === 'settled') {
    const w = args[2] as { takenAtMs: number };
    const at = w.takenAtMs - performance.timeOrigin;
    taken.set(at, (taken.get(at) ?? 0) + 1);
  }
  return (emit as (...a: unknown[]) => boolean).call(this, name, ...args);
} as typeof emit;
const h = monitorEventLoopDelay({ resolution: 5 });
h.enable();
await commerceFlowCase(process.env.BENCH_FLOW_ALIGNMENT === 'staggered' ? 'staggered' : 'anchored');
h.disable();
const q = (xs: number[]) =>
  xs.length === 0
    ? '-'
    : `p50 ${percentile(xs, 50).toFixed(1)} p95 ${percentile(xs, 95).toFixed(1)} max ${Math.max(...xs).toFixed(1)} n ${xs.length}`;
console.log(
  'event loop delay ms',
  (h.percentile(50) / 1e6).toFixed(1),
  (h.percentile(99) / 1e6).toFixed(1),
  (h.max / 1e6).toFixed(1),
);
const settle = txs.filter((t) => t.stmts.some((s) => s.kind === 'audit'));
const other = txs.filter((t) => !t.stmts.some((s) => s.kind === 'audit'));
console.log('settle transactions', settle.length, 'other transactions', other.length);
const byKind = new Map<string, number[]>();
const gaps: number[] = [];
const total: number[] = [];
const queue: number[] = [];
const counts: number[] = [];
const roundTrips: number[] = [];
const hotWait: number[] = [];
const hotHeld: number[] = [];
for (const t of settle) {
  const begin = t.stmts[0]!;
  const commit = t.stmts.at(-1)!;
  total.push(commit.end - begin.start);
  counts.push(t.stmts.length);
  let trips = 0;
  let lastEnd = -Infinity;
  for (const s of t.stmts) {
    if (s.start >= lastEnd) trips += 1;
    lastEnd = Math.max(lastEnd, s.end);
  }
  roundTrips.push(trips);
  // The hot rows: per-creator tables whose lock every settle transaction takes.
  const hot = t.stmts.findIndex((s) => /sync_operations|analytics_creat/.test(s.kind));
  if (hot >= 0) {
    hotWait.push(t.stmts[hot]!.end - t.stmts[hot]!.start);
    hotHeld.push(commit.end - t.stmts[hot]!.start);
  }
  const f = flushes.filter((x) => x.at <= begin.start).at(-1);
  if (f) queue.push(begin.start - f.at);
  for (const [i, s] of t.stmts.entries()) {
    const k = byKind.get(s.kind) ?? [];
    k.push(s.end - s.start);
    byKind.set(s.kind, k);
    if (i > 0) gaps.push(s.start - t.stmts[i - 1]!.end);
  }
}
console.log('settle tx BEGIN→COMMIT done', q(total));
console.log('collector.flush → BEGIN sent', q(queue));
console.log('statements per settle tx', q(counts));
console.log('client gaps between statements', q(gaps));
console.log('round trips per settle tx', q(roundTrips));
console.log('first hot-row lock+read (wait)', q(hotWait));
console.log('first hot-row lock → COMMIT done (held)', q(hotHeld));
for (const [k, v] of byKind) console.log('  ', k.padEnd(20), q(v));
const ob = new Map<string, number[]>();
for (const t of other)
  for (const s of t.stmts) {
    const k = ob.get(s.kind) ?? [];
    k.push(s.end - s.start);
    ob.set(s.kind, k);
  }
for (const s of loose) {
  const k = ob.get('loose ' + s.kind) ?? [];
  k.push(s.end - s.start);
  ob.set('loose ' + s.kind, k);
}
console.log('other transactions');
for (const [k, v] of ob) console.log('  ', k.padEnd(20), q(v));
const fl = flushes.map((f) => f.done - f.at);
console.log('collector.flush → done', q(fl));
// settle tx sizes: rows of staging delete, audit
const auditRows = settle.map((t) => t.stmts.find((s) => s.kind === 'audit')!.rows);
console.log('audit rows per settle tx', q(auditRows));
// Pass stages: take → collector.flush (bases, resolve) per pass.
const takes = [...taken.keys()].sort((a, b) => a - b);
const toFlush: number[] = [];
for (const f of flushes) {
  const t = takes.filter((x) => x <= f.at + 1).at(-1);
  if (t !== undefined) toFlush.push(f.at - t);
}
console.log('take → collector.flush', q(toFlush));
console.log('windows per pass', q([...taken.values()]));
const sample = settle.filter((_, i) => i % Math.max(1, Math.floor(settle.length / 6)) === 0).slice(0, 6);
for (const t of sample) {
  const t0 = t.stmts[0]!.start;
  console.log(
    '--- settle tx',
    t.stmts
      .map((s) => `${s.kind}[${(s.start - t0).toFixed(1)}+${(s.end - s.start).toFixed(1)} r${s.rows}]`)
      .join(' '),
  );
}
process.exit(0);
