/**
 * A processor whose host's pool is saturated keeps its lease. Its LeaseKeeper
 * used to renew through the pool's FIFO queue: with every connection busy and
 * statements queued for longer than the self-fencing window (ttl − renew
 * interval), the renewal came back too late, the handler's signal aborted and
 * the batch was thrown away on a live host. Renewals now take the adapter's
 * priority lane, which never waits in the pool.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromPg } from '../../src/adapters/pg.js';
import type { SqlClient } from '../../src/core/sql-client.js';
import { createProcessor, migrateProcessing } from '../../src/processing/index.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import { occupyPool } from '../support/busy-pool.js';
import { dropPostgresSchema, postgresUrl, uniqueSchema } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

describe.skipIf(postgresUrl() === null)('a processor lease under a saturated pool (PostgreSQL)', () => {
  let pool: pg.Pool;
  let sql: SqlClient;
  let schema: string;
  let store: EventStore;
  let observer: pg.Client;
  let stop: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    // One connection carries the store's LISTEN, one the running batch: one is left for the load.
    pool = new pg.Pool({ connectionString: postgresUrl()!, max: 3 });
    sql = fromPg(pool);
    schema = uniqueSchema('lane');
    store = createEventStore({ sql, schema, pollIntervalMs: 200 });
    await store.migrate();
    await migrateProcessing(sql, schema);
    await sql.exec(`CREATE TABLE "${schema}".applied (event_id text PRIMARY KEY)`);
    // Reads the lease row on a connection of its own, outside the busy pool.
    observer = new pg.Client({ connectionString: postgresUrl()! });
    await observer.connect();
  });
  afterEach(async () => {
    await stop?.();
    stop = undefined;
    await observer.end();
    await store.close();
    await sql.close?.();
    await pool.end();
    await dropPostgresSchema(schema);
  });

  const renewedAt = async (): Promise<number> => {
    const { rows } = await observer.query<{ ms: string }>(
      `SELECT (extract(epoch FROM renewed_at) * 1000)::bigint::text AS ms FROM "${schema}".leases WHERE name = $1`,
      ['processor:busy'],
    );
    return Number(rows[0]?.ms ?? 0);
  };

  it('renews while every pooled connection is busy: the running batch is neither fenced nor lost', async () => {
    const { checkpoint } = await store.append('item-1', [{ type: 'item.added', data: {} }]);
    let calls = 0;
    let entered!: () => void;
    const running = new Promise<void>((resolve) => (entered = resolve));
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const aborted: unknown[] = [];
    const processor = createProcessor({
      store,
      name: 'busy',
      lagIntervalMs: 0,
      // Self-fencing after 1.5 s without a renewal; the pool below stays busy three times as long.
      lease: { ttlMs: 2_000, renewIntervalMs: 500, owner: 'a' },
      handle: async (event, { tx, signal }) => {
        calls++;
        if (calls === 1) {
          entered();
          await Promise.race([
            finished,
            new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true })),
          ]);
        }
        if (signal.aborted) {
          aborted.push(signal.reason);
          throw signal.reason;
        }
        await tx!.query(`INSERT INTO "${schema}".applied (event_id) VALUES ($1)`, [event.id]);
      },
    });
    stop = () => processor.stop();
    const lost: string[] = [];
    processor.on('processor:lease_lost', ({ reason }) => lost.push(reason));
    await processor.start();
    await running;

    const before = await renewedAt();
    const load = occupyPool(pool, 3, 1.5);
    // The free connection runs a slow statement and the rest wait in the pool's queue.
    expect(pool.waitingCount).toBeGreaterThanOrEqual(2);
    await waitFor(async () => !load.busy || (await renewedAt()) > before, {
      what: 'a renewal, or the end of the load',
    });
    const renewedWhileBusy = load.busy;
    await load.done;

    expect(lost).toEqual([]);
    expect(aborted).toEqual([]);
    expect(renewedWhileBusy).toBe(true);
    finish();
    await processor.whenCaughtUp({ to: checkpoint, timeoutMs: 30_000 });
    const { rows } = await sql.query(`SELECT event_id FROM "${schema}".applied`);
    expect(rows).toHaveLength(1);
    expect(calls).toBe(1);
    expect(lost).toEqual([]);
  }, 60_000);
});
