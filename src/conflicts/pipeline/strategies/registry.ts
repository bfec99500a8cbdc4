/**
 * The strategies an engine knows: the four built-ins plus the host's.
 */
import type { ConflictConfig } from '../../config.js';
import { MalformedConflictInputError, UnknownStrategyError } from '../../errors.js';
import { businessRules } from './business-rules.js';
import { fieldMerge } from './field-merge.js';
import { lastWriteWins } from './last-write-wins.js';
import { manual } from './manual.js';
import type { ConflictStrategy } from './strategy.js';

/**
 * The built-in strategies by name.
 *
 * @example
 * ```ts
 * builtInStrategies.map((s) => s.name); // ['lastWriteWins', 'businessRules', 'manual', 'fieldMerge']
 * ```
 */
export const builtInStrategies: readonly ConflictStrategy[] = [
  lastWriteWins,
  businessRules,
  manual,
  fieldMerge,
];

/**
 * Build a name → strategy map and check that every strategy the configuration names exists.
 *
 * @example
 * ```ts
 * const registry = createStrategyRegistry(config, [myStrategy]);
 * registry.get('lastWriteWins');
 * ```
 */
export function createStrategyRegistry(
  config: ConflictConfig,
  custom: readonly ConflictStrategy[] = [],
): ReadonlyMap<string, ConflictStrategy> {
  const registry = new Map<string, ConflictStrategy>(builtInStrategies.map((s) => [s.name, s]));
  for (const s of custom) {
    if (typeof s.name !== 'string' || s.name.length === 0 || typeof s.decide !== 'function') {
      throw new MalformedConflictInputError('Invalid strategy', [
        { path: 'strategies', message: 'needs a name and decide()' },
      ]);
    }
    if (registry.has(s.name)) {
      throw new MalformedConflictInputError('Invalid strategy', [
        { path: `strategies.${s.name}`, message: 'a strategy with this name is already registered' },
      ]);
    }
    registry.set(s.name, s);
  }
  for (const policy of [...Object.values(config.entities), config.fallback]) {
    for (const name of [policy.strategy, ...Object.values(policy.fieldStrategies)]) {
      if (!registry.has(name)) throw new UnknownStrategyError(name);
    }
  }
  return registry;
}
