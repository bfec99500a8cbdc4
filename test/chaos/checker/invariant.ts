/**
 * The result of checking one invariant: how much was checked, how many
 * violations, and the first few of them as evidence.
 */

/** One invariant's verdict. */
export interface InvariantResult {
  ok: boolean;
  /** Items checked (webhooks, events, streams, sagas …). */
  checked: number;
  violations: number;
  /** The first violations, each naming what is wrong and where. */
  examples: unknown[];
}

/** Examples kept per invariant: enough to reproduce, short enough to read. */
export const MAX_EXAMPLES = 10;

/**
 * Build a result from every violation found.
 *
 * @example
 * ```ts
 * return verdict(events.length, doubled.map((id) => ({ problem: 'doubled', id })));
 * ```
 */
export function verdict(checked: number, violations: readonly unknown[]): InvariantResult {
  return {
    ok: violations.length === 0,
    checked,
    violations: violations.length,
    examples: violations.slice(0, MAX_EXAMPLES),
  };
}
