/**
 * Waiting on a condition in tests: poll until it holds, with a generous bound,
 * never a fixed sleep.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Resolve once `check` returns true (or resolves to true); reject after
 * `timeoutMs` naming `what`.
 *
 * @example
 * ```ts
 * await waitFor(async () => (await store.readAll()).events.length === 3, { what: 'three events' });
 * ```
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<void> {
  const { timeoutMs = 30_000, intervalMs = 20, what = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
