/**
 * The position a processor's output reflects, for readers outside processing
 * (the realtime snapshot port) that must not know where checkpoints are kept.
 */
import { START_CHECKPOINT, type LogCheckpoint } from '../core/checkpoint.js';
import type { SqlQueryable } from '../core/sql-client.js';
import { readCheckpoint } from './checkpoint-store.js';

/**
 * A reader of the checkpoint of the processor that writes `subject` (a
 * realtime channel, a table), run inside the caller's transaction so it sees
 * the same moment as the rows read beside it. A processor that has not
 * started yet reads as {@link START_CHECKPOINT}.
 *
 * @example
 * ```ts
 * const snapshot = createSqlSnapshot(sql, {
 *   schema: 'app',
 *   checkpoint: readProcessorCheckpoint('app', (channel) => `projection:${channel.name}`),
 * });
 * ```
 */
export function readProcessorCheckpoint<Subject>(
  schema: string,
  processorOf: (subject: Subject) => string,
): (tx: SqlQueryable, subject: Subject) => Promise<LogCheckpoint> {
  return async (tx, subject) => (await readCheckpoint(tx, schema, processorOf(subject))) ?? START_CHECKPOINT;
}
