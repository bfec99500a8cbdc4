/**
 * Batches lost between hosts: a publish that fails while the broker is down,
 * and messages dropped while a subscriber's connection was broken. Either way
 * every subscriber ends with the server's rows, even on a channel that never
 * sends another batch (which would otherwise reveal the gap).
 */
import { describe, expect, it } from 'vitest';
import { createRealtimeHub } from '../../src/realtime/hub.js';
import { OrderedPublisher } from '../../src/realtime/hub-wire.js';
import { type PubSub, createMemoryPubSub } from '../../src/realtime/pubsub.js';
import { CHANNELS, TestClient, harness, sorted } from './support.js';

const alice = { userId: 'alice', tenantIds: ['c1'] };

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A memory pub/sub whose broker can go down (publishes fail) or drop deliveries, then come back. */
function breakablePubSub() {
  const inner = createMemoryPubSub();
  const resumes = new Set<() => void>();
  const state = { down: false, dropping: false, failedPublishes: 0, failedSubscribes: 0 };
  const pubsub: PubSub = {
    async publish(topic, message) {
      if (state.down) {
        state.failedPublishes++;
        throw new Error('broker unreachable');
      }
      if (state.dropping) return; // accepted, never delivered: a subscriber connection is broken
      await inner.publish(topic, message);
    },
    async subscribe(topic, onMessage, onResume) {
      if (state.down) {
        state.failedSubscribes++;
        throw new Error('broker unreachable');
      }
      const off = await inner.subscribe(topic, onMessage);
      if (onResume) resumes.add(onResume);
      return async () => {
        if (onResume) resumes.delete(onResume);
        await off();
      };
    },
  };
  return {
    pubsub,
    state,
    /** The subscriber connection is back: tell every subscription. */
    resume() {
      state.dropping = false;
      for (const fn of resumes) fn();
    },
  };
}

/** Host A produces batches from its read model; host B only serves subscribers from the same rows. */
async function twoHosts(pubsub: PubSub) {
  const a = harness({ pubsub, topic: 'rt_faults', windowMs: 5 });
  a.hub.events.on('error', () => undefined); // the failed publishes are expected here
  const b = createRealtimeHub({
    channels: CHANNELS,
    heartbeatMs: 0,
    snapshot: a.model.snapshot,
    pubsub,
    topic: 'rt_faults',
  });
  await Promise.all([a.hub.ready, b.ready]);
  return { a, b };
}

/** A hub on host A's read model that publishes its changes, as a projection does. */
function feedingHub(a: Awaited<ReturnType<typeof twoHosts>>['a'], pubsub: PubSub) {
  return createRealtimeHub({
    channels: CHANNELS,
    heartbeatMs: 0,
    snapshot: a.model.snapshot,
    changes: a.model.changes,
    pubsub,
    topic: 'rt_faults',
    windowMs: 5,
  });
}

