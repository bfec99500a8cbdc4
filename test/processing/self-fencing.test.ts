/**
 * A processor whose lease renewals stop getting through (the database no
 * longer answers its lease statements) stops its running handler on its own —
 * `ctx.signal` aborts while the lease is still its own — and commits nothing
 * of that batch; once the database answers again it takes the lease back and
 * applies the event once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createProcessor,
  isLeaseLostError,
  leaseHolder,
  migrateProcessing,
  readCheckpoint,
} from '../../src/processing/index.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { hangingSql, type HangingSql } from '../support/hanging-sql.js';
import { waitFor } from '../support/wait.js';

describe.each(sqlEngines)('processor self-fencing on $name', (engine) => {
  let db: TestDatabase;
  let hanging: HangingSql;
  let store: EventStore;
  beforeEach(async () => {
    if (!engine.available) return;
    db = await engine.open();
    // Every statement on the lease table (renew and acquire) can be made to hang.
    hanging = hangingSql(db.sql, /\.leases\b/);
    store = createEventStore({ sql: hanging.sql, schema: db.schema, pollIntervalMs: 200 });
    await store.migrate();
    await migrateProcessing(db.sql, db.schema);
    await db.sql.exec(`CREATE TABLE "${db.schema}".applied (event_id text PRIMARY KEY)`);
  });
  afterEach(async () => {
    if (!engine.available) return;
    hanging.resume();
    await store.close();
    await db.close();
  });

  it.skipIf(!engine.available).each(['returns anyway', 'throws'] as const)(
    'a handler running when renewals stop is aborted before the lease expires; its batch is not committed (handler %s)',
    async (ending) => {
      const { checkpoint } = await store.append('order-1', [{ type: 'order.placed', data: {} }]);
      const aborted: { reason: unknown; holder: string | undefined }[] = [];
      const lost: string[] = [];
      const troubles: unknown[] = [];
      let calls = 0;
      const processor = createProcessor({
        store,
        name: 'fenced',
        lagIntervalMs: 0,
        lease: { ttlMs: 3000, renewIntervalMs: 1000, owner: 'a' },
        retry: { attempts: 2, minTimeoutMs: 1, maxTimeoutMs: 1 },
        handle: async (event, { tx, signal }) => {
          calls++;
          if (calls === 1) {
            hanging.hang();
            await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
            // Read in the batch's own transaction: who holds the lease in the database now.
            const holder = await leaseHolder(tx!, db.schema, 'processor:fenced');
            aborted.push({ reason: signal.reason, holder: holder?.owner });
            if (ending === 'throws') throw new Error('the call was aborted');
          }
          // On the first call this write comes after the fence: it must be rolled back.
          await tx!.query(`INSERT INTO "${db.schema}".applied (event_id) VALUES ($1)`, [event.id]);
        },
      });
      processor.on('processor:lease_lost', ({ reason }) => lost.push(reason));
      processor.on('processor:retry', ({ error }) => troubles.push(error));
      processor.on('processor:dead_lettered', ({ error }) => troubles.push(error));
      processor.on('error', (err) => troubles.push(err));
      await processor.start();

      // The renewal hangs, and after the fence the loop waits on its attempt to take the lease back.
      await waitFor(() => hanging.held >= 2, { what: 'the fenced processor trying the lease again' });
      expect(aborted).toHaveLength(1);
      const [first] = aborted;
      expect(isLeaseLostError(first!.reason) && first!.reason.reason).toBe('not_renewed');
      expect(first!.holder).toBe('a'); // fenced while nobody else could have the lease
      expect(lost).toEqual(['not_renewed']);
      expect(await readCheckpoint(db.sql, db.schema, 'fenced')).not.toBe(checkpoint);
      expect((await db.sql.query(`SELECT 1 FROM "${db.schema}".applied`)).rows).toEqual([]);

      hanging.resume(); // the database answers again
      await processor.whenCaughtUp({ to: checkpoint, timeoutMs: 30_000 });
      const { rows } = await db.sql.query<{ event_id: string }>(
        `SELECT event_id FROM "${db.schema}".applied`,
      );
      expect(rows).toHaveLength(1);
      expect(calls).toBe(2);
      expect(troubles).toEqual([]);
      expect(await processor.deadLetters.list({ processor: 'fenced' })).toEqual([]);
      await processor.stop();
    },
  );
});
