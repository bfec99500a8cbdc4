/**
 * A projection's lease that lapses under load and comes back to the same
 * instance (its renewal got through too late: the database says the lease
 * expired, nobody else took it) is no takeover: nothing was committed by
 * anyone else, so the hub keeps its replay buffer and a client that was cut
 * meanwhile resumes from its cursor — no second snapshot. This is the
 * interleaving behind the dashboard browser test's once-seen second snapshot
 * on `conflict_queue` (a projection with a lease of its own) on a loaded
 * machine. A real takeover (another instance committed meanwhile) still
 * reloads: see `test/processing/lease-resumed.test.ts`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Subscription } from 'rxjs';
import type { Envelope } from '../../src/core/envelope.js';
import type { SqlClient } from '../../src/core/sql-client.js';
import type { SyncEngine } from '../../src/engine.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { interceptSql } from '../support/intercept-sql.js';
import { waitFor } from '../support/wait.js';
import { setStock, stockEngine } from './engine-fixture.js';

/** A SqlClient whose next renewal of lease `name` is answered "not yours any more" (the row had expired). */
function lapsingLease(inner: SqlClient, name: string): { sql: SqlClient; lapseNextRenewal(): void } {
  let lapse = false;
  const sql = interceptSql(inner, (text, params, next) => {
    if (lapse && params?.[0] === name && /^\s*UPDATE\b[^;]*\.leases\b/.test(text)) {
      lapse = false;
      return Promise.resolve({ rows: [], rowCount: 0 });
    }
    return next();
  });
  return { sql, lapseNextRenewal: () => (lapse = true) };
}

const AUTH = { userId: 'u1', tenantIds: ['c1'] };

describe.each(sqlEngines)('a projection lease that lapses and comes back, on $name', (db) => {
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
    'keeps the replay buffer: a client cut meanwhile resumes from its cursor without a snapshot',
    async () => {
      const leases = lapsingLease(database.sql, 'processor:projection:rt_stock');
      // PostgreSQL: deltas travel over LISTEN/NOTIFY as in the dashboard; PGlite: in-process.
      engine = stockEngine(leases.sql, database.schema, undefined);
      const processor = engine.projections.get('rt_stock')!.processor!;
      const leaseEvents: string[] = [];
      processor.on('processor:lease_lost', ({ reason }) => leaseEvents.push(`lost:${reason}`));
      processor.on('processor:lease_acquired', () => leaseEvents.push('acquired'));
      await engine.start();
      await engine.hub.ready;
      for (let i = 0; i < 3; i++) await setStock(engine, 'c1', `S${i}`, i);
      await engine.whenCaughtUp();

      // A subscriber that stays connected, and one that is cut.
      const stayed: Envelope[] = [];
      subscriptions.push(engine.hub.messages({ channel: 'rt_stock' }, AUTH).subscribe((e) => stayed.push(e)));
      const cut: Envelope[] = [];
      const first = engine.hub.messages({ channel: 'rt_stock' }, AUTH).subscribe((e) => cut.push(e));
      await waitFor(() => cut.some((e) => e.type === 'ready') && stayed.some((e) => e.type === 'ready'), {
        what: 'both subscribers live',
      });
      await setStock(engine, 'c1', 'S0', 100);
      await waitFor(() => cut.some((e) => e.type === 'data'), { what: 'a delta before the cut' });
      const cursor = cut.filter((e) => e.type === 'data').at(-1)!.cursor!;
      first.unsubscribe();

      // Renewals stall under load: the database lets the lease expire, nobody takes it,
      // and the same instance takes it back.
      expect(leaseEvents).toEqual(['acquired']);
      leases.lapseNextRenewal();
      await waitFor(() => leaseEvents.length === 3, {
        timeoutMs: 30_000,
        what: 'the lease lost and taken back',
      });
      expect(leaseEvents).toEqual(['acquired', 'lost:taken', 'acquired']);

      await setStock(engine, 'c1', 'S1', 200);
      await waitFor(() => stayed.some((e) => e.type === 'data' && e.deltas?.some((d) => d[1].sku === 'S1')), {
        what: 'the delta after the lease came back',
      });

      // The cut client resumes from its cursor: the replay, no snapshot.
      const resumed: Envelope[] = [];
      subscriptions.push(
        engine.hub.messages({ channel: 'rt_stock', cursor }, AUTH).subscribe((e) => resumed.push(e)),
      );
      await waitFor(() => resumed.some((e) => e.type === 'ready'), { what: 'the resume' });
      expect(resumed.map((e) => e.type)).toEqual(['data', 'ready']);
      expect(resumed[0]!.deltas!.map((d) => d[1].sku)).toEqual(['S1']);
      // Nor did the subscriber that stayed get a second snapshot.
      expect(stayed.filter((e) => e.type === 'reset')).toHaveLength(1);
    },
    60_000,
  );
});
