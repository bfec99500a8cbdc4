/**
 * Per-store state of processors on the in-memory event store: checkpoints,
 * dead letters and partition layouts survive a processor's restart as long as
 * the store lives; members and partition claims stand in for the SQL tables
 * and leases of instances sharing one store.
 */
import type { LogCheckpoint } from '../core/checkpoint.js';
import type { EventStore } from '../store/types.js';
import { memoryDeadLetterQueue, type DeadLetterQueue } from './dead-letter-queue.js';

interface MemoryState {
  checkpoints: Map<string, LogCheckpoint>;
  deadLetters: DeadLetterQueue;
  /** Partition count by partitioned processor name. */
  layouts: Map<string, number>;
  /** Live members by partitioned processor name. */
  members: Map<string, Set<string>>;
  /** The member running each partition (the in-memory lease). */
  claims: Map<string, string>;
}

const states = new WeakMap<EventStore, MemoryState>();

/**
 * The state kept for an in-memory store: its processing state's maps, and
 * the layouts, members and claims of its partitioned processors.
 *
 * @example
 * ```ts
 * memoryStoreState(store).layouts.get('projection:totals');
 * ```
 */
export function memoryStoreState(store: EventStore): MemoryState {
  let state = states.get(store);
  if (!state) {
    state = {
      checkpoints: new Map(),
      deadLetters: memoryDeadLetterQueue(),
      layouts: new Map(),
      members: new Map(),
      claims: new Map(),
    };
    states.set(store, state);
  }
  return state;
}
