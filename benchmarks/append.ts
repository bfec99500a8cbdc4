/**
 * `npm run bench -- append`: the event store on real PostgreSQL (and PGlite),
 * with Emmett (@event-driven-io/emmett-postgresql) measured in the same run,
 * on the same server, with the same pool size, as the baseline.
 *
 * Every run gets a fresh schema (dropped afterwards) and a warm-up before the
 * timed part; each case reports the median of RUNS runs. Ours and Emmett
 * alternate run by run so a noisy neighbour hits both alike.
 *
 * Environment: BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test),
 * BENCH_RUNS (default 3), BENCH_ONLY (comma-separated case-name prefixes).
 */
import { PGlite } from '@electric-sql/pglite';
import { createEventStore, type EventStore, type NewEvent } from '../src/index.js';
import { fromPglite } from '../src/adapters/pglite.js';
import { openEmmett, startEmmettConsumer } from './support/emmett-baseline.js';
import { startCpuMeter, type CpuPerEvent } from './support/cpu-meter.js';
import { closedLoop, openLoop, type LoadResult } from './support/load.js';
import { openOurStore, type StoreTuning } from './support/our-store.js';
import { emit, latencySummary, median, nowMs, round } from './support/stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ONLY = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
/** Pool size of both stores (ours and Emmett's). */
const POOL_MAX = 16;
/** Our store's public tuning for the append cases (the defaults, written out). */
const TUNING = { maxBatch: 500, maxConcurrentFlushes: 4 } satisfies StoreTuning;

const selected = (name: string): boolean => ONLY.length === 0 || ONLY.some((p) => name.startsWith(p));

/** A small, realistic order event. */
const orderEvent = (i: number): NewEvent => ({
  type: 'order.received_from_tiktok',
  data: { orderId: `tts-${i}`, total: 2599, currency: 'USD', items: [{ sku: 'SKU-42', qty: 2 }] },
});
const emmettEvent = (i: number) => ({
  type: 'order.received_from_tiktok',
  data: { orderId: `tts-${i}`, total: 2599, currency: 'USD', items: [{ sku: 'SKU-42', qty: 2 }] },
});

/** A store under test: set up, warm up, measure, tear down. */
interface Contender {
  /** Open a fresh store; `append(stream, n)` writes `n` events in one call. */
  open(): Promise<{
    /** Also the `application_name` of its connections. */
    schema: string;
    append(stream: string, count: number, i: number): Promise<unknown>;
    dispose(): Promise<void>;
  }>;
}

const ours = (tuning: StoreTuning = TUNING): Contender => ({
  async open() {
    const bench = await openOurStore(POOL_MAX, tuning);
    return {
      schema: bench.schema,
      append: (stream, count, i) =>
        bench.store.append(
          stream,
          Array.from({ length: count }, (_, j) => orderEvent(i * count + j)),
          { aggregateType: 'order', expectedVersion: 'no_stream' },
        ),
      dispose: () => bench.dispose(),
    };
  },
});

const emmett: Contender = {
  async open() {
    const baseline = await openEmmett(POOL_MAX);
    return {
      schema: baseline.database,
      append: (stream, count, i) =>
        baseline.store.appendToStream(
          stream,
          Array.from({ length: count }, (_, j) => emmettEvent(i * count + j)),
        ),
      dispose: () => baseline.dispose(),
    };
  },
};

/** One run: fresh store, warm-up calls, then the timed calls, each on its own new stream. */
async function runOnce(
  contender: Contender,
  load: { concurrency: number; calls: number; eventsPerCall: number; warmupCalls: number },
  tag: string,
): Promise<LoadResult & CpuPerEvent> {
  const store = await contender.open();
  try {
    await closedLoop({
      concurrency: load.concurrency,
      calls: load.warmupCalls,
      eventsPerCall: load.eventsPerCall,
      call: (i) => store.append(`order-warm-${tag}-${i}`, load.eventsPerCall, i),
    });
    const meter = await startCpuMeter(store.schema);
    const result = await closedLoop({
      concurrency: load.concurrency,
      calls: load.calls,
      eventsPerCall: load.eventsPerCall,
      call: (i) => store.append(`order-${tag}-${i}`, load.eventsPerCall, i),
    });
    return { ...result, ...(await meter.stop(load.calls * load.eventsPerCall)) };
  } finally {
    await store.dispose();
  }
}

