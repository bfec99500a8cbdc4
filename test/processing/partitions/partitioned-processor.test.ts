/**
 * Partitioned processors in one process: routing and per-stream order, fair
 * share between two and three instances with rebalancing on join and leave,
 * the layout rule, and a shared starting checkpoint — on memory, PGlite and
 * PostgreSQL.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { heartbeatMember } from '../../../src/processing/partitions/member-store.js';
import {
  acquireLease,
  assignPartitions,
  createPartitionedProcessor,
  createProcessor,
  migrateProcessing,
  partitionOf,
  ProcessorLayoutError,
  type PartitionedProcessor,
  type PartitionedProcessorOptions,
} from '../../../src/processing/index.js';
import { waitFor } from '../../support/wait.js';
import { sqlStoreEngines, storeEngines, visible, type TestStore } from '../support.js';
import { logPositions, perStreamOrdered, recorder, type Recorder } from './support.js';

/** Short leases and heartbeats: a rebalance takes a fraction of a second. */
const FAST = {
  pollIntervalMs: 50,
  lagIntervalMs: 0,
  lease: { ttlMs: 1500, renewIntervalMs: 100, acquireIntervalMs: 50 },
  retry: { attempts: 2, minTimeoutMs: 1, maxTimeoutMs: 5 },
} as const;

/** Append `count` events round-robin over `streams` streams, a few per append. */
async function appendRoundRobin(t: TestStore, streams: number, count: number, prefix = 's'): Promise<void> {
  let last = '0:0';
  for (let i = 0; i < count; i += 3) {
    const events = Array.from({ length: Math.min(3, count - i) }, (_, k) => ({
      type: 'test.happened',
      data: { i: i + k },
    }));
    last = (await t.store.append(`${prefix}-${(i / 3) % streams}`, events)).checkpoint;
  }
  await visible(t.store, last);
}

