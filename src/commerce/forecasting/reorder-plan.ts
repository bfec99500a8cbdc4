/**
 * Reorder suggestions from the forecast distribution, the supplier lead time
 * and a target service level: "reorder 140 units by 2026-12-05 (lead time 5
 * days) to keep a 95 % chance of not stocking out; seasonal adjustment +18
 * units over the 13 days covered".
 *
 * The latest safe order day d is the last day such that stock on hand and on
 * order still covers demand until an order placed on d arrives (d + lead
 * time) in at least the service level's share of simulated futures. The
 * quantity brings the stock position up to the service-level quantile of
 * demand through arrival plus one review period.
 */
import { addDays, weekdayOf } from './dates.js';
import { assertIntegerIn, assertProbability, ForecastInputError } from './errors.js';
import type { DemandForecast } from './forecast-demand.js';
import { quantileSorted } from './statistics.js';

/** Inputs of {@link planReorder}. */
export interface ReorderPlanInput {
  /** Units available now. */
  available: number;
  /** Units already ordered and not yet received. Default 0. */
  onOrder?: number;
  /** Days from placing an order to stock on the shelf, ≥ 0. */
  leadTimeDays: number;
  /** Days until the next reorder decision after this one. Default 7. */
  reviewDays?: number;
  /** Target chance of not stocking out, e.g. 0.95. Default 0.95. */
  serviceLevel?: number;
  /** Suppliers sell in packs of this many units. Default 1. */
  packSize?: number;
  /** Smallest order the supplier takes. Default 1. */
  minOrderQuantity?: number;
}

/** A reorder plan. */
export interface ReorderPlan {
  /** True when an order must be placed within the forecast horizon. */
  reorder: boolean;
  /** Units to order (0 without a reorder). */
  quantity: number;
  /** Latest date to order for the service level (null: not needed within the horizon). */
  orderBy: string | null;
  /** True when even ordering today cannot reach the service level before arrival. */
  urgent: boolean;
  serviceLevel: number;
  /** Service-level quantile of demand over the days the order must cover. */
  coveredDemand: number;
  /**
   * Units the weekly pattern and the yearly index add to (positive) or take
   * from the covered demand's mean, compared with a flat week and a flat
   * year: the seasonal adjustment, made visible.
   */
  seasonalAdjustmentUnits: number;
  /** False when the cover period runs past the forecast horizon (the quantity is then a floor). */
  coverWithinHorizon: boolean;
  /**
   * The sentence for people: units, order-by date, lead time, service level,
   * and the seasonal adjustment when it rounds to at least one unit.
   */
  message: string;
}

function cumulativeQuantile(forecast: DemandForecast, days: number, level: number): number {
  const n = Math.min(days, forecast.days.length);
  const totals = Float64Array.from(forecast.paths, (p) => {
    let sum = 0;
    for (let h = 0; h < n; h++) sum += p[h]!;
    return sum;
  }).sort();
  return quantileSorted(totals, level);
}

function validate(input: ReorderPlanInput) {
  const onOrder = input.onOrder ?? 0;
  for (const [field, value] of [
    ['available', input.available],
    ['onOrder', onOrder],
  ] as const) {
    if (!Number.isFinite(value) || value < 0) {
      throw new ForecastInputError(field, `expected a finite count ≥ 0, got ${String(value)}`);
    }
  }
  const serviceLevel = input.serviceLevel ?? 0.95;
  assertProbability('serviceLevel', serviceLevel);
  assertIntegerIn('leadTimeDays', input.leadTimeDays, 0, 365);
  const reviewDays = input.reviewDays ?? 7;
  assertIntegerIn('reviewDays', reviewDays, 1, 365);
  const packSize = input.packSize ?? 1;
  assertIntegerIn('packSize', packSize, 1, 1_000_000);
  const minOrder = input.minOrderQuantity ?? 1;
  assertIntegerIn('minOrderQuantity', minOrder, 1, 1_000_000);
  return { onOrder, serviceLevel, reviewDays, packSize, minOrder };
}

