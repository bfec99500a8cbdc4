import { merge } from 'rxjs';
import type { SyncEngine } from '../../engine.js';
import type { HttpHandler } from '../../http/types.js';
import { libraryMetrics, type LibraryMetrics } from '../metrics/library-metrics.js';
import type { Metrics } from '../metrics/metrics-port.js';
import { instrumentHttpHandler } from './instrument-http.js';
import { instrumentRealtimeHub } from './instrument-hub.js';
import { instrumentPool, type PoolLike } from './instrument-pool.js';
import { instrumentProcessor, type ProcessorEventSource } from './instrument-processor.js';
import { instrumentSagaRunner } from './instrument-sagas.js';
import { instrumentEventStore } from './instrument-store.js';
import { everyInterval } from '../../runtime/every-interval.js';

/**
 * Options of {@link instrumentEngine}.
 *
 * @example
 * ```ts
 * const options: InstrumentEngineOptions = {
 *   metrics: teeMetrics(createMetricsRegistry(), fromPromClient(promClient)),
 *   pool,                     // the pg.Pool under the engine's `sql`
 *   sampleIntervalMs: 10_000, // reader lag and `up`, every 10 s
 * };
 * const monitoring = instrumentEngine(engine, options);
 * ```
 */
export interface InstrumentEngineOptions {
  /** Where to record (e.g. `teeMetrics(registry, fromPromClient(promClient))`). */
  metrics: Metrics;
  /** The `pg` pool under `config.sql`, for pool gauges. */
  pool?: PoolLike;
  /** How often values read asynchronously (reader lag, health) are sampled. Default 5000 ms; 0 never. */
  sampleIntervalMs?: number;
}

/** An instrumented engine. */
export interface EngineInstrumentation {
  /** The instruments, for the host's own records (external API calls, cache lookups). */
  readonly instruments: LibraryMetrics;
  /** `engine.ingest` measured: serve this one instead. */
  readonly ingest: HttpHandler;
  /** Sample the asynchronous gauges now (reader lag, `up`). */
  sample(): Promise<void>;
  /** Stop listening and put the decorated methods back. */
  stop(): void;
}

/**
 * Instrument every hot path of an engine by listening to its lifecycle
 * events and decorating its store and hub — no internals change: append
 * latency and batch size, processor lag and batch latency, saga steps and
 * outcomes, realtime delivery and gauges, webhook latency by code (through
 * the returned `ingest`), pool use.
 *
 * @example
 * ```ts
 * const registry = createMetricsRegistry();
 * const prom = fromPromClient(promClient);
 * const monitoring = instrumentEngine(engine, { metrics: teeMetrics(registry, prom), pool });
 * app.use(expressAdapter(monitoring.ingest));
 * app.get('/metrics', async (_q, res) => res.type(prom.contentType).send(await prom.scrape()));
 * ```
 */
export function instrumentEngine(
  engine: SyncEngine,
  options: InstrumentEngineOptions,
): EngineInstrumentation {
  const { metrics } = options;
  const m = libraryMetrics(metrics);
  const stops: (() => void)[] = [instrumentEventStore(engine.store, m)];
  for (const model of engine.readModels) {
    const source = (model.processor ?? model.partitioned) as Partial<ProcessorEventSource> | undefined;
    if (source?.on && source.off) stops.push(instrumentProcessor(source as ProcessorEventSource, m));
  }
  stops.push(instrumentSagaRunner(engine.sagas, m));
  stops.push(
    instrumentRealtimeHub(engine.hub, merge(...engine.readModels.map((r) => r.changes)), metrics, m),
  );
  if (options.pool) stops.push(instrumentPool(options.pool, metrics, m));
  stops.push(metrics.onCollect(() => m.sagasActive.set(undefined, engine.sagas.activeCount)));
  const admission = engine.admission;
  if (admission) {
    const refused = (reason: string) => m.webhookRefused.inc({ reason });
    admission.events.on('refused', refused);
    stops.push(() => admission.events.off('refused', refused));
    stops.push(metrics.onCollect(() => m.admissionRate.set(undefined, admission.status().ratePerS)));
  }
  const sample = async () => {
    const [lag, health] = await Promise.all([
      engine.store.readerLag().catch(() => null),
      engine.health().catch(() => null),
    ]);
    if (lag) m.readerHeldBack.set(undefined, lag.heldBackEvents);
    m.up.set(undefined, health ? 1 : 0);
  };
  const interval = options.sampleIntervalMs ?? 5000;
  if (interval > 0) {
    // sample() reports a failed read as a gauge, never throws.
    const sampler = everyInterval(interval, sample, () => undefined);
    stops.push(() => void sampler.stop());
  }
  return {
    instruments: m,
    ingest: instrumentHttpHandler(engine.ingest, m),
    sample,
    stop: () => stops.splice(0).forEach((s) => s()),
  };
}
