/**
 * Deltas: what a subscriber is sent about one row. Pure functions: diff two
 * rows, merge two deltas of one key, apply a delta to a client-side table.
 *
 * Client semantics (what makes merging and replay safe):
 * `INSERT` replaces the whole row, `UPDATE` merges fields into the row,
 * `DELETE` removes it (and is harmless when the row is absent); an `UPDATE`
 * of an absent row is ignored.
 */
import type { Row, RowOperation } from './row-change.js';

/** One row change as sent: op, key columns, and the changed (or, for INSERT, all) fields. */
export interface Delta {
  op: RowOperation;
  key: Row;
  fields: Row;
}

/** A delta on the wire: `[op, key, fields]`. */
export type DeltaTuple = [op: RowOperation, key: Row, fields: Row];

/** Structural equality of JSON-like values (dates by time). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The fields of `next` that differ from `prev` (columns dropped from `next` become null).
 *
 * @example
 * ```ts
 * diffRows({ a: 1, b: 2 }, { a: 1, b: 3 }) // { b: 3 }
 * ```
 */
export function diffRows(prev: Row, next: Row): Row {
  const changed: Row = {};
  for (const [k, v] of Object.entries(next)) if (!sameValue(prev[k], v)) changed[k] = v;
  for (const k of Object.keys(prev)) if (!(k in next)) changed[k] = null;
  return changed;
}

/**
 * Merge two deltas of the same key, `later` after `earlier`, so that applying
 * the result equals applying both in order.
 *
 * @example
 * ```ts
 * mergeDeltas({ op: 'INSERT', key, fields: { a: 1 } }, { op: 'UPDATE', key, fields: { a: 2 } })
 * // { op: 'INSERT', key, fields: { a: 2 } }
 * ```
 */
export function mergeDeltas(earlier: Delta, later: Delta): Delta {
  if (later.op !== 'UPDATE') return later;
  // An UPDATE cannot resurrect a deleted row (see applyDelta), so the DELETE stands.
  if (earlier.op === 'DELETE') return earlier;
  return { op: earlier.op, key: later.key, fields: { ...earlier.fields, ...later.fields } };
}

/**
 * Apply a delta to a client-side table keyed by `keyId`.
 *
 * @example
 * ```ts
 * applyDelta(rows, JSON.stringify(['c1']), { op: 'UPDATE', key: { creator_id: 'c1' }, fields: { active_orders: 4 } });
 * ```
 */
export function applyDelta(rows: Map<string, Row>, keyId: string, delta: Delta): void {
  if (delta.op === 'DELETE') rows.delete(keyId);
  else if (delta.op === 'INSERT') rows.set(keyId, { ...delta.key, ...delta.fields });
  else {
    const current = rows.get(keyId);
    // Changed fields alone are not a row: an UPDATE of an absent row is ignored.
    if (current) rows.set(keyId, { ...current, ...delta.fields });
  }
}

/** Wire form of a delta. */
export function toTuple(delta: Delta): DeltaTuple {
  return [delta.op, delta.key, delta.fields];
}

/** Delta from its wire form. */
export function fromTuple([op, key, fields]: DeltaTuple): Delta {
  return { op, key, fields };
}
