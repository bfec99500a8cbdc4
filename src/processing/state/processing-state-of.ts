/**
 * The processing state that goes with an event store: its schema's tables on
 * PostgreSQL and PGlite, the in-process state of a memory store. The one
 * place processing looks at `store.sql` to pick where its state lives.
 */
import type { EventStore } from '../../store/types.js';
import { memoryStoreState } from '../memory-state.js';
import { memoryProcessingState } from './memory-processing-state.js';
import type { ProcessingState } from './processing-state.js';
import { sqlProcessingState } from './sql-processing-state.js';

const states = new WeakMap<EventStore, ProcessingState>();

/**
 * The {@link ProcessingState} of `store`, the same object on every call, so
 * processors on one memory store share their checkpoints and dead letters.
 *
 * @example
 * ```ts
 * const letters = await processingStateOf(store).deadLetters.list({ processor: 'projection:totals' });
 * ```
 */
export function processingStateOf(store: EventStore): ProcessingState {
  let state = states.get(store);
  if (!state) {
    state = store.sql
      ? sqlProcessingState(store.sql, store.schema)
      : // Unfenced, as before the port: the in-memory store's processors write
        // read models that cannot roll back, so a fence checked after the work
        // would only apply a batch twice (two engines on one memory store,
        // each with its own tables, share a processor name).
        memoryProcessingState(memoryStoreState(store), { fence: false });
    states.set(store, state);
  }
  return state;
}
