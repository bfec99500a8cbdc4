/**
 * Where a processor with no stored checkpoint starts.
 */
import { START_CHECKPOINT, type LogCheckpoint } from '../core/checkpoint.js';
import type { EventStore } from '../store/types.js';
import type { StartFrom } from './processor-options.js';

/**
 * The checkpoint `startFrom` means now: the start of the log, its head, or the given checkpoint.
 *
 * @example
 * ```ts
 * await initialCheckpoint(store, 'end') // the head, e.g. '812:40'
 * ```
 */
export async function initialCheckpoint(store: EventStore, startFrom: StartFrom): Promise<LogCheckpoint> {
  if (startFrom === 'beginning') return START_CHECKPOINT;
  return startFrom === 'end' ? store.headCheckpoint() : startFrom;
}
