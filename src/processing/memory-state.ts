/**
 * Per-store state of processors on the in-memory event store: checkpoints and
 * dead letters survive a processor's restart as long as the store lives.
 */
import type { LogCheckpoint } from '../store/checkpoint.js';
import type { EventStore } from '../store/types.js';
import { memoryDeadLetterQueue, type DeadLetterQueue } from './dead-letter-queue.js';

interface MemoryState {
  checkpoints: Map<string, LogCheckpoint>;
  deadLetters: DeadLetterQueue;
}

const states = new WeakMap<EventStore, MemoryState>();

/**
 * The checkpoints and dead letters kept for an in-memory store.
 *
 * @example
 * ```ts
 * memoryProcessingState(store).checkpoints.get('projection:totals');
 * ```
 */
export function memoryProcessingState(store: EventStore): MemoryState {
  let state = states.get(store);
  if (!state) {
    state = { checkpoints: new Map(), deadLetters: memoryDeadLetterQueue() };
    states.set(store, state);
  }
  return state;
}
