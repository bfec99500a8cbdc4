/**
 * Snapshots of a channel fed by an inline read model (rows changed in the
 * writers' transactions, no processor checkpoint) carry the log head read
 * before them. They used to claim the log's start: once the replay buffer had
 * evicted a batch, or a reload (`hub.invalidate`, a rebuild) had cleared it,
 * that start was older than the buffer reached, and every resync of the
 * channel failed as stale (`SNAPSHOT_FAILED`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LiveTable } from '../../src/client/live-table.js';
import type { Envelope } from '../../src/core/envelope.js';
import type { SyncEngine } from '../../src/engine.js';
import { sqlEngines } from '../support/databases.js';
import { waitFor } from '../support/wait.js';
import { counted, inlineShelves, startShelvesEngine } from './inline-shelves.js';

const shelves = inlineShelves('isp_shelves');

const alice = { userId: 'alice', tenantIds: ['c1'] };
const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function subscriber(engine: SyncEngine) {
  const table = new LiveTable();
  const seen: Envelope[] = [];
  const errors: unknown[] = [];
  const sub = engine.hub.messages({ channel: 'isp_shelves' }, alice).subscribe({
    next: (e) => {
      seen.push(e);
      table.apply(e);
    },
    error: (err: unknown) => errors.push(err),
  });
  cleanup.push(() => sub.unsubscribe());
  const rows = () =>
    table
      .rows()
      .map((r) => `${String(r['sku'])}=${String(r['quantity'])}`)
      .sort();
  return { seen, errors, rows, resets: () => seen.filter((e) => e.type === 'reset').length };
}

describe.each(sqlEngines)('snapshots of an inline read model’s channel, on $name', (engine) => {
  const open = async () => {
    const db = await engine.open();
    cleanup.push(() => db.close());
    // A small replay buffer: its first batch is evicted after three.
    const host = await startShelvesEngine(db, shelves, { replay: { maxBatches: 3 } });
    cleanup.push(() => host.close());
    return { db, host };
  };

  it.skipIf(!engine.available)(
    'a subscriber joining after the buffer evicted batches gets every row',
    async () => {
      const { host } = await open();
      const early = subscriber(host);
      await waitFor(() => early.seen.some((e) => e.type === 'ready'));
      for (let i = 0; i < 8; i++) await host.store.append(`shelf-${i}`, [counted(`S${i}`, i)]);
      await waitFor(() => early.rows().length === 8);

      const late = subscriber(host);
      await waitFor(() => late.seen.some((e) => e.type === 'ready') || late.errors.length > 0);
      expect(late.errors).toEqual([]);
      expect(late.rows()).toEqual(early.rows());
      // And it follows the next change like the others.
      await host.store.append('shelf-0', [counted('S0', 40)]);
      await waitFor(() => late.rows().includes('S0=40'));
    },
    60_000,
  );

  it.skipIf(!engine.available)(
    'a reload of the channel resets its subscribers with the rows as they are',
    async () => {
      const { db, host } = await open();
      await host.store.append('shelf-1', [counted('S1', 1)]);
      const sub = subscriber(host);
      await waitFor(() => sub.rows().join() === 'S1=1');
      // Repaired behind the stream's back, then reloaded (what a rebuild's swap does).
      await db.sql.query(`UPDATE "${db.schema}".isp_shelves SET quantity = 11 WHERE sku = 'S1'`);
      host.hub.invalidate('isp_shelves');
      await waitFor(() => sub.rows().join() === 'S1=11' || sub.errors.length > 0);
      expect(sub.errors).toEqual([]);
      expect(sub.resets()).toBe(2);
      await host.store.append('shelf-2', [counted('S2', 2)]);
      await waitFor(() => sub.rows().join() === 'S1=11,S2=2');
    },
    60_000,
  );
});
