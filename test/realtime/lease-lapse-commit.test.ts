/**
 * A projection's lease that lapses while one of its batches is being
 * committed, and comes back to the same instance. The batch had passed its
 * lease check, so its COMMIT goes through (the checkpoint fence, not the
 * lease, guards the write) and its rows are published as usual. Nobody else
 * committed anything: taking the lease back is a resume, not a takeover, and
 * no subscriber of the projection's channel may be sent a second snapshot.
 *
 * Before the fix the checkpoint of that commit was not noted as this
 * instance's own (the lease was no longer held when it landed), so the lease
 * came back with `resumed: false` and the engine reloaded every subscriber
 * of the channel: on a loaded machine (renewals stall while batches commit)
 * a snapshot of `conflict_queue` for every dashboard at once, each needing a
 * pool connection when there are none to spare.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Subscription } from 'rxjs';
import type { Envelope } from '../../src/core/envelope.js';
import type { SqlClient, SqlTransaction } from '../../src/core/sql-client.js';
import type { SyncEngine } from '../../src/engine.js';
import { LiveTable } from '../../src/client/live-table.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { interceptSql } from '../support/intercept-sql.js';
import { waitFor } from '../support/wait.js';
import { setStock, stockEngine } from './engine-fixture.js';

const LEASE = 'processor:projection:rt_stock';
const AUTH = { userId: 'u1', tenantIds: ['c1'] };

/**
 * `inner` with two switches: the next renewal of the projection's lease is
 * answered "not yours any more" (as when it got through too late), and the
 * next transaction that writes the projection's table is held after its last
 * statement, before COMMIT, until released.
 */
function faultySql(inner: SqlClient) {
  let lapse = false;
  let hold: { reached: boolean; release: () => void; released: Promise<void> } | null = null;
  const leases = interceptSql(inner, (text, params, next) => {
    if (lapse && params?.[0] === LEASE && /^\s*UPDATE\b[^;]*\.leases\b/.test(text)) {
      lapse = false;
      return Promise.resolve({ rows: [], rowCount: 0 });
    }
    return next();
  });
  const sql: SqlClient = {
    ...leases,
    transaction: (fn) =>
      inner.transaction(async (tx) => {
        let writes = false;
        const note = (text: string) => {
          if (/\brt_stock\b/.test(text) && /^\s*(INSERT|UPDATE|DELETE|WITH)\b/i.test(text)) writes = true;
        };
        const queue = tx.queue?.bind(tx);
        const watched: SqlTransaction = {
          ...tx,
          query: (text, params, options) => (note(text), tx.query(text, params, options)),
          exec: (text) => (note(text), tx.exec(text)),
          ...(queue
            ? {
                queue: ((text, params, options) => (
                  note(text),
                  queue(text, params, options)
                )) as typeof queue,
              }
            : {}),
        };
        const result = await fn(watched);
        const held = hold;
        if (writes && held && !held.reached) {
          held.reached = true;
          await held.released;
        }
        return result;
      }),
  };
  return {
    sql,
    lapseNextRenewal: () => (lapse = true),
    holdNextCommit() {
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      hold = { reached: false, release, released };
      return hold;
    },
  };
}

describe.each(sqlEngines)('a projection lease that lapses during a commit, on $name', (db) => {
  let database: TestDatabase;
  let engine: SyncEngine;
  const subscriptions: Subscription[] = [];
  beforeEach(async () => {
    if (!db.available) return;
    database = await db.open();
  });
  afterEach(async () => {
    if (!db.available) return;
    for (const s of subscriptions.splice(0)) s.unsubscribe();
    await engine?.close();
    await database.close();
  });

  it.skipIf(!db.available)(
    'comes back as a resume: the batch committed after the lapse was this instance’s own, no subscriber reloads',
    async () => {
      const faults = faultySql(database.sql);
      engine = stockEngine(faults.sql, database.schema, undefined);
      const processor = engine.projections.get('rt_stock')!.processor!;
      const leaseEvents: string[] = [];
      processor.on('processor:lease_lost', ({ reason }) => leaseEvents.push(`lost:${reason}`));
      processor.on('processor:lease_acquired', ({ resumed }) => leaseEvents.push(`acquired:${resumed}`));
      await engine.start();
      await engine.hub.ready;
      await setStock(engine, 'c1', 'S0', 1);
      await engine.whenCaughtUp();
      const seen: Envelope[] = [];
      const table = new LiveTable();
      subscriptions.push(
        engine.hub.messages({ channel: 'rt_stock' }, AUTH).subscribe((e) => {
          seen.push(e);
          table.apply(e);
        }),
      );
      await waitFor(() => seen.some((e) => e.type === 'ready'), { what: 'the subscriber live' });

      // A batch reaches its COMMIT; meanwhile the lease renewal comes back too late.
      const held = faults.holdNextCommit();
      await setStock(engine, 'c1', 'S0', 100);
      await waitFor(() => held.reached, { what: 'the batch held before its COMMIT' });
      faults.lapseNextRenewal();
      await waitFor(() => leaseEvents.includes('lost:taken'), {
        timeoutMs: 30_000,
        what: 'the lease lost while the batch commits',
      });
      held.release();
      // The committed batch reaches the subscriber, and the same instance takes its lease back.
      await waitFor(() => table.get({ creator_id: 'c1', sku: 'S0' })?.quantity === 100, {
        what: 'the row of the batch committed after the lapse',
      });
      await waitFor(() => leaseEvents.length === 3, { timeoutMs: 30_000, what: 'the lease taken back' });
      expect(leaseEvents).toEqual(['acquired:false', 'lost:taken', 'acquired:true']);

      // Later changes arrive as deltas; the subscriber never got a second snapshot.
      await setStock(engine, 'c1', 'S1', 200);
      await waitFor(() => table.get({ creator_id: 'c1', sku: 'S1' })?.quantity === 200, {
        what: 'the row written after the lease came back',
      });
      expect(seen.filter((e) => e.type === 'reset')).toHaveLength(1);
    },
    90_000,
  );
});
