/**
 * `npm run bench -- processing`: projections on real PostgreSQL.
 *
 * - `projection.latency`: append → read-model row committed (the projection's
 *   post-commit row change), an async projection on its own pool (as another
 *   process would be), appends at a steady 2,000 events/s. Baseline in the same
 *   run: Emmett's polling consumer (`emmett.projection.latency`, append →
 *   handler called; it writes no read model, so it is a lower bound for Emmett).
 * - `projection.catchup`: an async projection starting from the beginning of a
 *   200k-event log, until caught up (events_per_s). Also `projection.rebuild`
 *   (blue/green rebuild of the same projection) and Emmett's consumer reading
 *   the same 200k events from the beginning with a no-op handler
 *   (`emmett.projection.catchup`).
 *
 * Environment: BENCH_PG_URL, BENCH_RUNS (default 3), BENCH_ONLY (case-name prefixes),
 * BENCH_CATCHUP_EVENTS (default 200000), BENCH_LATENCY_SECONDS (default 8).
 */
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { createProjection, defineProjection, rebuildProjection, type EventStore } from '../src/index.js';
import { openEmmett, startEmmettConsumer } from './support/emmett-baseline.js';
import { openLoop } from './support/load.js';
import { openOurStore } from './support/our-store.js';
import { openPool } from './support/pg-bench.js';
import { emit, latencySummary, median, nowMs, round } from './support/stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ONLY = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
const CATCHUP_EVENTS = Number(process.env.BENCH_CATCHUP_EVENTS ?? 200_000);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 8);
const RATE = 2000;
const POOL_MAX = 16;
const SKUS = 1000;
/** BENCH_EMMETT=0 skips the Emmett baselines (quick iterations). */
const WITH_EMMETT = process.env.BENCH_EMMETT !== '0';

const selected = (name: string): boolean => ONLY.length === 0 || ONLY.some((p) => name.startsWith(p));

/** One row per order: the latency case writes a fresh row per event. */
const ordersProjection = (name: string) =>
  defineProjection<{ order_id: string; seq: number; total: number }>({
    name,
    key: ['order_id'],
    migrations: ['CREATE TABLE :TABLE: (order_id text PRIMARY KEY, seq int NOT NULL, total int NOT NULL)'],
    handlers: {
      'order.received_from_tiktok': {
        key: (e) => ({ order_id: e.aggregateId }),
        apply: (_row, e) => {
          const d = e.data as { seq: number; total: number };
          return { seq: d.seq, total: d.total };
        },
      },
    },
  });

/** Sales per SKU: the catch-up case reads and updates rows (1,000 SKUs). */
const salesProjection = (name: string) =>
  defineProjection<{ sku: string; units: number; orders: number }>({
    name,
    key: ['sku'],
    migrations: ['CREATE TABLE :TABLE: (sku text PRIMARY KEY, units int NOT NULL, orders int NOT NULL)'],
    handlers: {
      'order.item_sold': {
        key: (e) => ({ sku: (e.data as { sku: string }).sku }),
        apply: (row, e) => ({
          units: (row?.units ?? 0) + (e.data as { qty: number }).qty,
          orders: (row?.orders ?? 0) + 1,
        }),
      },
    },
  });

interface LatencyRun {
  latencies: number[];
  achievedPerS: number;
  missed: number;
  /** Append call → append resolved, for the measured events. */
  appendLatencies: number[];
}

async function oursLatencyOnce(run: number): Promise<LatencyRun> {
  const bench = await openOurStore(POOL_MAX);
  const peer = await bench.openPeer(4);
  const projection = createProjection({ store: peer.store, definition: ordersProjection(`orders_${run}`) });
  try {
    const warmup = RATE * 2;
    const calls = warmup + RATE * LATENCY_SECONDS;
    const sentAt = new Array<number>(calls);
    const latencies: number[] = [];
    const appendLatencies: number[] = [];
    let received = 0;
    let allIn!: () => void;
    const allInP = new Promise<void>((resolve) => (allIn = resolve));
    projection.changes.subscribe((change) => {
      const seq = (change.newRow as { seq: number } | null)?.seq;
      if (seq === undefined || seq < 0) return;
      if (seq >= warmup) latencies.push(nowMs() - sentAt[seq]!);
      if (++received === calls) allIn();
    });
    projection.processor!.on('error', (err) => console.error('projection error', err));
    await projection.start();
    await projection.whenCaughtUp();
    const t0 = nowMs();
    await openLoop({
      ratePerS: RATE,
      calls,
      call: async (i) => {
        const sent = (sentAt[i] = nowMs());
        await bench.store.append(
          `order-${i}`,
          [{ type: 'order.received_from_tiktok', data: { seq: i, total: 2599 } }],
          { aggregateType: 'order', expectedVersion: 'no_stream' },
        );
        if (i >= warmup) appendLatencies.push(nowMs() - sent);
      },
    });
    const achievedPerS = Math.round(calls / ((nowMs() - t0) / 1000));
    await Promise.race([allInP, new Promise((r) => setTimeout(r, 10_000))]);
    return { latencies, achievedPerS, missed: calls - warmup - latencies.length, appendLatencies };
  } finally {
    await projection.stop();
    await peer.close();
    await bench.dispose();
  }
}

