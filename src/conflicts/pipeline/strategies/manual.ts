/**
 * manual: never decides a contested field; a person does.
 */
import type { ConflictStrategy } from './strategy.js';

/**
 * The manual strategy: a field set by two or more contenders escalates.
 *
 * @example
 * ```ts
 * createConflictEngine({ entities: { order: { fieldStrategies: { shippingAddress: 'manual' } } } });
 * ```
 */
export const manual: ConflictStrategy = {
  name: 'manual',
  associative: false,
  decide: ({ field, candidates }) =>
    candidates.length === 1
      ? { type: 'choose', value: candidates[0]!.value, rule: 'uncontested' }
      : { type: 'escalate', code: 'manual_strategy', message: `"${field}" is decided by a person` },
};
