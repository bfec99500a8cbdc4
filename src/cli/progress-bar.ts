/**
 * Rendering a rebuild's progress as a one-line bar.
 */
import type { RebuildProgress } from '../processing/projection/rebuild.js';

/**
 * One line: name, bar, percent, done/total, rate and ETA.
 *
 * @example
 * ```ts
 * renderProgressBar({ projection: 'stock', phase: 'replaying', done: 50, total: 100, ratePerSecond: 25, etaMs: 2000, checkpoint: '1:50' }, 10)
 * // 'stock [#####-----]  50% 50/100 events  25 ev/s  ETA 2s'
 * ```
 */
export function renderProgressBar(progress: RebuildProgress, width = 30): string {
  const fraction =
    progress.total > 0 ? Math.min(1, progress.done / progress.total) : progress.phase === 'done' ? 1 : 0;
  const filled = Math.round(fraction * width);
  const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const count = `${progress.done.toLocaleString('en-US')}/${progress.total.toLocaleString('en-US')} events`;
  const rate = `${Math.round(progress.ratePerSecond).toLocaleString('en-US')} ev/s`;
  const tail =
    progress.phase === 'swapping'
      ? 'swapping'
      : progress.phase === 'done'
        ? 'done'
        : `ETA ${formatEta(progress.etaMs)}`;
  return `${progress.projection} [${bar}] ${percent} ${count}  ${rate}  ${tail}`;
}

/**
 * A short duration: `'45s'`, `'3m 05s'`, `'?'` when unknown.
 *
 * @example
 * ```ts
 * formatEta(185_000) // '3m 05s'
 * ```
 */
export function formatEta(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '?';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}
