/**
 * `processor:lease_acquired` says whether the instance `resumed` its own work:
 * true only when the stored checkpoint is the one it last loaded or committed
 * (nobody committed in between), false on its first tenure and after another
 * instance committed. The engine reloads a projection's realtime channels on
 * a takeover only (see test/realtime/lease-lapse-resume.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProcessor, migrateProcessing, type Processor } from '../../src/processing/index.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';

describe.each(sqlEngines)('lease_acquired resumed on $name', (engine) => {
  let db: TestDatabase;
  let store: EventStore;
  const processors: Processor[] = [];
  beforeEach(async () => {
    if (!engine.available) return;
    db = await engine.open();
    store = createEventStore({ sql: db.sql, schema: db.schema, pollIntervalMs: 50 });
    await store.migrate();
    await migrateProcessing(db.sql, db.schema);
  });
  afterEach(async () => {
    if (!engine.available) return;
    for (const p of processors.splice(0)) await p.stop();
    await store.close();
    await db.close();
  });

  /** An instance of the one processor `counted`, and the `resumed` of each tenure it began. */
  function instance(owner: string): { processor: Processor; tenures: boolean[] } {
    const tenures: boolean[] = [];
    const processor = createProcessor({
      store,
      name: 'counted',
      lagIntervalMs: 0,
      lease: { owner },
      handle: () => undefined,
    });
    processor.on('processor:lease_acquired', ({ resumed }) => tenures.push(resumed));
    processors.push(processor);
    return { processor, tenures };
  }

  it.skipIf(!engine.available)(
    'is true when the instance takes back a lease nobody used, false after another instance committed',
    async () => {
      const a = instance('a');
      const b = instance('b');
      await store.append('order-1', [{ type: 'order.placed', data: {} }]);
      await a.processor.start();
      await a.processor.whenCaughtUp({ timeoutMs: 20_000 });
      // Nobody processes while it is away: it takes up where it left off.
      await a.processor.stop();
      await a.processor.start();
      await a.processor.whenCaughtUp({ timeoutMs: 20_000 });
      expect(a.tenures).toEqual([false, true]);

      // Another instance takes over and commits; when `a` comes back, it did not resume its own work.
      await a.processor.stop();
      await b.processor.start();
      await store.append('order-2', [{ type: 'order.placed', data: {} }]);
      await b.processor.whenCaughtUp({ timeoutMs: 20_000 });
      await b.processor.stop();
      await a.processor.start();
      await a.processor.whenCaughtUp({ timeoutMs: 20_000 });
      expect(b.tenures).toEqual([false]);
      expect(a.tenures).toEqual([false, true, false]);
    },
    60_000,
  );
});
