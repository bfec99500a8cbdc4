/**
 * `appendMany(…, { urgent: true })` on PostgreSQL: a due conflict window is
 * written while every ordinary flush slot is held up (here by stream rows
 * another session locked; in the commerce flow by the sources' reports), and
 * ahead of the ordinary appends queued meanwhile. Before, the settle pass's
 * append queued behind them in the group commit.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import { createEventStore, type EventStore, type NewEvent } from '../../src/index.js';
import { postgresUrl, uniqueSchema } from '../support/databases.js';
import { waitFor } from '../support/wait.js';
import { lockStreamRow } from './support/lock-stream-row.js';

const url = postgresUrl();
const event = (n: number): NewEvent => ({ type: 'order.updated', data: { n } });

describe.skipIf(!url)('urgent appendMany on PostgreSQL', () => {
  let schema: string;
  let admin: pg.Pool;
  let pool: pg.Pool;
  let store: EventStore;

  /** Backends of this schema waiting for a lock. */
  async function waitingOnLocks(): Promise<number> {
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE state = 'active' AND wait_event_type = 'Lock' AND query LIKE $1 AND pid <> pg_backend_pid()`,
      [`%"${schema}"%`],
    );
    return rows[0]!.n;
  }

  beforeEach(async () => {
    schema = uniqueSchema();
    admin = new pg.Pool({ connectionString: url!, max: 4 });
    // Two ordinary flush slots; the pool has connections to spare, so one more is kept for urgent flushes.
    pool = new pg.Pool({ connectionString: url!, max: 8 });
    store = createEventStore({ sql: fromPg(pool), schema, maxConcurrentFlushes: 2 });
    await store.migrate();
    for (const stream of ['held-1', 'held-2', 'due-1', 'due-2', 'queued'])
      await store.append(stream, [event(0)]);
  });

  afterEach(async () => {
    await store.close();
    await pool.end();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('writes while both ordinary slots wait on locked rows, ahead of the appends queued before it', async () => {
    const releases = [
      await lockStreamRow(admin, schema, 'held-1'),
      await lockStreamRow(admin, schema, 'held-2'),
    ];
    try {
      // Each ordinary slot takes a flush that waits for its locked row.
      const held = [store.append('held-1', [event(1)])];
      await waitFor(async () => (await waitingOnLocks()) === 1, { what: 'the first flush to wait' });
      held.push(store.append('held-2', [event(1)]));
      await waitFor(async () => (await waitingOnLocks()) === 2, { what: 'the second flush to wait' });
      let queuedDone = false;
      const queued = store.append('queued', [event(1)]).then((r) => ((queuedDone = true), r));

      let urgentDone = false;
      const urgent = store.appendMany(
        [
          { streamId: 'due-1', events: [event(1)], options: { idempotencyKey: 'due-1:w1' } },
          { streamId: 'due-2', events: [event(1)], options: { expectedVersion: 1 } },
        ],
        { urgent: true },
      );
      void urgent.then(() => (urgentDone = true));
      // Generous: it needs only a free connection. Before, it waited for the locks to go.
      await waitFor(() => urgentDone, { timeoutMs: 20_000, what: 'the urgent appendMany' });
      const outcomes = await urgent;
      expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value.nextVersion : o.reason))).toEqual([
        2, 2,
      ]);
      // The ordinary append queued before it is still waiting for a slot.
      expect(queuedDone).toBe(false);
      for (const release of releases.splice(0)) await release();
      await Promise.all([...held, queued]);
    } finally {
      for (const release of releases) await release();
    }
    const { events } = await store.readAll();
    expect(events.filter((e) => e.aggregateId.startsWith('due-')).map((e) => e.version)).toEqual([
      1, 1, 2, 2,
    ]);
  });
});
