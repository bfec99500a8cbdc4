/**
 * The settling timer of resolve-sync-conflicts: a window is settled when it
 * falls due, not at the timer's next tick, and a pass whose appends wait to
 * commit does not hold back the windows of other entities.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { inventoryStream, stockReportEvent, type InventoryLevelRow } from '../../src/commerce/index.js';
import { waitFor } from '../support/wait.js';
import { commerceEngines, type CommerceTestbed } from './support.js';

const WINDOW_MS = 5_000;
const SETTLE_MS = 500;
const conflictsOptions = (tickMs: number) => ({
  tickMs,
  settleMs: SETTLE_MS,
  config: { entities: { inventory: { windowMs: WINDOW_MS } } },
});

async function reportPair(bed: CommerceTestbed, creatorId: string, productId: string, atMs: number) {
  const reportedAt = new Date(atMs).toISOString();
  await bed.store.append(inventoryStream(creatorId, productId), [
    stockReportEvent({
      creatorId,
      productId,
      quantity: 8,
      source: 'tiktok_webhook',
      sourceId: 'shop',
      reportedAt,
    }),
    stockReportEvent({
      creatorId,
      productId,
      quantity: 8,
      source: 'manual_admin',
      sourceId: 'ops',
      reportedAt,
    }),
  ]);
}

const onHand = async (bed: CommerceTestbed, creatorId: string, productId: string) =>
  (
    await bed.commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
      creator_id: creatorId,
      product_id: productId,
    })
  )?.on_hand;

describe.each(commerceEngines)('settling timer ($name)', (engine) => {
  let bed: CommerceTestbed | undefined;
  afterEach(async () => {
    await bed?.close();
    bed = undefined;
  });

  it.runIf(engine.available)(
    'settles a window when it falls due, not at the next tick',
    async () => {
      // A tick an hour away: only the wake-up at the window's due time can settle it in the test.
      bed = await engine.open({ conflicts: conflictsOptions(3_600_000) });
      const reportedMs = Date.now();
      await reportPair(bed, 'c1', 'p1', reportedMs);
      await waitFor(async () => (await onHand(bed!, 'c1', 'p1')) === 8, {
        timeoutMs: 40_000,
        what: 'the window settled by the timer',
      });
      // Not before it was due: the grace for late reports is kept.
      const audit = await bed.commerce.conflicts!.unscopedResolver.list();
      expect(audit).toHaveLength(1);
      expect(Date.parse(audit[0]!.detectedAt)).toBeGreaterThanOrEqual(reportedMs + WINDOW_MS + SETTLE_MS);
    },
    90_000,
  );

  it.runIf(engine.available && engine.name === 'postgres')(
    "a pass waiting on its commit does not hold back other entities' windows",
    async () => {
      bed = await engine.open({ conflicts: conflictsOptions(50) });
      const t0 = Date.now();
      // p1 falls due 3 s before p2; both are staged long before either is due.
      await reportPair(bed, 'blocked', 'p1', t0 - 3_000);
      await reportPair(bed, 'free', 'p2', t0);
      await bed.commerce.conflicts!.whenCaughtUp();
      // Hold the read models' lock of p1's creator: p1's settled value cannot commit.
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holder = bed.store.sql!.transaction(async (tx) => {
        await bed!.commerce.readModels.lockCreators(tx, ['blocked']);
        locked();
        await released;
      });
      try {
        await isLocked;
        await waitFor(async () => (await onHand(bed!, 'free', 'p2')) === 8, {
          timeoutMs: 40_000,
          what: "p2's window settled while p1's pass waits",
        });
        expect(await onHand(bed, 'blocked', 'p1')).toBeUndefined();
      } finally {
        release();
        await holder;
      }
      await waitFor(async () => (await onHand(bed!, 'blocked', 'p1')) === 8, {
        timeoutMs: 40_000,
        what: "p1's window settled once the lock is released",
      });
    },
    150_000,
  );
});
