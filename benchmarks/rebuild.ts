/**
 * `npm run bench -- rebuild`: `read_models.rebuild_under_load` — the commerce
 * read models (`ReadModelSet`, inline, on real PostgreSQL) rebuilt from a log
 * of EVENTS stock events while a writer keeps appending one stock change every
 * 10 ms (open loop). Reported: how long the rebuild takes, and the writer's
 * append latency before and during it (p50 / p95 / max): a rebuild that holds
 * appends back for its replay shows up as a max about as long as the rebuild.
 *
 * Environment: BENCH_PG_URL, BENCH_REBUILD_EVENTS (100,000), BENCH_RUNS
 * (rebuilds measured on the same log, median reported; 3), BENCH_REBUILD_BATCH
 * (the rebuild's page size; default the set's, 5,000).
 */
import { loadavg } from 'node:os';
import { fromPg } from '../src/adapters/pg.js';
import {
  ReadModelSet,
  commerceEvent,
  commerceReadModelDefinitions,
  registerCommerceEvents,
  resolveHealthThresholds,
  resolveInventoryOptions,
} from '../src/commerce/index.js';
import { createEventStore, type EventStore, type NewEvent } from '../src/store/index.js';
import { dropSchema, freshSchemaName, openPool } from './support/pg-bench.js';
import { emit, latencySummary, median, prng } from './support/stats.js';

const CREATORS = 20;
const PRODUCTS = 100;

/** Append one stock change every 10 ms until `stop()`; the latency of each append, ms. */
function steadyWriter(store: EventStore, rand: () => number) {
  const latencies: number[] = [];
  const inFlight = new Set<Promise<unknown>>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const creator = Math.floor(rand() * CREATORS);
      const product = Math.floor(rand() * PRODUCTS);
      const started = performance.now();
      const append = store
        .append(`writer-c${creator}-p${product}`, [stockEvent(creator, product, Math.floor(rand() * 200))])
        .then(() => latencies.push(performance.now() - started))
        .finally(() => inFlight.delete(append));
      inFlight.add(append);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    latencies,
    async stop() {
      stopped = true;
      await loop;
      await Promise.all(inFlight);
    },
  };
}

function stockEvent(creator: number, product: number, quantity: number): NewEvent {
  return commerceEvent('inventory.stock_updated', {
    creatorId: `c${creator}`,
    productId: `p${product}`,
    quantity,
    reason: 'sync',
    threshold: 20,
  });
}

export default async function run(): Promise<void> {
  const events = Number(process.env['BENCH_REBUILD_EVENTS'] ?? 100_000);
  const runs = Number(process.env['BENCH_RUNS'] ?? 3);
  const batch = process.env['BENCH_REBUILD_BATCH'];
  const batchSize = batch === undefined ? undefined : Number(batch);
  const schema = freshSchemaName('bench_rebuild');
  const pool = openPool({ max: 8 });
  const store = createEventStore({ sql: fromPg(pool), schema });
  try {
    await store.migrate();
    registerCommerceEvents(store);
    const readModels = new ReadModelSet({
      store,
      name: 'commerce_read_models',
      definitions: commerceReadModelDefinitions(resolveInventoryOptions(), resolveHealthThresholds()),
    });
    await readModels.start();
    const rand = prng(11);
    for (let sent = 0; sent < events; sent += 1_000) {
      const batch: NewEvent[] = [];
      for (let i = 0; i < 1_000; i++) {
        batch.push(
          stockEvent(Math.floor(rand() * CREATORS), Math.floor(rand() * PRODUCTS), Math.floor(rand() * 200)),
        );
      }
      await store.append(`seed-${sent}`, batch);
    }

    const rebuildMs: number[] = [];
    const before: number[] = [];
    const during: number[] = [];
    const maxDuring: number[] = [];
    for (let i = 0; i < runs; i++) {
      const quiet = steadyWriter(store, rand);
      await new Promise((r) => setTimeout(r, 2_000));
      await quiet.stop();
      before.push(...quiet.latencies);
      const writer = steadyWriter(store, rand);
      const started = performance.now();
      await readModels.rebuild(batchSize === undefined ? {} : { batchSize });
      rebuildMs.push(performance.now() - started);
      await writer.stop();
      during.push(...writer.latencies);
      maxDuring.push(Math.max(...writer.latencies));
    }
    const quietSummary = latencySummary(before);
    const duringSummary = latencySummary(during);
    emit({
      name: 'read_models.rebuild_under_load',
      engine: 'postgres',
      events_in_log: events,
      batch_size: batchSize ?? 5_000,
      runs,
      rebuild_ms: Math.round(median(rebuildMs)),
      append_p50_ms_before: quietSummary.p50_ms,
      append_p95_ms_before: quietSummary.p95_ms,
      append_p50_ms_during: duringSummary.p50_ms,
      append_p95_ms_during: duringSummary.p95_ms,
      // The median over runs of each run's slowest append: a rebuild holding appends back shows here.
      append_max_ms_during: Math.round(median(maxDuring)),
      appends_during: during.length,
      load_avg_1m: Math.round(loadavg()[0]! * 100) / 100,
    });
  } finally {
    await store.close();
    await dropSchema(schema);
    await pool.end();
  }
}
