/**
 * The commerce schedules run by the scheduler: `sync-inventory-levels` reads
 * TikTok Shop's stock through the port (its fake), reports each figure that
 * differs from on hand as a scheduled-sync contender (priority 5) to
 * resolve-sync-conflicts, and recomputes the derived columns; a retried run
 * reports each figure once. `archive-event-log` archives old months. Memory,
 * PGlite and PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ARCHIVE_LOG_SCHEDULE,
  commerceSchedules,
  FakeTikTokShopClient,
  SYNC_INVENTORY_SCHEDULE,
  type InventoryLevelRow,
  type InventorySyncRunSummary,
} from '../../src/commerce/index.js';
import { silentLogger } from '../../src/core/logger.js';
import {
  ACCESS_AUDIT_RETENTION_SCHEDULE,
  createScheduler,
  type Scheduler,
} from '../../src/scheduling/index.js';
import { commerceEngines, type CommerceTestbed } from './support.js';

const C = 'creator-1';

describe.each(commerceEngines)('commerce schedules ($name)', (engine) => {
  let bed: CommerceTestbed;
  let scheduler: Scheduler;

  beforeEach(async () => {
    bed = await engine.open({ conflicts: { tickMs: 3_600_000 } });
    scheduler = createScheduler({
      ...(bed.store.sql ? { sql: bed.store.sql, schema: bed.store.schema } : {}),
      logger: silentLogger,
      schedules: commerceSchedules(bed.commerce, {
        creatorIds: [C],
        tiktok: { client: bed.tiktok, shopOf: (creator) => (creator === C ? 'shop-1' : undefined) },
      }),
    });
    await scheduler.start();
  });
  afterEach(async () => {
    await scheduler.stop();
    await bed.close();
  });

  it('sync-inventory-levels reports TikTok stock as scheduled-sync contenders, once per run', async () => {
    bed.tiktok.setStock('p1', 'SKU-1', 40).setStock('p2', 'SKU-2', 7);
    const asked = await scheduler.trigger(SYNC_INVENTORY_SCHEDULE, { requestedBy: 'admin-1' });
    const run = await scheduler.waitForRun(asked.id);
    expect(run.status).toBe('succeeded');
    expect(run.result as InventorySyncRunSummary).toMatchObject({ creators: 1, read: 2, reported: 2 });

    const reports = (await bed.store.readAll({ limit: 100 })).events.filter(
      (e) => e.type === 'inventory.stock_reported',
    );
    expect(reports.map((e) => (e.data as { source: string; quantity: number }).source)).toEqual([
      'scheduled_sync',
      'scheduled_sync',
    ]);
    // resolve-sync-conflicts settles them into the read model.
    const conflicts = bed.commerce.conflicts!;
    await conflicts.whenCaughtUp();
    await conflicts.settleDue(Date.now() + 3_600_000);
    await bed.commerce.whenIdle();
    const p1 = await bed.commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
      creator_id: C,
      product_id: 'p1',
    });
    const p2 = await bed.commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
      creator_id: C,
      product_id: 'p2',
    });
    expect([p1?.on_hand, p2?.on_hand]).toEqual([40, 7]);

    // Stock unchanged: the next run reports nothing.
    const again = await scheduler.waitForRun((await scheduler.trigger(SYNC_INVENTORY_SCHEDULE)).id);
    expect(again.result as InventorySyncRunSummary).toMatchObject({ creators: 1, reported: 0, products: 2 });
  });

  it('sync-inventory-levels reads the TikTok feed of createCommerce({ inventorySync }) when given none', async () => {
    const tiktok = new FakeTikTokShopClient().setStock('p9', 'SKU-9', 12);
    const own = await engine.open({
      conflicts: { tickMs: 3_600_000 },
      inventorySync: { tiktok: { client: tiktok, shopOf: () => 'shop-1' }, tickMs: 3_600_000 },
    });
    const alone = createScheduler({
      ...(own.store.sql ? { sql: own.store.sql, schema: own.store.schema } : {}),
      logger: silentLogger,
      schedules: commerceSchedules(own.commerce, { creatorIds: [C], archive: false }),
    });
    await alone.start();
    try {
      const run = await alone.waitForRun((await alone.trigger(SYNC_INVENTORY_SCHEDULE)).id);
      expect(run.result as InventorySyncRunSummary).toMatchObject({ creators: 1, read: 1, reported: 1 });
      expect(tiktok.inventoryReads).toEqual([null]);
    } finally {
      await alone.stop();
      await own.close();
    }
  });

  it('archive-event-log is a monthly cron schedule that archives through the store', async () => {
    expect(scheduler.status().map((s) => [s.name, s.describe])).toEqual([
      [SYNC_INVENTORY_SCHEDULE, 'every 300000 ms'],
      [ARCHIVE_LOG_SCHEDULE, 'cron 0 3 1 * * (UTC)'],
      [ACCESS_AUDIT_RETENTION_SCHEDULE, 'cron 30 3 * * * (UTC)'],
    ]);
    const run = await scheduler.waitForRun((await scheduler.trigger(ARCHIVE_LOG_SCHEDULE)).id);
    expect(run).toMatchObject({ status: 'succeeded', result: { archived: [] } });
  });
});
