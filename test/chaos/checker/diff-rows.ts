/**
 * Row-set comparison by key with the realtime layer's value canonicalisation
 * (a numeric column may be `12.5` on one side and `'12.50'` on the other, a
 * timestamp a `Date` or its ISO text): a copy equals the source when the
 * same keys hold the same canonical values.
 */
import type { Row } from '../../../src/core/row-change.js';
import { canonicalValue } from '../../../src/realtime/values.js';

/** How two row sets differ (keys as JSON of the key columns' canonical values). */
export interface RowDiff {
  /** Keys the source has and the copy lacks. */
  missing: string[];
  /** Keys the copy has and the source lacks. */
  extra: string[];
  /** Keys present in both with different values: the first differing column of each. */
  different: { key: string; column: string; copy: string | null; source: string | null }[];
}

/** True when the diff is empty. */
export const sameRows = (diff: RowDiff): boolean =>
  diff.missing.length === 0 && diff.extra.length === 0 && diff.different.length === 0;

/** JSON with object keys sorted: jsonb returns keys in its own order, a delta in the writer's. */
function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const obj = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(obj)
      .sort()
      .map((k) => [k, stable(obj[k])]),
  );
}

const canonical = (value: unknown): string | null => canonicalValue(stable(value));

const keyOf = (row: Row, keyColumns: readonly string[]): string =>
  JSON.stringify(keyColumns.map((c) => canonical(row[c])));

/**
 * Compare `copy` against `source`; columns compared are the source's.
 *
 * @example
 * ```ts
 * const diff = diffRows(client.table.rows(), snapshot.rows, ['creator_id']);
 * ```
 */
export function diffRows(
  copy: readonly Row[],
  source: readonly Row[],
  keyColumns: readonly string[],
): RowDiff {
  const diff: RowDiff = { missing: [], extra: [], different: [] };
  const copies = new Map(copy.map((r) => [keyOf(r, keyColumns), r]));
  for (const row of source) {
    const key = keyOf(row, keyColumns);
    const other = copies.get(key);
    copies.delete(key);
    if (!other) {
      diff.missing.push(key);
      continue;
    }
    for (const column of Object.keys(row)) {
      const a = canonical(other[column]);
      const b = canonical(row[column]);
      if (a !== b) {
        diff.different.push({ key, column, copy: a, source: b });
        break;
      }
    }
  }
  diff.extra.push(...copies.keys());
  return diff;
}
