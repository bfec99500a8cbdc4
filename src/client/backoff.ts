/**
 * Reconnect delays: exponential backoff with jitter, so a server restart is
 * not met by every client at the same instant.
 */

/**
 * Options of {@link backoffDelay}.
 *
 * @example
 * ```ts
 * connectRealtime({ url, channel: 'task_board', backoff: { initialMs: 500, maxMs: 30_000 } });
 * ```
 */
export interface BackoffOptions {
  /** First delay in ms. Default 500. */
  initialMs?: number;
  /** Largest delay in ms. Default 30,000. */
  maxMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Fraction of the delay that is random (0 = none, 1 = full jitter). Default 0.5. */
  jitter?: number;
}

/**
 * The delay before reconnect attempt `attempt` (0-based).
 *
 * @example
 * ```ts
 * backoffDelay(3, { initialMs: 100 }, () => 0) // 800 (no jitter drawn)
 * ```
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = options.initialMs ?? 500;
  const max = options.maxMs ?? 30_000;
  const factor = options.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
  const base = Math.min(max, initial * factor ** Math.max(0, attempt));
  return Math.round(base * (1 - jitter * random()));
}

/**
 * A `Retry-After` header (seconds or an HTTP date) in ms, or null.
 *
 * @example
 * ```ts
 * parseRetryAfter('5') // 5000
 * ```
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
