/**
 * Guards: rules over the read models that an append must not break, checked
 * where they can still stop it.
 */
import type { RowChange } from '../../core/row-change.js';
import type { StoredEvent } from '../../store/types.js';

/** What a guard sees: one append batch and the row changes it made. */
export interface GuardedBatch {
  /** The batch's events that the set folds, in log order. */
  readonly events: readonly StoredEvent[];
  /** Every row change the batch made, in log order (the last change of a key holds its final row). */
  readonly changes: readonly RowChange[];
}

/**
 * A check run by a read-model set after it applied an append's events, inside
 * the append's transaction (in memory: before the append commits). Throwing
 * fails that append: its events, its row changes and its idempotency key are
 * all rolled back, and the caller gets the error.
 *
 * Guards run for appends, not during a rebuild (history is replayed as it
 * was). In async mode the set keeps inline copies of its `guardTables` for
 * them (the async tables see events only after they commit).
 *
 * @example
 * ```ts
 * const noNegativeBalance: ReadModelGuard = ({ changes }) => {
 *   for (const c of changes) if (c.table === 'balances' && Number(c.newRow?.['amount']) < 0) throw new Error('overdrawn');
 * };
 * ```
 */
export type ReadModelGuard = (batch: GuardedBatch) => void;