describe.each(storeEngines)('partitioned processor on $name', (engine) => {
  let t: TestStore;
  const instances: PartitionedProcessor[] = [];
  const errors: unknown[] = [];

  const make = (rec: Recorder, extra: Partial<PartitionedProcessorOptions> = {}) => {
    const p = createPartitionedProcessor({
      ...FAST,
      store: t.store,
      name: 'shared',
      partitions: 6,
      batchSize: 7,
      handle: rec.handle,
      ...extra,
    });
    p.on('error', (err) => errors.push(err));
    instances.push(p);
    return p;
  };

  beforeEach(async () => {
    errors.length = 0;
    if (engine.available) t = await engine.open();
  });
  afterEach(async () => {
    for (const p of instances.splice(0)) await p.stop();
    if (engine.available) await t.close();
  });

  it.skipIf(!engine.available)(
    'handles every event once, in its stream partition, in per-stream order',
    async () => {
      const rec = await recorder(t.store, 'routed');
      await appendRoundRobin(t, 10, 90);
      const p = make(rec);
      await p.start();
      expect(p.assigned).toEqual([0, 1, 2, 3, 4, 5]);
      await p.whenCaughtUp({ timeoutMs: 30_000 });
      const log = await logPositions(t.store);
      expect(await rec.stored()).toEqual(log);
      expect(rec.seen).toHaveLength(log.length);
      expect(perStreamOrdered(rec.seen)).toBe(true);
      for (const h of rec.seen) {
        expect(h.partition).toBe(`shared#${partitionOf(h.stream, 6)}/6`);
      }
      expect(new Set(rec.seen.map((h) => h.partition)).size).toBeGreaterThan(1);
      expect(await p.lag()).toMatchObject({ processor: 'shared', events: 0, ms: 0 });
      expect(errors).toEqual([]);
    },
  );

  it.skipIf(!engine.available)(
    'property: any log and batch size — each event once, per-stream order, every partition at the head',
    async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 4 })), {
            minLength: 1,
            maxLength: 25,
          }),
          fc.integer({ min: 2, max: 5 }),
          fc.integer({ min: 1, max: 9 }),
          async (appends, partitions, batchSize) => {
            const name = `prop${run++}`;
            const rec = await recorder(t.store, name);
            let last = '0:0';
            for (const [stream, n] of appends) {
              const events = Array.from({ length: n }, () => ({ type: 'test.happened', data: { name } }));
              last = (await t.store.append(`${name}-${stream}`, events)).checkpoint;
            }
            await visible(t.store, last);
            const p = make(rec, {
              name,
              partitions,
              batchSize,
              filter: (e) => (e.data as { name?: string }).name === name,
            });
            await p.start();
            await p.whenCaughtUp({ timeoutMs: 30_000, to: last });
            await p.stop();
            const mine = (await t.store.readAll({ limit: 100_000 })).events
              .filter((e) => (e.data as { name?: string }).name === name)
              .map((e) => e.globalPosition);
            expect(await rec.stored()).toEqual(mine);
            expect(perStreamOrdered(rec.seen)).toBe(true);
            const lag = await p.lag();
            expect(lag.checkpoint).toBe(lag.head);
          },
        ),
        { numRuns: engine.name === 'memory' ? 40 : 8 },
      );
      expect(errors).toEqual([]);
    },
  );

  it.skipIf(!engine.available)(
    'two and three instances share the partitions fairly and rebalance on join and leave',
    async () => {
      const rec = await recorder(t.store, 'fair');
      const views: { member: string; partitions: number; members: number }[] = [];
      const watch = (p: PartitionedProcessor) => {
        p.on('processor:partitions_assigned', (info) =>
          views.push({
            member: info.member,
            partitions: info.partitions.length,
            members: info.members.length,
          }),
        );
        return p;
      };
      const held = () => instances.map((p) => p.held);
      /** Every partition held by exactly one running instance, and these counts. */
      const settled = (running: PartitionedProcessor[], counts: number[]) => {
        const all = running.flatMap((p) => p.held).sort((a, b) => a - b);
        const shares = running.map((p) => p.held.length).sort();
        return all.join() === '0,1,2,3,4,5' && shares.join() === [...counts].sort().join();
      };
      let appended = 0;
      const more = async () => {
        await appendRoundRobin(t, 12, 24, `batch${appended++}`);
      };

      const a = watch(make(rec));
      await a.start();
      await more();
      await waitFor(() => settled([a], [6]), { what: 'A holds all 6', timeoutMs: 30_000 });

      const b = watch(make(rec));
      await b.start();
      await more();
      await waitFor(() => settled([a, b], [3, 3]), {
        what: `3 + 3 (held ${JSON.stringify(held())})`,
        timeoutMs: 30_000,
      });

      const c = watch(make(rec));
      await c.start();
      await more();
      await waitFor(() => settled([a, b, c], [2, 2, 2]), {
        what: `2 + 2 + 2 (held ${JSON.stringify(held())})`,
        timeoutMs: 30_000,
      });
      expect(new Set([a.members.join(), b.members.join(), c.members.join()]).size).toBe(1);

      await b.stop(); // leaves: A and C take its partitions
      await more();
      await waitFor(() => settled([a, c], [3, 3]), {
        what: `3 + 3 after B left (held ${JSON.stringify(held())})`,
        timeoutMs: 30_000,
      });
      expect(b.held).toEqual([]);

      await a.whenCaughtUp({ timeoutMs: 30_000 });
      expect(await rec.stored()).toEqual(await logPositions(t.store));
      expect(perStreamOrdered(rec.seen)).toBe(true);
      // No instance ever ran more than ceil(N / members it saw).
      for (const v of views) expect(v.partitions).toBeLessThanOrEqual(Math.ceil(6 / v.members));
      expect(errors).toEqual([]);
    },
  );

  it.skipIf(!engine.available)(
    'every partition starts where the layout started, whenever a member first runs it (startFrom end)',
    async () => {
      const rec = await recorder(t.store, 'late');
      await appendRoundRobin(t, 6, 12, 'before');
      const a = make(rec, { startFrom: 'end' });
      await a.start(); // records the layout: every partition starts at this head
      await a.stop();
      await appendRoundRobin(t, 6, 30, 'after');
      const b = make(rec, { startFrom: 'end' }); // a later head: it must not start there
      await b.start();
      await b.whenCaughtUp({ timeoutMs: 30_000 });
      const log = (await t.store.readAll({ limit: 10_000 })).events;
      const after = log.filter((e) => e.aggregateId.startsWith('after')).map((e) => e.globalPosition);
      expect(after).toHaveLength(30);
      expect(await rec.stored()).toEqual(after);
      expect(errors).toEqual([]);
    },
  );

  it.skipIf(!engine.available)(
    'refuses another partition count for the same name with PROCESSOR_LAYOUT_CHANGED',
    async () => {
      const rec = await recorder(t.store, 'layout');
      const four = make(rec, { partitions: 4 });
      await four.start();
      const three = make(rec, { partitions: 3 });
      const refused = await three.start().catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(ProcessorLayoutError);
      expect(refused).toMatchObject({
        code: 'PROCESSOR_LAYOUT_CHANGED',
        processor: 'shared',
        partitions: 3,
        storedPartitions: 4,
      });
      expect(three.running).toBe(false);
      expect(four.assigned).toEqual([0, 1, 2, 3]); // the running layout is undisturbed
      await four.stop();
      await expect(make(rec, { partitions: 4 }).start()).resolves.toBeUndefined();
    },
  );

  it.skipIf(!engine.available)(
    'refuses to partition a processor that already ran unpartitioned',
    async () => {
      const rec = await recorder(t.store, 'legacy');
      await appendRoundRobin(t, 3, 6);
      const plain = createProcessor({ ...FAST, store: t.store, name: 'shared', handle: rec.handle });
      await plain.start();
      await plain.whenCaughtUp({ timeoutMs: 20_000 });
      await plain.stop();
      await expect(make(rec, { partitions: 2 }).start()).rejects.toMatchObject({
        code: 'PROCESSOR_LAYOUT_CHANGED',
        storedPartitions: 1,
      });
    },
  );

  it.skipIf(!engine.available)('rejects bad options with INVALID_ARGUMENT', () => {
    const base = { store: t.store, name: 'x', handle: () => undefined };
    expect(() => createPartitionedProcessor({ ...base, partitions: 0 })).toThrow(/partitions/);
    expect(() => createPartitionedProcessor({ ...base, partitions: 2.5 })).toThrow(/partitions/);
    expect(() => createPartitionedProcessor({ ...base, partitions: 5000 })).toThrow(/partitions/);
    expect(() =>
      createPartitionedProcessor({ ...base, partitions: 2, partitionKey: 'stream' as never }),
    ).toThrow(/partitionKey/);
    expect(() => createPartitionedProcessor({ ...base, name: 'n'.repeat(191), partitions: 2 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe.each(sqlStoreEngines)('partitioned processor takeover on $name', (engine) => {
  let t: TestStore;
  let a: PartitionedProcessor | undefined;
  beforeEach(async () => {
    if (engine.available) t = await engine.open();
  });
  afterEach(async () => {
    await a?.stop();
    if (engine.available) await t.close();
  });

  it.skipIf(!engine.available)(
    'takes over a member that stopped heartbeating once its member row and leases expire',
    async () => {
      const rec = await recorder(t.store, 'takeover');
      const sql = t.store.sql!;
      await migrateProcessing(sql, t.store.schema);
      // A ghost: a member that joined, took its share, and died (nothing renews its rows).
      const ttlMs = 1500;
      await heartbeatMember(sql, t.store.schema, 'shared', 'ghost', ttlMs);
      const ghostShare = assignPartitions(6, ['ghost', 'host-a']).get('ghost')!;
      expect(ghostShare).toHaveLength(3);
      for (const i of ghostShare) {
        const lease = { sql, schema: t.store.schema, name: `processor:shared#${i}/6`, owner: 'ghost' };
        expect(await acquireLease(lease, ttlMs)).toBe(true);
      }
      await appendRoundRobin(t, 12, 36);
      a = createPartitionedProcessor({
        ...FAST,
        lease: { ...FAST.lease, owner: 'host-a' },
        store: t.store,
        name: 'shared',
        partitions: 6,
        handle: rec.handle,
      });
      const errors: unknown[] = [];
      a.on('error', (err) => errors.push(err));
      await a.start();
      expect(a.members).toEqual(['ghost', 'host-a']);
      expect(a.assigned).toEqual(
        [0, 1, 2, 3, 4, 5].filter((i) => !ghostShare.includes(i)), // its fair share, not the ghost's
      );
      await waitFor(() => a!.held.length === 6, { what: 'A holds all six', timeoutMs: 30_000 });
      expect(a.members).toEqual(['host-a']);
      await a.whenCaughtUp({ timeoutMs: 30_000 });
      expect(await rec.stored()).toEqual(await logPositions(t.store));
      expect(perStreamOrdered(rec.seen)).toBe(true);
      expect(errors).toEqual([]);
    },
  );
});
