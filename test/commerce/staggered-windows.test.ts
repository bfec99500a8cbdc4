/**
 * Staggered windows (`windowAlignment: 'staggered'`): each entity's windows
 * are fixed slots on its own phase, so the cut depends only on the entity and
 * the reports' times, entities reported together fall due spread over the
 * window, and the timer's `gatherMs` writes windows falling due close together
 * in one pass. The cut itself, then the processor on memory, PGlite and
 * PostgreSQL.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createConflictConfig } from '../../src/conflicts/config.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import {
  commerceConflictConfig,
  inventoryStream,
  staggeredWindowEnd,
  stockReportEvent,
  SyncConflictProcessor,
  windowPhaseMs,
  type InventoryLevelRow,
  type StagedContender,
} from '../../src/commerce/index.js';
import { WindowSchedule } from '../../src/commerce/conflicts/window-schedule.js';
import { waitFor } from '../support/wait.js';
import { staged } from './staged-report.js';
import { commerceEngines, type CommerceTestbed } from './support.js';

const WINDOW_MS = 5_000;
const SETTLE_MS = 1_000;
const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const entity = (entityId: string) => ({ creatorId: 'c1', entityType: 'inventory' as const, entityId });

describe('staggered slots', () => {
  it("an entity's phase is stable, inside the window, and spreads entities over it", () => {
    const phases = Array.from({ length: 500 }, (_, i) => windowPhaseMs(entity(`p${i}`), WINDOW_MS));
    expect(phases).toEqual(Array.from({ length: 500 }, (_, i) => windowPhaseMs(entity(`p${i}`), WINDOW_MS)));
    for (const phase of phases) {
      expect(Number.isInteger(phase)).toBe(true);
      expect(phase).toBeGreaterThanOrEqual(0);
      expect(phase).toBeLessThan(WINDOW_MS);
    }
    // Every tenth of the window holds some of the 500 products' phases, none more than twice its share.
    const tenths = Array.from(
      { length: 10 },
      (_, k) => phases.filter((p) => Math.floor(p / 500) === k).length,
    );
    for (const n of tenths) {
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThan(100);
    }
    // The key's parts are kept apart: ('c1', 'p1') is not ('c', '1p1').
    expect(windowPhaseMs({ creatorId: 'c1', entityType: 'inventory', entityId: 'p1' }, 1e9)).not.toBe(
      windowPhaseMs({ creatorId: 'c', entityType: 'inventory', entityId: '1p1' }, 1e9),
    );
  });

  it('a slot ends on the phase grid, after the report and at most a window after it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e13, max: 1e13 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.nat(),
        (atMs, windowMs, rawPhase) => {
          const phase = rawPhase % windowMs;
          const end = staggeredWindowEnd(atMs, phase, windowMs);
          expect(end).toBeGreaterThan(atMs);
          expect(end - atMs).toBeLessThanOrEqual(windowMs);
          expect((((end - phase) % windowMs) + windowMs) % windowMs).toBe(0);
        },
      ),
    );
    expect(staggeredWindowEnd(7_200, 1_000, 5_000)).toBe(11_000);
    // A report at a slot's end opens the next slot.
    expect(staggeredWindowEnd(11_000, 1_000, 5_000)).toBe(16_000);
  });

  it('cuts windows inside slots, the same whatever the arrival order, each due a grace after its slot', () => {
    const schedule = new WindowSchedule(
      createConflictConfig(commerceConflictConfig({ entities: { inventory: { windowMs: WINDOW_MS } } })),
      SETTLE_MS,
      'staggered',
    );
    const phase = windowPhaseMs(entity('p1'), WINDOW_MS);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 30_000 }), { minLength: 1, maxLength: 14 }),
        (times) => {
          const sorted = times.map((t, i) => staged(`e${i}`, T0 + t)).sort((a, b) => a.atMs - b.atMs);
          let left = sorted;
          const windows: StagedContender[][] = [];
          for (;;) {
            const first = left[0];
            if (!first) break;
            const end = staggeredWindowEnd(first.atMs, phase, WINDOW_MS);
            // Not due before its slot's end plus the grace; due then.
            expect(schedule.dueWindow(left, end + SETTLE_MS - 1, entity('p1'))).toBeNull();
            const window = schedule.dueWindow(left, end + SETTLE_MS, entity('p1'))!;
            expect(schedule.dueAt({ ...entity('p1'), anchorMs: first.atMs })).toBe(end + SETTLE_MS);
            windows.push(window);
            left = left.slice(window.length);
          }
          expect(windows.flat()).toEqual(sorted);
          for (const w of windows) {
            // One slot a window: every report's slot ends where the first's does.
            const ends = new Set(w.map((r) => staggeredWindowEnd(r.atMs, phase, WINDOW_MS)));
            expect(ends.size).toBe(1);
          }
          // Consecutive windows are in different slots.
          for (let i = 1; i < windows.length; i++)
            expect(staggeredWindowEnd(windows[i]![0]!.atMs, phase, WINDOW_MS)).toBeGreaterThan(
              staggeredWindowEnd(windows[i - 1]![0]!.atMs, phase, WINDOW_MS),
            );
        },
      ),
    );
  });

  it('a window of 0 ms is each instant on its own, as anchored', () => {
    const schedule = new WindowSchedule(
      createConflictConfig(commerceConflictConfig({ entities: { inventory: { windowMs: 0 } } })),
      SETTLE_MS,
      'staggered',
    );
    const rows = [staged('a', T0), staged('b', T0), staged('c', T0 + 1)];
    expect(schedule.dueAt({ ...entity('p1'), anchorMs: T0 })).toBe(T0 + SETTLE_MS);
    expect(schedule.dueWindow(rows, T0 + SETTLE_MS, entity('p1'))!.map((r) => r.eventId)).toEqual(['a', 'b']);
  });
});

async function report(
  bed: CommerceTestbed,
  productId: string,
  source: 'tiktok_webhook' | 'manual_admin',
  quantity: number,
  atMs: number,
  creatorId = 'c1',
) {
  await bed.store.append(inventoryStream(creatorId, productId), [
    stockReportEvent({
      creatorId,
      productId,
      quantity,
      source,
      sourceId: source,
      reportedAt: new Date(atMs).toISOString(),
    }),
  ]);
}

const onHand = async (bed: CommerceTestbed, productId: string, creatorId = 'c1') => {
  const row = await bed.commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
    creator_id: creatorId,
    product_id: productId,
  });
  return row === null ? undefined : Number(row.on_hand);
};

describe.each(commerceEngines)('staggered windows in resolve-sync-conflicts ($name)', (engine) => {
  let bed: CommerceTestbed | undefined;
  afterEach(async () => {
    await bed?.close();
    bed = undefined;
  });

  it.runIf(engine.available)(
    "a window is its entity's slot: due a grace after the slot ends, reports across the end settle apart",
    async () => {
      bed = await engine.open({
        conflicts: {
          tickMs: 3_600_000,
          settleMs: SETTLE_MS,
          lease: false,
          windowAlignment: 'staggered',
          config: { entities: { inventory: { windowMs: WINDOW_MS } } },
        },
      });
      const conflicts = bed.commerce.conflicts!;
      const end = staggeredWindowEnd(T0, windowPhaseMs(entity('p1'), WINDOW_MS), WINDOW_MS);
      // 200 ms apart, across the slot's end: anchored, one conflict (8 against 5, escalated).
      await report(bed, 'p1', 'tiktok_webhook', 8, end - 100);
      await report(bed, 'p1', 'manual_admin', 5, end + 100);
      await conflicts.whenCaughtUp();
      expect(await conflicts.settleDue(end + SETTLE_MS - 1)).toEqual({
        applied: 0,
        resolved: 0,
        escalated: 0,
      });
      expect(await conflicts.settleDue(end + SETTLE_MS)).toEqual({ applied: 1, resolved: 0, escalated: 0 });
      await bed.commerce.whenIdle();
      expect(await onHand(bed, 'p1')).toBe(8);
      expect(await conflicts.settleDue(end + WINDOW_MS + SETTLE_MS)).toEqual({
        applied: 1,
        resolved: 0,
        escalated: 0,
      });
      await bed.commerce.whenIdle();
      expect(await onHand(bed, 'p1')).toBe(5);
      expect(await conflicts.unscopedResolver.list()).toEqual([]);
    },
    60_000,
  );

  it.runIf(engine.available)(
    'products reported together fall due spread over the window, and gatherMs settles them in few passes',
    async () => {
      const windowMs = 1_000;
      bed = await engine.open({
        conflicts: {
          tickMs: 50,
          settleMs: 200,
          windowAlignment: 'staggered',
          gatherMs: 300,
          config: { entities: { inventory: { windowMs } } },
        },
      });
      const conflicts = bed.commerce.conflicts!;
      const dueAt: number[] = [];
      const takenAt = new Set<number>();
      conflicts.on('settled', (_entity, _record, window) => {
        dueAt.push(window.dueAtMs);
        takenAt.add(window.takenAtMs);
        expect(window.takenAtMs).toBeGreaterThanOrEqual(window.dueAtMs);
      });
      const products = Array.from({ length: 40 }, (_, i) => `p${i}`);
      const now = Date.now();
      await Promise.all(products.map((p) => report(bed!, p, 'tiktok_webhook', 7, now)));
      await waitFor(async () => dueAt.length === products.length, {
        timeoutMs: 60_000,
        what: 'every product settled by the timer',
      });
      // Spread: anchored, all 40 would fall due at one moment.
      expect(Math.max(...dueAt) - Math.min(...dueAt)).toBeGreaterThan(windowMs / 2);
      // Gathered: windows falling due over a second, a pass at most every 300 ms (a capped
      // pass's successor aside, and none is capped here).
      expect(takenAt.size).toBeLessThanOrEqual(8);
      for (const p of ['p0', 'p39']) expect(await onHand(bed, p)).toBe(7);
    },
    90_000,
  );

  it.runIf(engine.name === 'memory')(
    'defaults, and refuses an unknown alignment and a bad gatherMs',
    async () => {
      bed = await engine.open();
      const { store, commerce } = bed;
      // The defaults: anchored without a gather, staggered with 15 ms.
      expect(new SyncConflictProcessor(store, commerce.readModels)).toMatchObject({
        windowAlignment: 'anchored',
        gatherMs: 0,
      });
      expect(
        new SyncConflictProcessor(store, commerce.readModels, { windowAlignment: 'staggered' }),
      ).toMatchObject({ windowAlignment: 'staggered', gatherMs: 15 });
      expect(
        () =>
          new SyncConflictProcessor(store, commerce.readModels, {
            windowAlignment: 'weekly' as 'anchored',
          }),
      ).toThrow(InvalidArgumentError);
      for (const gatherMs of [-1, Number.POSITIVE_INFINITY, Number.NaN, 120_000])
        expect(() => new SyncConflictProcessor(store, commerce.readModels, { gatherMs })).toThrow(
          InvalidArgumentError,
        );
    },
  );
});
