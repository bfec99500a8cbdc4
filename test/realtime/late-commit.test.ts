/**
 * Inline read models publish their row changes in commit order, and on
 * PostgreSQL a transaction may commit after one that took a later place in
 * the log. The hub used to drop such a batch as a duplicate (its cursor not
 * newer than the head): its rows never reached a subscriber. Now a window's
 * cursor is the newest position folded in, and a late batch the buffer does
 * not hold makes the channel's subscribers reload a snapshot (`realtime:gap`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LiveTable } from '../../src/client/live-table.js';
import type { Envelope } from '../../src/core/envelope.js';
import { foldChanges } from '../../src/realtime/fold.js';
import { postgresEngine } from '../support/databases.js';
import { waitFor } from '../support/wait.js';
import { counted, inlineShelves, startShelvesEngine, type Shelf } from './inline-shelves.js';

const shelves = inlineShelves('late_shelves');

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('a transaction committing after a later one', () => {
  it('folds a window to the newest position in it, whatever order its changes came in', () => {
    const channel = {
      name: 'late_shelves',
      keyColumns: ['sku'],
      tenantColumn: 'creator_id',
      filterableColumns: [],
      throttleMs: 0,
    };
    const change = (sku: string, checkpoint: string) => ({
      table: 'late_shelves',
      key: { sku },
      operation: 'INSERT' as const,
      newRow: { sku },
      oldRow: null,
      position: 0,
      checkpoint,
    });
    expect(foldChanges(channel, [change('B', '101:7'), change('A', '100:6')])?.cursor).toBe('101:7');
  });

  it.skipIf(!postgresEngine.available)(
    'reaches every subscriber: the channel reloads instead of dropping its batch',
    async () => {
      const db = await postgresEngine.open();
      cleanup.push(() => db.close());
      const host = await startShelvesEngine(db, shelves);
      cleanup.push(() => host.close());
      const gaps: unknown[] = [];
      host.hub.events.on('realtime:gap', (info) => gaps.push(info));
      const table = new LiveTable();
      const seen: Envelope[] = [];
      const sub = host.hub
        .messages({ channel: 'late_shelves' }, { userId: 'alice', tenantIds: ['c1'] })
        .subscribe((e) => {
          seen.push(e);
          table.apply(e);
        });
      cleanup.push(() => sub.unsubscribe());
      await waitFor(() => seen.some((e) => e.type === 'ready'));
      const skus = () =>
        table
          .rows()
          .map((r) => String(r['sku']))
          .sort();

      // A's append has written its event (its place in the log is taken) and waits in a
      // hook before its COMMIT, while B's append, later in the log, commits.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let reached!: () => void;
      const atGate = new Promise<void>((resolve) => (reached = resolve));
      host.store.addInlineHook({
        name: 'hold_a',
        eventTypes: new Set(['shelf.counted']),
        apply: async ({ events }) => {
          if ((events[0]!.data as Shelf).sku !== 'A') return;
          reached();
          await gate;
        },
      });
      const a = host.store.append('shelf-A', [counted('A', 1)]);
      await atGate;
      await host.store.append('shelf-B', [counted('B', 2)]);
      await waitFor(() => skus().join() === 'B');
      release();
      await a;

      await waitFor(() => skus().join() === 'A,B');
      expect(gaps).toHaveLength(1);
      // Live again after the reload.
      await host.store.append('shelf-C', [counted('C', 3)]);
      await waitFor(() => skus().join() === 'A,B,C');
    },
    60_000,
  );
});
