import { describe, expect, it } from 'vitest';
import type { SyncError } from '../../src/core/errors.js';
import type { Envelope } from '../../src/core/envelope.js';
import { SnapshotError } from '../../src/realtime/errors.js';
import type { Snapshot } from '../../src/realtime/types.js';
import { harness, tick } from './support.js';

const alice = { userId: 'alice', tenantIds: ['c1'] };
const request = { channel: 'inventory_alerts' };

/** Twelve failed subscriptions, one after the other (more than the three slots a user has). */
async function twelve(hub: ReturnType<typeof harness>['hub'], write?: (e: Envelope) => boolean) {
  const attempts: ReturnType<typeof attempt>[] = [];
  for (let i = 0; i < 12; i++) {
    attempts.push(attempt(hub, write));
    await tick();
  }
  return attempts;
}

/** Subscribe and record what the sink sees; a throw from subscribe is recorded too. */
function attempt(hub: ReturnType<typeof harness>['hub'], write: (e: Envelope) => boolean = () => true) {
  const closed: (SyncError | undefined)[] = [];
  let thrown: unknown;
  let handle: { close(): void } | null = null;
  try {
    handle = hub.subscribe(request, alice, { write, close: (error) => closed.push(error) });
  } catch (err) {
    thrown = err;
  }
  return { closed, thrown: () => thrown, handle: () => handle };
}

describe('hub.subscribe releases its slot and its subscription on every failure path', () => {
  it('when the snapshot port throws synchronously', async () => {
    let broken = true;
    const { hub, model } = harness({
      maxConnectionsPerUser: 3,
      snapshot: (channel, filter, ids): Promise<Snapshot> => {
        if (broken) throw new Error('pool exhausted');
        return model.snapshot(channel, filter, ids);
      },
    });
    const attempts = await twelve(hub);
    for (const a of attempts) {
      const failure = a.thrown() ?? a.closed[0];
      expect(failure).toBeInstanceOf(SnapshotError);
    }
    expect(hub.stats().subscriptions).toBe(0);
    broken = false;
    const ok = attempt(hub);
    await tick();
    expect(ok.thrown()).toBeUndefined();
    expect(hub.stats().subscriptions).toBe(1);
  });

  it('when the snapshot port rejects', async () => {
    const { hub } = harness({ maxConnectionsPerUser: 3, snapshot: () => Promise.reject(new Error('down')) });
    const attempts = await twelve(hub);
    for (const a of attempts) expect(a.thrown() ?? a.closed[0]).toBeInstanceOf(SnapshotError);
    expect(hub.stats().subscriptions).toBe(0);
  });

  it('when a lifecycle listener throws: the listener is isolated and reported, the subscriptions work', async () => {
    const { hub } = harness({ maxConnectionsPerUser: 3 });
    hub.events.on('realtime:reset', () => {
      throw new Error('listener bug');
    });
    const errors: unknown[] = [];
    hub.events.on('error', (err) => errors.push(err));
    for (let i = 0; i < 12; i++) {
      const a = attempt(hub);
      await tick();
      expect(a.thrown()).toBeUndefined();
      expect(hub.stats().subscriptions).toBe(1);
      a.handle()!.close();
    }
    expect(hub.stats().subscriptions).toBe(0);
    expect(errors).toHaveLength(12);
  });

  it('when the connection throws on write', async () => {
    const { hub } = harness({ maxConnectionsPerUser: 3 });
    const attempts = await twelve(hub, () => {
      throw new Error('socket gone');
    });
    expect(attempts.map((a) => a.thrown())).toEqual(Array(12).fill(undefined));
    expect(hub.stats().subscriptions).toBe(0);
    expect(attempt(hub).thrown()).toBeUndefined();
  });
});