async function emmettLatencyOnce(): Promise<LatencyRun> {
  const baseline = await openEmmett(POOL_MAX);
  try {
    const warmup = RATE * 2;
    const calls = warmup + RATE * LATENCY_SECONDS;
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
      await new Promise((r) => setTimeout(r, 1000)); // it starts from END: let it find the end
      const t0 = nowMs();
      await openLoop({
        ratePerS: RATE,
        calls,
        call: async (i) => {
          const sent = (sentAt[i] = nowMs());
          await baseline.store.appendToStream(`order-${i}`, [
            { type: 'order.received_from_tiktok', data: { seq: i, total: 2599 } },
          ]);
          if (i >= warmup) appendLatencies.push(nowMs() - sent);
        },
      });
      const achievedPerS = Math.round(calls / ((nowMs() - t0) / 1000));
      await Promise.race([allInP, new Promise((r) => setTimeout(r, 30_000))]);
      return { latencies, achievedPerS, missed: calls - warmup - latencies.length, appendLatencies };
    } finally {
      await consumer.stop();
    }
  } finally {
    await baseline.dispose();
  }
}

async function latencyCase(): Promise<void> {
  if (!selected('projection.latency')) return;
  const mine: LatencyRun[] = [];
  const theirs: LatencyRun[] = [];
  for (let run = 0; run < RUNS; run++) {
    mine.push(await oursLatencyOnce(run));
    if (WITH_EMMETT) theirs.push(await emmettLatencyOnce());
  }
  const pick = (runs: LatencyRun[]) => {
    const summaries = runs.map((r) => latencySummary(r.latencies));
    const order = summaries.map((s, i) => [s.p95_ms, i] as const).sort((a, b) => a[0] - b[0]);
    const mid = order[Math.floor(order.length / 2)]![1];
    return { run: runs[mid]!, summary: summaries[mid]!, all: summaries.map((s) => s.p95_ms) };
  };
  const m = pick(mine);
  const e = theirs.length > 0 ? pick(theirs) : undefined;
  if (e)
    emit({
      name: 'emmett.projection.latency',
      rate_per_s: RATE,
      achieved_per_s: e.run.achievedPerS,
      events: e.run.latencies.length,
      ...e.summary,
      runs: RUNS,
      runs_p95_ms: e.all,
      runs_missed: theirs.map((r) => r.missed),
      append_p95_ms: latencySummary(e.run.appendLatencies).p95_ms,
      note: 'append -> consumer handler called (no read-model write)',
    });
  emit({
    name: 'projection.latency',
    rate_per_s: RATE,
    achieved_per_s: m.run.achievedPerS,
    events: m.run.latencies.length,
    ...m.summary,
    target_p95_ms: 25,
    ...(e ? { emmett_p95_ms: e.summary.p95_ms } : {}),
    runs: RUNS,
    runs_p95_ms: m.all,
    runs_missed: mine.map((r) => r.missed),
    // The append round trip alone, to split commit time from projection time.
    append_p50_ms: latencySummary(m.run.appendLatencies).p50_ms,
    append_p95_ms: latencySummary(m.run.appendLatencies).p95_ms,
    pool_max: POOL_MAX,
    projection_pool_max: 4,
  });
}

