import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  InvalidFilterError,
  TooManyConnectionsError,
  UnknownChannelError,
} from '../../src/realtime/errors.js';
import { TestClient, harness, sorted, tick } from './support.js';

const alice = { userId: 'alice', tenantIds: ['c1'] };

describe('realtime hub', () => {
  it('loads a snapshot, reports ready, then sends only changed fields', async () => {
    const { model, hub, flush } = harness();
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 5, severity: 'warning' });
    model.upsert('inventory_alerts', { creator_id: 'c2', sku: 'B', stock: 1, severity: 'critical' });
    flush();
    const client = new TestClient(hub, alice, { channel: 'inventory_alerts' });
    client.connect();
    await tick();
    expect(client.received.map((e) => e.type)).toEqual(['reset', 'ready']);
    expect(client.received[0]!.rows).toEqual([{ creator_id: 'c1', sku: 'A', stock: 5, severity: 'warning' }]);
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 4 });
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 3 });
    model.upsert('inventory_alerts', { creator_id: 'c2', sku: 'B', stock: 0 });
    flush();
    const data = client.received.at(-1)!;
    expect(data.type).toBe('data');
    expect(data.deltas).toEqual([['UPDATE', { creator_id: 'c1', sku: 'A' }, { stock: 3 }]]);
    expect(data.cursor).toBe(model.checkpoint);
  });

  it('resumes from a cursor inside the buffer with the missed deltas and no snapshot', async () => {
    const { model, hub, flush } = harness();
    const client = new TestClient(hub, alice, { channel: 'inventory_alerts' });
    client.connect();
    await tick();
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 5 });
    flush();
    client.disconnect();
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 4 });
    flush();
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'B', stock: 9 });
    flush();
    client.received.length = 0;
    client.connect();
    expect(client.received.map((e) => e.type)).toEqual(['data', 'ready']);
    expect(client.received[0]!.deltas).toEqual([
      ['UPDATE', { creator_id: 'c1', sku: 'A' }, { stock: 4 }],
      ['INSERT', { creator_id: 'c1', sku: 'B' }, { creator_id: 'c1', sku: 'B', stock: 9 }],
    ]);
    expect(sorted(client.table.rows())).toEqual(sorted(client.expected(model)));
    expect(client.violations).toEqual([]);
  });

  it('sends a reset when the cursor is older than the buffer', async () => {
    const { model, hub, flush } = harness({ replay: { maxBatches: 2 } });
    const client = new TestClient(hub, alice, { channel: 'inventory_alerts' });
    client.connect();
    await tick();
    client.disconnect();
    for (let i = 0; i < 4; i++) {
      model.upsert('inventory_alerts', { creator_id: 'c1', sku: `S${i}`, stock: i });
      flush();
    }
    client.received.length = 0;
    client.connect();
    await tick();
    expect(client.received.map((e) => e.type)).toEqual(['reset', 'ready']);
    expect(sorted(client.table.rows())).toEqual(sorted(client.expected(model)));
  });

  it('keeps what arrives while the snapshot loads, without gap or duplicate', async () => {
    const { model, hub, flush, releaseSnapshots } = harness({ holdSnapshots: true });
    const client = new TestClient(hub, alice, { channel: 'inventory_alerts' });
    client.connect();
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 5 });
    flush(); // arrives while pinning
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 4 }); // in the snapshot, not yet flushed
    releaseSnapshots();
    await tick();
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 3 });
    flush(); // straddles the snapshot position
    expect(client.received[0]!.type).toBe('reset');
    expect(client.received.some((e) => e.type === 'ready')).toBe(true);
    expect(client.table.rows()).toEqual([{ creator_id: 'c1', sku: 'A', stock: 3 }]);
    expect(client.violations).toEqual([]);
  });

  it('turns rows entering and leaving the filter into INSERT and DELETE', async () => {
    const { model, hub, flush } = harness();
    const client = new TestClient(hub, alice, { channel: 'inventory_alerts', filter: 'stock=lt.10' });
    client.connect();
    await tick();
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 50 });
    flush();
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 5 });
    flush();
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 60 });
    flush();
    const deltas = client.received.filter((e) => e.type === 'data').map((e) => e.deltas);
    expect(deltas).toEqual([
      [['INSERT', { creator_id: 'c1', sku: 'A' }, { creator_id: 'c1', sku: 'A', stock: 5 }]],
      [['DELETE', { creator_id: 'c1', sku: 'A' }, {}]],
    ]);
  });

  it('only sends the subscribed events', async () => {
    const { model, hub, flush } = harness();
    const client = new TestClient(hub, alice, { channel: 'inventory_alerts', events: ['DELETE'] });
    client.connect();
    await tick();
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 50 });
    flush();
    model.delete('inventory_alerts', { creator_id: 'c1', sku: 'A' });
    flush();
    const ops = client.received.filter((e) => e.type === 'data').flatMap((e) => e.deltas!.map((d) => d[0]));
    expect(ops).toEqual(['DELETE']);
  });

  it('conflates by key for a slow connection, then resets it, with bounded memory', async () => {
    const { model, hub, flush } = harness({ subscriberBuffer: { maxMessages: 4, maxDeltas: 20 } });
    const client = new TestClient(hub, alice, { channel: 'inventory_alerts' });
    client.connect();
    await tick();
    client.writable = false;
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 0 });
    flush(); // written; the connection now reports it is backed up
    for (let i = 1; i <= 10; i++) {
      model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: i });
      flush();
      expect(hub.stats().queuedMessages).toBeLessThanOrEqual(5);
    }
    const before = client.received.length;
    client.writable = true;
    client.handle!.drained();
    const flushed = client.received.slice(before);
    // Ten updates of one key, conflated: fewer messages, each holding one delta for the key.
    expect(flushed.length).toBeLessThanOrEqual(5);
    expect(flushed[0]!.deltas).toHaveLength(1);
    expect(client.table.get({ creator_id: 'c1', sku: 'A' })).toEqual({
      creator_id: 'c1',
      sku: 'A',
      stock: 10,
    });
    expect(client.violations).toEqual([]);
    // Now more distinct keys than the queue may hold: the subscriber is reset instead.
    client.writable = false;
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'X', stock: 0 });
    flush();
    for (let i = 0; i < 30; i++) {
      for (let k = 0; k < 5; k++)
        model.upsert('inventory_alerts', { creator_id: 'c1', sku: `K${i}_${k}`, stock: i });
      flush();
      expect(hub.stats().queuedMessages).toBeLessThanOrEqual(5);
    }
    const resets: string[] = [];
    hub.events.on('realtime:reset', (info) => resets.push(info.reason));
    client.writable = true;
    client.handle!.drained();
    await tick();
    expect(resets).toEqual(['slow_consumer']);
    expect(client.received.at(-2)!.type).toBe('reset');
    expect(sorted(client.table.rows())).toEqual(sorted(client.expected(model)));
  });

  it('sends every subscriber a fresh snapshot when a channel is invalidated (rebuild)', async () => {
    const { model, hub, flush } = harness();
    const client = new TestClient(hub, alice, { channel: 'inventory_alerts' });
    client.connect();
    await tick();
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 5 });
    flush();
    const cursor = client.table.cursor;
    hub.invalidate('inventory_alerts');
    await tick();
    expect(client.received.slice(-2).map((e) => e.type)).toEqual(['reset', 'ready']);
    expect(client.table.rows()).toEqual([{ creator_id: 'c1', sku: 'A', stock: 5 }]);
    // The buffer was dropped: resuming from before the rebuild needs a snapshot too.
    const other = new TestClient(hub, { userId: 'x', tenantIds: ['c1'] }, { channel: 'inventory_alerts' });
    other.table.apply({ type: 'heartbeat', channel: 'inventory_alerts', cursor, serverTime: 0 });
    other.connect();
    await tick();
    expect(other.received[0]!.type).toBe('reset');
  });

  it('reloads a snapshot when a batch from another process was lost in transit', async () => {
    const { model, hub, takeBatch, client, gaps } = await gapSetup();
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 1 });
    hub.ingest({ ...takeBatch()!, previous: null });
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'B', stock: 2 });
    const b2 = takeBatch()!; // lost in transit
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 3 });
    hub.ingest({ ...takeBatch()!, previous: b2.cursor });
    expect(gaps).toHaveLength(1);
    await tick();
    expect(sorted(client.table.rows())).toEqual(sorted(client.expected(model)));
    expect(client.violations).toEqual([]);
  });

  it('detects a batch lost in transit before the first batch arrived (only a snapshot so far)', async () => {
    const { model, hub, takeBatch, client, gaps } = await gapSetup();
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 1 });
    const lost = takeBatch()!; // published while this host was not listening
    model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'B', stock: 2 });
    hub.ingest({ ...takeBatch()!, previous: lost.cursor });
    expect(gaps).toHaveLength(1);
    await tick();
    expect(sorted(client.table.rows())).toEqual(sorted(client.expected(model)));
    expect(client.violations).toEqual([]);
  });

  it('validates at subscribe time with typed errors', () => {
    const { hub } = harness();
    expect(() => hub.subscribe({ channel: 'nope' }, alice, { write: () => true })).toThrow(
      UnknownChannelError,
    );
    expect(() =>
      hub.subscribe({ channel: 'inventory_alerts', filter: 'price=eq.1' }, alice, { write: () => true }),
    ).toThrow(InvalidFilterError);
    expect(hub.stats().subscriptions).toBe(0);
  });

  it('limits connections per user and frees a slot on close', () => {
    const { hub } = harness({ maxConnectionsPerUser: 3 });
    const handles = [1, 2, 3].map(() =>
      hub.subscribe({ channel: 'inventory_alerts' }, alice, { write: () => true }),
    );
    let caught: unknown;
    try {
      hub.subscribe({ channel: 'inventory_alerts' }, alice, { write: () => true });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TooManyConnectionsError);
    expect((caught as TooManyConnectionsError).code).toBe('TOO_MANY_CONNECTIONS');
    hub.subscribe(
      { channel: 'inventory_alerts' },
      { userId: 'bob', tenantIds: ['c2'] },
      { write: () => true },
    );
    handles[0]!.close();
    expect(() => hub.subscribe({ channel: 'inventory_alerts' }, alice, { write: () => true })).not.toThrow();
  });

  it('sends heartbeats carrying a safe cursor on the configured interval', async () => {
    const scheduler = new VirtualTimeScheduler(VirtualAction, 3500);
    const { model, hub, flush } = harness({ heartbeatMs: 1000, scheduler, startCursor: '0:0' });
    model.upsert('inventory_alerts', { creator_id: 'c2', sku: 'A', stock: 1 });
    flush();
    const client = new TestClient(hub, alice, { channel: 'inventory_alerts' });
    client.table.apply({ type: 'heartbeat', channel: 'inventory_alerts', cursor: '0:0', serverTime: 0 });
    client.connect();
    scheduler.flush();
    const beats = client.received.filter((e) => e.type === 'heartbeat');
    expect(beats).toHaveLength(3);
    // Nothing concerned alice, yet her resume position moves to the channel head.
    expect(beats.map((b) => b.cursor)).toEqual([model.checkpoint, model.checkpoint, model.checkpoint]);
  });

  it('throttles a subscription and merges what arrives inside the interval', () => {
    const scheduler = new VirtualTimeScheduler(VirtualAction, 5000);
    const { model, hub, flush } = harness({ scheduler, startCursor: '0:0' });
    const client = new TestClient(hub, alice, { channel: 'inventory_alerts', throttleMs: 1000 });
    client.table.apply({ type: 'heartbeat', channel: 'inventory_alerts', cursor: '0:0', serverTime: 0 });
    client.connect();
    for (let i = 1; i <= 3; i++) {
      model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: i });
      flush();
    }
    expect(client.received.filter((e) => e.type === 'data')).toHaveLength(1);
    scheduler.flush();
    const data = client.received.filter((e) => e.type === 'data');
    expect(data).toHaveLength(2);
    expect(data[1]!.deltas).toEqual([['UPDATE', { creator_id: 'c1', sku: 'A' }, { stock: 3 }]]);
    expect(data[1]!.cursor).toBe(model.checkpoint);
  });
});

/** A live client after its snapshot, and the hub's gap events; batches are taken by hand. */
async function gapSetup() {
  const h = harness();
  const client = new TestClient(h.hub, alice, { channel: 'inventory_alerts' });
  client.connect();
  await tick();
  const gaps: unknown[] = [];
  h.hub.events.on('realtime:gap', (info) => gaps.push(info));
  return { ...h, client, gaps };
}
