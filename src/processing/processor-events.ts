/**
 * The typed lifecycle events of a processor (eventemitter3 event map).
 */
import type { LogCheckpoint } from '../core/checkpoint.js';
import type { StoredEvent } from '../store/types.js';
import type { LeaseLostReason } from './errors.js';

/** How far a processor is behind the head of the log. */
export interface ProcessorLag {
  processor: string;
  /** Events between the processor's checkpoint and the head (by global position, so approximate). */
  events: number;
  /** Age in ms of the oldest event known to be waiting; 0 when caught up. */
  ms: number;
  checkpoint: LogCheckpoint;
  head: LogCheckpoint;
}

/**
 * Events a processor emits. Background failures arrive as `'error'`, never as
 * unhandled rejections.
 *
 * @example
 * ```ts
 * processor.on('processor:dead_lettered', ({ event, error }) => alert(event.type, error));
 * ```
 */
export interface ProcessorEventMap {
  /** The processor read to the head of the log (emitted on each transition from behind). */
  'processor:caught_up': [info: { processor: string; checkpoint: LogCheckpoint }];
  /** Periodic lag report (every `lagIntervalMs`). */
  'processor:lag': [lag: ProcessorLag];
  /** An event failed every attempt and was moved to the dead-letter queue. */
  'processor:dead_lettered': [
    info: { processor: string; event: StoredEvent; error: unknown; attempts: number; deadLetterId: string },
  ];
  /** A batch was committed; `durationMs` from the start of its handler to its commit. */
  'processor:batch': [
    info: { processor: string; events: number; checkpoint: LogCheckpoint; durationMs?: number },
  ];
  /**
   * This instance took the lease and starts processing. `resumed`: it takes
   * back a lease nobody used meanwhile — the stored checkpoint is the one it
   * last loaded or committed (its lease lapsed, e.g. renewals stalled under
   * load) — so nothing was committed by another instance in between.
   */
  'processor:lease_acquired': [info: { processor: string; owner: string; resumed: boolean }];
  /**
   * This instance lost the lease: another instance holds it (`'taken'`), or no
   * renewal got through for ttl − heartbeat and it stopped itself before anyone
   * else could take the lease (`'not_renewed'`). The running handler's
   * `ctx.signal` is aborted and its batch is not committed.
   */
  'processor:lease_lost': [info: { processor: string; owner: string; reason: LeaseLostReason }];
  /**
   * A batch whose commit's answer was lost (a dropped connection, a client
   * timeout) turned out committed: the checkpoint reloaded afterwards is at
   * or past `checkpoint`, the one it stored. Its post-commit callback (a
   * projection's row changes) never ran.
   */
  'processor:commit_recovered': [info: { processor: string; checkpoint: LogCheckpoint }];
  /** A failed attempt that will be retried. */
  'processor:retry': [info: { processor: string; event: StoredEvent; error: unknown; attempt: number }];
  error: [error: unknown];
}
