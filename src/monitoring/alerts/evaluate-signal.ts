/**
 * Compute a rule's signal per group of its `by` labels from the history.
 */
import type { SeriesSnapshot } from '../metrics/metrics-registry.js';
import { bucketQuantile } from '../metrics/metrics-registry.js';
import type { Signal } from './alert-rule.js';
import { matchLabels } from './matchers.js';
import type { MetricHistory, Sample } from './metric-history.js';

/** A signal's value for one group. */
export interface GroupValue {
  labels: Record<string, string>;
  value: number;
}

const NO_LABELS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const groupOf = (labels: Record<string, string>, by: readonly string[]) => {
  // The common shapes (no grouping, one label) without building an array per series.
  if (by.length === 0) return { key: '', labels: NO_LABELS };
  if (by.length === 1) {
    const value = labels[by[0]!] ?? '';
    return { key: value, labels: { [by[0]!]: value } };
  }
  const picked: Record<string, string> = {};
  for (const b of by) picked[b] = labels[b] ?? '';
  return { key: by.map((b) => picked[b]).join('\u0000'), labels: picked };
};

function each(
  sample: Sample | undefined,
  signal: { of: { metric: string; labels?: Parameters<typeof matchLabels>[1] } },
  fn: (key: string, s: SeriesSnapshot) => void,
) {
  const series = sample?.metrics.get(signal.of.metric);
  if (!series) return;
  for (const [key, s] of series) if (matchLabels(s.labels, signal.of.labels)) fn(key, s);
}

/**
 * The signal's value per group (groups with no data are absent).
 *
 * @example
 * ```ts
 * evaluateSignal({ kind: 'rate', of: { metric: 'x_total' }, windowMs: 60_000 }, history, []);
 * ```
 */
export function evaluateSignal(
  signal: Signal,
  history: MetricHistory,
  by: readonly string[],
): Map<string, GroupValue> {
  const out = new Map<string, GroupValue>();
  const add = (labels: Record<string, string>, value: number, combine: (a: number, b: number) => number) => {
    const g = groupOf(labels, by);
    const seen = out.get(g.key);
    if (seen) seen.value = combine(seen.value, value);
    else out.set(g.key, { labels: g.labels, value });
  };
  const sum = (a: number, b: number) => a + b;
  const now = history.latest;
  switch (signal.kind) {
    case 'value': {
      const combine = signal.aggregate === 'max' ? Math.max : signal.aggregate === 'min' ? Math.min : sum;
      each(now, signal, (_k, s) => add(s.labels, s.value, combine));
      return out;
    }
    case 'increase':
    case 'rate': {
      const base = history.baseFor(signal.windowMs);
      const elapsed = now && base ? (now.t - base.t) / 1000 : 0;
      const before = base?.metrics.get(signal.of.metric);
      each(now, signal, (key, s) => {
        const old = base === now ? undefined : before?.get(key)?.value;
        // A series born inside the window counts from zero; a reset (restart) counts from zero too.
        const increase = old === undefined || s.value < old ? (base === now ? 0 : s.value) : s.value - old;
        add(s.labels, signal.kind === 'rate' ? (elapsed > 0 ? increase / elapsed : 0) : increase, sum);
      });
      return out;
    }
    case 'quantile': {
      const base = history.baseFor(signal.windowMs);
      const before = base === now ? undefined : base?.metrics.get(signal.of.metric);
      const counts = new Map<
        string,
        { labels: Record<string, string>; buckets: readonly number[]; counts: number[] }
      >();
      each(now, signal, (key, s) => {
        if (!s.histogram) return;
        const old = before?.get(key)?.histogram;
        const reset = old && old.count > s.histogram.count;
        const g = groupOf(s.labels, by);
        const acc = counts.get(g.key) ?? {
          labels: g.labels,
          buckets: s.histogram.buckets,
          counts: new Array<number>(s.histogram.counts.length).fill(0),
        };
        s.histogram.counts.forEach((c, i) => (acc.counts[i]! += c - (old && !reset ? old.counts[i]! : 0)));
        counts.set(g.key, acc);
      });
      for (const [key, acc] of counts) {
        const q = bucketQuantile(acc.buckets, acc.counts, signal.q);
        if (!Number.isNaN(q)) out.set(key, { labels: acc.labels, value: q });
      }
      return out;
    }
    case 'ratio': {
      const num = evaluateSignal(signal.numerator, history, by);
      const den = evaluateSignal(signal.denominator, history, by);
      for (const [key, d] of den) {
        if (d.value === 0) continue; // nothing happened: no ratio, no alert
        out.set(key, { labels: d.labels, value: (num.get(key)?.value ?? 0) / d.value });
      }
      return out;
    }
  }
}

/** The longest window a signal looks back. */
export function signalWindow(signal: Signal): number {
  switch (signal.kind) {
    case 'value':
      return 0;
    case 'ratio':
      return Math.max(signalWindow(signal.numerator), signalWindow(signal.denominator));
    default:
      return signal.windowMs;
  }
}
