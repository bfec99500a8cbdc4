/**
 * `sync-inventory-levels` on inventory events (`createCommerce({ inventorySync })`):
 * a burst of stock movements is coalesced into one run per product — after
 * the events pause (`debounceMs`), at the latest `maxWaitMs` after the first —
 * which reads TikTok Shop's stock of those products through the port (one
 * search) and reports the figures that differ from on hand as scheduled-sync
 * contenders (priority 5) that resolve-sync-conflicts settles. Its own reports
 * and their outcomes start nothing; on SQL stores one host of two syncs (the
 * processor's lease). Marks are durable: a host stopped (or killed) after
 * marking and before flushing leaves them to the next holder of the lease,
 * which syncs them once. Memory, PGlite and PostgreSQL; the debounce runs on
 * a clock the test moves.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  commerceEvent,
  FakeTikTokShopClient,
  InventorySyncTrigger,
  inventorySyncMarksOf,
  type InventorySyncOptions,
  inventoryStream,
  stockReportEvent,
  SYNC_INVENTORY_ON_EVENTS,
  type InventoryLevelRow,
  type StockReported,
} from '../../src/commerce/index.js';
import { waitFor } from '../support/wait.js';
import { commerceEngines, type CommerceTestbed } from './support.js';

const C = 'creator-1';
const DEBOUNCE = 2_000;
const MAX_WAIT = 10_000;

describe.each(commerceEngines)('sync-inventory-levels on inventory events ($name)', (engine) => {
  let bed: CommerceTestbed;
  let tiktok: FakeTikTokShopClient;
  let clock: number;

  beforeEach(async () => {
    clock = Date.parse('2026-12-03T12:00:00.000Z');
    tiktok = new FakeTikTokShopClient();
    bed = await engine.open({
      conflicts: { tickMs: 3_600_000 },
      inventorySync: {
        tiktok: { client: tiktok, shopOf: (creator) => (creator === C ? 'shop-1' : undefined) },
        debounceMs: DEBOUNCE,
        maxWaitMs: MAX_WAIT,
        // The timer never fires in a test: flushDue is called with the clock the test moves.
        tickMs: 3_600_000,
        now: () => clock,
      },
    });
    // Products with stock levels, and nothing marked or read yet.
    for (const productId of ['p1', 'p2', 'p3']) await stockUpdated(productId, 40);
    await settleEverything();
    tiktok.inventoryReads.length = 0;
  });
  afterEach(async () => {
    await bed.close();
  });

  const trigger = () => bed.commerce.inventorySync!;
  /** Another host's trigger on the same store (standby while the first holds the lease). */
  const anotherHost = (client: FakeTikTokShopClient, options: Partial<InventorySyncOptions> = {}) =>
    new InventorySyncTrigger(
      { store: bed.store, readModels: bed.commerce.readModels, reportContenders: true },
      {
        tiktok: { client, shopOf: () => 'shop-1' },
        tickMs: 3_600_000,
        debounceMs: DEBOUNCE,
        maxWaitMs: MAX_WAIT,
        now: () => clock,
        ...options,
      },
    );
  const storedMarks = async () =>
    (await inventorySyncMarksOf(bed.store).load()).map((m) => [m.creatorId, m.productId]).sort();
  const stockUpdated = (productId: string, quantity: number) =>
    bed.store.append(inventoryStream(C, productId), [
      commerceEvent('inventory.stock_updated', { creatorId: C, productId, quantity, reason: 'restock' }),
    ]);
  const reserved = (productId: string, orderId: string) =>
    bed.store.append(inventoryStream(C, productId), [
      commerceEvent('inventory.reserved', { creatorId: C, productId, orderId, quantity: 1 }),
    ]);
  const warehouseCount = (productId: string, quantity: number) =>
    bed.store.append(inventoryStream(C, productId), [
      stockReportEvent({
        creatorId: C,
        productId,
        quantity,
        source: 'automated_system' satisfies StockReported['source'],
        sourceId: 'warehouse',
        reportedAt: new Date(clock).toISOString(),
      }),
    ]);
  const scheduledReports = async () =>
    (await bed.store.readAll()).events.filter(
      (e) =>
        e.type === 'inventory.stock_reported' &&
        (e.data as StockReported).source === 'scheduled_sync' &&
        e.metadata.source === 'sync-inventory-levels',
    );
  const onHand = async (productId: string) =>
    Number(
      (
        await bed.commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
          creator_id: C,
          product_id: productId,
        })
      )?.on_hand,
    );
  /** Mark, sync whatever is due long after, settle the conflicts: a quiet start. */
  async function settleEverything(): Promise<void> {
    await bed.commerce.whenIdle();
    clock += MAX_WAIT;
    await trigger().flushDue();
    await bed.commerce.conflicts!.whenCaughtUp();
    await bed.commerce.conflicts!.settleDue(Date.now() + 3_600_000);
    await bed.commerce.whenIdle();
  }

  it('coalesces a burst into one run per product, reading only those products from TikTok', async () => {
    tiktok.setStock('p1', 'SKU-1', 31).setStock('p2', 'SKU-2', 40).setStock('p3', 'SKU-3', 12);
    // The clock moves before each event, never after: the trigger may mark an
    // event before its append returns to us, and must see the clock it was made at.
    for (let i = 0; i < 15; i++) {
      clock += 100;
      await reserved('p1', `o-${i}`);
    }
    for (let i = 0; i < 5; i++) await warehouseCount('p2', 40 - i);
    await trigger().whenCaughtUp();
    expect(trigger().pending()).toEqual({ [C]: ['p1', 'p2'] });

    // Still within the pause after the last event: nothing runs.
    clock += DEBOUNCE - 1;
    expect(await trigger().flushDue()).toEqual([]);
    expect(tiktok.inventoryReads).toEqual([]);

    clock += 1;
    const runs = await trigger().flushDue();
    expect(runs).toEqual([{ creatorId: C, productIds: ['p1', 'p2'], read: 2, reported: 1 }]);
    // One search, of the marked products only (p3 moved nowhere and is not read).
    expect(tiktok.inventoryReads).toEqual([['p1', 'p2']]);
    expect(await trigger().flushDue(clock + 60_000)).toEqual([]);

    // p1: TikTok's 31 available + 15 reserved = 46 on hand, reported at priority 5.
    const reports = await scheduledReports();
    expect(
      reports.map((e) => [(e.data as StockReported).productId, (e.data as StockReported).quantity]),
    ).toEqual([['p1', 46]]);
    const conflicts = bed.commerce.conflicts!;
    await conflicts.whenCaughtUp();
    await conflicts.settleDue(Date.now() + 3_600_000);
    await bed.commerce.whenIdle();
    expect(await onHand('p1')).toBe(46);
    // Its own report and the settled figure start no second run.
    expect(trigger().pending()).toEqual({});
    expect(await trigger().flushDue(clock + 60_000)).toEqual([]);
    expect(tiktok.inventoryReads).toHaveLength(1);
  });

  it('bounds a burst that never pauses: the product runs maxWaitMs after its first event', async () => {
    tiktok.setStock('p1', 'SKU-1', 40);
    const first = clock;
    let runs: Awaited<ReturnType<InventorySyncTrigger['flushDue']>> = [];
    let n = 0;
    // An event every half pause, for longer than maxWaitMs: a debounce alone would never fire.
    while (runs.length === 0 && clock - first <= MAX_WAIT + DEBOUNCE) {
      await reserved('p1', `o-${n++}`);
      await trigger().whenCaughtUp();
      runs = await trigger().flushDue();
      if (runs.length === 0) clock += DEBOUNCE / 2;
    }
    expect(runs.map((r) => r.productIds)).toEqual([['p1']]);
    expect(clock - first).toBe(MAX_WAIT);
    expect(tiktok.inventoryReads).toEqual([['p1']]);
  });

  it('a failed TikTok read keeps the products marked and tries again after a pause', async () => {
    tiktok.setStock('p3', 'SKU-3', 5);
    await reserved('p3', 'o-1');
    await trigger().whenCaughtUp();
    tiktok.behaviour.failNext('getInventory', 'transient');
    clock += DEBOUNCE;
    await expect(trigger().flushDue()).rejects.toThrow(/unavailable/);
    expect(trigger().pending()).toEqual({ [C]: ['p3'] });
    clock += DEBOUNCE;
    expect((await trigger().flushDue()).map((r) => [r.productIds, r.reported])).toEqual([[['p3'], 1]]);
  });

  it.skipIf(engine.name === 'memory')(
    'on SQL stores one host of two syncs: the processor lease',
    async () => {
      const other = new FakeTikTokShopClient();
      const second = new InventorySyncTrigger(
        {
          store: bed.store,
          readModels: bed.commerce.readModels,
          reportContenders: true,
        },
        {
          tiktok: { client: other, shopOf: () => 'shop-1' },
          tickMs: 3_600_000,
          debounceMs: DEBOUNCE,
          now: () => clock,
          lease: { ttlMs: 60_000 },
        },
      );
      await second.start();
      try {
        await waitFor(() => trigger().processor.leaseHeld, { what: 'the first host holds the lease' });
        expect(second.processor.leaseHeld).toBe(false);
        tiktok.setStock('p1', 'SKU-1', 10);
        other.setStock('p1', 'SKU-1', 10);
        await reserved('p1', 'o-lease');
        await trigger().whenCaughtUp();
        clock += DEBOUNCE;
        expect(await second.flushDue()).toEqual([]);
        expect((await trigger().flushDue()).map((r) => r.productIds)).toEqual([['p1']]);
        expect(other.inventoryReads).toEqual([]);
        expect(tiktok.inventoryReads).toEqual([['p1']]);
        expect(second.processor.name).toBe(SYNC_INVENTORY_ON_EVENTS);
      } finally {
        await second.stop();
      }
    },
  );

  it('a host stopped after marking and before flushing leaves its marks to the next, which syncs them', async () => {
    tiktok.setStock('p1', 'SKU-1', 7).setStock('p2', 'SKU-2', 40);
    await reserved('p1', 'o-crash');
    await stockUpdated('p2', 41);
    await trigger().whenCaughtUp();
    expect(trigger().pending()).toEqual({ [C]: ['p1', 'p2'] });
    // Committed with the checkpoint that moved past the events.
    expect(await storedMarks()).toEqual([
      [C, 'p1'],
      [C, 'p2'],
    ]);
    // The host goes away without flushing: its copy in memory is gone with it.
    await trigger().stop();
    expect(trigger().pending()).toEqual({});

    const next = new FakeTikTokShopClient().setStock('p1', 'SKU-1', 7).setStock('p2', 'SKU-2', 40);
    const host = anotherHost(next);
    await host.start();
    try {
      await waitFor(() => host.processor.leaseHeld, { what: 'the next host holds the lease' });
      clock += DEBOUNCE;
      const runs = await host.flushDue();
      expect(runs.map((r) => [r.productIds, r.reported])).toEqual([[['p1', 'p2'], 2]]);
      expect(next.inventoryReads).toEqual([['p1', 'p2']]);
      expect(tiktok.inventoryReads).toEqual([]);
      expect(await storedMarks()).toEqual([]);
      expect(await host.flushDue(clock + 60_000)).toEqual([]);
      expect(next.inventoryReads).toHaveLength(1);
    } finally {
      await host.stop();
    }
  });

  it('the same events delivered again after their run (a crash before the checkpoint moved) sync nothing', async () => {
    tiktok.setStock('p1', 'SKU-1', 9);
    const before = await bed.store.headCheckpoint();
    await reserved('p1', 'o-again');
    await trigger().whenCaughtUp();
    clock += DEBOUNCE;
    expect((await trigger().flushDue()).map((r) => r.productIds)).toEqual([['p1']]);
    // Marking is at-least-once: a host that died after its upsert and before its
    // checkpoint update leaves the next one to deliver the batch again.
    await trigger().stop();
    await trigger().processor.seek(before);
    const next = new FakeTikTokShopClient().setStock('p1', 'SKU-1', 9);
    const host = anotherHost(next);
    await host.start();
    try {
      await waitFor(() => host.processor.leaseHeld, { what: 'the next host holds the lease' });
      await host.whenCaughtUp();
      expect(host.pending()).toEqual({});
      expect(await host.flushDue(clock + 60_000)).toEqual([]);
      expect(next.inventoryReads).toEqual([]);
      expect(await storedMarks()).toEqual([]);
      // A later event of the product is marked and synced as usual.
      await reserved('p1', 'o-later');
      await host.whenCaughtUp();
      expect((await host.flushDue(clock + 60_000)).map((r) => r.productIds)).toEqual([['p1']]);
    } finally {
      await host.stop();
    }
  });

  it('a mark made while its product is being synced stays for the next run', async () => {
    tiktok.setStock('p1', 'SKU-1', 40);
    await reserved('p1', 'o-before');
    await trigger().whenCaughtUp();
    clock += DEBOUNCE;
    // The run reads TikTok; meanwhile p1 moves again and is marked (a later position).
    const read = tiktok.getInventory.bind(tiktok);
    tiktok.getInventory = async (request) => {
      tiktok.getInventory = read;
      await reserved('p1', 'o-during');
      await trigger().whenCaughtUp();
      return read(request);
    };
    expect((await trigger().flushDue()).map((r) => r.productIds)).toEqual([['p1']]);
    expect(await storedMarks()).toEqual([[C, 'p1']]);
    expect(trigger().pending()).toEqual({ [C]: ['p1'] });
    clock += DEBOUNCE;
    expect((await trigger().flushDue()).map((r) => r.productIds)).toEqual([['p1']]);
    expect(await storedMarks()).toEqual([]);
  });

  it.skipIf(engine.name === 'memory')(
    'one mark set under two hosts is synced once: by the holder that takes the lease over',
    async () => {
      const other = new FakeTikTokShopClient().setStock('p1', 'SKU-1', 3);
      tiktok.setStock('p1', 'SKU-1', 3);
      const second = anotherHost(other, { lease: { ttlMs: 6_000, acquireIntervalMs: 50 } });
      await second.start();
      try {
        await waitFor(() => trigger().processor.leaseHeld, { what: 'the first host holds the lease' });
        await reserved('p1', 'o-two-hosts');
        await trigger().whenCaughtUp();
        clock += DEBOUNCE;
        // The standby has nothing to flush, however late it is.
        expect(await second.flushDue(clock + 60_000)).toEqual([]);
        await trigger().stop();
        await waitFor(() => second.processor.leaseHeld, { what: 'the second host takes the lease' });
        expect((await second.flushDue()).map((r) => r.productIds)).toEqual([['p1']]);
        // The first host comes back as a standby: the set is gone, nothing runs twice.
        await trigger().start();
        expect(await trigger().flushDue(clock + 60_000)).toEqual([]);
        expect(await second.flushDue(clock + 60_000)).toEqual([]);
        expect(other.inventoryReads).toEqual([['p1']]);
        expect(tiktok.inventoryReads).toEqual([]);
        expect((await scheduledReports()).length).toBe(1);
      } finally {
        await second.stop();
      }
    },
  );
});
