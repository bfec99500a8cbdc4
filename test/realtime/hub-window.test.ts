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
  it('folds the changes of one window into one message per subscriber, stamped with the last cursor', () => {
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
    scheduler.schedule(() => changes.next(change(1, 5, null)), 10);
    scheduler.schedule(() => changes.next(change(2, 4, 5)), 20);
    scheduler.schedule(() => changes.next(change(3, 3, 4)), 150);
    scheduler.flush();
    const data = seen.filter(([, e]) => e.type === 'data');
    expect(data.map(([t, e]) => [t, e.cursor, e.deltas])).toEqual([
      [100, '1:2', [['INSERT', { creator_id: 'c1', sku: 'A' }, { creator_id: 'c1', sku: 'A', stock: 4 }]]],
      [200, '1:3', [['UPDATE', { creator_id: 'c1', sku: 'A' }, { stock: 3 }]]],
    ]);
  });
});
