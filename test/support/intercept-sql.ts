/**
 * A SqlClient in front of a real one that decides each `query` itself and
 * passes everything else through: the base of the test doubles that hang or
 * answer chosen statements, behind the same port as the real adapter.
 */
import type { QueryOptions, SqlClient, SqlQueryable, SqlResult } from '../../src/core/sql-client.js';

/** Answer one query: call `next()` to send it to the real client, or answer it yourself. */
export type QueryInterceptor = (
  text: string,
  params: readonly unknown[] | undefined,
  next: () => Promise<SqlResult<Record<string, unknown>>>,
) => Promise<SqlResult<Record<string, unknown>>>;

/**
 * Wrap `inner`, routing every `query` through `intercept`; with `inTransactions`,
 * the queries a transaction runs too (by default they go straight to `inner`).
 *
 * @example
 * ```ts
 * const sql = interceptSql(inner, (text, params, next) => (/\.leases\b/.test(text) ? never : next()));
 * const counted = interceptSql(inner, (text, _p, next) => (seen.push(text), next()), { inTransactions: true });
 * ```
 */
export function interceptSql(
  inner: SqlClient,
  intercept: QueryInterceptor,
  options: { inTransactions?: boolean } = {},
): SqlClient {
  const routed = (target: SqlQueryable) =>
    function query<Row = Record<string, unknown>>(
      text: string,
      params?: readonly unknown[],
      queryOptions?: QueryOptions,
    ): Promise<SqlResult<Row>> {
      const next = () => target.query<Record<string, unknown>>(text, params, queryOptions);
      return intercept(text, params, next) as Promise<SqlResult<Row>>;
    };
  return {
    query: routed(inner),
    exec: (text) => inner.exec(text),
    transaction: options.inTransactions
      ? (fn) => inner.transaction((tx) => fn({ query: routed(tx), exec: (text) => tx.exec(text) }))
      : (fn) => inner.transaction(fn),
    ...(inner.listen ? { listen: inner.listen.bind(inner) } : {}),
    ...(inner.maxConcurrency !== undefined ? { maxConcurrency: inner.maxConcurrency } : {}),
    ...(inner.dialect !== undefined ? { dialect: inner.dialect } : {}),
    ...(inner.close ? { close: inner.close.bind(inner) } : {}),
  };
}
