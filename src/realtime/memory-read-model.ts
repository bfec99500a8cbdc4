/**
 * An in-memory read model: keeps rows per table, emits a `RowChange` for
 * every write and answers snapshots consistently with what it emitted. For
 * tests, benchmarks and demos without a database.
 */
import { Subject, type Observable } from 'rxjs';
import { InvalidArgumentError } from '../core/errors.js';
import type { Row, RowChange } from '../core/row-change.js';
import { type LogCheckpoint, formatCheckpoint } from '../core/checkpoint.js';
import { type ChannelDefinition, keyIdOf, keyOf } from './channels.js';
import { type ParsedFilter, matchesFilter } from './filter.js';
import type { Snapshot, SnapshotPort } from './types.js';

/**
 * Rows per table with a change feed and a snapshot port.
 *
 * @example
 * ```ts
 * const model = new MemoryReadModel(channels);
 * const hub = createRealtimeHub({ channels, changes: model.changes, snapshot: model.snapshot });
 * model.upsert('order_metrics', { creator_id: 'c1', active_orders: 3 });
 * ```
 */
export class MemoryReadModel {
  readonly #channels = new Map<string, ChannelDefinition>();
  readonly #tables = new Map<string, Map<string, Row>>();
  readonly #changes = new Subject<RowChange>();
  #position = 0;

  constructor(channels: readonly ChannelDefinition[]) {
    for (const c of channels) {
      this.#channels.set(c.name, c);
      this.#tables.set(c.name, new Map());
    }
  }

  /** Every write, in order. */
  get changes(): Observable<RowChange> {
    return this.#changes.asObservable();
  }

  /** Position of the last write. */
  get checkpoint(): LogCheckpoint {
    return formatCheckpoint(1, this.#position);
  }

  /** Current rows of a table. */
  rows(table: string): Row[] {
    return [...(this.#tables.get(table)?.values() ?? [])];
  }

  #channel(table: string): ChannelDefinition {
    const channel = this.#channels.get(table);
    if (!channel) throw new InvalidArgumentError(`MemoryReadModel: unknown table ${table}`);
    return channel;
  }

  /** Insert or update a row (merged over the current one); emits the change. */
  upsert(table: string, row: Row): RowChange {
    const channel = this.#channel(table);
    const rows = this.#tables.get(table)!;
    const keyId = keyIdOf(channel, row);
    const oldRow = rows.get(keyId) ?? null;
    const newRow = { ...(oldRow ?? {}), ...row };
    rows.set(keyId, newRow);
    return this.#emit(table, keyOf(channel, newRow), oldRow ? 'UPDATE' : 'INSERT', newRow, oldRow);
  }

  /** Delete a row by key; emits the change (nothing when absent). */
  delete(table: string, key: Row): RowChange | null {
    const channel = this.#channel(table);
    const rows = this.#tables.get(table)!;
    const keyId = keyIdOf(channel, key);
    const oldRow = rows.get(keyId);
    if (!oldRow) return null;
    rows.delete(keyId);
    return this.#emit(table, keyOf(channel, oldRow), 'DELETE', null, oldRow);
  }

  #emit(
    table: string,
    key: Row,
    operation: RowChange['operation'],
    newRow: Row | null,
    oldRow: Row | null,
  ): RowChange {
    this.#position++;
    const change: RowChange = {
      table,
      key,
      operation,
      newRow,
      oldRow,
      position: this.#position,
      checkpoint: formatCheckpoint(1, this.#position),
    };
    this.#changes.next(change);
    return change;
  }

  /** The {@link SnapshotPort} of this model (asynchronous, like a database), with its `position`. */
  readonly snapshot: SnapshotPort = Object.assign(
    async (
      channel: ChannelDefinition,
      filter: ParsedFilter,
      tenantIds: readonly string[] | null,
    ): Promise<Snapshot> => {
      const ids = tenantIds === null ? null : new Set(tenantIds);
      const checkpoint = this.checkpoint;
      const rows = this.rows(channel.name).filter((r) => {
        const tenant = r[channel.tenantColumn];
        const inScope = ids === null ? tenant !== null && tenant !== undefined : ids.has(String(tenant));
        return inScope && matchesFilter(filter, r);
      });
      await Promise.resolve();
      return { rows, checkpoint };
    },
    { position: async (): Promise<LogCheckpoint> => this.checkpoint },
  );
}