async function fillLog(store: EventStore, events: number): Promise<void> {
  const perAppend = 1000;
  const appends = Math.ceil(events / perAppend);
  let next = 0;
  const worker = async () => {
    for (let a = next++; a < appends; a = next++) {
      const batch = Array.from({ length: Math.min(perAppend, events - a * perAppend) }, (_, j) => {
        const i = a * perAppend + j;
        return { type: 'order.item_sold', data: { sku: `SKU-${i % SKUS}`, qty: 1 + (i % 3) } };
      });
      await store.append(`orders-${a}`, batch, { aggregateType: 'order' });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function catchupCases(): Promise<void> {
  const wantCatchup = selected('projection.catchup');
  const wantRebuild = selected('projection.rebuild');
  if (!wantCatchup && !wantRebuild) return;
  const bench = await openOurStore(POOL_MAX);
  try {
    const t0 = nowMs();
    await fillLog(bench.store, CATCHUP_EVENTS);
    const fillS = (nowMs() - t0) / 1000;
    const catchup: number[] = [];
    const rebuild: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      if (wantCatchup) {
        const projection = createProjection({
          store: bench.store,
          definition: salesProjection(`sales_c${run}`),
          processor: { batchSize: 5000, lease: false },
        });
        await projection.migrate();
        const start = nowMs();
        await projection.start();
        await projection.whenCaughtUp();
        const seconds = (nowMs() - start) / 1000;
        await projection.stop();
        catchup.push(Math.round(CATCHUP_EVENTS / seconds));
      }
      if (wantRebuild) {
        const definition = salesProjection(`sales_r${run}`);
        const result = await rebuildProjection({ store: bench.store, definition, batchSize: 5000 });
        rebuild.push(Math.round(result.events / (result.durationMs / 1000)));
      }
    }
    if (wantCatchup) {
      emit({
        name: 'projection.catchup',
        events: CATCHUP_EVENTS,
        events_per_s: median(catchup),
        target_events_per_s: 50_000,
        runs: RUNS,
        runs_events_per_s: catchup,
        batch_size: 5000,
        distinct_rows: SKUS,
        log_fill_events_per_s: Math.round(CATCHUP_EVENTS / fillS),
      });
    }
    if (wantRebuild) {
      emit({
        name: 'projection.rebuild',
        events: CATCHUP_EVENTS,
        events_per_s: median(rebuild),
        runs: RUNS,
        runs_events_per_s: rebuild,
        batch_size: 5000,
      });
    }
  } finally {
    await bench.dispose();
  }
  if (wantCatchup && WITH_EMMETT) await emmettCatchup();
}

/** Emmett's consumer reading the same number of events from the beginning, no-op handler. */
async function emmettCatchup(): Promise<void> {
  const baseline = await openEmmett(POOL_MAX);
  try {
    const perAppend = 1000;
    for (let a = 0; a * perAppend < CATCHUP_EVENTS; a++) {
      await baseline.store.appendToStream(
        `orders-${a}`,
        Array.from({ length: perAppend }, (_, j) => ({
          type: 'order.item_sold',
          data: { sku: `SKU-${(a * perAppend + j) % SKUS}`, qty: 1 },
        })),
      );
    }
    const rates: number[] = [];
    // One run, capped at 2 minutes: Emmett's consumer reads about a thousand events a second here.
    for (let run = 0; run < 1; run++) {
      const pool = openPool({ max: 2, database: baseline.database, stockTypes: false });
      const reader = getPostgreSQLEventStore(baseline.connectionString, {
        connectionOptions: { pool },
        schema: { autoMigration: 'None' },
      });
      const consumer = reader.consumer({ pulling: { batchSize: 5000, pullingFrequencyInMs: 10 } });
      let seen = 0;
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      consumer.reactor({
        processorId: `catchup-${run}`,
        startFrom: 'BEGINNING',
        eachMessage: () => {
          if (++seen === CATCHUP_EVENTS) done();
        },
      });
      const start = nowMs();
      consumer.start().catch(() => undefined);
      await Promise.race([finished, new Promise((r) => setTimeout(r, 120_000))]);
      rates.push(Math.round(seen / ((nowMs() - start) / 1000)));
      await consumer.stop();
      await consumer.close();
      await reader.close();
      await pool.end();
    }
    emit({
      name: 'emmett.projection.catchup',
      events: CATCHUP_EVENTS,
      events_per_s: median(rates),
      runs: 1,
      runs_events_per_s: rates,
      batch_size: 5000,
      note: 'consumer from BEGINNING, no-op handler (no read-model writes); one run capped at 120 s',
    });
  } finally {
    await baseline.dispose();
  }
}

/** Runs every case; called by benchmarks/run.ts. */
export default async function main(): Promise<void> {
  await catchupCases();
  await latencyCase();
  void round;
}
