/**
 * The read-model check of the chaos checker on PGlite: a database whose read
 * models were folded by the commerce processor passes; the same database with
 * one live row changed behind the processor's back (drift), or with an event
 * the processor never saw the way the log says (a doubled event), fails. A
 * sync-inventory-levels run and an analytics run are folded from the log, so
 * their recomputed inventory and analytics rows are compared whole.
 */
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPglite } from '../../src/adapters/pglite.js';
import { commerceEvent, createCommerce, systemPrincipal } from '../../src/commerce/index.js';
import type { SqlClient } from '../../src/core/sql-client.js';
import { createEventStore } from '../../src/store/index.js';
import { checkReadModels } from './checker/check-read-models.js';

const C = 'creator-a';
const SCHEMA = 'live';

describe('checkReadModels', () => {
  let db: PGlite;
  let sql: SqlClient;

  beforeAll(async () => {
    db = await PGlite.create();
    sql = fromPglite(db);
    const store = createEventStore({ sql, schema: SCHEMA });
    const commerce = createCommerce({ store, readModels: 'async', pollIntervalMs: 20 });
    await commerce.start();
    // Two products restocked, then an order of each: several tables get rows.
    for (const [i, productId] of ['p1', 'p2'].entries()) {
      const restock = { creatorId: C, productId, quantity: 20 + i, reason: 'restock', threshold: 5 } as const;
      await store.append(`inventory-${C}-${productId}`, [commerceEvent('inventory.stock_updated', restock)]);
      const order = {
        creatorId: C,
        shopId: 's',
        orderId: `o-${productId}`,
        status: 'AWAITING_SHIPMENT' as const,
        updateTime: '2026-03-01T10:00:00.000Z',
        lineItems: [{ productId, quantity: 2 }],
        totalAmount: 12,
        currency: 'EUR',
      };
      await store.append(`order-o-${productId}`, [commerceEvent('order.received_from_tiktok', order)]);
    }
    await commerce.whenIdle();
    await commerce.stop();
  }, 180_000); // PGlite's first start and the migrations, on a loaded machine

  afterAll(async () => {
    await db.close();
  });

  it('passes when the live tables equal a rebuild at their checkpoint', async () => {
    const result = await checkReadModels({ sql, schema: SCHEMA, scratchSchema: 'scratch_ok' });
    expect(result.checked).toBeGreaterThan(0);
    expect(result.examples).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('reports a live row that drifted from the log', async () => {
    await sql.exec(`UPDATE ${SCHEMA}.order_metrics SET active_orders = active_orders + 1`);
    const result = await checkReadModels({ sql, schema: SCHEMA, scratchSchema: 'scratch_drift' });
    expect(result.ok).toBe(false);
    expect(result.examples).toContainEqual(
      expect.objectContaining({ problem: 'read_model_differs', table: 'order_metrics', side: 'live_only' }),
    );
    expect(result.examples).toContainEqual(
      expect.objectContaining({
        problem: 'read_model_differs',
        table: 'order_metrics',
        side: 'rebuild_only',
      }),
    );
    await sql.exec(`UPDATE ${SCHEMA}.order_metrics SET active_orders = active_orders - 1`);
  });

  it('accepts a sync run recomputing inventory, not a derived column that differs from a rebuild', async () => {
    // A real sync-inventory-levels run, hours after the last event: the derived columns move.
    const later = new Date(Date.now() + 6 * 3_600_000);
    const store = createEventStore({ sql, schema: SCHEMA });
    const commerce = createCommerce({ store, readModels: 'async', pollIntervalMs: 20 });
    await commerce.start();
    await commerce.syncInventoryLevels(C, systemPrincipal('test'), later);
    await commerce.whenIdle();
    await commerce.stop();
    const { rows } = await sql.query<{ computed_at: Date }>(
      `SELECT computed_at FROM ${SCHEMA}.inventory_levels WHERE product_id = 'p1'`,
    );
    expect(rows[0]?.computed_at.toISOString()).toBe(later.toISOString());
    const synced = await checkReadModels({ sql, schema: SCHEMA, scratchSchema: 'scratch_sync' });
    expect(synced.examples).toEqual([]);
    expect(synced.ok).toBe(true);

    // A recompute the log does not explain (as the sync wrote before it was folded) is a difference.
    await sql.exec(`UPDATE ${SCHEMA}.inventory_levels
       SET velocity_per_hour = velocity_per_hour + 1, computed_at = computed_at + interval '5 minutes'
     WHERE product_id = 'p1'`);
    const drifted = await checkReadModels({ sql, schema: SCHEMA, scratchSchema: 'scratch_sync_drift' });
    expect(drifted.ok).toBe(false);
    for (const side of ['live_only', 'rebuild_only']) {
      expect(drifted.examples).toContainEqual(
        expect.objectContaining({ problem: 'read_model_differs', table: 'inventory_levels', side }),
      );
    }
    await sql.exec(`UPDATE ${SCHEMA}.inventory_levels
       SET velocity_per_hour = velocity_per_hour - 1, computed_at = computed_at - interval '5 minutes'
     WHERE product_id = 'p1'`);
  });

  it('accepts analytics runs, not an analytics row or kept forecast that differs from a rebuild', async () => {
    // A week of sales of both products, then two runs after it, folded by the async read models.
    const day = 86_400_000;
    const store = createEventStore({ sql, schema: SCHEMA });
    for (const productId of ['p1', 'p2']) {
      const sold = Array.from({ length: 7 }, (_, d) =>
        commerceEvent(
          'inventory.reserved',
          { creatorId: C, productId, orderId: `sold-${productId}-${d}`, quantity: 1 + (d % 3) },
          // An hour inside the store's 7-day window of past occurredAt, so the first day is accepted.
          { occurredAt: new Date(Date.now() - (7 - d) * day + 3_600_000) },
        ),
      );
      await store.append(`sales-${C}-${productId}`, sold);
    }
    let now = Date.now() + day;
    const commerce = createCommerce({
      store,
      readModels: 'async',
      pollIntervalMs: 20,
      analytics: { schedule: false, now: () => now },
    });
    await commerce.start();
    await commerce.whenIdle();
    expect((await commerce.analytics!.runOnce()).products).toBe(2);
    now += day;
    await commerce.analytics!.runOnce();
    await commerce.whenIdle();
    await commerce.stop();
    const ran = await checkReadModels({ sql, schema: SCHEMA, scratchSchema: 'scratch_analytics' });
    expect(ran.examples).toEqual([]);
    expect(ran.ok).toBe(true);

    // A forecast or a kept forecast the log does not explain (as the updater wrote before its runs were folded).
    const tampered = [
      ['product_trend_analysis', 'total_p50'],
      ['demand_forecast_ledger', 'days'],
    ] as const;
    await sql.exec(`UPDATE ${SCHEMA}.product_trend_analysis SET total_p50 = total_p50 + 1 WHERE product_id = 'p1';
      UPDATE ${SCHEMA}.demand_forecast_ledger SET days = '[]' WHERE product_id = 'p2'`);
    const drifted = await checkReadModels({ sql, schema: SCHEMA, scratchSchema: 'scratch_analytics_drift' });
    expect(drifted.ok).toBe(false);
    for (const [table] of tampered) {
      for (const side of ['live_only', 'rebuild_only']) {
        expect(drifted.examples).toContainEqual(
          expect.objectContaining({ problem: 'read_model_differs', table, side }),
        );
      }
    }
  });

  it('leaves no scratch schema behind', async () => {
    const { rows } = await sql.query(`SELECT 1 FROM pg_namespace WHERE nspname LIKE 'scratch_%'`);
    expect(rows).toEqual([]);
  });
});
