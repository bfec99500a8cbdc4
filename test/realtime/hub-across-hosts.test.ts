import { describe, expect, it } from 'vitest';
import { createRealtimeHub } from '../../src/realtime/hub.js';
import { createMemoryPubSub } from '../../src/realtime/pubsub.js';
import { CHANNELS, TestClient, harness, sorted, tick } from './support.js';

const alice = { userId: 'alice', tenantIds: ['c1'] };

/** Resolves when `check()` holds (polling); the test's own timeout bounds it. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}

describe('hubs on several hosts', () => {
  it('invalidating a channel on one host resets its subscribers on every host', async () => {
    const pubsub = createMemoryPubSub();
    const a = harness({ pubsub, topic: 'rt_inv' });
    // Host B: another hub on the same pub/sub and the same read model (one database).
    const b = createRealtimeHub({
      channels: CHANNELS,
      heartbeatMs: 0,
      snapshot: a.model.snapshot,
      pubsub,
      topic: 'rt_inv',
    });
    await Promise.all([a.hub.ready, b.ready]);
    a.model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 5 });
    const clients = [a.hub, b].map((hub) => new TestClient(hub, alice, { channel: 'inventory_alerts' }));
    for (const c of clients) c.connect();
    await until(() => clients.every((c) => c.received.some((e) => e.type === 'ready')));
    const resets: string[][] = [[], []];
    [a.hub, b].forEach((hub, i) => hub.events.on('realtime:reset', (info) => resets[i]!.push(info.reason)));
    // A rebuild on host A changed the rows without row changes.
    a.model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 99 });
    a.hub.invalidate('inventory_alerts');
    await until(() => clients.every((c) => c.table.get({ creator_id: 'c1', sku: 'A' })?.stock === 99));
    await tick();
    // Once each: host A does not reload again when its own notice comes back over the pub/sub.
    expect(resets).toEqual([['invalidated'], ['invalidated']]);
    for (const c of clients) expect(sorted(c.table.rows())).toEqual(sorted(c.expected(a.model)));
    await Promise.all([a.hub.close(), b.close()]);
  });

  it('invalidating with thisHostOnly resets this host only and publishes no notice', async () => {
    const memory = createMemoryPubSub();
    const published: string[] = [];
    const pubsub = {
      ...memory,
      publish: (topic: string, text: string) => {
        published.push(text);
        return memory.publish(topic, text);
      },
    };
    const a = harness({ pubsub, topic: 'rt_local' });
    const b = createRealtimeHub({
      channels: CHANNELS,
      heartbeatMs: 0,
      snapshot: a.model.snapshot,
      pubsub,
      topic: 'rt_local',
    });
    await Promise.all([a.hub.ready, b.ready]);
    const clients = [a.hub, b].map((hub) => new TestClient(hub, alice, { channel: 'inventory_alerts' }));
    for (const c of clients) c.connect();
    await until(() => clients.every((c) => c.received.some((e) => e.type === 'ready')));
    const resets: string[][] = [[], []];
    [a.hub, b].forEach((hub, i) => hub.events.on('realtime:reset', (info) => resets[i]!.push(info.reason)));
    a.hub.invalidate('inventory_alerts', { thisHostOnly: true });
    await until(() => resets[0]!.length === 1);
    // A notice goes out in order after any earlier one: once B has reloaded for it, all came through.
    a.hub.invalidate('inventory_alerts');
    await until(() => resets[1]!.length === 1);
    await tick();
    expect(published.filter((text) => text.includes('"invalidate"'))).toHaveLength(1);
    expect(resets).toEqual([['invalidated', 'invalidated'], ['invalidated']]);
    await Promise.all([a.hub.close(), b.close()]);
  });

  it('refuses a before that is no log checkpoint, and reloads nobody', async () => {
    const a = harness({});
    await a.hub.ready;
    const client = new TestClient(a.hub, alice, { channel: 'inventory_alerts' });
    client.connect();
    await until(() => client.received.some((e) => e.type === 'ready'));
    const resets: string[] = [];
    a.hub.events.on('realtime:reset', (info) => resets.push(info.reason));
    expect(() => a.hub.invalidate('inventory_alerts', { before: 'yesterday' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    await tick();
    expect(resets).toEqual([]);
    await a.hub.close();
  });
});
