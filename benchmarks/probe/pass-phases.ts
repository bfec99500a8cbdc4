/**
 * Probe (not part of `npm run bench`): where each window's latency goes in
 * `conflicts.commerce_flow`, phase by phase, weighted by window (as the
 * benchmark's p50/p95 are). It runs the flow unchanged and patches only
 * prototypes, so it measures any tree:
 *
 * - `wait`: due → a pass took the window (`takenAtMs` of the `settled` event);
 * - `take→flush`: the pass's base read and its resolutions (ahead: only the
 *   commit of the prepared one), up to the pass's `appendMany`;
 * - `queue`: appendMany → its settle transaction's BEGIN (the group commit's queue);
 * - `tx`: BEGIN → COMMIT answered, and each of its round trips (`rt0` BEGIN +
 *   append_batch, `rt1` audit + staging delete + the first read-model reads, …);
 * - `after`: COMMIT answered → the `settled` event.
 *
 * Besides: the base reads outside transactions, windows per pass, passes in
 * flight, the event loop's delay, and how busy the machine and this process
 * were during the bursts (due + 400 ms) and outside them (/proc/stat, sampled
 * every 5 ms by a worker thread).
 *
 * Run: `npx tsx benchmarks/probe/pass-phases.ts` (BENCH_PG_URL, the flow's knobs).
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { SyncConflictProcessor } from '../../src/commerce/conflicts/sync-conflict-processor.js';
import { PostgresEventStore } from '../../src/store/postgres/postgres-event-store.js';
import { commerceFlowCase } from '../conflicts-commerce-flow.js';
import { percentile } from '../support/stats.js';

interface Stmt {
  text: string;
  start: number;
  end: number;
}
interface Tx {
  stmts: Stmt[];
}
const settleTxs: Tx[] = [];
const baseReads: Stmt[] = [];
const open = new WeakMap<object, Tx>();
const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
const query = proto.query;
proto.query = function (this: object, ...args: unknown[]) {
  const first = args[0];
  const text = (typeof first === 'string' ? first : (first as { text?: string } | null)?.text) ?? '';
  if (text.startsWith('BEGIN')) open.set(this, { stmts: [] });
  const tx = open.get(this);
  const s: Stmt = { text, start: performance.now(), end: Number.NaN };
  if (tx) tx.stmts.push(s);
  else if (text.includes('"inventory_levels"') && text.trimStart().startsWith('SELECT')) baseReads.push(s);
  if (text.startsWith('COMMIT') || text.startsWith('ROLLBACK')) {
    open.delete(this);
    if (tx?.stmts.some((x) => x.text.includes('conflict_audit'))) settleTxs.push(tx);
  }
  // The pool's own queries answer through a callback, a transaction's through the promise.
  const callback = args.at(-1);
  if (typeof callback === 'function')
    args[args.length - 1] = (...answer: unknown[]) => {
      s.end = performance.now();
      return (callback as (...a: unknown[]) => unknown)(...answer);
    };
  const result = query.apply(this, args) as Promise<unknown> | undefined;
  void result?.then?.(
    () => (s.end = performance.now()),
    () => (s.end = performance.now()),
  );
  return result;
};

// A pass writes each round of its windows with one appendMany (AppendCollector.flush).
const flushes: { start: number; end: number; streams: Set<string> }[] = [];
const appendMany = PostgresEventStore.prototype.appendMany;
PostgresEventStore.prototype.appendMany = async function (this: PostgresEventStore, requests) {
  const f = { start: performance.now(), end: Number.NaN, streams: new Set(requests.map((r) => r.streamId)) };
  flushes.push(f);
  try {
    return await appendMany.call(this, requests);
  } finally {
    f.end = performance.now();
  }
};

// Every settled window, on performance.now()'s clock.
const origin = performance.timeOrigin;
const windows: { entityId: string; due: number; taken: number; at: number }[] = [];
const emit = SyncConflictProcessor.prototype.emit;
SyncConflictProcessor.prototype.emit = function (
  this: SyncConflictProcessor,
  name: string,
  ...args: unknown[]
) {
  if (name === 'settled') {
    const { entityId } = args[0] as { entityId: string };
    const w = args[2] as { dueAtMs: number; takenAtMs: number };
    windows.push({ entityId, due: w.dueAtMs - origin, taken: w.takenAtMs - origin, at: performance.now() });
  }
  return (emit as (...a: unknown[]) => boolean).call(this, name, ...args);
} as typeof emit;

const sampler = new Worker(
  `const { parentPort } = require('node:worker_threads');
   const fs = require('node:fs');
   const out = []; let last = null;
   const iv = setInterval(() => {
     const f = fs.readFileSync('/proc/stat', 'utf8').split('\\n')[0].trim().split(/\\s+/).slice(1).map(Number);
     const idle = f[3] + f[4], total = f.reduce((a, b) => a + b, 0), self = process.cpuUsage();
     const t = performance.timeOrigin + performance.now(), me = self.user + self.system;
     if (last && total > last.total) out.push([t, 1 - (idle - last.idle) / (total - last.total), (me - last.me) / 1000 / (t - last.t)]);
     last = { idle, total, me, t };
   }, 5);
   parentPort.on('message', () => { clearInterval(iv); parentPort.postMessage(out); });`,
  { eval: true },
);
const loop = monitorEventLoopDelay({ resolution: 2 });
loop.enable();
await commerceFlowCase(process.env.BENCH_FLOW_ALIGNMENT === 'staggered' ? 'staggered' : 'anchored');
loop.disable();
const cpu = await new Promise<[number, number, number][]>((resolve) => {
  sampler.once('message', resolve);
  sampler.postMessage('stop');
});
await sampler.terminate();

const q = (xs: readonly number[]) =>
  xs.length === 0
    ? '-'
    : `p50 ${percentile(xs, 50).toFixed(1)}  p95 ${percentile(xs, 95).toFixed(1)}  max ${Math.max(...xs).toFixed(1)}  n ${xs.length}`;
// A pass's windows share its takenAtMs; a window's write is the appendMany that named its
// entity's stream (`conflicts-<type>-<id>` or the entity's own) between its take and its event.
const passes = new Map<number, typeof windows>();
for (const w of windows) passes.set(w.taken, [...(passes.get(w.taken) ?? []), w]);
const phases: Record<string, number[]> = {
  total: [],
  wait: [],
  write: [],
  'take→flush': [],
  queue: [],
  tx: [],
  after: [],
};
const rounds: number[][] = [];
for (const w of windows) {
  const f = flushes.find(
    (x) =>
      x.start >= w.taken - 1 &&
      x.end <= w.at + 0.001 &&
      [...x.streams].some((id) => id.endsWith(`-${w.entityId}`)),
  );
  const tx =
    f &&
    settleTxs
      .filter((t) => t.stmts[0]!.start >= f.start - 0.001 && t.stmts.at(-1)!.end <= f.end + 0.001)
      .at(-1);
  // Round trips: statements sent together answer together; a new round starts after the last answer.
  const trips: number[] = [];
  if (tx) {
    let from = tx.stmts[0]!.start;
    let until = tx.stmts[0]!.end;
    for (const s of tx.stmts.slice(1)) {
      if (s.start >= until) {
        trips.push(until - from);
        from = s.start;
      }
      until = Math.max(until, s.end);
    }
    trips.push(until - from);
  }
  phases.total!.push(w.at - w.due);
  phases.wait!.push(w.taken - w.due);
  phases.write!.push(w.at - w.taken);
  if (!f || !tx) continue;
  phases['take→flush']!.push(f.start - w.taken);
  phases.queue!.push(tx.stmts[0]!.start - f.start);
  phases.tx!.push(tx.stmts.at(-1)!.end - tx.stmts[0]!.start);
  phases.after!.push(w.at - tx.stmts.at(-1)!.end);
  trips.forEach((ms, i) => (rounds[i] ??= []).push(ms));
}
console.log('per window (ms), weighted by window:');
for (const [name, xs] of Object.entries(phases)) console.log(`  ${name.padEnd(12)} ${q(xs)}`);
rounds.forEach((xs, i) => console.log(`  tx rt${i}       ${q(xs)}`));
if (process.env['PROBE_PRINT_TX'] === '1') {
  // One settle transaction of median length, statement by statement (start/end relative to BEGIN).
  const sorted = [...settleTxs].sort(
    (a, b) => a.stmts.at(-1)!.end - a.stmts[0]!.start - (b.stmts.at(-1)!.end - b.stmts[0]!.start),
  );
  const mid = sorted[Math.floor(sorted.length / 2)];
  const t0 = mid?.stmts[0]?.start ?? 0;
  for (const s of mid?.stmts ?? []) {
    console.log(
      `  ${(s.start - t0).toFixed(1).padStart(7)} ${(s.end - t0).toFixed(1).padStart(7)}  ${s.text.replace(/\s+/g, ' ').slice(0, 110)}`,
    );
  }
}
console.log(`base reads outside transactions  ${q(baseReads.map((s) => s.end - s.start))}`);
console.log(`windows per pass  ${q([...passes.values()].map((g) => g.length))}`);
const inFlight = [...passes.keys()].map(
  (t) => [...passes.keys()].filter((u) => u < t && passes.get(u)!.some((w) => w.at > t)).length,
);
console.log(`passes in flight when one is taken  ${q(inFlight)}`);
console.log(
  `event loop delay (ms, 2 ms resolution included)  p50 ${(loop.percentile(50) / 1e6).toFixed(1)}  p99 ${(loop.percentile(99) / 1e6).toFixed(1)}  max ${(loop.max / 1e6).toFixed(1)}`,
);
const dues = windows.map((w) => w.due + origin).sort((a, b) => a - b);
const inBurst = (t: number) => dues.some((d) => d <= t && t <= d + 400);
const mean = (xs: number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
const span = cpu.filter(([t]) => t >= dues[0]! - 6_000 && t <= dues.at(-1)! + 400);
const burst = span.filter(([t]) => inBurst(t));
const quiet = span.filter(([t]) => !inBurst(t));
console.log(
  `machine busy (1 = every core)  bursts ${mean(burst.map((x) => x[1])).toFixed(2)}  outside ${mean(quiet.map((x) => x[1])).toFixed(2)}; ` +
    `this process (cores)  bursts ${mean(burst.map((x) => x[2])).toFixed(2)}  outside ${mean(quiet.map((x) => x[2])).toFixed(2)}; ` +
    `load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`,
);
process.exit(0);
