/**
 * The rebuild watcher decides from the stored generation: the swap's
 * notification only wakes it, a missed one is made up by the next check, and
 * a failed read is reported and retried.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../src/core/sql-client.js';
import {
  rebuildProjection,
  watchProjectionRebuilds,
  type ProjectionRebuilt,
} from '../../src/processing/index.js';
import { migrateProcessing } from '../../src/processing/migrate-processing.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';
import { stockLevels } from './fixtures/projections.js';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function opened(engine: (typeof sqlEngines)[number]) {
  const db: TestDatabase = await engine.open();
  cleanup.push(() => db.close());
  const store = createEventStore({ sql: db.sql, schema: db.schema });
  await store.migrate();
  await migrateProcessing(db.sql, db.schema);
  cleanup.push(() => store.close());
  const rebuild = () => rebuildProjection({ store, definition: stockLevels() });
  return { db, rebuild };
}

describe.each(sqlEngines)('watchProjectionRebuilds on $name', (engine) => {
  it.skipIf(!engine.available)('reports a rebuild once it committed, woken by its notification', async () => {
    const { db, rebuild } = await opened(engine);
    const seen: ProjectionRebuilt[] = [];
    const watch = watchProjectionRebuilds({
      sql: db.sql,
      schema: db.schema,
      projections: ['stock_levels', 'other'],
      pollIntervalMs: 3_600_000, // never within the test: only the notification wakes it
      onRebuilt: (info) => seen.push(info),
    });
    cleanup.push(() => watch.stop());
    await watch.start();
    await rebuild();
    await waitFor(() => seen.length === 1);
    expect(seen).toEqual([{ projection: 'stock_levels', generation: 1, through: expect.any(String) }]);
  });

  it.skipIf(!engine.available)(
    'a check after missed notifications reports the last generation once; a failed read is reported and retried',
    async () => {
      const { db, rebuild } = await opened(engine);
      let failing = false;
      // No LISTEN at all (a driver without one), and reads that fail on demand.
      const sql: SqlClient = {
        query: (text: string, params?: readonly unknown[]) =>
          failing ? Promise.reject(new Error('connection lost')) : db.sql.query(text, params),
        transaction: (fn) => db.sql.transaction(fn),
      } as SqlClient;
      const seen: ProjectionRebuilt[] = [];
      const errors: unknown[] = [];
      const watch = watchProjectionRebuilds({
        sql,
        schema: db.schema,
        projections: ['stock_levels'],
        pollIntervalMs: 3_600_000,
        onRebuilt: (info) => seen.push(info),
        onError: (err) => errors.push(err),
      });
      cleanup.push(() => watch.stop());
      await watch.start();
      await rebuild();
      await rebuild();
      failing = true;
      await watch.check();
      expect(errors).toHaveLength(1);
      expect(seen).toEqual([]);
      failing = false;
      await watch.check();
      expect(seen).toEqual([{ projection: 'stock_levels', generation: 2, through: expect.any(String) }]);
      await watch.check();
      expect(seen).toHaveLength(1);
    },
  );
});
