/**
 * The strategy port: how one field's absolute values are decided. Deltas never
 * reach a strategy — they always apply — so no strategy can discard a restock.
 */
import type { EntityPolicy } from '../../config.js';
import type { Json } from '../../json.js';
import type { Contender } from '../../types.js';

/** One contender's absolute value for the field being decided. */
export interface FieldCandidate {
  contender: Contender;
  value: Json;
}

/** What a strategy is asked to decide. */
export interface FieldStrategyInput {
  entityType: string;
  entityId: string;
  field: string;
  /** The field's value before the conflict (undefined when unknown). */
  base: Json | undefined;
  /** Every contender that set the field, in the total order (strongest first); never empty. */
  candidates: readonly FieldCandidate[];
  policy: Readonly<EntityPolicy>;
}

/** A strategy's answer: a value, or a hand-over to a person. */
export type FieldDecision =
  | { type: 'choose'; value: Json; rule: string }
  | { type: 'escalate'; code: 'overlapping_fields' | 'manual_strategy' | 'strategy'; message: string };

/**
 * A conflict strategy. Register custom ones with the engine and name them in
 * the configuration per entity type or field.
 *
 * @example
 * ```ts
 * const longestTitle: ConflictStrategy = {
 *   name: 'longestTitle',
 *   associative: true, // max by length (ties by rank) composes over any grouping
 *   decide: ({ candidates }) => {
 *     const best = [...candidates].sort((a, b) => String(b.value).length - String(a.value).length)[0]!;
 *     return { type: 'choose', value: best.value, rule: 'longest_title' };
 *   },
 * };
 * const engine = createConflictEngine({ entities: { product: { fieldStrategies: { title: 'longestTitle' } } } }, {
 *   strategies: [longestTitle],
 * });
 * ```
 */
export interface ConflictStrategy {
  readonly name: string;
  /**
   * True when deciding the winners of any grouping of the candidates equals
   * deciding all at once (checked by the grouping-independence law).
   */
  readonly associative: boolean;
  /** Decide the field. Must be a pure function of its input. */
  decide(input: FieldStrategyInput): FieldDecision;
}
