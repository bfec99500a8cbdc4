/**
 * `analytics_product_state`: per creator and product, what an analytics run
 * needs and the log holds — the daily sales (from `product_daily_sales`),
 * the stock available (from `inventory_levels`), the kept forecasts not yet
 * scored and the running scores of the others — and the outcome of the last
 * run. The run's event (`analytics.run_completed`) is folded here, product
 * by product as of the run's day, so a rebuild computes what the live run
 * did; the analytics tables copy the outcome.
 */
import type { Row } from '../../core/row-change.js';
import {
  defineProjection,
  type ProjectionDefinition,
  type ProjectionHandler,
} from '../../processing/index.js';
import type { StoredEvent } from '../../store/types.js';
import { rowChangeOf, rowEventType } from '../read-models/read-model-set.js';
import { toNumber } from '../read-models/row-values.js';
import {
  addScore,
  figuresOf,
  keptDays,
  NO_SCORES,
  type AccuracySums,
  type KeptForecastDay,
} from './accuracy-ledger.js';
import { insightRows, type CreatorContribution } from './analytics-rows.js';
import { ANALYTICS_RUN_EVENT, analyticsRunOf } from './analytics-run-event.js';
import type { InsightRow, KeptForecastRow, ProductTrendRow } from './analytics-tables.js';
import { addDays, daysBetween } from './dates.js';
import { forecastProductRun } from './product-forecast-run.js';

/** A kept forecast waiting for its horizon to pass. */
export interface PendingForecast {
  first_date: string;
  method: string;
  days: KeptForecastDay[];
}

/** What the last run made of a product: the rows the analytics tables copy. */
export interface ProductRunOutcome {
  trend: ProductTrendRow;
  insights: InsightRow[];
  kept: KeptForecastRow;
  contribution: CreatorContribution;
}

/** An `analytics_product_state` row. */
export interface ProductAnalyticsStateRow extends Row, ProductStateColumns {
  creator_id: string;
  product_id: string;
}

/** The columns of an `analytics_product_state` row besides its key. */
export interface ProductStateColumns {
  /** The first day with a sale (null: none yet). */
  sales_from: string | null;
  /** Units sold per day from `sales_from`. */
  sales: number[];
  /** `inventory_levels.available` (null without a row). */
  available: number | null;
  /** Kept forecasts whose horizon has not passed yet, by first date. */
  pending: PendingForecast[];
  /** Running scores of the kept forecasts scored so far. */
  scores: AccuracySums;
  /** Id of the run event that computed `result` (null: none yet). */
  run_id: string | null;
  /** The last run's outcome (null: no history before the run's day). */
  result: ProductRunOutcome | null;
}

/** The table's name. */
export const PRODUCT_STATE_TABLE = 'analytics_product_state';

/** The columns of a new row besides its key. */
function empty(): ProductStateColumns {
  return {
    sales_from: null,
    sales: [],
    available: null,
    pending: [],
    scores: NO_SCORES,
    run_id: null,
    result: null,
  };
}

function productKey(row: Row): Partial<ProductAnalyticsStateRow> {
  return { creator_id: String(row.creator_id), product_id: String(row.product_id) };
}

/** Keyed by the product of the row change a `row:<table>` pseudo-event carries. */
function byChangedProduct(
  apply: NonNullable<ProjectionHandler<ProductAnalyticsStateRow>['apply']>,
): ProjectionHandler<ProductAnalyticsStateRow> {
  return {
    key: (e) => {
      const c = rowChangeOf(e);
      return productKey((c.newRow ?? c.oldRow)!);
    },
    apply,
  };
}

/** `sales` with `day` set to `units` (the array grows either way as needed; copies). */
function withSale(
  row: Pick<ProductAnalyticsStateRow, 'sales_from' | 'sales'>,
  day: string,
  units: number,
): Pick<ProductAnalyticsStateRow, 'sales_from' | 'sales'> {
  if (row.sales_from === null) return units > 0 ? { sales_from: day, sales: [units] } : row;
  const offset = daysBetween(row.sales_from, day);
  if (offset < 0) {
    if (units <= 0) return row;
    return { sales_from: day, sales: [units, ...new Array<number>(-offset - 1).fill(0), ...row.sales] };
  }
  const sales = [...row.sales];
  while (sales.length <= offset) sales.push(0);
  sales[offset] = units;
  return { sales_from: row.sales_from, sales };
}

const sold = byChangedProduct((current, event) => {
  const c = rowChangeOf(event);
  const day = String((c.newRow ?? c.oldRow)!.day);
  const units = c.newRow ? toNumber(c.newRow.units) : 0;
  const next = withSale(current ?? empty(), day, units);
  if (current && next.sales === current.sales) return undefined;
  return { ...(current ?? empty()), ...next };
});

