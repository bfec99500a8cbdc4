/**
 * Model-based tests through the real store. `fc.commands` drives random
 * interleavings of inventory changes from several sources, flushes (detect,
 * resolve, audit, append) and admin decisions; after each step the state
 * folded from the store's events must equal a simple reference model — the
 * correctness of resolutions on generated scenarios, which must be 100 %.
 * `fc.scheduler` then explores races between concurrent appends.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONFLICT_RESOLVED_EVENT,
  ConflictNotPendingError,
  ConflictResolver,
  type ConflictRecord,
  type ConflictResolvedData,
  type ContenderInput,
} from '../../src/conflicts/index.js';
import type { EventStore } from '../../src/store/index.js';
import { backends, type ResolverFixture } from './support/fixtures.js';
import { commerceConflictConfig } from '../../src/commerce/conflicts/commerce-conflict-config.js';

const WINDOW = 5_000;
const SOURCES = ['tiktok_webhook', 'manual_admin', 'automated_system', 'scheduled_sync'] as const;
const ENTITIES = ['A', 'B'] as const;
const CHANGED = 'inventory.changed';
// A wider discrepancy threshold than the default 10 %, so both paths (stock minimum and escalation) are common.
const DISCREPANCY_PERCENT = 50;
const coverage = { resolvedWithDisagreement: 0, escalated: 0, decided: 0 };

interface Change {
  entity: (typeof ENTITIES)[number];
  source: (typeof SOURCES)[number];
  absolute: boolean;
  value: number;
}

/** The reference model: stock per entity, pending escalations (by conflict id), changes waiting for a flush. */
interface Model {
  stock: Map<string, number>;
  pending: string[];
  buffer: { change: Change; input: ContenderInput }[];
}

/** The real system: store + resolver, and a per-run namespace so runs share one database. */
interface Real {
  store: EventStore;
  resolver: ConflictResolver;
  run: string;
  clock: { now: number; seq: number };
}

/** The simple reference rules, written independently of the engine. */
function expectedOutcome(base: number, changes: readonly Change[]): { escalated: boolean; stock: number } {
  const absolutes = changes.filter((c) => c.absolute).map((c) => c.value);
  const deltas = changes.filter((c) => !c.absolute).map((c) => c.value);
  const tiktok = changes.filter((c) => c.absolute && c.source === 'tiktok_webhook').map((c) => c.value);
  const platforms = changes
    .filter((c) => c.absolute && c.source !== 'tiktok_webhook' && c.source !== 'manual_admin')
    .map((c) => c.value);
  const crossPlatform = tiktok.some((t) => platforms.some((p) => p !== t));
  let discrepancy = false;
  if (absolutes.length >= 2) {
    const spread = Math.max(...absolutes) - Math.min(...absolutes);
    const reference = base > 0 ? base : Math.max(...absolutes);
    discrepancy = spread > 0 && (reference <= 0 || spread * 100 > DISCREPANCY_PERCENT * reference);
  }
  if (crossPlatform || discrepancy) return { escalated: true, stock: base };
  const start = absolutes.length > 0 ? Math.min(...absolutes) : base;
  return { escalated: false, stock: start + deltas.reduce((a, b) => a + b, 0) };
}

const entityId = (real: Real, entity: string) => `${real.run}-${entity}`;
const streamOf = (real: Real, entity: string) => `inventory-${entityId(real, entity)}`;

/** Current stock of an entity, folded from its stream: the harness's direct changes and conflict resolutions. */
async function stockOf(store: EventStore, stream: string): Promise<number> {
  const { events } = await store.readStream(stream);
  let stock = 0;
  for (const e of events) {
    if (e.type !== CHANGED && e.type !== CONFLICT_RESOLVED_EVENT) continue;
    const d = e.data as Pick<ConflictResolvedData, 'set' | 'adjust'>;
    if (typeof d.set.quantity === 'number') stock = d.set.quantity;
    stock += d.adjust.quantity ?? 0;
  }
  return stock;
}

class SubmitCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly change: Change) {}
  check = () => true;
  async run(model: Model, real: Real) {
    real.clock.seq += 1;
    const { entity, source, absolute, value } = this.change;
    const input: ContenderInput = {
      entityType: 'inventory',
      entityId: entityId(real, entity),
      source,
      sourceId: `${source}-1`,
      eventId: `${real.run}-e${real.clock.seq}`,
      hlc: { wallMs: real.clock.now + real.clock.seq, logical: 0, node: source },
      ...(absolute ? { changes: { quantity: value } } : { deltas: { quantity: value } }),
    };
    model.buffer.push({ change: this.change, input });
  }
  toString = () => `submit(${JSON.stringify(this.change)})`;
}

