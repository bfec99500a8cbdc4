/**
 * fieldMerge: a field set by one contender (or to one value by all) merges;
 * a field set to different values is an overlap and is handed to a person
 * with conflict markers carrying every contender's value.
 */
import { jsonEquals } from '../../json.js';
import type { ConflictStrategy } from './strategy.js';

/**
 * The field-merge strategy.
 *
 * @example
 * ```ts
 * // { title: 'A' } + { price: 9 } -> { title: 'A', price: 9 }; { title: 'A' } + { title: 'B' } -> escalated with markers
 * createConflictEngine({ entities: { product: { strategy: 'fieldMerge' } } });
 * ```
 */
export const fieldMerge: ConflictStrategy = {
  name: 'fieldMerge',
  associative: false,
  decide: ({ field, candidates }) => {
    const first = candidates[0]!;
    if (candidates.every((c) => jsonEquals(c.value, first.value))) {
      return { type: 'choose', value: first.value, rule: 'merged' };
    }
    return {
      type: 'escalate',
      code: 'overlapping_fields',
      message: `contenders set "${field}" to different values`,
    };
  },
};
