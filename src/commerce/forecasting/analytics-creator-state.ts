/**
 * `analytics_creator_state`: per creator, what a run's creator row needs and
 * the log holds — the recent revenue days (from `daily_revenue_metrics`) and
 * the products that have sold (from `analytics_product_state`) — and the run
 * in progress: its event folds here first, then each product's outcome
 * reported by `analytics_product_state`; the creator row is computed once
 * the last product reported.
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
import { creatorRow, type CreatorContribution, type RevenueDay } from './analytics-rows.js';
import { ANALYTICS_RUN_EVENT, analyticsRunOf } from './analytics-run-event.js';
import type { CreatorPerformanceRow } from './analytics-tables.js';
import {
  PRODUCT_STATE_TABLE,
  runOutcomeOf,
  type ProductAnalyticsStateRow,
} from './analytics-product-state.js';
import { addDays } from './dates.js';

/**
 * Revenue days kept before the latest one: a creator row sums the 30 days
 * before its run, so a run as of more than this many days before the latest
 * revenue day would see only part of its window.
 */
export const REVENUE_DAYS_KEPT = 62;

/** An `analytics_creator_state` row. */
export interface CreatorAnalyticsStateRow extends Row, CreatorStateColumns {
  creator_id: string;
}

/** The columns of an `analytics_creator_state` row besides its key. */
export interface CreatorStateColumns {
  /** Revenue days, by day, the last {@link REVENUE_DAYS_KEPT} + 1 of them. */
  revenue: RevenueDay[];
  /** Products that have sold, by id. */
  products: string[];
  /** The run in progress or last completed (null: none yet). */
  run_id: string | null;
  run_day: string | null;
  run_stamp: string | null;
  /** Products of the run that have not reported yet. */
  waiting: string[];
  /** Contributions reported so far, by product id. */
  contributions: CreatorContribution[];
  /** The run whose creator row `result` is. */
  result_run_id: string | null;
  /** The creator row of that run (null: nothing to show). */
  result: CreatorPerformanceRow | null;
}

/** The table's name. */
export const CREATOR_STATE_TABLE = 'analytics_creator_state';

/** The columns of a new row besides its key. */
function empty(): CreatorStateColumns {
  return {
    revenue: [],
    products: [],
    run_id: null,
    run_day: null,
    run_stamp: null,
    waiting: [],
    contributions: [],
    result_run_id: null,
    result: null,
  };
}

const byCreator = (creatorId: unknown) => ({ creator_id: String(creatorId) });

/** The creator of the row change a `row:<table>` pseudo-event carries. */
function changedCreator(event: StoredEvent): Partial<CreatorAnalyticsStateRow> {
  const c = rowChangeOf(event);
  return byCreator((c.newRow ?? c.oldRow)!.creator_id);
}

/** The state with the run finished: its creator row computed. */
function finished(row: CreatorAnalyticsStateRow): Partial<CreatorAnalyticsStateRow> {
  return {
    result_run_id: row.run_id,
    result: creatorRow(row.creator_id, row.contributions, row.revenue, row.run_day!, row.run_stamp!),
  };
}

const revenueChanged: ProjectionHandler<CreatorAnalyticsStateRow> = {
  key: changedCreator,
  apply: (current, event) => {
    const c = rowChangeOf(event);
    const day = String((c.newRow ?? c.oldRow)!.day);
    const revenue = (current?.revenue ?? []).filter((r) => r.day !== day);
    const before = current?.revenue.find((r) => r.day === day);
    const now = c.newRow
      ? { day, revenue: toNumber(c.newRow.revenue), ordersCompleted: toNumber(c.newRow.orders_completed) }
      : undefined;
    if (before?.revenue === now?.revenue && before?.ordersCompleted === now?.ordersCompleted)
      return undefined;
    if (now) revenue.push(now);
    revenue.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
    const latest = revenue.at(-1)?.day;
    const since = latest === undefined ? '' : addDays(latest, -REVENUE_DAYS_KEPT);
    return { ...(current ?? empty()), revenue: revenue.filter((r) => r.day >= since) };
  },
};

