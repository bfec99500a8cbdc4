/**
 * A page with no event for the handler (none of its `eventTypes`, or all
 * filtered out) moves only the checkpoint, with no transaction around it
 * (and, since skippedCheckpointMs, not at once: skipped-checkpoint.test.ts). Every append wakes every processor of a host, so
 * this is most of their wake-ups (a saga trigger reads one event type in a
 * busy log). A page with events still runs the handler and the checkpoint in
 * one transaction.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createProcessor, type Processor } from '../../src/processing/index.js';
import type { SqlClient, SqlQueryable } from '../../src/core/sql-client.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';

/** The SQL port, counting the transactions that moved a processor checkpoint. */
function countCheckpointTransactions(sql: SqlClient): { sql: SqlClient; count: () => number } {
  let count = 0;
  const watch = (q: SqlQueryable, inTx: { moved: boolean }): SqlQueryable => ({
    query: (text, params, options) => {
      if (/^\s*UPDATE\s[^;]*processor_checkpoints/.test(text)) inTx.moved = true;
      return q.query(text, params, options);
    },
    exec: (text) => q.exec(text),
  });
  return {
    count: () => count,
    sql: {
      ...sql,
      query: (text, params, options) => sql.query(text, params, options),
      exec: (text) => sql.exec(text),
      transaction: (fn) =>
        sql.transaction(async (tx) => {
          const seen = { moved: false };
          const result = await fn(watch(tx, seen));
          if (seen.moved) count++;
          return result;
        }),
    },
  };
}

describe.each(sqlEngines)('a page with nothing for the handler, on $name', (engine) => {
  let db: TestDatabase | undefined;
  let store: EventStore | undefined;
  let processor: Processor | undefined;

  afterEach(async () => {
    await processor?.stop();
    await store?.close();
    await db?.close();
    processor = store = db = undefined;
  });

  it.skipIf(!engine.available)(
    'moves the checkpoint without a transaction; a page with events still commits in one',
    async () => {
      db = await engine.open();
      const counted = countCheckpointTransactions(db.sql);
      store = createEventStore({ sql: counted.sql, schema: db.schema, pollIntervalMs: 200 });
      await store.migrate();
      const handled: string[] = [];
      processor = createProcessor({
        store,
        name: 'wanted-only',
        eventTypes: ['test.wanted'],
        handle: (event) => void handled.push(event.type),
      });
      await processor.start();
      const before = counted.count();

      // One append per page: each wakes the processor with nothing for it.
      for (let i = 0; i < 5; i++) await store.append(`other-${i}`, [{ type: 'test.other', data: { i } }]);
      await processor.whenCaughtUp({ timeoutMs: 20_000 });
      expect(handled).toEqual([]);
      expect(counted.count()).toBe(before);
      const head = (await store.readAll({ limit: 100 })).checkpoint;
      expect(processor.checkpoint).toBe(head);

      await store.append('wanted-1', [{ type: 'test.wanted', data: {} }]);
      await processor.whenCaughtUp({ timeoutMs: 20_000 });
      expect(handled).toEqual(['test.wanted']);
      expect(counted.count()).toBe(before + 1);
    },
    60_000,
  );
});
