/**
 * Where a saga runner keeps its sagas: the store it was given, else the
 * tables of its `sql` option, else memory. The one place sagas pick SQL or
 * memory adapters (`test/package/no-sql-branches.test.ts` keeps it so).
 */
import { createMemorySagaStore } from './memory-saga-store.js';
import type { SagaRunnerOptions } from './runner-options.js';
import type { SagaStore } from './saga-store.js';
import { createSqlSagaStore } from './sql-saga-store.js';

/**
 * Resolve a runner's saga store: `store` wins; `sql` is the shorthand for
 * `createSqlSagaStore({ sql, schema })`.
 *
 * @example
 * ```ts
 * const store = sagaStoreOf({ sql, schema: 'app' });
 * ```
 */
export function sagaStoreOf(options: Pick<SagaRunnerOptions, 'store' | 'sql' | 'schema'>): SagaStore {
  if (options.store) return options.store;
  const { sql, schema } = options;
  return sql ? createSqlSagaStore({ sql, ...(schema ? { schema } : {}) }) : createMemorySagaStore();
}
