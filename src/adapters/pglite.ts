/**
 * `@creatorflow/sync/pglite`: the SQL port over an embedded PGlite database.
 */
import type { SqlClient, SqlResult, SqlTransaction } from '../core/sql-client.js';
import { fromDatabase } from '../core/sql-errors.js';

/** What a PGlite `query` resolves to (the part the adapter reads). */
export interface PgliteResults {
  rows: unknown[];
  affectedRows?: number;
}

/** The subset of a PGlite transaction this adapter uses. */
export interface PgliteTransactionLike {
  query(text: string, params?: unknown[]): Promise<PgliteResults>;
  exec(text: string): Promise<unknown>;
  rollback(): Promise<void>;
  readonly closed: boolean;
}

/** The subset of a `PGlite` instance this adapter uses (declared, so the core never imports PGlite). */
export interface PgliteLike {
  query(text: string, params?: unknown[]): Promise<PgliteResults>;
  exec(text: string): Promise<unknown>;
  transaction<T>(fn: (tx: PgliteTransactionLike) => Promise<T>): Promise<T>;
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
}

/**
 * Adapt an embedded PGlite database to the library's {@link SqlClient} port.
 * PGlite has one connection: PGlite itself queues work, and this adapter makes
 * sure an aborted transaction is rolled back before the error is rethrown, so
 * the single connection is never left in a failed state.
 *
 * @example
 * ```ts
 * import { PGlite } from '@electric-sql/pglite';
 * import { createEventStore } from '@creatorflow/sync';
 * import { fromPglite } from '@creatorflow/sync/pglite';
 * const store = createEventStore({ sql: fromPglite(new PGlite()) });
 * await store.migrate();
 * ```
 */
export function fromPglite(db: PgliteLike): SqlClient {
  const toResult = <Row>(r: PgliteResults): SqlResult<Row> => ({
    rows: r.rows as Row[],
    rowCount: r.affectedRows ?? null,
  });
  return {
    dialect: 'pglite',
    maxConcurrency: 1,
    async query<Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
      return toResult<Row>(await fromDatabase(db.query(text, params as unknown[] | undefined)));
    },
    async exec(text: string): Promise<void> {
      await fromDatabase(db.exec(text));
    },
    transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
      return db.transaction(async (raw) => {
        const tx: SqlTransaction = {
          query: async <Row>(text: string, params?: readonly unknown[]) =>
            toResult<Row>(await fromDatabase(raw.query(text, params as unknown[] | undefined))),
          exec: async (text: string) => {
            await fromDatabase(raw.exec(text));
          },
        };
        try {
          return await fn(tx);
        } catch (err) {
          if (!raw.closed) await raw.rollback().catch(() => undefined);
          throw err;
        }
      });
    },
    listen: (channel, onNotify) => db.listen(channel, onNotify),
  };
}

export { openPglite, type OpenedPglite, type OpenPgliteOptions } from './open-pglite.js';
