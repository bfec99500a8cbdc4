// Formatting helpers of the dashboard (plain ES module, no build step).

const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

/** Cents → "$1,234.56". */
export const formatCents = (cents) => money.format((Number(cents) || 0) / 100);

/** An integer with thousands separators. */
export const formatInt = (n) => Math.round(Number(n) || 0).toLocaleString('en-US');

/** Milliseconds → "850 ms" / "1.4 s". */
export function formatMs(ms) {
  const n = Number(ms) || 0;
  return n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(1)} s`;
}

/** A health measurement by its name: `*_ms` durations, `*_rate` fractions as percent. */
export function formatReading(value, name) {
  if (name.endsWith('_ms')) return formatMs(value);
  if (name.endsWith('_rate')) return `${(Number(value) * 100).toFixed(1)}%`;
  return String(value);
}

/** "▲" / "▼" / "" for a change; `goodWhenUp` picks the colour. */
export function trend(current, previous, goodWhenUp = true) {
  if (previous === undefined || previous === null || current === previous) return { arrow: '', cls: '' };
  const up = current > previous;
  return { arrow: up ? '▲' : '▼', cls: up === goodWhenUp ? 'good' : 'bad' };
}
