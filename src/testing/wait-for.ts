/**
 * Waiting on a condition in a contract suite: poll until it holds, with a
 * generous bound, never a fixed sleep (a timing guess is a flaky test).
 */

/**
 * Resolve once `check` holds; reject after `timeoutMs` naming `what`.
 *
 * @example
 * ```ts
 * await waitFor(() => received.length === 3, { what: 'three messages' });
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
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
