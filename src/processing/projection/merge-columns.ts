/**
 * Merge handlers: an event's change to a row given as a delta that combines
 * with the row column by column (a sum, a maximum, a minimum, the value of
 * the latest time), so changes commute. On SQL an inline batch writes such a
 * delta as `INSERT … ON CONFLICT DO UPDATE SET c = c + delta` without reading
 * the row first: concurrent appends on one row (a tenant's counters) hold its
 * lock only from that statement to COMMIT instead of from before their write.
 * Everywhere else (memory, an async processor, a rebuild's replay) the same
 * rules fold in JavaScript, to the same row.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { Row } from '../../core/row-change.js';
import { quoteIdent } from '../../core/sql-client.js';

/**
 * How a merge column combines a row's value with an event's:
 * - `'sum'`: added (a number; a new row starts at 0);
 * - `'max'` / `'min'`: the larger / smaller (numbers, or instants: `Date`s or
 *   ISO-8601 strings); `null` is no value;
 * - `{ latestBy: column }`: the value of the event whose `column` (itself
 *   merged with `'max'`) is latest; on a tie the greater value as text
 *   (code-unit order). A delta giving one of the two gives both.
 */
export type MergeOperation = 'sum' | 'max' | 'min' | { readonly latestBy: string };

/**
 * The merge of a handler: which columns its deltas change and how each
 * combines (see {@link MergeOperation}), and what a row it creates holds
 * besides its key and the delta.
 *
 * @example
 * ```ts
 * const merge: ProjectionMerge<{ page: string; visits: number; last_at: string }> = {
 *   columns: { visits: 'sum', last_at: 'max' },
 *   delta: (e) => ({ visits: 1, last_at: e.occurredAt }),
 * };
 * ```
 */
export interface ProjectionMerge<R extends Row = Row, E = never> {
  /** Merge columns and their operations. No key column. */
  readonly columns: { readonly [C in keyof R & string]?: MergeOperation };
  /**
   * The event's change: values of merge columns only (`undefined`/absent: no
   * change to that column). `null`/`undefined` for the whole: no change. Pure.
   */
  delta(event: E, key: Partial<R>): Partial<R> | null | undefined;
  /**
   * The other columns of a row a delta creates: constants, since whichever
   * event commits first creates the row (default none: the table's defaults
   * on SQL). No merge or key column.
   */
  readonly initial?: Partial<R>;
}

/** A validated merge, as handlers carry it. */
export type MergeSpec = ProjectionMerge<Row, never>;

/**
 * Check a merge's columns: operations known, no key column, `latestBy` naming
 * a `'max'` column, `initial` free of merge and key columns. Throws
 * {@link InvalidArgumentError}.
 *
 * @example
 * ```ts
 * checkMerge('job_stats', ['queue'], 'job.failed', { columns: { failures: 'sum' }, delta: () => ({ failures: 1 }) });
 * ```
 */
export function checkMerge(projection: string, key: readonly string[], type: string, merge: MergeSpec): void {
  const fail = (why: string) => {
    throw new InvalidArgumentError(`projection "${projection}": the merge of ${type} ${why}`);
  };
  const columns = Object.entries(merge.columns);
  if (columns.length === 0) fail('names no column');
  for (const [column, op] of columns) {
    if (key.includes(column)) fail(`merges the key column "${column}"`);
    if (op === 'sum' || op === 'max' || op === 'min') continue;
    const by = typeof op === 'object' && op !== null ? op.latestBy : undefined;
    if (typeof by !== 'string') fail(`has an unknown operation for "${column}"`);
    if (merge.columns[by!] !== 'max')
      fail(`takes "${column}" latest by "${by}", which is not merged with 'max'`);
  }
  for (const column of Object.keys(merge.initial ?? {})) {
    if (key.includes(column) || column in merge.columns)
      fail(`sets "${column}" in initial, a key or merge column`);
  }
}

/**
 * The delta `merge` gives `event`, checked: only merge columns, sums finite
 * numbers, each `latestBy` pair given together. `undefined` when it changes nothing.
 *
 * @example
 * ```ts
 * const delta = deltaOf('page_visits', merge, event, { page: '/home' }); // { visits: 1 }
 * ```
 */