describe('batches lost between hosts', () => {
  it('a batch whose publish failed while the broker was down reaches the other host once it is back', async () => {
    const broker = breakablePubSub();
    const { a, b } = await twoHosts(broker.pubsub);
    // Feed host A's hub from its read model, as a projection does.
    const feeder = feedingHub(a, broker.pubsub);
    const errors: unknown[] = [];
    feeder.events.on('error', (err) => errors.push(err));
    await feeder.ready;
    const client = new TestClient(b, alice, { channel: 'inventory_alerts' });
    client.connect();
    await until(() => client.received.some((e) => e.type === 'ready'), 'ready');

    broker.state.down = true;
    a.model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 3 });
    await until(() => broker.state.failedPublishes >= 2, 'the publish to be retried');
    expect(errors).toHaveLength(1); // reported once per outage, not per attempt
    broker.state.down = false;
    await until(() => client.table.get({ creator_id: 'c1', sku: 'A' })?.stock === 3, 'the row on host B');
    expect(sorted(client.table.rows())).toEqual(sorted(client.expected(a.model)));
    expect(client.violations).toEqual([]);
    await Promise.all([feeder.close(), a.hub.close(), b.close()]);
  });

  it('a hub whose broker was down when it started subscribes once it is back, and misses nothing', async () => {
    const broker = breakablePubSub();
    const { a, b } = await twoHosts(broker.pubsub);
    broker.state.down = true;
    // Host A's feeding hub starts during the outage (a host restarted while Redis was down).
    const feeder = feedingHub(a, broker.pubsub);
    const errors: unknown[] = [];
    feeder.events.on('error', (err) => errors.push(err));
    // Not a rejection: the host starts and serves; the hub keeps trying in the background.
    await feeder.ready;
    await until(() => broker.state.failedSubscribes >= 2, 'the subscription to be retried');
    expect(errors).toHaveLength(1); // reported once, not per attempt
    expect(feeder.stats().pubsubDown).toBe(true);
    const onB = new TestClient(b, alice, { channel: 'inventory_alerts' });
    const onFeeder = new TestClient(feeder, alice, { channel: 'inventory_alerts' });
    onB.connect();
    onFeeder.connect();
    await until(() => onFeeder.received.some((e) => e.type === 'ready'), 'ready on the feeder');
    a.model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'A', stock: 3 });

    broker.state.down = false;
    await until(() => !feeder.stats().pubsubDown, 'the subscription');
    for (const [client, host] of [
      [onB, 'host B'],
      [onFeeder, 'the feeding host'],
    ] as const) {
      await until(() => client.table.get({ creator_id: 'c1', sku: 'A' })?.stock === 3, `the row on ${host}`);
      expect(sorted(client.table.rows())).toEqual(sorted(client.expected(a.model)));
      expect(client.violations).toEqual([]);
    }
    // Live from then on, on both hosts.
    a.model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'B', stock: 4 });
    await until(() => onFeeder.table.get({ creator_id: 'c1', sku: 'B' })?.stock === 4, 'a later row');
    await until(() => onB.table.get({ creator_id: 'c1', sku: 'B' })?.stock === 4, 'a later row on host B');
    await Promise.all([feeder.close(), a.hub.close(), b.close()]);
  });

  it('a subscriber whose connection dropped messages reloads every channel when it is back', async () => {
    const broker = breakablePubSub();
    const { a, b } = await twoHosts(broker.pubsub);
    const client = new TestClient(b, alice, { channel: 'inventory_alerts' });
    client.connect();
    await until(() => client.received.some((e) => e.type === 'ready'), 'ready');
    const resyncs: string[] = [];
    b.events.on('realtime:resync', (info) => resyncs.push(`${info.reason}:${info.channels.join(',')}`));

    // A batch sent while host B's connection is broken never arrives, and the channel then goes quiet.
    broker.state.dropping = true;
    a.model.upsert('inventory_alerts', { creator_id: 'c1', sku: 'B', stock: 7 });
    await broker.pubsub.publish('rt_faults', JSON.stringify(a.takeBatch()));
    expect(client.table.get({ creator_id: 'c1', sku: 'B' })).toBeUndefined();

    broker.resume();
    await until(() => client.table.get({ creator_id: 'c1', sku: 'B' })?.stock === 7, 'the reload on host B');
    expect(resyncs).toEqual([`pubsub_resumed:${CHANNELS.map((c) => c.name).join(',')}`]);
    expect(sorted(client.table.rows())).toEqual(sorted(client.expected(a.model)));
    await Promise.all([a.hub.close(), b.close()]);
  });
});

describe('OrderedPublisher', () => {
  it('keeps the order of messages across failed attempts', async () => {
    const seen: string[] = [];
    let failures = 3;
    const publisher = new OrderedPublisher(
      {
        async publish(_topic, message) {
          if (failures-- > 0) throw new Error('down');
          seen.push(message);
        },
        subscribe: async () => async () => undefined,
      },
      't',
      () => undefined,
      { maxRetryDelayMs: 20 },
    );
    for (const m of ['1', '2', '3', '4']) publisher.publish(m);
    await until(() => seen.length === 4, 'every message');
    expect(seen).toEqual(['1', '2', '3', '4']);
    expect(publisher.pending).toBe(0);
    await publisher.close();
  });

  it('drops the oldest past its bound, reports it, and stops retrying once closed', async () => {
    const errors: unknown[] = [];
    let attempts = 0;
    const publisher = new OrderedPublisher(
      {
        async publish() {
          attempts++;
          throw new Error('down');
        },
        subscribe: async () => async () => undefined,
      },
      't',
      (err) => errors.push(err),
      { maxPending: 2, maxRetryDelayMs: 10 },
    );
    for (const m of ['1', '2', '3']) publisher.publish(m);
    expect(publisher.pending).toBe(2);
    expect(errors.some((e) => (e as { code?: string }).code === 'REALTIME_UNAVAILABLE')).toBe(true);
    await publisher.close(0);
    const after = attempts;
    await new Promise((r) => setTimeout(r, 50));
    expect(attempts).toBe(after);
    expect(publisher.pending).toBe(0);
  });

  it('with combine, joins the messages queued behind a publish in flight into one, in order', async () => {
    const seen: string[] = [];
    let release: () => void = () => undefined;
    const publisher = new OrderedPublisher(
      {
        async publish(_topic, message) {
          if (seen.length === 0) await new Promise<void>((resolve) => (release = resolve));
          seen.push(message);
        },
        subscribe: async () => async () => undefined,
      },
      't',
      () => undefined,
      { combine: (messages) => messages.join('+') },
    );
    publisher.publish('1'); // in flight until released
    for (const m of ['2', '3', '4']) publisher.publish(m);
    await until(() => seen.length === 0 && publisher.pending === 4, 'the queue');
    release();
    await until(() => publisher.pending === 0, 'every message');
    expect(seen).toEqual(['1', '2+3+4']);
    await publisher.close();
  });
});
