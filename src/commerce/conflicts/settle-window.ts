/**
 * Cutting an entity's waiting reports into anchored detection windows (the
 * default alignment; window-schedule.ts has both). A window opens
 * at the earliest waiting report (its anchor) and holds every report up to
 * `windowMs` after it; it closes `settleMs` after its end, the grace a late
 * report has to join it. What is left opens the next window. The cut depends
 * only on the reports' times, never on their arrival order.
 */
import type { StagedContender } from './contender-staging.js';

/**
 * The reports of the first window when it has closed by `nowMs`, else null.
 * `rows` are sorted by time (as the staging returns them).
 *
 * @example
 * ```ts
 * dueWindow(rows, Date.now(), 5_000, 1_000) // rows within 5 s of the first, once 6 s have passed
 * ```
 */
export function dueWindow(
  rows: readonly StagedContender[],
  nowMs: number,
  windowMs: number,
  settleMs: number,
): StagedContender[] | null {
  const first = rows[0];
  if (first === undefined) return null;
  const end = first.atMs + windowMs;
  if (nowMs < end + settleMs) return null;
  return rows.filter((r) => r.atMs <= end);
}
