/**
 * The analytics updater wired by `createCommerce({ analytics })`: scheduled
 * between start() and stop() by default, on demand with `commerce.analytics.runOnce()`,
 * left to the host with `schedule: false`, and absent unless asked for.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  commerceEvent,
  createCommerce,
  type AnalyticsRun,
  type Commerce,
  type CommerceAnalyticsOptions,
  type ProductTrendRow,
} from '../../../src/commerce/index.js';
import { addDays } from '../../../src/commerce/forecasting/dates.js';
import { createEventStore } from '../../../src/store/index.js';

const C = 'creator-a';
const START = '2026-10-01';
const NOW = Date.parse('2026-11-10T12:00:00Z');

function wired(analytics?: CommerceAnalyticsOptions): Commerce {
  const store = createEventStore({ occurredAtWindow: null });
  return createCommerce({ store, pollIntervalMs: 20, ...(analytics ? { analytics } : {}) });
}

/** Forty days of sales of one product, folded into product_daily_sales. */
async function sell(commerce: Commerce): Promise<void> {
  const events = Array.from({ length: 40 }, (_, d) =>
    commerceEvent(
      'inventory.reserved',
      { creatorId: C, productId: 'p1', orderId: `o-${d}`, quantity: 2 + (d % 3) },
      { occurredAt: new Date(`${addDays(START, d)}T12:00:00Z`) },
    ),
  );
  await commerce.store.append(`inventory-${C}-p1`, events);
  await commerce.whenIdle();
}

describe('createCommerce({ analytics })', () => {
  let commerce: Commerce | undefined;
  afterEach(async () => {
    await commerce?.stop();
    await commerce?.store.close();
    commerce = undefined;
  });

  it('is absent unless asked for', async () => {
    commerce = wired();
    expect(commerce.analytics).toBeUndefined();
  });

  it('runs on its interval between start() and stop(), and on demand', async () => {
    commerce = wired({ intervalMs: 1_000, now: () => NOW });
    const scheduled = vi.spyOn(commerce.analytics!, 'start');
    await commerce.start();
    expect(scheduled).toHaveBeenCalledTimes(1);
    await sell(commerce);
    // A run that sees the sales: the next tick after they folded.
    const firstRun = new Promise<AnalyticsRun>((resolve) =>
      commerce!.analytics!.on('updated', (r) => r.products > 0 && resolve(r)),
    );
    const run = await Promise.race([
      firstRun,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no scheduled run')), 20_000)),
    ]);
    expect(run.products).toBe(1);
    const onDemand = await commerce.analytics!.runOnce();
    expect(onDemand.products).toBe(1);
    const rows = await commerce.readModels.unscopedRows<ProductTrendRow>('product_trend_analysis');
    expect(rows.map((r) => [r.creator_id, r.product_id, r.first_date])).toEqual([[C, 'p1', '2026-11-10']]);
    expect(rows[0]!.forecast).toHaveLength(30);
  });

  it('leaves scheduling to the host with schedule: false', async () => {
    commerce = wired({ schedule: false, now: () => NOW });
    const scheduled = vi.spyOn(commerce.analytics!, 'start');
    await commerce.start();
    expect(scheduled).not.toHaveBeenCalled();
    await sell(commerce);
    expect(await commerce.readModels.unscopedRows('product_trend_analysis')).toEqual([]);
    const run = await commerce.analytics!.runOnce();
    expect(run.products).toBe(1);
    expect(await commerce.readModels.unscopedRows('product_trend_analysis')).toHaveLength(1);
  });

  it('reports a failed scheduled run as a commerce error', async () => {
    commerce = wired({ intervalMs: 1_000, now: () => NOW });
    await commerce.start();
    const boom = new Error('read failed');
    const reported = new Promise<unknown>((resolve) =>
      commerce!.on('error', (err) => err === boom && resolve(err)),
    );
    vi.spyOn(commerce.readModels, 'unscopedRows').mockRejectedValue(boom);
    const err = await Promise.race([
      reported,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no error event')), 20_000)),
    ]);
    expect(err).toBe(boom);
    vi.restoreAllMocks();
  });
});
