/**
 * resolve-sync-conflicts resolves a window halfway through its grace
 * (`prepareClosing`) so that settling it when due is only the write; a
 * report joining the window afterwards, or a base that moved, makes it
 * resolve afresh. Memory, PGlite and PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  commerceEvent,
  inventoryStream,
  stockReportEvent,
  type InventoryLevelRow,
  type StockReported,
} from '../../src/commerce/index.js';
import type { SyncConflictProcessor } from '../../src/commerce/conflicts/index.js';
import { commerceEngines, type CommerceTestbed } from './support.js';

const C = 'creator-ahead';
const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const WINDOW = 5_000;
const SETTLE = 1_000;
/** Halfway through the grace of a window anchored at T0. */
const PREPARE = T0 + WINDOW + SETTLE / 2;
const DUE = T0 + WINDOW + SETTLE;

describe.each(commerceEngines)('windows resolved ahead ($name)', (engine) => {
  let bed: CommerceTestbed;
  let conflicts: SyncConflictProcessor;

  beforeEach(async () => {
    bed = await engine.open({ conflicts: { tickMs: 3_600_000, settleMs: SETTLE, lease: false } });
    conflicts = bed.commerce.conflicts!;
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await bed.close();
  });

  async function report(productId: string, source: StockReported['source'], quantity: number, ms: number) {
    await bed.store.append(inventoryStream(C, productId), [
      stockReportEvent({
        creatorId: C,
        productId,
        quantity,
        source,
        sourceId: source,
        reportedAt: new Date(T0 + ms).toISOString(),
      }),
    ]);
    await conflicts.whenCaughtUp();
  }
  async function settle(nowMs: number) {
    const result = await conflicts.settleDue(nowMs);
    await bed.commerce.whenIdle();
    return result;
  }
  const onHand = async (productId: string) =>
    (
      await bed.commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
        creator_id: C,
        product_id: productId,
      })
    )?.on_hand;

  it.runIf(engine.available)(
    'a window prepared halfway through its grace is settled when due without running the engine again',
    async () => {
      await report('p1', 'tiktok_webhook', 50, 0);
      await report('p1', 'manual_admin', 48, 1_000);
      // Not before half the grace has gone, nor for a window already due.
      expect(await conflicts.prepareClosing(PREPARE - 1)).toBe(0);
      expect(await conflicts.prepareClosing(DUE)).toBe(0);
      expect(await conflicts.prepareClosing(PREPARE)).toBe(1);
      expect(await conflicts.prepareClosing(PREPARE + 1)).toBe(0); // once per window
      const engineRuns = vi.spyOn(conflicts.unscopedResolver.engine, 'resolve');
      expect(await settle(DUE)).toEqual({ applied: 0, resolved: 1, escalated: 0 });
      expect(engineRuns).not.toHaveBeenCalled();
      expect(await onHand('p1')).toBe(48);
      const [record] = await conflicts.unscopedResolver.list({ entityType: 'inventory' });
      expect(record!.resolution.contenders).toHaveLength(2);
      expect(Date.parse(record!.detectedAt)).toBeGreaterThan(T0 + 3_600_000); // detected at the commit
    },
  );

  it.runIf(engine.available)(
    'a report joining the window during the rest of its grace is resolved with it',
    async () => {
      await report('p1', 'tiktok_webhook', 50, 0);
      await report('p1', 'manual_admin', 48, 1_000);
      expect(await conflicts.prepareClosing(PREPARE)).toBe(1);
      // Late (arrives after the preparation) but inside the window: it joins it.
      await report('p1', 'manual_admin', 47, 4_000);
      const engineRuns = vi.spyOn(conflicts.unscopedResolver.engine, 'resolve');
      expect(await settle(DUE)).toEqual({ applied: 0, resolved: 1, escalated: 0 });
      expect(engineRuns).toHaveBeenCalledTimes(1);
      expect(await onHand('p1')).toBe(47);
      const [record] = await conflicts.unscopedResolver.list({ entityType: 'inventory' });
      expect(record!.resolution.contenders).toHaveLength(3);
    },
  );

  it.runIf(engine.available)('a base that moved after the preparation is resolved afresh', async () => {
    await bed.store.append(inventoryStream(C, 'p2'), [
      commerceEvent('inventory.stock_updated', {
        creatorId: C,
        productId: 'p2',
        quantity: 100,
        reason: 'sync',
      }),
    ]);
    await bed.commerce.whenIdle();
    await report('p2', 'tiktok_webhook', 100, 0);
    await report('p2', 'manual_admin', 99, 1_000);
    expect(await conflicts.prepareClosing(PREPARE)).toBe(1);
    await bed.store.append(inventoryStream(C, 'p2'), [
      commerceEvent('inventory.stock_updated', {
        creatorId: C,
        productId: 'p2',
        quantity: 98,
        reason: 'sync',
      }),
    ]);
    await bed.commerce.whenIdle();
    const engineRuns = vi.spyOn(conflicts.unscopedResolver.engine, 'resolve');
    await settle(DUE);
    expect(engineRuns).toHaveBeenCalledTimes(1);
    const [record] = await conflicts.unscopedResolver.list({ entityType: 'inventory' });
    expect(record!.resolution.before).toMatchObject({ quantity: 98 });
  });
});
