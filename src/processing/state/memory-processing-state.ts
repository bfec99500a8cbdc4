/**
 * Processing state in the process: for the in-memory event store, whose
 * processors share one process, so they need no leases.
 */
import type { LogCheckpoint } from '../../core/checkpoint.js';
import { memoryDeadLetterQueue, type DeadLetterQueue } from '../dead-letter-queue.js';
import { CheckpointMovedError, ProcessingNotFoundError } from '../errors.js';
import type { ProcessingState } from './processing-state.js';

/** Maps the state keeps, when the caller shares them (partition coordination does). */
export interface MemoryProcessingMaps {
  checkpoints: Map<string, LogCheckpoint>;
  deadLetters: DeadLetterQueue;
}

/**
 * Options of {@link memoryProcessingState}.
 *
 * @example
 * ```ts
 * const state = memoryProcessingState(undefined, { fence: false });
 * ```
 */
export interface MemoryProcessingOptions {
  /**
   * Refuse a commit whose checkpoint moved meanwhile (`CheckpointMovedError`).
   * Default true. The fence is checked after the work, which memory cannot roll
   * back: a refused commit makes the processor run the same events again.
   */
  fence?: boolean;
}

/**
 * A {@link ProcessingState} in memory. Nothing is transactional: work gets no
 * `tx`, and a commit checks its fence when it stores the checkpoint, after the
 * work (as an at-least-once commit does in SQL).
 *
 * @example
 * ```ts
 * const processor = createProcessor({ store, name: 'alerts', handle, state: memoryProcessingState() });
 * ```
 */
export function memoryProcessingState(
  maps: MemoryProcessingMaps = { checkpoints: new Map(), deadLetters: memoryDeadLetterQueue() },
  options: MemoryProcessingOptions = {},
): ProcessingState {
  const fence = options.fence ?? true;
  const { checkpoints, deadLetters } = maps;
  return {
    async migrate() {},
    async readCheckpoint(processor) {
      return checkpoints.get(processor) ?? null;
    },
    async readCheckpoints(processors) {
      const found = new Map<string, LogCheckpoint>();
      for (const name of processors) {
        const checkpoint = checkpoints.get(name);
        if (checkpoint !== undefined) found.set(name, checkpoint);
      }
      return found;
    },
    async loadCheckpoint(processor, initial) {
      const stored = checkpoints.get(processor);
      if (stored !== undefined) return stored;
      const first = await initial();
      // Another caller may have stored one while `initial` ran: the first one stays.
      if (!checkpoints.has(processor)) checkpoints.set(processor, first);
      return checkpoints.get(processor)!;
    },
    async saveCheckpoint(processor, checkpoint) {
      checkpoints.set(processor, checkpoint);
    },
    async commit(processor, expected, next, work, options) {
      const result = await work(undefined);
      // No write goes with the checkpoint in memory: a deferred commit stores nothing.
      if (!options.atomic && options.deferred) return result;
      const actual = checkpoints.get(processor) ?? null;
      if (fence && actual !== expected) throw new CheckpointMovedError(processor, expected, actual);
      checkpoints.set(processor, next);
      return result;
    },
    async redriveDeadLetter(processor, id, work) {
      const notFound = () => new ProcessingNotFoundError(`Dead letter ${id} no longer exists`);
      const letter = await deadLetters.get(id);
      if (letter?.processor !== processor) throw notFound();
      const result = await work(undefined);
      await deadLetters.remove(id);
      return result;
    },
    deadLetters,
  };
}
