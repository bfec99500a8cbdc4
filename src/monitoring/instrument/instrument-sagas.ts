import type { SagaRunner } from '../../sagas/saga-runner.js';
import type { SagaEventMap } from '../../sagas/types.js';
import type { LibraryMetrics } from '../metrics/library-metrics.js';

/**
 * Record saga outcomes, step latency and step failures from the runner's
 * `saga:*` events. A step's latency is the time since the saga's previous
 * event on this host (its start or the previous step), which is the step's
 * run plus its log write; a saga resumed here from another host has no
 * previous event, so its first step is counted but not timed.
 *
 * @example
 * ```ts
 * const stop = instrumentSagaRunner(engine.sagas, libraryMetrics(registry));
 * ```
 */
export function instrumentSagaRunner(
  runner: Pick<SagaRunner, 'on' | 'off' | 'activeCount'>,
  m: LibraryMetrics,
  now: () => number = () => performance.now(),
): () => void {
  const last = new Map<string, number>();
  const outcome = (o: string) => (e: { sagaId: string; definition: string }) => {
    m.sagaOutcomes.inc({ definition: e.definition, outcome: o });
    if (o !== 'started') last.delete(e.sagaId);
    else last.set(e.sagaId, now());
  };
  const step = (e: SagaEventMap['saga:step_completed'][0]) => {
    const t = now();
    const since = last.get(e.sagaId);
    if (since !== undefined) {
      m.sagaStepDuration.observe({ definition: e.definition, phase: e.phase }, (t - since) / 1000);
    }
    last.set(e.sagaId, t);
  };
  const failed = (e: SagaEventMap['saga:step_failed'][0]) => {
    m.sagaStepFailures.inc({ definition: e.definition, phase: e.phase });
    step({ ...e });
  };
  const listeners = {
    'saga:started': outcome('started'),
    'saga:completed': outcome('completed'),
    'saga:compensated': outcome('compensated'),
    'saga:compensation_failed': outcome('compensation_failed'),
    'saga:lease_lost': outcome('lease_lost'),
    'saga:taken_over': outcome('taken_over'),
    'saga:step_completed': step,
    'saga:step_failed': failed,
    'saga:step_deferred': (e: SagaEventMap['saga:step_deferred'][0]) =>
      m.sagaStepsDeferred.inc({ definition: e.definition, phase: e.phase }),
  } as const;
  for (const [event, fn] of Object.entries(listeners)) runner.on(event as 'saga:started', fn as never);
  return () => {
    for (const [event, fn] of Object.entries(listeners)) runner.off(event as 'saga:started', fn as never);
  };
}
