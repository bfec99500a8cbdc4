/**
 * Sales history from before the log: a creator who adopts the engine brings
 * the daily totals their shop sold elsewhere (a platform export, an ERP), so
 * forecasts start from months of history rather than from the first order.
 * Each day is one `inventory.sales_imported` event, folded by
 * `product_daily_sales` only: it touches no stock level, reservation or alert.
 */
import { z } from 'zod';
import type { AppendResult, EventStore, NewEvent } from '../../store/types.js';
import { idSchema, quantitySchema } from '../events/common.js';
import { dateMs } from './dates.js';

/**
 * The event type of one imported day.
 *
 * @example
 * ```ts
 * events.filter((e) => e.type === SALES_IMPORTED_EVENT);
 * ```
 */
export const SALES_IMPORTED_EVENT = 'inventory.sales_imported';

/**
 * Payload of {@link SALES_IMPORTED_EVENT}: `units` sold of a product on `day` (UTC).
 *
 * @example
 * ```ts
 * salesImportedSchema.parse({ creatorId: 'c1', productId: 'p1', day: '2026-11-02', units: 14 });
 * ```
 */
export const salesImportedSchema = z.object({
  creatorId: idSchema,
  productId: idSchema,
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  units: quantitySchema,
  /** Where the figures come from, e.g. `'shop_export'`. */
  source: z.string().min(1).max(200).optional(),
});
/** A {@link SALES_IMPORTED_EVENT} payload. */
export type SalesImported = z.infer<typeof salesImportedSchema>;

/**
 * One product's imported history.
 *
 * @example
 * ```ts
 * const history: ImportedSales = { creatorId: 'c1', productId: 'p1', startDate: '2026-08-01', units: [12, 9, 15] };
 * ```
 */
export interface ImportedSales {
  creatorId: string;
  productId: string;
  /** The day of `units[0]` (`YYYY-MM-DD`, UTC). */
  startDate: string;
  /** Units sold per day, oldest first. */
  units: readonly number[];
  /** Where the figures come from. Default `'import'`. */
  source?: string;
}

/** The stream of a product's imported history. */
function salesImportStream(creatorId: string, productId: string): string {
  return `sales-import-${creatorId}-${productId}`;
}

function dayAfter(date: string, days: number): string {
  return new Date(dateMs('startDate', date) + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Append a product's daily sales history (days that sold nothing are left
 * out, as `product_daily_sales` has no rows for them). Registers the event's
 * schema with the store. Importing the same history again writes nothing: the
 * append is keyed by product and dates.
 *
 * @example
 * ```ts
 * await importDailySales(commerce.store, { creatorId: 'c1', productId: 'p1', startDate: '2026-08-01', units });
 * ```
 */
export async function importDailySales(
  store: Pick<EventStore, 'append' | 'registerEventType'>,
  history: ImportedSales,
): Promise<AppendResult | null> {
  store.registerEventType(SALES_IMPORTED_EVENT, salesImportedSchema);
  const source = history.source ?? 'import';
  const events: NewEvent<typeof SALES_IMPORTED_EVENT, SalesImported>[] = [];
  history.units.forEach((units, i) => {
    if (units > 0) {
      const data = { creatorId: history.creatorId, productId: history.productId, units, source };
      events.push({ type: SALES_IMPORTED_EVENT, data: { ...data, day: dayAfter(history.startDate, i) } });
    }
  });
  if (events.length === 0) return null;
  const last = dayAfter(history.startDate, history.units.length - 1);
  return store.append(salesImportStream(history.creatorId, history.productId), events, {
    aggregateType: 'sales_import',
    idempotencyKey: `sales-import:${history.creatorId}:${history.productId}:${history.startDate}:${last}`,
    metadata: { source },
  });
}