const medianRun = <R extends LoadResult>(results: R[]): R => {
  const sorted = [...results].sort((a, b) => a.events_per_s - b.events_per_s);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** Median CPU per event of ours divided by Emmett's (null when unknown). */
function cpuRatio(
  mine: CpuPerEvent[],
  theirs: CpuPerEvent[],
  key: 'client_cpu_us_per_event' | 'server_cpu_us_per_event',
): number | null {
  const values = (runs: CpuPerEvent[]) => runs.map((r) => r[key]).filter((v): v is number => v !== null);
  const a = values(mine);
  const b = values(theirs);
  return a.length === 0 || b.length === 0 ? null : round(median(a) / median(b));
}

/** Ours vs Emmett at one load; emits Emmett's line and ours (with the ratio). */
async function versusEmmett(
  name: string,
  load: { concurrency: number; calls: number; emmettCalls: number; eventsPerCall: number },
): Promise<void> {
  if (!selected(name)) return;
  const mine: (LoadResult & CpuPerEvent)[] = [];
  const theirs: (LoadResult & CpuPerEvent)[] = [];
  for (let run = 0; run < RUNS; run++) {
    const oursLoad = { ...load, warmupCalls: Math.ceil(load.calls / 10) };
    const emmettLoad = { ...load, calls: load.emmettCalls, warmupCalls: Math.ceil(load.emmettCalls / 10) };
    // Alternate who goes first so drift on the shared machine hits both alike.
    if (run % 2 === 0) {
      mine.push(await runOnce(ours(), oursLoad, `o${run}`));
      theirs.push(await runOnce(emmett, emmettLoad, `e${run}`));
    } else {
      theirs.push(await runOnce(emmett, emmettLoad, `e${run}`));
      mine.push(await runOnce(ours(), oursLoad, `o${run}`));
    }
  }
  const m = medianRun(mine);
  const e = medianRun(theirs);
  const params = { concurrency: load.concurrency, events_per_call: load.eventsPerCall, pool_max: POOL_MAX };
  emit({
    name: `emmett.${name}`,
    ...params,
    calls: load.emmettCalls,
    ...e,
    runs: RUNS,
    runs_events_per_s: theirs.map((r) => r.events_per_s),
  });
  emit({
    name,
    ...params,
    calls: load.calls,
    ...m,
    ratio_vs_emmett: round(m.events_per_s / e.events_per_s),
    emmett_events_per_s: e.events_per_s,
    emmett_p95_ms: e.p95_ms,
    // CPU per event is steadier than throughput on a shared machine: ours / Emmett's, medians over runs.
    client_cpu_ratio_vs_emmett: cpuRatio(mine, theirs, 'client_cpu_us_per_event'),
    server_cpu_ratio_vs_emmett: cpuRatio(mine, theirs, 'server_cpu_us_per_event'),
    runs: RUNS,
    runs_events_per_s: mine.map((r) => r.events_per_s),
    max_batch: TUNING.maxBatch,
    max_concurrent_flushes: TUNING.maxConcurrentFlushes,
  });
}

/** readAll from the start of a 200k-event log, page by page. */
async function readAllCatchup(): Promise<void> {
  const name = 'readAll.catchup';
  if (!selected(name)) return;
  const total = 200_000;
  const pageSize = 1000;
  const bench = await openOurStore(POOL_MAX, TUNING);
  try {
    // Load (not timed): 200 appends of 1,000 events, 4 at a time.
    const perAppend = 1000;
    await closedLoop({
      concurrency: 4,
      calls: total / perAppend,
      eventsPerCall: perAppend,
      call: (i) =>
        bench.store.append(
          `order-load-${i}`,
          Array.from({ length: perAppend }, (_, j) => orderEvent(i * perAppend + j)),
          { aggregateType: 'order' },
        ),
    });
    await bench.pool.query(`VACUUM ANALYZE "${bench.schema}".events`);
    const readEverything = async (): Promise<{ events: number; ms: number; pages: number }> => {
      const t0 = nowMs();
      let events = 0;
      let pages = 0;
      let after: string | undefined;
      for (;;) {
        const page = await bench.store.readAll(
          after === undefined ? { limit: pageSize } : { after, limit: pageSize },
        );
        events += page.events.length;
        pages++;
        after = page.checkpoint;
        if (page.events.length < pageSize) break;
      }
      return { events, ms: nowMs() - t0, pages };
    };
    await readEverything(); // warm-up
    const runs: { events: number; ms: number; pages: number }[] = [];
    const meter = await startCpuMeter(bench.schema);
    for (let run = 0; run < RUNS; run++) runs.push(await readEverything());
    const cpu = await meter.stop(RUNS * total);
    const rates = runs.map((r) => Math.round(r.events / (r.ms / 1000)));
    const events = runs[0]!.events;
    if (events !== total) throw new Error(`readAll.catchup read ${events} events, expected ${total}`);
    emit({
      name,
      events,
      page_size: pageSize,
      pages: runs[0]!.pages,
      events_per_s: median(rates),
      ...cpu,
      runs: RUNS,
      runs_events_per_s: rates,
    });
  } finally {
    await bench.dispose();
  }
}

/** Latency samples of one subscriber run. */
interface LatencyRun {
  latencies: number[];
  achievedPerS: number;
  /** Measured events the subscriber had not seen when the run ended. */
  missed: number;
  /** Append call → append resolved (the commit round trip), for the measured events. */
  appendLatencies: number[];
}

/** Append-to-subscriber latency at a steady rate: writer store → NOTIFY → subscriber store on its own pool. */
async function subscribeLatencyOnce(
  ratePerS: number,
  warmupS: number,
  measureS: number,
): Promise<LatencyRun> {
  const bench = await openOurStore(POOL_MAX, TUNING);
  const peer = await bench.openPeer(4);
  try {
    const warmup = ratePerS * warmupS;
    const calls = warmup + ratePerS * measureS;
    const sentAt = new Array<number>(calls);
    const latencies: number[] = [];
    const appendLatencies: number[] = [];
    let received = 0;
    let ready!: () => void;
    const readyP = new Promise<void>((resolve) => (ready = resolve));
    let allIn!: () => void;
    const allInP = new Promise<void>((resolve) => (allIn = resolve));
    const sub = peer.store.subscribe({ after: 'end' }).subscribe((event) => {
      const seq = (event.data as { seq?: number }).seq;
      if (seq === -1) return ready();
      if (seq === undefined) return;
      if (seq >= warmup) latencies.push(nowMs() - sentAt[seq]!);
      if (++received === calls) allIn();
    });
    // The subscriber starts at the head it sees; probe until it is following.
    const probe = setInterval(() => {
      void bench.store.append('probe', [{ type: 'probe', data: { seq: -1 } }]);
    }, 50);
    await readyP;
    clearInterval(probe);
    const t0 = nowMs();
    await openLoop({
      ratePerS,
      calls,
      call: async (i) => {
        const sent = (sentAt[i] = nowMs());
        await bench.store.append(
          `order-sub-${i}`,
          [{ type: 'order.received_from_tiktok', data: { seq: i } }],
          {
            aggregateType: 'order',
            expectedVersion: 'no_stream',
          },
        );
        if (i >= warmup) appendLatencies.push(nowMs() - sent);
      },
    });
    const achievedPerS = Math.round(calls / ((nowMs() - t0) / 1000));
    await Promise.race([allInP, new Promise((r) => setTimeout(r, 10_000))]);
    sub.unsubscribe();
    return { latencies, achievedPerS, missed: calls - warmup - latencies.length, appendLatencies };
  } finally {
    await peer.close();
    await bench.dispose();
  }
}

async function emmettConsumerLatencyOnce(
  ratePerS: number,
  warmupS: number,
  measureS: number,
): Promise<LatencyRun> {
  const baseline = await openEmmett(POOL_MAX);
  try {
    const warmup = ratePerS * warmupS;
    const calls = warmup + ratePerS * measureS;
    const sentAt = new Array<number>(calls);
    const latencies: number[] = [];
    const appendLatencies: number[] = [];
    let received = 0;
    let allIn!: () => void;
    const allInP = new Promise<void>((resolve) => (allIn = resolve));
    const consumer = await startEmmettConsumer(baseline, (data) => {
      const seq = data.seq as number | undefined;
      if (seq === undefined) return;
      if (seq >= warmup) latencies.push(nowMs() - sentAt[seq]!);
      if (++received === calls) allIn();
    });
    try {
      // The consumer starts from END: give it time to read where the end is.
      await new Promise((r) => setTimeout(r, 1000));
      const t0 = nowMs();
      await openLoop({
        ratePerS,
        calls,
        call: async (i) => {
          const sent = (sentAt[i] = nowMs());
          await baseline.store.appendToStream(`order-sub-${i}`, [
            { type: 'order.received_from_tiktok', data: { seq: i } },
          ]);
          if (i >= warmup) appendLatencies.push(nowMs() - sent);
        },
      });
      const achievedPerS = Math.round(calls / ((nowMs() - t0) / 1000));
      // Emmett's consumer can fall behind at this rate: give it a minute to catch up.
      await Promise.race([allInP, new Promise((r) => setTimeout(r, 60_000))]);
      return { latencies, achievedPerS, missed: calls - warmup - latencies.length, appendLatencies };
    } finally {
      await consumer.stop();
    }
  } finally {
    await baseline.dispose();
  }
}

async function latencyCase(
  name: string,
  ratePerS: number,
  once: (rate: number, warmupS: number, measureS: number) => Promise<LatencyRun>,
  extra: Record<string, unknown>,
): Promise<void> {
  if (!selected(name)) return;
  const runs: LatencyRun[] = [];
  for (let run = 0; run < RUNS; run++) runs.push(await once(ratePerS, 2, 8));
  const summaries = runs.map((r) => latencySummary(r.latencies));
  // The run with the median p95 is reported whole.
  const order = summaries.map((s, i) => [s.p95_ms, i] as const).sort((a, b) => a[0] - b[0]);
  const mid = order[Math.floor(order.length / 2)]![1];
  emit({
    name,
    rate_per_s: ratePerS,
    achieved_per_s: runs[mid]!.achievedPerS,
    events: runs[mid]!.latencies.length,
    ...summaries[mid]!,
    runs: RUNS,
    runs_p95_ms: summaries.map((s) => s.p95_ms),
    // Events appended but not delivered by the end of the run (10 s, Emmett 60 s, after the last append).
    runs_missed: runs.map((r) => r.missed),
    // The append round trip alone (call → resolved), to split commit time from delivery time.
    append_p50_ms: latencySummary(runs[mid]!.appendLatencies).p50_ms,
    append_p95_ms: latencySummary(runs[mid]!.appendLatencies).p95_ms,
    ...extra,
  });
}

/** Single appends on embedded PGlite (one connection, in memory), 64 callers. */
async function pgliteSingle(): Promise<void> {
  const name = 'pglite.append.single';
  if (!selected(name)) return;
  const concurrency = 64;
  const calls = 10_000;
  const results: (LoadResult & { cpu_us_per_event: number })[] = [];
  for (let run = 0; run < RUNS; run++) {
    const db = new PGlite();
    const store: EventStore = createEventStore({ sql: fromPglite(db), schema: 'bench' });
    try {
      await store.migrate();
      const call = (tag: string) => (i: number) =>
        store.append(`order-${tag}-${i}`, [orderEvent(i)], {
          aggregateType: 'order',
          expectedVersion: 'no_stream',
        });
      await closedLoop({ concurrency, calls: 1000, eventsPerCall: 1, call: call('warm') });
      // PGlite runs in this process: its CPU is the client's.
      const meter = await startCpuMeter('none');
      const result = await closedLoop({ concurrency, calls, eventsPerCall: 1, call: call('run') });
      const { client_cpu_us_per_event } = await meter.stop(calls);
      results.push({ ...result, cpu_us_per_event: client_cpu_us_per_event });
    } finally {
      await store.close();
      await db.close();
    }
  }
  emit({
    name,
    concurrency,
    calls,
    ...medianRun(results),
    runs: RUNS,
    runs_events_per_s: results.map((r) => r.events_per_s),
    max_batch: 500,
    max_concurrent_flushes: 1,
  });
}

/**
 * Run every case of the append benchmark.
 *
 * @example
 * ```sh
 * npx tsx benchmarks/run.ts append
 * BENCH_ONLY=append.single.c64 BENCH_RUNS=5 npx tsx benchmarks/run.ts append
 * ```
 */
export default async function appendBenchmark(): Promise<void> {
  await versusEmmett('append.single.c1', {
    concurrency: 1,
    calls: 1000,
    emmettCalls: 1000,
    eventsPerCall: 1,
  });
  await versusEmmett('append.single.c8', {
    concurrency: 8,
    calls: 5000,
    emmettCalls: 4000,
    eventsPerCall: 1,
  });
  await versusEmmett('append.single.c64', {
    concurrency: 64,
    calls: 20_000,
    emmettCalls: 20_000,
    eventsPerCall: 1,
  });
  await versusEmmett('append.batch100', {
    concurrency: 8,
    calls: 2000,
    emmettCalls: 1000,
    eventsPerCall: 100,
  });
  await readAllCatchup();
  await latencyCase('subscribe.latency', 2000, subscribeLatencyOnce, {
    delivery: 'LISTEN/NOTIFY, subscriber store on its own pool',
  });
  await latencyCase('emmett.subscribe.latency', 500, emmettConsumerLatencyOnce, {
    delivery: 'Emmett postgreSQLEventStoreConsumer (polling, defaults: batch 100, every 50 ms)',
  });
  await pgliteSingle();
}