/**
 * The creator a product state's change can change: a first sale (the product joins
 * `products`) or a run's outcome. Any other change (a stock level, a day's sales of a
 * product that sold before) leaves the creator row as it is, so it keys none: the
 * inline fold neither reads nor locks the creator's row for it, the one row every
 * stock settle of that creator would otherwise share.
 */
function creatorAffected(event: StoredEvent): Partial<CreatorAnalyticsStateRow> | null {
  const change = rowChangeOf(event);
  const product = change.newRow as ProductAnalyticsStateRow | null;
  if (!product) return null;
  const firstSale = product.sales_from !== null && (change.oldRow?.sales_from ?? null) === null;
  return firstSale || runOutcomeOf(change) ? byCreator(product.creator_id) : null;
}

const productChanged: ProjectionHandler<CreatorAnalyticsStateRow> = {
  key: creatorAffected,
  apply: (current, event) => {
    const change = rowChangeOf(event);
    const product = change.newRow as ProductAnalyticsStateRow | null;
    if (!product) return undefined;
    const row: CreatorAnalyticsStateRow = { ...(current ?? empty()), creator_id: product.creator_id };
    let changed = false;
    if (product.sales_from !== null && !row.products.includes(product.product_id)) {
      row.products = [...row.products, product.product_id].sort();
      changed = true;
    }
    const ran = runOutcomeOf(change);
    if (ran && ran.row.run_id === row.run_id && row.waiting.includes(product.product_id)) {
      row.waiting = row.waiting.filter((p) => p !== product.product_id);
      if (ran.outcome) {
        row.contributions = [...row.contributions, ran.outcome.contribution].sort((a, b) =>
          a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0,
        );
      }
      changed = true;
      if (row.waiting.length === 0) return { ...row, ...finished(row) };
    }
    return changed ? row : undefined;
  },
};

const runStarted: ProjectionHandler<CreatorAnalyticsStateRow> = {
  key: (e) => byCreator(analyticsRunOf(e).creatorId),
  apply: (current, event, key) => {
    const run = analyticsRunOf(event);
    const row: CreatorAnalyticsStateRow = {
      ...(current ?? empty()),
      creator_id: String(key.creator_id),
      run_id: run.runId,
      run_day: run.today,
      run_stamp: run.stamp,
      contributions: [],
    };
    row.waiting = [...row.products];
    return row.waiting.length === 0 ? { ...row, ...finished(row) } : row;
  },
};

/**
 * A creator row a change of the creator state publishes (a run finished),
 * or undefined for any other change.
 *
 * @example
 * ```ts
 * const row = finishedRunOf(rowChangeOf(event)); // CreatorPerformanceRow, null (no row) or undefined
 * ```
 */
export function finishedRunOf(change: {
  oldRow: Row | null;
  newRow: Row | null;
}): CreatorPerformanceRow | null | undefined {
  const row = change.newRow as CreatorAnalyticsStateRow | null;
  if (!row || row.result_run_id === null || row.result_run_id === (change.oldRow?.result_run_id ?? null)) {
    return undefined;
  }
  return row.result;
}

/**
 * The `analytics_creator_state` projection (folds `row:daily_revenue_metrics`,
 * `row:analytics_product_state` and `analytics.run_completed`).
 *
 * @example
 * ```ts
 * const state = analyticsCreatorStateProjection();
 * ```
 */
export function analyticsCreatorStateProjection(): ProjectionDefinition<CreatorAnalyticsStateRow> {
  return defineProjection<CreatorAnalyticsStateRow, StoredEvent>({
    name: CREATOR_STATE_TABLE,
    key: ['creator_id'],
    migrations: [
      `CREATE TABLE :TABLE: (
        creator_id text PRIMARY KEY, revenue jsonb NOT NULL, products jsonb NOT NULL, run_id text,
        run_day text, run_stamp text, waiting jsonb NOT NULL, contributions jsonb NOT NULL,
        result_run_id text, result jsonb
      )`,
    ],
    handlers: {
      [rowEventType('daily_revenue_metrics')]: revenueChanged,
      [rowEventType(PRODUCT_STATE_TABLE)]: productChanged,
      [ANALYTICS_RUN_EVENT]: runStarted,
    },
  });
}
