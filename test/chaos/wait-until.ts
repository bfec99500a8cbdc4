/**
 * Wait on a condition with a bound, never a fixed sleep for correctness.
 */

/**
 * Poll `condition` every `intervalMs` until it holds (true) or `timeoutMs` passed (false).
 * A throwing condition counts as not yet.
 *
 * @example
 * ```ts
 * const idle = await waitUntil(async () => (await pendingSagas()) === 0, { timeoutMs: 60_000 });
 * ```
 */
export async function waitUntil(
  condition: () => Promise<boolean>,
  { timeoutMs, intervalMs = 500 }: { timeoutMs: number; intervalMs?: number },
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition().catch(() => false)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
