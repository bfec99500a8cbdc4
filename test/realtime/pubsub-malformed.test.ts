/**
 * Messages arriving over pub/sub are validated: a malformed one (not JSON,
 * not a message, a batch with a bad cursor or change) is dropped, counted and
 * reported as the hub's 'error', and the subscription goes on untouched with
 * the next valid batch.
 */
import { describe, expect, it } from 'vitest';
import { isPubSubMessageError } from '../../src/realtime/errors.js';
import { decodeWire, decodeWireMessages, encodeWire, encodeWireBundle } from '../../src/realtime/hub-wire.js';
import { createRealtimeHub } from '../../src/realtime/hub.js';
import { createMemoryPubSub } from '../../src/realtime/pubsub.js';
import { CHANNELS, TestClient, harness, sorted } from './support.js';

const alice = { userId: 'alice', tenantIds: ['c1'] };
const TOPIC = 'rt_malformed';

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('malformed pub/sub messages', () => {
  it('are dropped, counted and reported, and the subscription keeps its rows and goes on', async () => {
    const pubsub = createMemoryPubSub();
    const source = harness(); // host A's read model; its batches are published by hand below
    const hub = createRealtimeHub({
      channels: CHANNELS,
      heartbeatMs: 0,
      snapshot: source.model.snapshot,
      pubsub,
      topic: TOPIC,
    });
    const errors: unknown[] = [];
    hub.events.on('error', (err) => errors.push(err));
    await hub.ready;
    const client = new TestClient(hub, alice, { channel: 'inventory_alerts' });
    client.connect();
    await until(() => client.received.some((e) => e.type === 'ready'), 'ready');

    source.model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 1 });
    await pubsub.publish(
      TOPIC,
      encodeWire({ kind: 'batch', batch: { ...source.takeBatch()!, previous: null } }),
    );
    await until(() => client.table.get({ creator_id: 'c1', sku: 'A' })?.stock === 1, 'the first batch');
    const before = client.received.length;

    const good = { ...source.takeBatch(), channel: 'inventory_alerts' };
    const malformed = [
      'not json {',
      JSON.stringify({ hello: 'world' }),
      JSON.stringify({ channel: 'inventory_alerts', cursor: 'yesterday', changes: [] }),
      JSON.stringify({ channel: 'inventory_alerts', cursor: '1:9', changes: [{ key: 'c1' }] }),
      JSON.stringify({ ...good, cursor: '1:9', changes: 'everything' }),
      JSON.stringify({ invalidate: 42, from: 'x' }),
    ];
    for (const text of malformed) await pubsub.publish(TOPIC, text);
    await until(() => errors.length === malformed.length, 'every malformed message reported');
    expect(errors.every(isPubSubMessageError)).toBe(true);
    expect(hub.stats().malformedMessages).toBe(malformed.length);
    expect(errors.map((e) => (isPubSubMessageError(e) ? e.channel : ''))).toEqual(malformed.map(() => TOPIC));
    expect(client.received.length).toBe(before); // nothing reached the subscriber

    // The next valid batch is applied as if nothing happened.
    source.model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'B', stock: 2 });
    const batch = source.takeBatch()!;
    const previous = client.table.cursor;
    await pubsub.publish(TOPIC, encodeWire({ kind: 'batch', batch: { ...batch, previous } }));
    await until(() => client.table.get({ creator_id: 'c1', sku: 'B' })?.stock === 2, 'the next batch');
    expect(sorted(client.table.rows())).toEqual(sorted(client.expected(source.model)));
    expect(client.violations).toEqual([]);
    expect(client.received.filter((e) => e.type === 'reset')).toHaveLength(1); // only the initial load
    await Promise.all([hub.close(), source.hub.close()]);
  });

  it('decodeWire names the bad field', () => {
    let caught: unknown;
    try {
      decodeWire(JSON.stringify({ channel: 'c', cursor: '1:1', changes: [{ key: {}, keyId: 'k' }] }), 't');
    } catch (err) {
      caught = err;
    }
    expect(isPubSubMessageError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(/changes\.0\.(oldRow|newRow|lastSeen|firstCheckpoint)/);
    expect(decodeWire(encodeWire({ kind: 'invalidate', channel: 'c', from: 'h' }))).toEqual({
      kind: 'invalidate',
      channel: 'c',
      from: 'h',
    });
  });

  it('a row must be a JSON object (null only where the change allows it); a bundle decodes as its parts do', () => {
    const change = (row: unknown) => ({
      key: { creator_id: 'c1' },
      keyId: '["c1"]',
      oldRow: null,
      newRow: row,
      lastSeen: null,
      firstCheckpoint: '1:1',
      lastCheckpoint: '1:1',
    });
    const batch = (row: unknown) => JSON.stringify({ channel: 'c', cursor: '1:1', changes: [change(row)] });
    for (const bad of [[1, 2], 'row', 7, true]) {
      expect(() => decodeWire(batch(bad), 't'), JSON.stringify(bad)).toThrow(/changes\.0\.newRow/);
    }
    const row = { creator_id: 'c1', stock: 2, history: { '2026-06-01': [1, null] }, tags: ['a'] };
    const single = decodeWire(batch(row), 't');
    expect(single).toEqual({
      kind: 'batch',
      batch: { channel: 'c', cursor: '1:1', changes: [change(row)], previous: null },
    });
    const notice = encodeWire({ kind: 'invalidate', channel: 'c', from: 'h' });
    expect(decodeWireMessages(encodeWireBundle([batch(row), notice, batch(row)]), 't')).toEqual([
      single,
      decodeWire(notice),
      single,
    ]);
  });

  it('a bundle of batches (what a publisher sends after a backlog) is applied in order; a bad part drops the whole bundle', async () => {
    const pubsub = createMemoryPubSub();
    const source = harness();
    const hub = createRealtimeHub({
      channels: CHANNELS,
      heartbeatMs: 0,
      snapshot: source.model.snapshot,
      pubsub,
      topic: TOPIC,
    });
    const errors: unknown[] = [];
    hub.events.on('error', (err) => errors.push(err));
    await hub.ready;
    const client = new TestClient(hub, alice, { channel: 'inventory_alerts' });
    client.connect();
    await until(() => client.table.cursor !== null, 'the snapshot');

    source.model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'B', stock: 5 });
    const first = source.takeBatch()!;
    source.model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'B', stock: 3 });
    const second = source.takeBatch()!;
    const previous = client.table.cursor;
    const parts = [
      encodeWire({ kind: 'batch', batch: { ...first, previous } }),
      encodeWire({ kind: 'batch', batch: { ...second, previous: first.cursor } }),
    ];
    expect(decodeWireMessages(encodeWireBundle(parts))).toHaveLength(2);
    expect(() => decodeWireMessages(encodeWireBundle([parts[0]!, '{"channel":1}']))).toThrow();
    await pubsub.publish(TOPIC, encodeWireBundle([parts[0]!, '{"channel":1}']));
    await until(() => errors.length === 1, 'the bad bundle reported');
    expect(client.table.get({ creator_id: 'c1', sku: 'B' })?.stock).not.toBe(5);

    await pubsub.publish(TOPIC, encodeWireBundle(parts));
    await until(() => client.table.get({ creator_id: 'c1', sku: 'B' })?.stock === 3, 'both batches');
    expect(client.violations).toEqual([]);
    expect(client.received.filter((e) => e.type === 'reset')).toHaveLength(1); // no gap: applied in order
    await Promise.all([hub.close(), source.hub.close()]);
  });
});