export function deltaOf(projection: string, merge: MergeSpec, event: unknown, key: Row): Row | undefined {
  const raw = (merge.delta as (e: unknown, k: Row) => Row | null | undefined)(event, key);
  if (raw === null || raw === undefined) return undefined;
  const delta: Row = {};
  for (const column of Object.keys(raw)) {
    const value = raw[column];
    if (value === undefined) continue;
    const op = merge.columns[column];
    if (op === undefined) {
      throw new InvalidArgumentError(
        `projection "${projection}": a delta sets "${column}", not a merge column`,
      );
    }
    if (op === 'sum' && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw new InvalidArgumentError(
        `projection "${projection}": a delta adds ${String(value)} to "${column}"`,
      );
    }
    delta[column] = value;
  }
  for (const [column, op] of Object.entries(merge.columns)) {
    if (typeof op !== 'object') continue;
    if (
      (delta[column] === undefined || delta[column] === null) !==
      (delta[op.latestBy] === undefined || delta[op.latestBy] === null)
    ) {
      throw new InvalidArgumentError(
        `projection "${projection}": a delta gives one of "${column}" and "${op.latestBy}" without the other`,
      );
    }
  }
  return Object.keys(delta).length === 0 ? undefined : delta;
}

/**
 * `delta` combined into `current` (a row, or an earlier delta: combining is
 * associative and commutative). Returns the merge columns' new values only.
 *
 * @example
 * ```ts
 * mergeInto(merge, { visits: 2, last_at: '2026-01-01T00:00:00Z' }, { visits: 1 }) // { visits: 3, last_at: … }
 * ```
 */
export function mergeInto(merge: MergeSpec, current: Row | null, delta: Row): Row {
  const out: Row = {};
  for (const [column, op] of Object.entries(merge.columns)) {
    const was = current?.[column] ?? null;
    const add = delta[column] ?? null;
    if (op === 'sum') out[column] = Number(was ?? 0) + Number(add ?? 0);
    else if (op === 'max') out[column] = pick(was, add, (a, b) => compareValues(a, b) >= 0);
    else if (op === 'min') out[column] = pick(was, add, (a, b) => compareValues(a, b) <= 0);
    else {
      const by = op!.latestBy;
      const wasBy = current?.[by] ?? null;
      const addBy = delta[by] ?? null;
      const takes =
        add !== null &&
        (was === null ||
          wasBy === null ||
          (addBy !== null &&
            (compareValues(addBy, wasBy) > 0 ||
              (compareValues(addBy, wasBy) === 0 && String(add) > String(was)))));
      out[column] = takes ? add : was;
    }
  }
  return out;
}

/**
 * A new row: its key, `initial`, then the delta on nothing (sums from 0).
 *
 * @example
 * ```ts
 * newMergedRow(merge, { page: '/home' }, { visits: 1 }) // { page: '/home', visits: 1, last_at: null }
 * ```
 */
export function newMergedRow(merge: MergeSpec, key: Row, delta: Row): Row {
  return { ...merge.initial, ...mergeInto(merge, null, delta), ...key };
}

/**
 * The `SET` list of the upsert that merges `EXCLUDED` (the delta, as
 * {@link newMergedRow} fills it) into the stored row `t`, as {@link mergeInto} does.
 *
 * @example
 * ```ts
 * mergeAssignments(merge) // '"visits" = COALESCE(t."visits", 0) + EXCLUDED."visits", …'
 * ```
 */
export function mergeAssignments(merge: MergeSpec): string {
  return Object.entries(merge.columns)
    .map(([column, op]) => {
      const c = quoteIdent(column);
      if (op === 'sum') return `${c} = COALESCE(t.${c}, 0) + EXCLUDED.${c}`;
      if (op === 'max') return `${c} = GREATEST(t.${c}, EXCLUDED.${c})`;
      if (op === 'min') return `${c} = LEAST(t.${c}, EXCLUDED.${c})`;
      const b = quoteIdent(op!.latestBy);
      return `${c} = CASE WHEN EXCLUDED.${c} IS NOT NULL AND (t.${c} IS NULL OR t.${b} IS NULL
          OR EXCLUDED.${b} > t.${b}
          OR (EXCLUDED.${b} = t.${b} AND EXCLUDED.${c}::text COLLATE "C" > t.${c}::text COLLATE "C"))
        THEN EXCLUDED.${c} ELSE t.${c} END`;
    })
    .join(', ');
}

function pick(was: unknown, add: unknown, keepWas: (a: unknown, b: unknown) => boolean): unknown {
  if (add === null) return was;
  if (was === null) return add;
  return keepWas(was, add) ? was : add;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;

/** Numbers as numbers, instants (Date or ISO-8601 text) as instants, else text in code-unit order. */
function compareValues(a: unknown, b: unknown): number {
  const x = comparable(a);
  const y = comparable(b);
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  const s = String(x);
  const t = String(y);
  return s < t ? -1 : s > t ? 1 : 0;
}

function comparable(value: unknown): unknown {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') {
    if (ISO_INSTANT.test(value)) {
      const ms = Date.parse(value);
      if (!Number.isNaN(ms)) return ms;
    }
    if (value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  }
  return value;
}
