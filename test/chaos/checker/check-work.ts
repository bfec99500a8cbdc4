/**
 * A run whose orders all fail proves nothing about the path that matters:
 * every other invariant holds trivially when no saga ever reaches a
 * provider. With 2 % of provider calls failing and retries, nearly every
 * saga should complete despite the faults; fewer than half completing, or
 * providers that never acted, means the harness or the hosts are broken.
 */
import { verdict, type InvariantResult } from './invariant.js';
import type { SagaRow } from './log-data.js';

/** The smallest share of sagas that must complete. */
export const MIN_COMPLETED_SHARE = 0.5;

/**
 * @example
 * ```ts
 * checkWorkDone(data.sagas, ledger.entries).ok
 * ```
 */
export function checkWorkDone(
  sagas: readonly SagaRow[],
  effects: readonly { acted: number }[],
): InvariantResult {
  const violations: unknown[] = [];
  const completed = sagas.filter((s) => s.status === 'completed').length;
  if (sagas.length === 0 || completed < sagas.length * MIN_COMPLETED_SHARE) {
    const errors = sagas.filter((s) => s.status !== 'completed').map((s) => s.error);
    violations.push({
      problem: 'few_sagas_completed',
      completed,
      sagas: sagas.length,
      errors: errors.slice(0, 3),
    });
  }
  if (effects.reduce((n, e) => n + e.acted, 0) === 0) violations.push({ problem: 'providers_never_acted' });
  return verdict(sagas.length, violations);
}
