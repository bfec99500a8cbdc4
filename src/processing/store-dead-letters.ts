/**
 * The dead-letter queue that goes with a store: its `dead_letters` table on
 * PostgreSQL and PGlite, the in-process state of a memory store.
 */
import type { EventStore } from '../store/types.js';
import { sqlDeadLetterQueue, type DeadLetterQueue } from './dead-letter-queue.js';
import { memoryProcessingState } from './memory-state.js';

/**
 * The dead letters of every processor on `store`.
 *
 * @example
 * ```ts
 * const letters = await deadLetterQueueOf(store).list({ processor: 'projection:totals' });
 * ```
 */
export function deadLetterQueueOf(store: EventStore): DeadLetterQueue {
  return store.sql ? sqlDeadLetterQueue(store.sql, store.schema) : memoryProcessingState(store).deadLetters;
}
