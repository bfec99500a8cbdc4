/**
 * businessRules: per-field algebras. A policy's minimum fields take the
 * minimum of the absolute values (safety first: a decrease always beats an
 * increase, as for stock), recorded under the policy's `minimumRule`;
 * preferred sources (payment events on payments) override the rest; other
 * fields fall back to the total order. Terminal states are handled at the
 * entity level (see resolve.ts) because they absorb every field.
 */
import type { ConflictStrategy, FieldCandidate } from './strategy.js';

/**
 * The business-rules strategy.
 *
 * @example
 * ```ts
 * // seat.free 8 (box office) vs 10 (nightly sync) -> 8, rule 'fewest_seats'
 * createConflictEngine({
 *   entities: { seat: { strategy: 'businessRules', minimumFields: ['free'], minimumRule: 'fewest_seats' } },
 * });
 * ```
 */
export const businessRules: ConflictStrategy = {
  name: 'businessRules',
  associative: true,
  decide: ({ field, candidates, policy }) => {
    if (policy.minimumFields.includes(field)) {
      // Values are validated numbers; ties keep the highest-ranked contender first.
      let best: FieldCandidate = candidates[0]!;
      for (const c of candidates) if ((c.value as number) < (best.value as number)) best = c;
      return { type: 'choose', value: best.value, rule: policy.minimumRule };
    }
    const preferred = candidates.find((c) => policy.preferredSources.includes(c.contender.source));
    if (preferred) return { type: 'choose', value: preferred.value, rule: 'preferred_source' };
    return { type: 'choose', value: candidates[0]!.value, rule: 'highest_rank' };
  },
};
