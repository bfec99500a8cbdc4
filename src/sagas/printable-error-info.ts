/**
 * A saga error as plain JSON that still prints as an error: `String(info)` or
 * a template literal gives `Name [CODE]: message`, not `[object Object]`.
 */
import type { SagaErrorInfo } from './types.js';

/**
 * The same info with a non-enumerable `toString` (so JSON, the step log and
 * deep equality see only the data). Null stays null.
 *
 * @example
 * ```ts
 * runner.on('saga:compensated', ({ error }) => console.log(`undone after ${error}`));
 * // undone after TerminalError [PAYMENT_DECLINED]: card declined
 * ```
 */
export function printableErrorInfo<E extends SagaErrorInfo | null>(info: E): E {
  if (info === null) return info;
  const copy = { ...info };
  Object.defineProperty(copy, 'toString', {
    value: () => `${copy.name}${copy.code ? ` [${copy.code}]` : ''}: ${copy.message}`,
    enumerable: false,
  });
  return copy as E;
}
