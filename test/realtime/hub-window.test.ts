import { Subject, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { RowChange } from '../../src/core/row-change.js';
import type { Envelope } from '../../src/core/envelope.js';
import { createRealtimeHub } from '../../src/realtime/hub.js';
import { CHANNELS } from './support.js';

function change(n: number, stock: number, old: number | null): RowChange {
  const row = (s: number) => ({ creator_id: 'c1', sku: 'A', stock: s });
  return {
    table: 'inventory_alerts',
    key: { creator_id: 'c1', sku: 'A' },
    operation: old === null ? 'INSERT' : 'UPDATE',
    newRow: row(stock),
    oldRow: old === null ? null : row(old),
    position: n,
    checkpoint: `1:${n}`,
  };
}

describe('hub windowing on a virtual clock', () => {
  it("sends a quiet channel's burst at once and folds the changes of the next window into one message, stamped with the last cursor", () => {
    const scheduler = new VirtualTimeScheduler(VirtualAction, 1000);
    const changes = new Subject<RowChange>();
    const hub = createRealtimeHub({
      channels: CHANNELS,
      changes,
      snapshot: async () => ({ rows: [], checkpoint: '0:0' }),
      windowMs: 100,
      heartbeatMs: 0,
      startCursor: '0:0',
      scheduler,
    });
    const seen: [number, Envelope][] = [];
    hub
      .messages({ channel: 'inventory_alerts', cursor: '0:0' }, { userId: 'u', tenantIds: ['c1'] })
      .subscribe((e) => seen.push([scheduler.now(), e]));
    // One burst on a quiet channel (a processor batch), two changes inside the window that follows, then quiet again.
    scheduler.schedule(() => {
      changes.next(change(1, 5, null));
      changes.next(change(2, 4, 5));
    }, 10);
    scheduler.schedule(() => changes.next(change(3, 3, 4)), 50);
    scheduler.schedule(() => changes.next(change(4, 2, 3)), 70);
    scheduler.schedule(() => changes.next(change(5, 1, 2)), 400);
    scheduler.flush();
    const data = seen.filter(([, e]) => e.type === 'data');
    expect(data.map(([t, e]) => [t, e.cursor, e.deltas])).toEqual([
      [10, '1:2', [['INSERT', { creator_id: 'c1', sku: 'A' }, { creator_id: 'c1', sku: 'A', stock: 4 }]]],
      [110, '1:4', [['UPDATE', { creator_id: 'c1', sku: 'A' }, { stock: 2 }]]],
      [400, '1:5', [['UPDATE', { creator_id: 'c1', sku: 'A' }, { stock: 1 }]]],
    ]);
  });
});
