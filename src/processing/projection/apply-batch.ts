/**
 * Fold a batch of events into a read-model table: load the rows the batch
 * touches in one read, run the handlers in log order in memory, write the net
 * result in one upsert and one delete, and report every change as a RowChange.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { Row, RowChange } from '../../core/row-change.js';
import type { StoredEvent } from '../../store/types.js';
import type { ProjectionDefinition } from './definition.js';
import { deltaOf, mergeInto, newMergedRow, type MergeSpec } from './merge-columns.js';
import { rowKey, rowMatches, type MergedRows, type TableBackend } from './table-backend.js';

/** One event on one row (`key`), or on every row its `scope` matches when it is folded. */
interface Touch {
  event: StoredEvent;
  key: Row;
  id: string;
  scope?: Row;
}

/**
 * Called once per batch that touches rows, before it reads any: `keys` are
 * the rows it reads and writes back, `scoped` whether it also reaches rows by
 * scope (which only an exclusive lock of the whole table keeps still),
 * `merged` the rows it only merges deltas into without reading them (see
 * `ProjectionHandler.merge`): their changes commute, so a shared lock keeps
 * out only batches that read them.
 */
export type LockRows = (keys: readonly Row[], scoped: boolean, merged: readonly Row[]) => Promise<void>;

/**
 * Apply `events` to `table`; returns the row changes in log order. Events
 * without a handler are skipped. `lockRows`, when given, runs before the
 * batch reads a row (inline applies lock what they read and write back).
 *
 * @example
 * ```ts
 * const changes = await applyProjectionBatch(orderTotals, new SqlTable(tx, schema, 'order_totals', ['creator_id']), events);
 * ```
 */
export async function applyProjectionBatch(
  definition: ProjectionDefinition,
  table: TableBackend,
  events: readonly StoredEvent[],
  lockRows?: LockRows,
): Promise<RowChange[]> {
  return startProjectionBatch(definition, table, events, lockRows).finish();
}

/** A batch whose rows are being locked and read; {@link StartedBatch.finish} folds and writes it. */
export interface StartedBatch {
  /** Run the handlers on the rows read, queue the writes; the row changes in log order. */
  finish(): Promise<RowChange[]>;
}

/**
 * The first half of {@link applyProjectionBatch}: lock and read the rows the
 * batch touches, without waiting for them. Batches of several tables started
 * one after the other lock in that order and have their reads in flight
 * together (one round trip where the transaction pipelines); finish them in
 * the same order.
 *
 * @example
 * ```ts
 * const levels = startProjectionBatch(levelsDef, levelsTable, events, lockLevels);
 * const syncs = startProjectionBatch(syncsDef, syncsTable, events, lockSyncs); // reads nothing of levels'
 * const changes = [...(await levels.finish()), ...(await syncs.finish())];
 * ```
 */
export function startProjectionBatch(
  definition: ProjectionDefinition,
  table: TableBackend,
  events: readonly StoredEvent[],
  lockRows?: LockRows,
): StartedBatch {
  const touches: Touch[] = [];
  const keys = new Map<string, Row>();
  const scopes: Row[] = [];
  // Rows some touch reads (an apply), against rows only merged into.
  const read = new Set<string>();
  for (const event of events) {
    const handler = definition.handlers[event.type];
    if (!handler) continue;
    const scope = handler.scope?.(event);
    if (scope) {
      scopes.push(scope);
      touches.push({ event, key: scope, id: '', scope });
      continue;
    }
    const raw = handler.key(event);
    if (raw === null || raw === undefined) continue;
    for (const key of Array.isArray(raw) ? (raw as Row[]) : [raw as Row]) {
      for (const column of definition.key) {
        if (key[column] === undefined || key[column] === null) {
          throw new InvalidArgumentError(
            `projection "${definition.name}": key of ${event.type} at ${event.checkpoint} lacks "${column}"`,
          );
        }
      }
      const id = rowKey(definition.key, key);
      keys.set(id, key);
      if (!handler.merge) read.add(id);
      touches.push({ event, key, id });
    }
  }
  if (touches.length === 0) return { finish: async () => [] };
  // Merged in the database where the table can (and no scope could reach them): not read.
  const mergedKeys = new Map<string, Row>();
  if (table.merge && scopes.length === 0) {
    for (const [id, key] of keys) if (!read.has(id)) mergedKeys.set(id, key);
    for (const id of mergedKeys.keys()) keys.delete(id);
  }
  const rows = (async () => {
    await lockRows?.([...keys.values()], scopes.length > 0, [...mergedKeys.values()]);
    // A scope reaches the rows stored now and those the batch creates before it.
    for (const scope of scopes) {
      if (!table.keysWhere) {
        throw new InvalidArgumentError(
          `projection "${definition.name}": its table cannot look rows up by scope`,
        );
      }
      for (const key of await table.keysWhere(scope)) keys.set(rowKey(definition.key, key), key);
    }
    return keys.size > 0 ? table.load([...keys.values()]) : new Map<string, Row>();
  })();
  // Awaited by finish(); a batch never finished (an earlier one failed) must not reject unheard.
  rows.catch(() => undefined);
  return { finish: async () => foldRead(definition, table, touches, keys, await rows, mergedKeys) };
}

