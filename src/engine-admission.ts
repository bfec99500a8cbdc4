/**
 * The engine's webhook admission: samples the pipeline's lag (its
 * processors, wherever they run) and this process's event-loop delay every
 * interval and feeds them to the {@link AdmissionControl} in front of
 * `engine.ingest`.
 */
import { AdmissionControl, type AdmissionOptions } from './ingest/admission-control.js';
import { sampleEventLoopDelay } from './ingest/event-loop-delay.js';
import type { ProcessorLag } from './processing/processor-events.js';
import { PollLoop } from './runtime/poll-loop.js';
import { parseCheckpoint } from './core/checkpoint.js';

/** A processor whose lag counts (a read model's, a saga trigger's). */
export interface LaggingProcessor {
  readonly name: string;
  lag(): Promise<ProcessorLag>;
}

/**
 * The slowest processor's lag in ms. A processor knows the age of its oldest
 * waiting event only in the process that runs it; elsewhere (a standby host)
 * the age is estimated from the events waiting and the pace its checkpoint
 * moved at since the previous reading.
 *
 * @example
 * ```ts
 * const lagMs = pipelineLagProbe(processors);
 * console.log(await lagMs());
 * ```
 */
export function pipelineLagProbe(
  processors: readonly LaggingProcessor[],
  now: () => number = Date.now,
): () => Promise<number> {
  const previous = new Map<string, { position: number; at: number; behindSince?: number }>();
  const estimate = (lag: ProcessorLag): number => {
    const at = now();
    const position = parseCheckpoint(lag.checkpoint).globalPosition;
    const before = previous.get(lag.processor);
    const behindSince = lag.events === 0 ? undefined : (before?.behindSince ?? at);
    previous.set(lag.processor, { position, at, ...(behindSince === undefined ? {} : { behindSince }) });
    if (lag.ms > 0 || lag.events === 0) return lag.ms;
    const perMs = before && at > before.at ? (position - before.position) / (at - before.at) : 0;
    // Not moving: as old as the time it has been seen behind.
    return perMs > 0 ? lag.events / perMs : at - (behindSince ?? at);
  };
  return async () => {
    const lags = await Promise.all(processors.map((p) => p.lag()));
    return Math.max(0, ...lags.map(estimate));
  };
}

/** A running admission: the control and its sampler. */
export interface EngineAdmission {
  readonly control: AdmissionControl;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Build the admission control and the loop that feeds it.
 *
 * @example
 * ```ts
 * const admission = engineAdmission({ targetLagMs: 1000 }, pipelineLagProbe(processors), onError);
 * admission.start();
 * ```
 */
export function engineAdmission(
  options: AdmissionOptions,
  lagMs: () => Promise<number>,
  onError: (err: unknown) => void,
): EngineAdmission {
  const control = new AdmissionControl(options);
  const every = { ms: control.settings.sampleIntervalMs, wakeable: false };
  let loop: PollLoop | undefined;
  let stopLoop: (() => void) | undefined;
  return {
    control,
    start() {
      if (loop) return;
      const eventLoop = sampleEventLoopDelay();
      stopLoop = () => eventLoop.stop();
      loop = new PollLoop({
        turn: async () => {
          control.observe({ lagMs: await lagMs(), eventLoopDelayMs: eventLoop.take() });
          return every;
        },
        // A failed lag read keeps the last rate: the next reading decides.
        onError: (err) => {
          onError(err);
          return every;
        },
        unref: true,
      });
      loop.start({ first: every });
    },
    async stop() {
      await loop?.stop();
      stopLoop?.();
      loop = undefined;
    },
  };
}
