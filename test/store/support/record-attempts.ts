/**
 * Watch a store's append attempts from the SQL port: each call of
 * `append_batch` carries its attempt id (the last parameter), which a test
 * can count or fence.
 */
import type { QueryOptions, SqlClient, SqlQueryable, SqlTransaction } from '../../../src/core/sql-client.js';

/** The attempt id an `append_batch` call carries, if `text` is one. */
function attemptOf(text: string, params: readonly unknown[] | undefined): string | undefined {
  return /\.append_batch\(/.test(text) && params ? String(params.at(-1)) : undefined;
}

function recording<Q extends SqlQueryable>(sql: Q, ids: string[]): Q {
  const record = (text: string, params?: readonly unknown[]) => {
    const id = attemptOf(text, params);
    if (id !== undefined) ids.push(id);
  };
  const wrapped = {
    ...sql,
    query<Row>(text: string, params?: readonly unknown[], options?: QueryOptions) {
      record(text, params);
      return sql.query<Row>(text, params, options);
    },
  };
  const tx = sql as SqlQueryable as SqlTransaction;
  if (tx.queue) {
    const queue = tx.queue.bind(tx);
    Object.assign(wrapped, {
      queue<Row>(text: string, params?: readonly unknown[], options?: QueryOptions) {
        record(text, params);
        return queue<Row>(text, params, options);
      },
    });
  }
  return wrapped as Q;
}

/**
 * `sql` with every append attempt's id pushed to `ids` as it is sent.
 *
 * @example
 * ```ts
 * const attempts: string[] = [];
 * const store = createEventStore({ sql: recordAttempts(fromPg(pool), attempts), schema });
 * await store.append('order-1', events);
 * expect(attempts).toHaveLength(1); // written on its first attempt
 * ```
 */
export function recordAttempts(sql: SqlClient, ids: string[]): SqlClient {
  return {
    ...recording(sql, ids),
    transaction: (fn) => sql.transaction((tx) => fn(recording(tx, ids))),
  };
}