class FlushCommand implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(model: Model, real: Real) {
    const batch = model.buffer.splice(0);
    real.clock.now += WINDOW * 3; // the next burst is outside this one's window
    // Real: detect + resolve the conflicts; the harness applies unconflicted changes as plain events.
    const { records, unconflicted } = await real.resolver.process(
      batch.map((b) => b.input),
      { base: async (_type, id) => ({ quantity: await stockOf(real.store, `inventory-${id}`) }) },
    );
    for (const u of unconflicted) {
      const set = u.changes ?? {};
      const adjust = u.deltas ?? {};
      const stock = await stockOf(real.store, `inventory-${u.entityId}`);
      await real.store.append(`inventory-${u.entityId}`, [
        {
          type: CHANGED,
          data: {
            set: 'quantity' in set ? set : {},
            adjust: 'quantity' in adjust ? { quantity: adjust.quantity! } : {},
            stock,
          },
        },
      ]);
    }
    // Model: the reference rules per entity.
    for (const entity of ENTITIES) {
      const changes = batch.filter((b) => b.change.entity === entity).map((b) => b.change);
      if (changes.length === 0) continue;
      const base = model.stock.get(entity) ?? 0;
      if (changes.length === 1) {
        const [c] = changes;
        model.stock.set(entity, c!.absolute ? c!.value : base + c!.value);
        continue;
      }
      const outcome = expectedOutcome(base, changes);
      model.stock.set(entity, outcome.stock);
      const record = records.find((r) => r.resolution.entityId === entityId(real, entity));
      expect(record?.status).toBe(outcome.escalated ? 'pending' : 'resolved');
      if (outcome.escalated) model.pending.push(record!.conflictId);
      if (outcome.escalated) coverage.escalated += 1;
      else if (new Set(changes.filter((c) => c.absolute).map((c) => c.value)).size > 1)
        coverage.resolvedWithDisagreement += 1;
    }
    await checkState(model, real);
  }
  toString = () => 'flush';
}

class DecideCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly pick: number,
    readonly value: number,
  ) {}
  check = (model: Readonly<Model>) => model.pending.length > 0;
  async run(model: Model, real: Real) {
    const conflictId = model.pending.splice(this.pick % model.pending.length, 1)[0]!;
    const pending = await real.resolver.listPending({ entityType: 'inventory' });
    const record = pending.find((r) => r.conflictId === conflictId);
    expect(record).toBeDefined();
    await real.resolver.resolveManually(conflictId, { values: { quantity: this.value }, adminId: 'admin' });
    const entity = ENTITIES.find((e) => entityId(real, e) === record!.resolution.entityId)!;
    model.stock.set(entity, this.value);
    coverage.decided += 1;
    await checkState(model, real);
  }
  toString = () => `decide(${this.pick}, ${this.value})`;
}

async function checkState(model: Model, real: Real) {
  for (const entity of ENTITIES) {
    expect(await stockOf(real.store, streamOf(real, entity))).toBe(model.stock.get(entity) ?? 0);
  }
  const pending = (await real.resolver.listPending({ entityType: 'inventory' }))
    .filter((r) => r.resolution.entityId.startsWith(`${real.run}-`))
    .map((r) => r.conflictId);
  expect(pending.sort()).toEqual([...model.pending].sort());
}

