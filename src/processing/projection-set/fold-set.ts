/**
 * Folding a batch through the tables of a set in order, where a later table
 * may fold the row changes of earlier ones as `row:<table>` pseudo-events.
 */
import type { RowChange } from '../../core/row-change.js';
import type { StoredEvent } from '../../store/types.js';
import { startProjectionBatch, type LockRows, type StartedBatch } from '../projection/apply-batch.js';
import type { ProjectionDefinition } from '../projection/definition.js';
import type { TableBackend } from '../projection/table-backend.js';

/**
 * The pseudo-event type carrying the row changes of `table`.
 *
 * @example
 * ```ts
 * const handlers = { [rowEventType('orders')]: { key: (e) => ({ shop_id: rowChangeOf(e).key['shop_id'] }), apply } };
 * ```
 */
export function rowEventType(table: string): string {
  return `row:${table}`;
}

/**
 * The row change a `row:<table>` pseudo-event carries.
 *
 * @example
 * ```ts
 * const { oldRow, newRow } = rowChangeOf(event);
 * ```
 */
export function rowChangeOf(event: StoredEvent): RowChange {
  return event.data as RowChange;
}

/**
 * Apply `definitions` in order to `anchors` and to the pseudo-events of
 * earlier tables' changes (`derived`, by the position of the event they are
 * attributed to; seeded by the caller, extended here). Returns every change.
 * `lockRowsOf(table)` locks the rows of a table before they are read (in
 * table order, so the set's row locks are taken in one global order).
 * Consecutive tables that fold none of each other's row changes have their
 * locks and reads sent together (one round trip in a pipelining transaction
 * instead of one per table): a row lock is then held for fewer round trips
 * before COMMIT.
 */
export async function foldSet(
  definitions: readonly ProjectionDefinition[],
  anchors: readonly StoredEvent[],
  derived: Map<number, StoredEvent[]>,
  tableOf: (table: string) => TableBackend,
  lockRowsOf?: (table: string) => LockRows,
): Promise<RowChange[]> {
  const all: RowChange[] = [];
  const causes = new Map(anchors.map((e) => [e.globalPosition, e]));
  for (const group of independentRuns(definitions)) {
    const started: StartedBatch[] = [];
    for (const def of group) {
      const input: StoredEvent[] = [];
      for (const event of anchors) {
        input.push(event);
        const more = derived.get(event.globalPosition);
        if (more) input.push(...more);
      }
      started.push(startProjectionBatch(def, tableOf(def.table), input, lockRowsOf?.(def.table)));
    }
    for (const batch of started) {
      const changes = await batch.finish();
      for (const change of changes) {
        const pseudo: StoredEvent = {
          ...causes.get(change.position)!,
          type: rowEventType(change.table),
          data: change,
        };
        const list = derived.get(change.position);
        if (list) list.push(pseudo);
        else derived.set(change.position, [pseudo]);
      }
      all.push(...changes);
    }
  }
  return all;
}

/**
 * `definitions` cut, in order, into runs in which no table folds another's row changes.
 *
 * @example
 * ```ts
 * independentRuns([orders, stock, revenue]) // [[orders, stock], [revenue]] (revenue folds row:orders)
 * ```
 */
export function independentRuns(definitions: readonly ProjectionDefinition[]): ProjectionDefinition[][] {
  const runs: ProjectionDefinition[][] = [];
  let run: ProjectionDefinition[] = [];
  let tables = new Set<string>();
  for (const def of definitions) {
    const folds = Object.keys(def.handlers).some((type) =>
      [...tables].some((table) => type === rowEventType(table)),
    );
    if (folds) {
      runs.push(run);
      run = [];
      tables = new Set();
    }
    run.push(def);
    tables.add(def.table);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}
