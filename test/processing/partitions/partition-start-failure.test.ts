/**
 * A partition handed to this instance whose start fails on a transient
 * database error (here: the processing migration it runs first) must be
 * started again at a later heartbeat, not stay assigned here and never run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createPartitionedProcessor,
  partitionOf,
  type PartitionedProcessor,
} from '../../../src/processing/index.js';
import { silentLogger } from '../../../src/core/logger.js';
import { createEventStore } from '../../../src/store/create-event-store.js';
import type { EventStore } from '../../../src/store/types.js';
import { sqlEngines, type TestDatabase } from '../../support/databases.js';
import { interceptSql } from '../../support/intercept-sql.js';

const FAST = {
  pollIntervalMs: 50,
  lagIntervalMs: 0,
  lease: { ttlMs: 1500, renewIntervalMs: 100, acquireIntervalMs: 50 },
  retry: { attempts: 2, minTimeoutMs: 1, maxTimeoutMs: 5 },
} as const;

describe.each(sqlEngines)('a partition whose start fails on $name', (engine) => {
  let db: TestDatabase | undefined;
  let store: EventStore | undefined;
  let processor: PartitionedProcessor | undefined;
  afterEach(async () => {
    await processor?.stop();
    await store?.close();
    await db?.close();
  });

  it.skipIf(!engine.available)('is started again at a later heartbeat', async () => {
    db = await engine.open();
    let failMigrations = 0;
    const sql = interceptSql(
      db.sql,
      async (text, _params, next) => {
        if (failMigrations > 0 && text.includes('pg_advisory_xact_lock')) {
          failMigrations--;
          throw new Error('Connection terminated unexpectedly');
        }
        return next();
      },
      { inTransactions: true },
    );
    store = createEventStore({ sql, schema: db.schema, pollIntervalMs: 200 });
    await store.migrate();
    const seen: string[] = [];
    processor = createPartitionedProcessor({
      ...FAST,
      store,
      name: 'totals',
      partitions: 2,
      logger: silentLogger, // the injected failure is asserted below
      handle: (event) => void seen.push(event.aggregateId),
    });
    const errors: unknown[] = [];
    processor.on('error', (err) => errors.push(err));
    await processor.migrate(); // the instance's own tables; the next migration is partition 0's start
    failMigrations = 1;
    await processor.start();
    expect(errors).toHaveLength(1); // the failed start, reported
    const streams = Array.from({ length: 8 }, (_, i) => `s-${i}`);
    for (const s of streams) await store.append(s, [{ type: 'test.happened', data: {} }]);
    expect(new Set(streams.map((s) => partitionOf(s, 2))).size).toBe(2);
    await processor.whenCaughtUp({ timeoutMs: 15_000 });
    expect(seen.sort()).toEqual(streams);
    expect(processor.held).toEqual([0, 1]);
  });
});