/** `available` of an `inventory_levels` row as this table keeps it (null: no row). */
const availableOf = (row: Row | null): number | null => (row ? toNumber(row.available) : null);

const stocked: ProjectionHandler<ProductAnalyticsStateRow> = {
  // Most stock changes (a shipment takes units off the shelf and the
  // reservation together, a sync run, an alert flag) leave `available` as it
  // was. The state holds the `available` of every level change folded before,
  // so such a change cannot alter it: no row to read, none to write.
  key: (e) => {
    const { oldRow, newRow } = rowChangeOf(e);
    if (oldRow && newRow && availableOf(oldRow) === availableOf(newRow)) return null;
    return productKey((newRow ?? oldRow)!);
  },
  apply: (current, event) => {
    const available = availableOf(rowChangeOf(event).newRow);
    if ((current?.available ?? null) === available) return undefined;
    return { ...(current ?? empty()), available };
  },
};

/**
 * A run forecasts every product of its creator that has sold something:
 * scores the kept forecasts whose horizon has passed, forecasts as of the
 * run's day and keeps the new forecast.
 */
const ran: ProjectionHandler<ProductAnalyticsStateRow> = {
  key: () => null,
  scope: (event) => ({ creator_id: analyticsRunOf(event).creatorId }),
  apply: (current, event) => {
    if (!current || current.sales_from === null) return undefined;
    const run = analyticsRunOf(event);
    const from = current.sales_from;
    const soldOn = (day: string) => current.sales[daysBetween(from, day)] ?? 0;
    if (from >= run.today) return { run_id: run.runId, result: null };
    let scores = current.scores;
    const pending: PendingForecast[] = [];
    for (const f of current.pending) {
      const last = f.days.at(-1);
      if (last && addDays(last.date, 1) <= run.today) {
        scores = addScore(
          scores,
          f.days,
          f.days.map((d) => soldOn(d.date)),
        );
      } else pending.push(f);
    }
    const figures = figuresOf(scores);
    const result = forecastProductRun({
      creatorId: current.creator_id,
      productId: current.product_id,
      firstSaleDay: from,
      soldOn,
      today: run.today,
      stamp: run.stamp,
      available: current.available,
      figures,
      settings: run.settings,
      mentions: run.mentions.get(current.product_id),
    });
    const kept: KeptForecastRow = {
      creator_id: current.creator_id,
      product_id: current.product_id,
      first_date: result.forecast.firstDate,
      method: result.forecast.method,
      days: keptDays(result.forecast),
      updated_at: run.stamp,
    };
    const outcome: ProductRunOutcome = {
      trend: result.row,
      insights: insightRows([result], run.stamp),
      kept,
      contribution: {
        productId: current.product_id,
        units30d: result.recentUnits30d,
        forecastP50: result.forecast.total.p50,
        figures,
      },
    };
    const stillPending = pending.filter((f) => f.first_date !== kept.first_date);
    stillPending.push({ first_date: kept.first_date, method: kept.method, days: kept.days });
    stillPending.sort((a, b) => (a.first_date < b.first_date ? -1 : a.first_date > b.first_date ? 1 : 0));
    return { pending: stillPending, scores, run_id: run.runId, result: outcome };
  },
};

/**
 * The change a run made to a product's state (its outcome), or null for any
 * other change (a sale, a stock change).
 *
 * @example
 * ```ts
 * const outcome = runOutcomeOf(rowChangeOf(event));
 * ```
 */
export function runOutcomeOf(change: {
  oldRow: Row | null;
  newRow: Row | null;
}): { row: ProductAnalyticsStateRow; outcome: ProductRunOutcome | null } | null {
  const row = change.newRow as ProductAnalyticsStateRow | null;
  if (!row || row.run_id === null || row.run_id === (change.oldRow?.run_id ?? null)) return null;
  return { row, outcome: row.result };
}

/**
 * The `analytics_product_state` projection (folds `row:product_daily_sales`,
 * `row:inventory_levels` and `analytics.run_completed`).
 *
 * @example
 * ```ts
 * const state = analyticsProductStateProjection();
 * ```
 */
export function analyticsProductStateProjection(): ProjectionDefinition<ProductAnalyticsStateRow> {
  return defineProjection<ProductAnalyticsStateRow, StoredEvent>({
    name: PRODUCT_STATE_TABLE,
    key: ['creator_id', 'product_id'],
    migrations: [
      `CREATE TABLE :TABLE: (
        creator_id text NOT NULL, product_id text NOT NULL, sales_from text, sales jsonb NOT NULL,
        available integer, pending jsonb NOT NULL, scores jsonb NOT NULL, run_id text, result jsonb,
        PRIMARY KEY (creator_id, product_id)
      )`,
    ],
    handlers: {
      [rowEventType('product_daily_sales')]: sold,
      [rowEventType('inventory_levels')]: stocked,
      [ANALYTICS_RUN_EVENT]: ran,
    },
  });
}
