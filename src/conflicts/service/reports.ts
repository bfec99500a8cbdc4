/**
 * Reports over audit records (pure): conflicts per hour or day with a trend,
 * automatic vs manual resolution rates, business impact.
 */
import type { ConflictRecord } from './audit/audit-record.js';
import type { ConflictImpact, ConflictKind } from '../types.js';

/**
 * Report bucket sizes.
 *
 * @example
 * ```ts
 * REPORT_BUCKETS.includes(query.bucket); // 'hour' | 'day'
 * ```
 */
export const REPORT_BUCKETS = ['hour', 'day'] as const;
/** One of {@link REPORT_BUCKETS}. */
export type ReportBucket = (typeof REPORT_BUCKETS)[number];

/** Conflicts detected in one bucket. */
export interface ReportBucketRow {
  /** ISO start of the bucket (UTC). */
  start: string;
  conflicts: number;
  automatic: number;
  manual: number;
  pending: number;
}

/** A conflict report. */
export interface ConflictReport {
  from: string;
  to: string;
  bucket: ReportBucket;
  /** Every bucket of the range, empty ones included, oldest first. */
  buckets: ReportBucketRow[];
  total: number;
  /** Resolved without a person. */
  automatic: number;
  /** Decided by an admin. */
  manual: number;
  /** Waiting for an admin. */
  pending: number;
  /** automatic / total (0 when there were none). */
  automaticRate: number;
  /** (manual + pending) / total (0 when there were none). */
  manualRate: number;
  /** Least-squares slope of conflicts per bucket, and its direction. */
  trend: { slopePerBucket: number; direction: 'rising' | 'falling' | 'flat' };
  /** Conflicts per kind: the configuration's kinds first (zero included, in its order), then any other seen. */
  byKind: Record<ConflictKind, number>;
  /** Per impact figure (`ConflictConfig.impact`), its sum over the conflicts. */
  impact: ConflictImpact;
  /** Mean detection-to-resolution time of resolved conflicts, ms (null when none). */
  meanResolutionMs: number | null;
}

const BUCKET_MS: Record<ReportBucket, number> = { hour: 3_600_000, day: 86_400_000 };

/**
 * Build a report from audit records detected in [from, to). `impactFigures`
 * (the names of the configuration's impact estimators) and `kinds` (its
 * `ConflictConfig.kinds`) are reported even when no record has them.
 *
 * @example
 * ```ts
 * const report = buildConflictReport(await audit.list({ from, to }), { from, to, bucket: 'hour' });
 * console.log(report.automaticRate, report.trend.direction);
 * ```
 */
export function buildConflictReport(
  records: readonly ConflictRecord[],
  options: {
    from: Date;
    to: Date;
    bucket: ReportBucket;
    impactFigures?: readonly string[];
    kinds?: readonly ConflictKind[];
  },
): ConflictReport {
  const size = BUCKET_MS[options.bucket];
  const first = Math.floor(options.from.getTime() / size) * size;
  const end = options.to.getTime();
  const buckets: ReportBucketRow[] = [];
  for (let t = first; t < end; t += size) {
    buckets.push({ start: new Date(t).toISOString(), conflicts: 0, automatic: 0, manual: 0, pending: 0 });
  }
  const byKind: Record<ConflictKind, number> = Object.fromEntries((options.kinds ?? []).map((k) => [k, 0]));
  const totals = { automatic: 0, manual: 0, pending: 0 };
  const impact: ConflictImpact = Object.fromEntries((options.impactFigures ?? []).map((f) => [f, 0]));
  let resolvedCount = 0;
  let resolvedMs = 0;
  let total = 0;
  for (const r of records) {
    const t = Date.parse(r.detectedAt);
    if (t < options.from.getTime() || t >= end) continue;
    total += 1;
    const row = buckets[Math.floor((t - first) / size)]!;
    row.conflicts += 1;
    const kind =
      r.status === 'resolved' ? 'automatic' : r.status === 'manually_resolved' ? 'manual' : 'pending';
    row[kind] += 1;
    totals[kind] += 1;
    byKind[r.resolution.kind] = (byKind[r.resolution.kind] ?? 0) + 1;
    for (const [figure, value] of Object.entries(r.resolution.impact))
      impact[figure] = (impact[figure] ?? 0) + value;
    if (r.resolutionMs !== null) {
      resolvedCount += 1;
      resolvedMs += r.resolutionMs;
    }
  }
  const slope = leastSquaresSlope(buckets.map((b) => b.conflicts));
  return {
    from: options.from.toISOString(),
    to: options.to.toISOString(),
    bucket: options.bucket,
    buckets,
    total,
    ...totals,
    automaticRate: total === 0 ? 0 : totals.automatic / total,
    manualRate: total === 0 ? 0 : (totals.manual + totals.pending) / total,
    trend: { slopePerBucket: slope, direction: slope > 1e-9 ? 'rising' : slope < -1e-9 ? 'falling' : 'flat' },
    byKind,
    impact,
    meanResolutionMs: resolvedCount === 0 ? null : resolvedMs / resolvedCount,
  };
}

function leastSquaresSlope(ys: readonly number[]): number {
  const n = ys.length;
  if (n < 2) return 0;
  const meanX = (n - 1) / 2;
  const meanY = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  return num / den;
}