/** Release scheduled appends one at a time until `promise` settles (appends may be scheduled after real I/O). */
async function drive<T>(s: fc.Scheduler, promise: Promise<T>): Promise<T> {
  let settled = false;
  const tracked = promise.finally(() => {
    settled = true;
  });
  while (!settled) {
    if (s.count() > 0) await s.waitOne();
    else await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return tracked;
}

const submit = fc
  .record({
    entity: fc.constantFrom(...ENTITIES),
    source: fc.constantFrom(...SOURCES),
    absolute: fc.boolean(),
    value: fc.integer({ min: 0, max: 40 }),
  })
  .map((c) => new SubmitCommand(c.absolute ? c : { ...c, value: c.value - 15 }));

// Submits weigh 3:1 against flushes so most flushes hold a real conflict.
const commands = fc.commands(
  [
    submit,
    submit,
    submit,
    fc.constant(new FlushCommand()),
    fc.tuple(fc.nat(), fc.integer({ min: 0, max: 60 })).map(([p, v]) => new DecideCommand(p, v)),
  ],
  { maxCommands: 40, size: 'large' },
);

describe.each(backends)('conflict model on $name', (backend) => {
  let f: ResolverFixture;
  let runs = 0;
  beforeAll(async () => {
    if (backend.available)
      f = await backend.open({
        config: { thresholds: { inventoryDiscrepancyPercent: DISCREPANCY_PERCENT } },
        // The model folds direct changes and resolutions from one stream, in log order.
        streamId: (type, id) => `${type}-${id}`,
      });
  });
  afterAll(async () => {
    await f?.close();
  });

  it.skipIf(!backend.available)(
    'stateful model: random interleavings of changes, flushes and admin decisions match the reference model on every step (100 % correct resolutions)',
    async () => {
      Object.assign(coverage, { resolvedWithDisagreement: 0, escalated: 0, decided: 0 });
      await fc.assert(
        fc.asyncProperty(commands, async (cmds) => {
          const run = `r${++runs}`;
          const real: Real = {
            store: f.store,
            resolver: f.resolver,
            run,
            clock: { now: 1_000_000_000 + runs * 10_000_000, seq: 0 },
          };
          await fc.asyncModelRun(
            () => ({ model: { stock: new Map(), pending: [], buffer: [] }, real }),
            cmds,
          );
        }),
        { numRuns: backend.name === 'memory' ? 200 : 50 },
      );
      // The generated scenarios reached every path (so the law above could fail).
      expect(Math.min(...Object.values(coverage))).toBeGreaterThan(0);
    },
  );

  it.skipIf(!backend.available)(
    'races (fc.scheduler): concurrent resolutions of one conflict in any order and concurrent admin decisions append each outcome once, audit once, and agree',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.scheduler(), fc.integer({ min: 2, max: 4 }), async (s, copies) => {
          const run = `race${++runs}`;
          // Every append waits for the scheduler, which picks the order concurrent appends reach the store.
          const append = s.scheduleFunction((...args: Parameters<EventStore['append']>) =>
            f.store.append(...args),
          );
          const racing = new Proxy(f.store, {
            get(target, prop) {
              if (prop === 'append') return append;
              const value: unknown = Reflect.get(target, prop, target);
              return typeof value === 'function'
                ? (value as (...a: unknown[]) => unknown).bind(target)
                : value;
            },
          });
          const resolver = new ConflictResolver({
            config: commerceConflictConfig(),
            store: racing,
            streamId: (type, id) => `${type}-${id}`,
          });
          await resolver.migrate();
          try {
            const mk = (i: number, entity: string, source: string, q: number): ContenderInput => ({
              entityType: 'inventory',
              entityId: `${run}-${entity}`,
              source,
              sourceId: source,
              eventId: `${run}-${i}`,
              hlc: { wallMs: 5_000 + i, logical: 0, node: 'n' },
              changes: { quantity: q },
            });
            const cs = [
              mk(1, 'X', 'automated_system', 10),
              mk(2, 'X', 'scheduled_sync', 10),
              mk(3, 'X', 'manual_admin', 11),
            ];
            const rotate = (k: number) => [...cs.slice(k % cs.length), ...cs.slice(0, k % cs.length)];
            const resolutions = await drive(
              s,
              Promise.allSettled(
                Array.from({ length: copies }, (_, k) =>
                  resolver.resolve({
                    entityType: 'inventory',
                    entityId: `${run}-X`,
                    contenders: rotate(k),
                    base: { quantity: 12 },
                  }),
                ),
              ),
            );
            const records = resolutions.map((r) => {
              if (r.status === 'rejected') throw r.reason;
              return r.value;
            });
            for (const r of records) expect(r.resolution).toEqual(records[0]!.resolution);
            expect((await f.store.readStream(`inventory-${run}-X`)).events).toHaveLength(2);
            expect((await resolver.get(records[0]!.conflictId))!.resolution).toEqual(records[0]!.resolution);

            const escalating = [mk(4, 'Y', 'automated_system', 10), mk(5, 'Y', 'scheduled_sync', 40)];
            const pending = await drive(
              s,
              resolver.resolve({
                entityType: 'inventory',
                entityId: `${run}-Y`,
                contenders: escalating,
                base: { quantity: 40 },
              }),
            );
            expect(pending.status).toBe('pending');
            const decisions = await drive(
              s,
              Promise.allSettled([
                resolver.resolveManually(pending.conflictId, { values: { quantity: 10 }, adminId: 'a1' }),
                resolver.resolveManually(pending.conflictId, { values: { quantity: 40 }, adminId: 'a2' }),
              ]),
            );
            const won = decisions.filter(
              (d): d is PromiseFulfilledResult<ConflictRecord> => d.status === 'fulfilled',
            );
            const lost = decisions.filter((d): d is PromiseRejectedResult => d.status === 'rejected');
            expect([won.length, lost.length]).toEqual([1, 1]);
            expect(lost[0]!.reason).toBeInstanceOf(ConflictNotPendingError);
            const events = (await f.store.readStream(`inventory-${run}-Y`)).events;
            expect(events.filter((e) => e.type === CONFLICT_RESOLVED_EVENT)).toHaveLength(1);
            const audited = await resolver.get(pending.conflictId);
            expect(audited!.status).toBe('manually_resolved');
            expect(audited!.manualOverride!.adminId).toBe(won[0]!.value.manualOverride!.adminId);
          } finally {
            resolver.close(); // removes its audit hook from the shared store
          }
        }),
        { numRuns: backend.name === 'memory' ? 100 : 15 },
      );
    },
  );
});
