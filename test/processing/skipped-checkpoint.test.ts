/**
 * A page with no event for the handler moves the processor's position, not
 * its stored checkpoint: that is stored with the next handled batch (whose
 * fenced update moves it past the skipped events too), after
 * `skippedCheckpointMs`, or at stop. And a page shorter than the batch size
 * ends the turn: the loop waits for the next wake-up rather than reading
 * again to find nothing. Before, each append cost every processor of a host
 * a checkpoint statement and an empty read.
 */
import { Subject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { quoteIdent, type SqlClient } from '../../src/core/sql-client.js';
import { createProcessor, type Processor } from '../../src/processing/index.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

/** The SQL port, counting every statement that moves a processor checkpoint (in a transaction or not). */
function countCheckpointUpdates(sql: SqlClient): { sql: SqlClient; count: () => number } {
  let count = 0;
  const seen = (text: string) => {
    if (/^\s*UPDATE\s[^;]*processor_checkpoints/.test(text)) count++;
  };
  return {
    count: () => count,
    sql: {
      ...sql,
      query: (text, params, options) => {
        seen(text);
        return sql.query(text, params, options);
      },
      exec: (text) => sql.exec(text),
      transaction: (fn) =>
        sql.transaction((tx) =>
          fn({
            query: (text, params, options) => {
              seen(text);
              return tx.query(text, params, options);
            },
            exec: (text) => tx.exec(text),
          }),
        ),
    },
  };
}

describe.each(sqlEngines)('skipped pages, on $name', (engine) => {
  let db: TestDatabase | undefined;
  let store: EventStore | undefined;
  let processor: Processor | undefined;

  afterEach(async () => {
    await processor?.stop();
    await store?.close();
    await db?.close();
    processor = store = db = undefined;
  });

  const storedCheckpoint = async (name: string): Promise<string | undefined> => {
    const { rows } = await db!.sql.query<{ checkpoint: string }>(
      `SELECT checkpoint FROM ${quoteIdent(db!.schema)}.processor_checkpoints WHERE processor = $1`,
      [name],
    );
    return rows[0]?.checkpoint;
  };

  it.skipIf(!engine.available)(
    'store the checkpoint with the next handled batch or at stop, not one statement per page',
    async () => {
      db = await engine.open();
      const counted = countCheckpointUpdates(db.sql);
      store = createEventStore({ sql: counted.sql, schema: db.schema, pollIntervalMs: 200 });
      await store.migrate();
      const handled: string[] = [];
      processor = createProcessor({
        store,
        name: 'wanted-only',
        eventTypes: ['test.wanted'],
        skippedCheckpointMs: 600_000,
        handle: (event) => void handled.push(event.type),
      });
      await processor.start();
      await processor.whenCaughtUp({ timeoutMs: 20_000 });
      const initial = await storedCheckpoint('wanted-only');
      const before = counted.count();

      // One append per page, each with nothing for the handler.
      for (let i = 0; i < 5; i++) await store.append(`other-${i}`, [{ type: 'test.other', data: { i } }]);
      await processor.whenCaughtUp({ timeoutMs: 20_000 });
      const skippedTo = (await store.readAll({ limit: 100 })).checkpoint;
      expect(processor.checkpoint).toBe(skippedTo);
      expect(counted.count()).toBe(before);
      expect(await storedCheckpoint('wanted-only')).toBe(initial);

      // The handled batch's fenced update starts from the stored checkpoint and moves past the skipped events.
      await store.append('wanted-1', [{ type: 'test.wanted', data: {} }]);
      await processor.whenCaughtUp({ timeoutMs: 20_000 });
      const head = (await store.readAll({ after: skippedTo, limit: 100 })).checkpoint;
      expect(handled).toEqual(['test.wanted']);
      expect(counted.count()).toBe(before + 1);
      expect(await storedCheckpoint('wanted-only')).toBe(head);

      // Skipped again, then stored at stop: the next holder does not read them again.
      await store.append('other-9', [{ type: 'test.other', data: {} }]);
      await processor.whenCaughtUp({ timeoutMs: 20_000 });
      expect(await storedCheckpoint('wanted-only')).toBe(head);
      await processor.stop();
      expect(await storedCheckpoint('wanted-only')).toBe(processor.checkpoint);
      expect(processor.checkpoint).not.toBe(head);
      expect(handled).toEqual(['test.wanted']);
    },
    60_000,
  );

  it.skipIf(!engine.available)(
    'store the checkpoint of skipped pages after skippedCheckpointMs, with no further event',
    async () => {
      db = await engine.open();
      store = createEventStore({ sql: db.sql, schema: db.schema, pollIntervalMs: 200 });
      await store.migrate();
      processor = createProcessor({
        store,
        name: 'soon',
        eventTypes: ['test.wanted'],
        skippedCheckpointMs: 50,
        pollIntervalMs: 60_000,
        handle: () => undefined,
      });
      await processor.start();
      await store.append('other-1', [{ type: 'test.other', data: {} }]);
      const head = (await store.readAll({ limit: 100 })).checkpoint;
      await waitFor(async () => (await storedCheckpoint('soon')) === head, { timeoutMs: 20_000 });
    },
    60_000,
  );

  it.skipIf(!engine.available)('read once per wake-up when the page is short', async () => {
    db = await engine.open();
    store = createEventStore({ sql: db.sql, schema: db.schema });
    await store.migrate();
    const real = store;
    // Wake-ups under the test's control, reads counted; no backstop poll in the way.
    const wakeups = new Subject<void>();
    let reads = 0;
    const watched = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop === 'wakeups') return wakeups;
        if (prop === 'readAll') {
          return (options?: Parameters<EventStore['readAll']>[0]) => {
            reads++;
            return target.readAll(options);
          };
        }
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const handled: string[] = [];
    processor = createProcessor({
      store: watched,
      name: 'one-read',
      pollIntervalMs: 600_000,
      handle: (event) => void handled.push(event.aggregateId),
    });
    const caughtUp = () =>
      new Promise<void>((resolve) => processor!.once('processor:caught_up', () => resolve()));
    let settled = caughtUp();
    await processor.start();
    await settled;

    await real.append('order-1', [{ type: 'test.created', data: {} }]);
    const before = reads;
    settled = caughtUp();
    wakeups.next();
    await settled;
    expect(handled).toEqual(['order-1']);
    expect(reads - before).toBe(1);
  });
});
