/**
 * Shared benchmark helpers: percentiles, medians, peak memory and JSON-line output.
 * Every benchmark prints one JSON object per line, each with a `name`.
 */
import { appendFileSync } from 'node:fs';

/** The p-th percentile (0–100) of `values`, by nearest rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** The median of `values`. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** p50/p95/p99 of latencies in ms, rounded to 0.01 ms. */
export function latencySummary(latenciesMs: readonly number[]): {
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
} {
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    p50_ms: round(percentile(latenciesMs, 50)),
    p95_ms: round(percentile(latenciesMs, 95)),
    p99_ms: round(percentile(latenciesMs, 99)),
  };
}

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 50);
sampler.unref();

/** Peak resident set size of this process so far, in MB. */
export function peakRssMb(): number {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  return Math.round((peakRss / 1024 / 1024) * 10) / 10;
}

/**
 * Print one result line, adding peak RSS when absent. Under
 * `npm run bench -- <name> --record`, run.ts names a results file in
 * BENCH_RECORD_FILE and the line is kept there too (the figures of record the
 * charts are drawn from).
 */
export function emit(result: { name: string } & Record<string, unknown>): void {
  const line = `${JSON.stringify({ ...result, peak_rss_mb: result.peak_rss_mb ?? peakRssMb() })}\n`;
  process.stdout.write(line);
  const record = process.env.BENCH_RECORD_FILE;
  if (record) appendFileSync(record, line);
}

/** Run `fn` `runs` times and return the run whose `key` is the median. */
export async function medianOf<T extends Record<string, number>>(
  runs: number,
  key: keyof T,
  fn: (run: number) => Promise<T>,
): Promise<T & { runs: number }> {
  const results: T[] = [];
  for (let i = 0; i < runs; i++) results.push(await fn(i));
  results.sort((a, b) => (a[key] as number) - (b[key] as number));
  return { ...results[Math.floor(results.length / 2)]!, runs };
}

/** High-resolution now in ms. */
export const nowMs = (): number => performance.now();

/** `n` rounded to `digits` decimals, for the JSON lines. */
export const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** A small deterministic PRNG (mulberry32): every run generates the same workload. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