/**
 * Plan a reorder from a forecast.
 *
 * @example
 * ```ts
 * const plan = planReorder(forecast, { available: 60, leadTimeDays: 5, serviceLevel: 0.95 });
 * plan.message
 * // 'reorder 140 units by 2026-12-05 (lead time 5 days) to keep a 95 % chance of not stocking out;
 * //  seasonal adjustment +18 units over the 13 days covered'
 * ```
 */
export function planReorder(forecast: DemandForecast, input: ReorderPlanInput): ReorderPlan {
  const v = validate(input);
  const position = input.available + v.onOrder;
  const horizon = forecast.days.length;
  const lead = input.leadTimeDays;
  // The first order day that would leave too little stock before arrival.
  let firstUnsafe: number | null = null;
  for (let d = 0; d + lead <= horizon; d++) {
    if (cumulativeQuantile(forecast, d + lead, v.serviceLevel) > position) {
      firstUnsafe = d;
      break;
    }
  }
  if (firstUnsafe === null) return noReorder(v.serviceLevel, forecast, position);
  const urgent = firstUnsafe === 0;
  const day = Math.max(0, firstUnsafe - 1);
  const coverDays = day + lead + v.reviewDays;
  const coveredDemand = cumulativeQuantile(forecast, coverDays, v.serviceLevel);
  const raw = Math.max(v.minOrder, Math.ceil(coveredDemand - position));
  const quantity = Math.ceil(raw / v.packSize) * v.packSize;
  const orderBy = addDays(forecast.firstDate, day);
  const percent = Math.round(v.serviceLevel * 100);
  const seasonal = seasonalUnits(forecast, coverDays);
  return {
    reorder: true,
    quantity,
    orderBy,
    urgent,
    serviceLevel: v.serviceLevel,
    coveredDemand,
    seasonalAdjustmentUnits: seasonal,
    coverWithinHorizon: coverDays <= horizon,
    message: reorderMessage({ quantity, orderBy, urgent, lead, percent, seasonal, coverDays }),
  };
}

/** "1 day", "5 days". */
function days(n: number): string {
  return `${n} ${n === 1 ? 'day' : 'days'}`;
}

/**
 * The sentence: units, date, lead time, service level, and the seasonal
 * adjustment (rounded to whole units; left out when it rounds to 0).
 */
function reorderMessage(m: {
  quantity: number;
  orderBy: string;
  urgent: boolean;
  lead: number;
  percent: number;
  seasonal: number;
  coverDays: number;
}): string {
  const lead = `(lead time ${days(m.lead)})`;
  const head = m.urgent
    ? `reorder ${m.quantity} units now ${lead}: even an order today leaves more than a ${100 - m.percent} % risk of stocking out before it arrives`
    : `reorder ${m.quantity} units by ${m.orderBy} ${lead} to keep a ${m.percent} % chance of not stocking out`;
  const units = Math.round(m.seasonal);
  if (units === 0) return head;
  const sign = units > 0 ? '+' : '−';
  return `${head}; seasonal adjustment ${sign}${Math.abs(units)} units over the ${days(m.coverDays)} covered`;
}

function seasonalUnits(forecast: DemandForecast, days: number): number {
  let total = 0;
  forecast.days.slice(0, days).forEach((day, h) => {
    total += forecast.seasonality.byWeekday[weekdayOf(day.date)] + (forecast.seasonality.yearlyByDay[h] ?? 0);
  });
  return Math.round(total * 10) / 10;
}

function noReorder(serviceLevel: number, forecast: DemandForecast, position: number): ReorderPlan {
  const percent = Math.round(serviceLevel * 100);
  return {
    reorder: false,
    quantity: 0,
    orderBy: null,
    urgent: false,
    serviceLevel,
    coveredDemand: cumulativeQuantile(forecast, forecast.days.length, serviceLevel),
    seasonalAdjustmentUnits: seasonalUnits(forecast, forecast.days.length),
    coverWithinHorizon: true,
    message: `no reorder needed: ${position} units keep a ${percent} % chance of not stocking out for ${forecast.days.length} days`,
  };
}