/** The second half: the handlers in log order on the rows read, then one write. */
async function foldRead(
  definition: ProjectionDefinition,
  table: TableBackend,
  touches: readonly Touch[],
  keys: ReadonlyMap<string, Row>,
  original: Map<string, Row>,
  mergedKeys: ReadonlyMap<string, Row>,
): Promise<RowChange[]> {
  const current = new Map<string, Row | null>();
  const rowOf = (id: string): Row | null => (current.has(id) ? current.get(id)! : (original.get(id) ?? null));
  const changes: RowChange[] = [];
  const recreated = new Set<string>();

  // Rows merged in the database: each merge's deltas combined, and the change they will report.
  const merges = new Map<MergeSpec, Map<string, { key: Row; delta: Row; change: RowChange }>>();
  const step = (event: StoredEvent, key: Row, id: string): void => {
    const handler = definition.handlers[event.type]!;
    const merge = handler.merge as MergeSpec | undefined;
    if (merge && mergedKeys.has(id)) {
      const delta = deltaOf(definition.name, merge, event, key);
      if (delta === undefined) return;
      let rows = merges.get(merge);
      if (!rows) merges.set(merge, (rows = new Map()));
      const pending = rows.get(id);
      if (!pending) {
        const change = rowChange(definition.table, key, 'UPDATE', { ...delta, ...key }, null, event);
        rows.set(id, { key, delta, change });
        changes.push(change);
      } else {
        pending.delta = mergeInto(merge, pending.delta, delta);
        pending.change.position = event.globalPosition;
        pending.change.checkpoint = event.checkpoint;
      }
      return;
    }
    const before = rowOf(id);
    const result = merge
      ? mergedResult(definition.name, merge, before, event, key)
      : handler.apply!(before, event, key);
    if (result === undefined) return;
    if (result === null) {
      if (before === null) return;
      current.set(id, null);
      recreated.add(id); // a later insert of this key must replace the row, not merge into it
      changes.push(rowChange(definition.table, key, 'DELETE', null, before, event));
      return;
    }
    const after: Row = Object.assign({}, before, result, key);
    current.set(id, after);
    changes.push(
      rowChange(definition.table, key, before === null ? 'INSERT' : 'UPDATE', after, before, event),
    );
  };

  for (const { event, key, id, scope } of touches) {
    if (!scope) {
      step(event, key, id);
      continue;
    }
    const matching = [...keys.keys()].filter((k) => {
      const row = rowOf(k);
      return row !== null && rowMatches(row, scope);
    });
    for (const k of matching.sort()) step(event, keys.get(k)!, k);
  }

  const upserts: Row[] = [];
  const deletes: Row[] = [];
  // Rows updated in place (read above, in this transaction): the backend may write only what changed.
  const stored = new Map<string, Row>();
  for (const [id, row] of current) {
    if (row !== null) upserts.push(row);
    // Deletes run before upserts, so a key deleted and inserted again is written fresh.
    if ((row === null || recreated.has(id)) && original.has(id)) deletes.push(keys.get(id)!);
    else if (row !== null && original.has(id)) stored.set(id, original.get(id)!);
  }
  if (upserts.length > 0 || deletes.length > 0) await table.write({ upserts, deletes, stored });
  for (const [merge, rows] of merges) {
    const pending = [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    // Its rows are not waited for: where the transaction pipelines they come back with
    // COMMIT. The changes are published after the commit, by when they are filled in.
    const sent = await table.merge!(
      merge,
      pending.map(([, p]) => newMergedRow(merge, p.key, p.delta)),
    );
    const reported = sent.rows
      .then(
        (merged) => reportMerged(pending, merged),
        () => undefined, // the transaction fails with it
      )
      .finally(() => {
        for (const [, p] of pending) mergesInFlight.delete(p.change);
        merging -= pending.length;
      });
    for (const [, p] of pending) mergesInFlight.set(p.change, reported);
    merging += pending.length;
  }
  return changes;
}

/** The changes of rows merged in the database, until their rows have come back, and how many. */
const mergesInFlight = new WeakMap<RowChange, Promise<void>>();
let merging = 0;

/**
 * Run `publish` once every change of `changes` is complete: at once, or, where
 * a change is of a row merged in the database whose answer is still on its
 * way (it comes before COMMIT's), once it has come.
 *
 * @example
 * ```ts
 * return () => whenRowsKnown(changes, () => changes.forEach((c) => subject.next(c)));
 * ```
 */
export function whenRowsKnown(changes: readonly RowChange[], publish: () => void): void {
  // The usual case (no merge answer outstanding anywhere): no lookup per change.
  if (merging === 0) return publish();
  let pending: Promise<void>[] | undefined;
  for (const change of changes) {
    const merged = mergesInFlight.get(change);
    if (merged) (pending ??= []).push(merged);
  }
  if (!pending) return publish();
  void Promise.all(pending).then(publish);
}

/** A merge handler's result on a row read here (memory, a processor, a replay, a guarded table). */
function mergedResult(
  projection: string,
  merge: MergeSpec,
  before: Row | null,
  event: StoredEvent,
  key: Row,
): Row | undefined {
  const delta = deltaOf(projection, merge, event, key);
  if (delta === undefined) return undefined;
  return before === null ? newMergedRow(merge, key, delta) : mergeInto(merge, before, delta);
}

/** The rows before and after a merge, into the changes reported for them. */
function reportMerged(pending: readonly [string, { change: RowChange }][], merged: MergedRows): void {
  for (const [id, { change }] of pending) {
    const before = merged.before.get(id) ?? null;
    change.oldRow = before;
    change.operation = before === null ? 'INSERT' : 'UPDATE';
    change.newRow = merged.after.get(id) ?? change.newRow;
  }
}

/** One literal per change: spreading a shared base object here cost ~25 µs per event in V8. */
function rowChange(
  table: string,
  key: Row,
  operation: RowChange['operation'],
  newRow: Row | null,
  oldRow: Row | null,
  event: StoredEvent,
): RowChange {
  return {
    table,
    key,
    operation,
    newRow,
    oldRow,
    position: event.globalPosition,
    checkpoint: event.checkpoint,
  };
}
