/**
 * The snapshot port on PostgreSQL / PGlite: selects a subscription's rows
 * from the read-model table (allow-listed columns, bound parameters) and the
 * projection checkpoint, in one REPEATABLE READ transaction so both reflect
 * the same moment.
 */
import { type SqlClient, type SqlQueryable, pgErrorCode, quoteIdent } from '../core/sql-client.js';
import { InvalidFilterError, InvalidSelectError } from './errors.js';
import { snapshotColumns } from './select.js';
import type { LogCheckpoint } from '../core/checkpoint.js';
import type { ChannelDefinition } from './channels.js';
import type { ParsedFilter } from './filter.js';
import { filterToSql } from './filter-sql.js';
import type { Snapshot, SnapshotPort } from './types.js';

/** SQLSTATE of a column the table does not have. */
const UNDEFINED_COLUMN = '42703';
/** SQLSTATE of an operator the column's type lacks (`json = …`, `point < …`). */
const UNDEFINED_FUNCTION = '42883';

/** Reads the log position a channel's read model reflects, inside the snapshot's transaction. */
export type CheckpointReader = (tx: SqlQueryable, channel: ChannelDefinition) => Promise<LogCheckpoint>;

/**
 * Options of {@link createSqlSnapshot}.
 *
 * @example
 * ```ts
 * const snapshot = createSqlSnapshot(sql, {
 *   schema: 'app',
 *   checkpoint: readProcessorCheckpoint('app', (channel) => `projection:${channel.name}`),
 *   maxRows: 5_000,
 * });
 * ```
 */
export interface SqlSnapshotOptions {
  /** Schema of the read-model tables. */
  schema: string;
  /** The position of the read model (processing's `readProcessorCheckpoint` on a processor-built one). */
  checkpoint: CheckpointReader;
  /**
   * For a channel whose rows change in the writers' own transactions (an
   * inline read model, which no processor's checkpoint describes): the log
   * position to give its snapshots, read before the snapshot's transaction
   * starts, so every change up to it is in the rows (a later one may be too,
   * and is sent again). `undefined` for a channel `checkpoint` describes.
   */
  positionBefore?: (channel: ChannelDefinition) => Promise<LogCheckpoint> | undefined;
  /** Most rows a snapshot returns. Default 10,000. */
  maxRows?: number;
}

/**
 * A {@link SnapshotPort} on an {@link SqlClient}. Its `position` reads the
 * same checkpoint without the rows: a resume cursor past it was not handed out
 * by this database's read model and gets a snapshot.
 *
 * @example
 * ```ts
 * const snapshot = createSqlSnapshot(sql, { schema: 'app', checkpoint: readProcessorCheckpoint('app', (c) => c.name) });
 * ```
 */
export function createSqlSnapshot(sql: SqlClient, options: SqlSnapshotOptions): SnapshotPort {
  const maxRows = options.maxRows ?? 10_000;
  const take = (
    channel: ChannelDefinition,
    filter: ParsedFilter,
    tenantIds: readonly string[] | null,
    select?: readonly string[],
  ): Promise<Snapshot> =>
    Promise.resolve(options.positionBefore?.(channel))
      .then((before) =>
        sql.transaction(async (tx) => {
          await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
          const checkpoint = before ?? (await options.checkpoint(tx, channel));
          const where = filterToSql(channel, filter, tenantIds);
          // A selective subscription reads only what it is sent and re-checked on; naming the
          // columns also makes the database refuse one the table lacks (42703, below).
          const names = select ? snapshotColumns(channel, filter, select) : channel.columns;
          const columns = names ? names.map(quoteIdent).join(', ') : '*';
          const orderBy = channel.keyColumns.map(quoteIdent).join(', ');
          const table = `${quoteIdent(options.schema)}.${quoteIdent(channel.table ?? channel.name)}`;
          const { rows } = await tx.query<Record<string, unknown>>(
            `SELECT ${columns} FROM ${table} WHERE ${where.text} ORDER BY ${orderBy} LIMIT ${Number(maxRows)}`,
            where.params,
          );
          return { rows, checkpoint };
        }),
      )
      .catch((err: unknown) => {
        if (select && pgErrorCode(err) === UNDEFINED_COLUMN) {
          const missing = select.find((c) => String((err as Error).message).includes(`"${c}"`));
          throw new InvalidSelectError(channel.name, missing ?? select.join(','), { cause: err });
        }
        // Class 22 (data exception, e.g. 22P02 "abc" for an integer): a filter value the column
        // cannot hold, on a channel that declares no column types. Bad input, not an outage.
        if (pgErrorCode(err)?.startsWith('22')) {
          throw new InvalidFilterError(filter.text, 'a value does not fit its column', { cause: err });
        }
        // Only the filter adds operators to the query: a column type without them cannot be filtered on.
        if (filter.conditions.length > 0 && pgErrorCode(err) === UNDEFINED_FUNCTION) {
          throw new InvalidFilterError(filter.text, 'a column cannot be compared with this operator', {
            cause: err,
          });
        }
        throw err;
      });
  return Object.assign(take, {
    position: (channel: ChannelDefinition): Promise<LogCheckpoint> =>
      options.positionBefore?.(channel) ?? options.checkpoint(sql, channel),
  });
}
