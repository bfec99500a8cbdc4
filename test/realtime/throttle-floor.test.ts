import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { CHANNELS, TestClient, harness } from './support.js';

const alice = { userId: 'alice', tenantIds: ['c1'] };

/** Three changes 100 ms apart on a channel throttled to one message per second. */
function threeQuickChanges(throttleMs: number | undefined) {
  const scheduler = new VirtualTimeScheduler(VirtualAction, 5000);
  const { model, hub, flush } = harness({
    scheduler,
    startCursor: '0:0',
    channels: [{ ...CHANNELS[0]!, throttleMs: 1000 }],
  });
  const client = new TestClient(hub, alice, {
    channel: 'inventory_alerts',
    ...(throttleMs === undefined ? {} : { throttleMs }),
  });
  client.table.apply({ type: 'heartbeat', channel: 'inventory_alerts', cursor: '0:0', serverTime: 0 });
  client.connect();
  for (let i = 0; i < 3; i++) {
    scheduler.schedule(() => {
      model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: i });
      flush();
    }, i * 100);
  }
  let before = 0;
  scheduler.schedule(() => (before = client.received.filter((e) => e.type === 'data').length), 500);
  scheduler.flush();
  return { before, after: client.received.filter((e) => e.type === 'data').length };
}

describe("a channel's throttle is a floor", () => {
  it.each([0, 1, 999])('throttle=%i cannot make the stream faster than the channel allows', (throttleMs) => {
    expect(threeQuickChanges(throttleMs)).toEqual(threeQuickChanges(undefined));
    expect(threeQuickChanges(throttleMs)).toEqual({ before: 1, after: 2 });
  });

  it('a client may ask for a slower stream', () => {
    const scheduler = new VirtualTimeScheduler(VirtualAction, 10_000);
    const { model, hub, flush } = harness({
      scheduler,
      startCursor: '0:0',
      channels: [{ ...CHANNELS[0]!, throttleMs: 1000 }],
    });
    const client = new TestClient(hub, alice, { channel: 'inventory_alerts', throttleMs: 5000 });
    client.table.apply({ type: 'heartbeat', channel: 'inventory_alerts', cursor: '0:0', serverTime: 0 });
    client.connect();
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 1 });
    flush();
    scheduler.schedule(() => {
      model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 2 });
      flush();
    }, 2000);
    scheduler.schedule(() => {
      expect(client.received.filter((e) => e.type === 'data')).toHaveLength(1);
    }, 4000);
    scheduler.flush();
    expect(client.received.filter((e) => e.type === 'data')).toHaveLength(2);
  });

  it("the host's own in-process consumers (hub.messages) get the throttle they ask for", () => {
    const scheduler = new VirtualTimeScheduler(VirtualAction, 5000);
    const { model, hub, flush } = harness({
      scheduler,
      startCursor: '0:0',
      channels: [{ ...CHANNELS[0]!, throttleMs: 1000 }],
    });
    const data: unknown[] = [];
    hub
      .messages({ channel: 'inventory_alerts', throttleMs: 0, cursor: '0:0' }, alice)
      .subscribe((e) => e.type === 'data' && data.push(e));
    for (let i = 0; i < 3; i++) {
      scheduler.schedule(() => {
        model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: i });
        flush();
      }, i * 100);
    }
    scheduler.flush();
    expect(data).toHaveLength(3);
  });
});
