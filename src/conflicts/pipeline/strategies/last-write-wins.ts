/**
 * lastWriteWins: the first contender of the total order (priority, trusted
 * clock, HLC time, source id, event id) wins the field.
 */
import type { ConflictStrategy } from './strategy.js';

/**
 * The last-write-wins strategy, weighted by source priority.
 *
 * @example
 * ```ts
 * createConflictEngine({ entities: { product: { strategy: 'lastWriteWins' } } });
 * ```
 */
export const lastWriteWins: ConflictStrategy = {
  name: 'lastWriteWins',
  associative: true,
  decide: ({ candidates }) => ({ type: 'choose', value: candidates[0]!.value, rule: 'highest_rank' }),
};
