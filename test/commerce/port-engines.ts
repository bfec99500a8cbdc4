/**
 * The three engines a commerce port's adapters run on, for `describe.each`:
 * the memory adapter, and the SQL adapter on PGlite and on real PostgreSQL
 * (each open() in a schema of its own, dropped on close).
 */
import { sqlEngines, type TestDatabase } from '../support/databases.js';

/** One engine of a port's tests. */
export interface PortEngine<T> {
  name: 'memory' | 'pglite' | 'postgres';
  readonly available: boolean;
  open(): Promise<T & { close(): Promise<void> }>;
}

/**
 * The memory adapter and the SQL one on both SQL engines.
 *
 * @example
 * ```ts
 * describe.each(portEngines(() => ({ marks: new MemoryInventorySyncMarks() }),
 *   (db) => ({ marks: new SqlInventorySyncMarks(db.sql, db.schema) })))('marks ($name)', …);
 * ```
 */
export function portEngines<T>(memory: () => T, sql: (db: TestDatabase) => T): readonly PortEngine<T>[] {
  return [
    { name: 'memory', available: true, open: async () => ({ ...memory(), close: async () => {} }) },
    ...sqlEngines.map((engine): PortEngine<T> => ({
      name: engine.name as 'pglite' | 'postgres',
      get available() {
        return engine.available;
      },
      async open() {
        const db = await engine.open();
        return { ...sql(db), close: () => db.close() };
      },
    })),
  ];
}
