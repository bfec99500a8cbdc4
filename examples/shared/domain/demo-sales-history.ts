/**
 * The demo shop's past: months of daily sales per product, imported into the
 * log at host start (`inventory.sales_imported`) so the dashboard's forecast
 * charts have a history to forecast from. The simulator's live traffic only
 * ever covers today, and forecasts read complete days. The shapes are those
 * of a small creator shop: a weekend peak, a yearly swell towards the
 * holidays, one sparse seller, and a viral product whose spike began a few
 * days ago.
 */
import { importDailySales, seededRandom, type RandomSource } from '@creatorflow/sync/commerce';
import type { EventStore } from '@creatorflow/sync';

/** One product of the demo's history. */
export interface HistoryProduct {
  productId: string;
  /** Relative popularity (the simulator's `weight`). */
  weight: number;
  /** True for the product whose spike is under way. */
  viral?: boolean;
}

/**
 * Options of {@link demoSalesHistory}.
 *
 * @example
 * ```ts
 * const options: DemoSalesHistoryOptions = { products: [{ productId: "1729384756001", weight: 3, viral: true }], days: 730 };
 * ```
 */
export interface DemoSalesHistoryOptions {
  products: readonly HistoryProduct[];
  /** Complete days of history, ending yesterday (UTC). Default 730 (two years: the yearly swell shows). */
  days?: number;
  /** Seed of the noise. Default 2026. */
  seed?: number;
  /** Clock ("today"). Default `Date.now()`. */
  now?: number;
  /** Days between the viral spike's onset and today. Default 6 (a spike under way). */
  viralDaysAgo?: number;
}

/** One product's generated history. */
export interface DemoProductHistory {
  productId: string;
  startDate: string;
  units: number[];
}

const DAY_MS = 86_400_000;
/** Units per day per unit of weight. */
const UNITS_PER_WEIGHT = 2.5;
/** Multipliers by `getUTCDay()` (Sunday first): a weekend peak. */
const WEEKDAY = [1.3, 0.85, 0.85, 0.9, 1.0, 1.15, 1.4];
/** The viral spike: by default onset this many days before today; height × base, half-life in days. */
const VIRAL = { daysAgo: 6, height: 4, halfLife: 6 };

function poisson(rng: RandomSource, rate: number): number {
  if (rate > 30) return Math.max(0, Math.round(rate + Math.sqrt(rate) * normal(rng)));
  const limit = Math.exp(-rate);
  let k = 0;
  for (let p = rng(); p > limit; p *= rng()) k++;
  return k;
}

function normal(rng: RandomSource): number {
  return Math.sqrt(-2 * Math.log(Math.max(rng(), 1e-12))) * Math.cos(2 * Math.PI * rng());
}

/** ±15 % over the year, peaking in late November. */
function yearly(ms: number): number {
  const dayOfYear = (ms - Date.UTC(new Date(ms).getUTCFullYear(), 0, 1)) / DAY_MS;
  return 1 + 0.15 * Math.cos((2 * Math.PI * (dayOfYear - 330)) / 365.25);
}

/**
 * Generate each product's daily sales for the `days` complete days before
 * today; deterministic for a seed and clock.
 *
 * @example
 * ```ts
 * const histories = demoSalesHistory({ products: CATALOG.map((p) => ({ productId: p.id, weight: p.weight })) });
 * ```
 */
export function demoSalesHistory(options: DemoSalesHistoryOptions): DemoProductHistory[] {
  const days = options.days ?? 730;
  const today = Math.floor((options.now ?? Date.now()) / DAY_MS) * DAY_MS;
  const start = today - days * DAY_MS;
  const startDate = new Date(start).toISOString().slice(0, 10);
  return options.products.map((product, index) => {
    const rng = seededRandom((options.seed ?? 2026) * 31 + index);
    const base = UNITS_PER_WEIGHT * product.weight;
    const units = Array.from({ length: days }, (_, t) => {
      const ms = start + t * DAY_MS;
      const rate = base * WEEKDAY[new Date(ms).getUTCDay()]! * yearly(ms);
      // A seller of one or two a day sells in lumps on some days, nothing on most.
      if (product.weight <= 1) return rng() < 0.35 ? 1 + poisson(rng, rate) : 0;
      const sinceOnset = t - (days - (options.viralDaysAgo ?? VIRAL.daysAgo));
      const spike =
        product.viral && sinceOnset >= 0
          ? VIRAL.height * base * Math.exp((-Math.LN2 * sinceOnset) / VIRAL.halfLife)
          : 0;
      return poisson(rng, rate + spike);
    });
    return { productId: product.productId, startDate, units };
  });
}

/**
 * Import the generated history of a creator's products into the log (once:
 * a second import of the same days writes nothing).
 *
 * @example
 * ```ts
 * await importDemoSalesHistory(commerce.store, 'creator-1', { products });
 * ```
 */
export async function importDemoSalesHistory(
  store: Pick<EventStore, 'append' | 'registerEventType'>,
  creatorId: string,
  options: DemoSalesHistoryOptions,
): Promise<number> {
  let events = 0;
  for (const h of demoSalesHistory(options)) {
    const result = await importDailySales(store, { creatorId, ...h, source: 'demo_history' });
    if (result && !result.duplicate) events += result.positions.length;
  }
  return events;
}
