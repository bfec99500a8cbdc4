/**
 * The transaction-scoped advisory locks that order inline applies, taken in
 * one statement: a projection's (or set's) own lock — shared by applies,
 * exclusive for a rebuild's swap or a batch that reaches rows by scope — and
 * one exclusive lock per row a batch reads and writes back, so concurrent
 * flushes on different rows run side by side and those on one row take turns;
 * a shared one per row a batch only merges into (see `ProjectionHandler.merge`),
 * so merging flushes do not wait for each other, only for one that reads the row.
 */
import type { Row } from '../../core/row-change.js';
import { queueStatement, type SqlQueryable } from '../../core/sql-client.js';
import { rowKey } from './table-backend.js';

/** One lock of `takeAdvisoryLocks` (one statement takes a batch's locks). */
export interface AdvisoryLock {
  /**
   * Its name. Named locks are `hashtext(name)`, the ids earlier releases took
   * (so hosts of both versions exclude each other during a rolling deploy);
   * row locks are `hashtextextended(name, 0)` (64 bits: two rows practically
   * never share one).
   */
  readonly name: string;
  readonly mode: 'shared' | 'exclusive' | 'row' | 'row-shared';
}

/** The mode codes of the statement below. */
const MODE_CODES = { shared: 1, exclusive: 2, row: 3, 'row-shared': 4 } as const;

/**
 * In array order: unnest yields the rows in order and each CASE runs as its
 * row is scanned. The volatile lock calls keep the subquery's column alive.
 */
const TAKE_LOCKS = `SELECT count(*)::int AS taken FROM (
  SELECT CASE l.mode
           WHEN 1 THEN pg_advisory_xact_lock_shared(hashtext(l.name))
           WHEN 2 THEN pg_advisory_xact_lock(hashtext(l.name))
           WHEN 4 THEN pg_advisory_xact_lock_shared(hashtextextended(l.name, 0))
           ELSE pg_advisory_xact_lock(hashtextextended(l.name, 0))
         END AS locked
    FROM unnest($1::text[], $2::int4[]) AS l(name, mode)) AS taken`;

/**
 * Take `locks` until the end of `tx`, in their order, in one statement —
 * queued where the transaction pipelines, so it goes out with the read that
 * follows it (which still runs after the locks are held, with a snapshot of its own).
 * Callers keep one global order (named locks first, then rows sorted by name,
 * see {@link rowLocks}), so holders wait on each other but never deadlock.
 *
 * @example
 * ```ts
 * await takeAdvisoryLocks(tx, [{ name: 'app.stock', mode: 'shared' }, ...rowLocks('app.stock', ['sku'], keys)]);
 * ```
 */
export async function takeAdvisoryLocks(tx: SqlQueryable, locks: readonly AdvisoryLock[]): Promise<void> {
  if (locks.length === 0) return;
  await queueStatement(tx, TAKE_LOCKS, [locks.map((l) => l.name), locks.map((l) => MODE_CODES[l.mode])]);
}

/**
 * A lock's identity within a transaction (its mode and name), to tell which
 * of a list are held already.
 *
 * @example
 * ```ts
 * const held = new Set(before.map(lockId)); takeAdvisoryLocks(tx, later.filter((l) => !held.has(lockId(l))));
 * ```
 */
export function lockId(lock: AdvisoryLock): string {
  return `${lock.mode} ${lock.name}`;
}

/**
 * The row locks of `keys` of a table whose locks are named after `namespace`:
 * one per distinct key, sorted by name (the order every holder takes them in);
 * those of `merged` (rows only merged into) shared.
 *
 * @example
 * ```ts
 * rowLocks('app.stock', ['sku'], [{ sku: 'b' }, { sku: 'a' }]) // locks of 'app.stock#"a"', 'app.stock#"b"'
 * ```
 */
export function rowLocks(
  namespace: string,
  keyColumns: readonly string[],
  keys: Iterable<Row>,
  merged: Iterable<Row> = [],
): AdvisoryLock[] {
  const modes = new Map<string, AdvisoryLock['mode']>();
  for (const key of merged) modes.set(`${namespace}#${rowKey(keyColumns, key)}`, 'row-shared');
  // A row a batch reads is locked exclusively, whatever else the batch does with it.
  for (const key of keys) modes.set(`${namespace}#${rowKey(keyColumns, key)}`, 'row');
  // Code-unit order, the same in every process whatever its locale.
  return [...modes.keys()].sort().map((name) => ({ name, mode: modes.get(name)! }));
}
