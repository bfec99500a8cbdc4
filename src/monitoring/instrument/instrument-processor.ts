import type { ProcessorEventMap } from '../../processing/processor-events.js';
import type { LibraryMetrics } from '../metrics/library-metrics.js';

/** Anything emitting a processor's lifecycle events (a `Processor`, a `PartitionedProcessor`). */
export interface ProcessorEventSource {
  on<K extends keyof ProcessorEventMap>(event: K, fn: (...args: ProcessorEventMap[K]) => void): unknown;
  off<K extends keyof ProcessorEventMap>(event: K, fn: (...args: ProcessorEventMap[K]) => void): unknown;
}

/**
 * Record a processor's lag, batch latency and size, retries and dead letters
 * from its `processor:*` events. Returns a function that stops listening.
 *
 * @example
 * ```ts
 * const stop = instrumentProcessor(projection.processor!, libraryMetrics(registry));
 * ```
 */
export function instrumentProcessor(source: ProcessorEventSource, m: LibraryMetrics): () => void {
  const onBatch = (info: ProcessorEventMap['processor:batch'][0]) => {
    const labels = { processor: info.processor };
    if (info.events > 0) {
      m.processorEvents.inc(labels, info.events);
      m.processorBatchSize.observe(labels, info.events);
      if (info.durationMs !== undefined) m.processorBatchDuration.observe(labels, info.durationMs / 1000);
    }
  };
  const onLag = (lag: ProcessorEventMap['processor:lag'][0]) => {
    m.processorLagEvents.set({ processor: lag.processor }, lag.events);
    m.processorLagSeconds.set({ processor: lag.processor }, lag.ms / 1000);
  };
  const onCaughtUp = (info: ProcessorEventMap['processor:caught_up'][0]) => {
    m.processorLagEvents.set({ processor: info.processor }, 0);
    m.processorLagSeconds.set({ processor: info.processor }, 0);
  };
  const onRetry = (info: ProcessorEventMap['processor:retry'][0]) =>
    m.processorRetries.inc({ processor: info.processor });
  const onDead = (info: ProcessorEventMap['processor:dead_lettered'][0]) =>
    m.processorDeadLetters.inc({ processor: info.processor });
  source.on('processor:batch', onBatch);
  source.on('processor:lag', onLag);
  source.on('processor:caught_up', onCaughtUp);
  source.on('processor:retry', onRetry);
  source.on('processor:dead_lettered', onDead);
  return () => {
    source.off('processor:batch', onBatch);
    source.off('processor:lag', onLag);
    source.off('processor:caught_up', onCaughtUp);
    source.off('processor:retry', onRetry);
    source.off('processor:dead_lettered', onDead);
  };
}
