import type { EventStore } from '../../store/types.js';
import type { LibraryMetrics } from '../metrics/library-metrics.js';

const OK = Object.freeze({ outcome: 'ok' });
const FAILED = Object.freeze({ outcome: 'error' });

/**
 * Time every append of `store` and count its events. The store is decorated
 * in place (its `append` is replaced) so every holder of it — the engine's
 * webhook receivers, sagas, the host's own code — is measured without a
 * second store object. Returns a function that puts the original back.
 *
 * @example
 * ```ts
 * const undo = instrumentEventStore(engine.store, libraryMetrics(registry));
 * ```
 */
export function instrumentEventStore(store: EventStore, m: LibraryMetrics): () => void {
  const original = store.append;
  // Plain promise callbacks, not an async wrapper: no extra promise per append
  // on the store's hottest path.
  const append: EventStore['append'] = (streamId, events, options) => {
    const started = performance.now();
    return original.call(store, streamId, events, options).then(
      (result) => {
        m.appendDuration.observe(OK, (performance.now() - started) / 1000);
        m.appendBatchSize.observe(undefined, events.length);
        if (!result.duplicate) m.appendedEvents.inc(undefined, events.length);
        return result;
      },
      (err: unknown) => {
        m.appendDuration.observe(FAILED, (performance.now() - started) / 1000);
        throw err;
      },
    );
  };
  (store as { append: EventStore['append'] }).append = append;
  return () => {
    if (store.append === append) (store as { append: EventStore['append'] }).append = original;
  };
}
