/**
 * Guards: rules over the read models that an append must not break, checked
 * where they can still stop it (the projection set's guards).
 */
import type { GuardedBatch as SetGuardedBatch, ProjectionSetGuard } from '../../processing/index.js';

/** What a guard sees: one append batch and the row changes it made. */
export type GuardedBatch = SetGuardedBatch;

/**
 * A check run by the read-model set after it applied an append's events,
 * inside the append's transaction (see `ProjectionSetGuard`). Throwing fails
 * that append.
 *
 * @example
 * ```ts
 * const noNegativeBalance: ReadModelGuard = ({ changes }) => {
 *   for (const c of changes) if (c.table === 'balances' && Number(c.newRow?.['amount']) < 0) throw new Error('overdrawn');
 * };
 * ```
 */
export type ReadModelGuard = ProjectionSetGuard;
