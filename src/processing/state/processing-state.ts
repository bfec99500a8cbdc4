/**
 * The processing-state port: where processors keep what outlives them — their
 * checkpoints, their dead letters and (optionally) their leases. Processors
 * talk to this port only; `sqlProcessingState` keeps it in the tables of a
 * schema, `memoryProcessingState` in the process.
 */
import type { LogCheckpoint } from '../../core/checkpoint.js';
import type { SqlQueryable, SqlTransaction } from '../../core/sql-client.js';
import type { LeasePort } from '../../runtime/lease-keeper.js';
import type { DeadLetterQueue } from '../dead-letter-queue.js';

/**
 * How {@link ProcessingState.commit} runs its work relative to the checkpoint.
 *
 * @example
 * ```ts
 * const options: StateCommitOptions = { atomic: false, deferred: true };
 * ```
 */
export interface StateCommitOptions {
  /**
   * True: the work runs inside the transaction that moves the checkpoint (it gets
   * that transaction, where the adapter has one), so both commit or neither.
   * False: the work runs first with no transaction open, the checkpoint moves after.
   */
  atomic: boolean;
  /**
   * Non-atomic only: when the work sends no write with the checkpoint (it
   * never calls its `withCheckpoint`, and in memory there is none), leave the
   * stored checkpoint as it is; the caller stores it later, fenced on
   * `expected` (an at-least-once processor's deferred checkpoint). A write
   * sent with the checkpoint moves it from `expected` to `next` as always.
   */
  deferred?: boolean;
}

/**
 * Send one write together with a commit's fenced checkpoint update, as one
 * statement (one round trip, one commit); resolves with the rows its
 * `RETURNING` gave, as JSON (bigint columns come back as numbers). Throws a
 * `CheckpointMovedError` when the fence fails — the write is applied
 * nonetheless, so it must be idempotent.
 *
 * @example
 * ```ts
 * const rows = await withCheckpoint<{ id: string }>('INSERT INTO app.seen (id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id', [id]);
 * ```
 */
export type CheckpointWrite = <Row = Record<string, unknown>>(
  text: string,
  params: readonly unknown[],
) => Promise<Row[]>;

/**
 * The work of a commit or a redrive: gets the transaction when one is open,
 * and, in a non-atomic commit on a SQL adapter, a {@link CheckpointWrite}
 * (used at most once: the checkpoint is then stored, and not again after the work).
 */
export type StateWork<T> = (tx: SqlTransaction | undefined, withCheckpoint?: CheckpointWrite) => Promise<T>;

/**
 * Checkpoints, dead letters and leases of processors. Every checkpoint write is
 * fenced: it names the checkpoint it expects, and a stored one that differs
 * throws a `CheckpointMovedError` (code `CHECKPOINT_MOVED`), so two holders
 * never both apply a batch. `tx` parameters join the caller's transaction.
 *
 * @example
 * ```ts
 * const state = sqlProcessingState(sql, 'app');
 * await state.migrate();
 * const from = await state.loadCheckpoint('alerts', async () => START_CHECKPOINT);
 * await state.commit('alerts', from, page.checkpoint, async (tx) => apply(page.events, tx), { atomic: true });
 * ```
 */
export interface ProcessingState {
  /** Create or upgrade what the state needs (tables); safe to call again and from several processes. */
  migrate(): Promise<void>;
  /** The stored checkpoint of `processor`, or null. */
  readCheckpoint(processor: string, tx?: SqlQueryable): Promise<LogCheckpoint | null>;
  /** The stored checkpoints of several processors; those without one are absent. */
  readCheckpoints(processors: readonly string[]): Promise<Map<string, LogCheckpoint>>;
  /** The stored checkpoint, storing `initial()` first when there is none (once, across racing callers). */
  loadCheckpoint(processor: string, initial: () => Promise<LogCheckpoint>): Promise<LogCheckpoint>;
  /** Store a checkpoint unfenced, creating it if needed (a stopped processor's `seek`). */
  saveCheckpoint(processor: string, checkpoint: LogCheckpoint): Promise<void>;
  /**
   * Run `work` and move the checkpoint from `expected` to `next`; throws
   * `CheckpointMovedError` when the stored one is not `expected`. When `work`
   * throws the checkpoint does not move (and, atomic on a transactional
   * adapter, the work's writes through `tx` roll back).
   */
  commit<T>(
    processor: string,
    expected: LogCheckpoint,
    next: LogCheckpoint,
    work: StateWork<T>,
    options: StateCommitOptions,
  ): Promise<T>;
  /**
   * Run `work` on a dead letter of `processor` and remove the letter once it
   * succeeded; when `work` throws the letter stays. Atomic on a transactional
   * adapter: removal and work share one transaction, serialized with the
   * processor's batches. Throws `ProcessingNotFoundError` (code `NOT_FOUND`)
   * when the letter is gone (redriven elsewhere).
   */
  redriveDeadLetter<T>(
    processor: string,
    id: string,
    work: StateWork<T>,
    options: StateCommitOptions,
  ): Promise<T>;
  /** The dead letters of every processor. */
  readonly deadLetters: DeadLetterQueue;
  /**
   * Leases shared by the instances that use this state. Absent where only one
   * process can see the state (in memory): processors then run unleased.
   */
  readonly leases?: LeasePort;
}
