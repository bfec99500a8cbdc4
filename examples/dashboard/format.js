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

/** Hours → "45 s" / "12 min" / "3.5 h"; "–" when unknown. */
export function formatHours(hours) {
  if (hours === null || hours === undefined || !Number.isFinite(Number(hours))) return '–';
  const s = Number(hours) * 3600;
  if (s < 90) return `${Math.max(0, Math.round(s))} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** A health reading with its unit. */
export function formatReading(value, unit) {
  if (unit.endsWith('_ms')) return formatMs(value);
  if (unit.endsWith('_pct')) return `${Number(value).toFixed(1)}%`;
  return String(value);
}

/** "▲" / "▼" / "" for a change; `goodWhenUp` picks the colour. */
export function trend(current, previous, goodWhenUp = true) {
  if (previous === undefined || previous === null || current === previous) return { arrow: '', cls: '' };
  const up = current > previous;
  return { arrow: up ? '▲' : '▼', cls: up === goodWhenUp ? 'good' : 'bad' };
}
