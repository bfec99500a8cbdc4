/**
 * Viral-spike detection: a one-sided CUSUM (Page 1954) on standardised
 * one-step errors against a seasonal baseline, optionally joined by a CUSUM on
 * social-media mentions, which usually move a day or two before sales.
 *
 * Each day's error e is scaled by a running robust spread (mean absolute
 * error × 1.25, floored at the Poisson spread √level) and capped, so one lumpy order cannot raise an alarm
 * alone: z = min(cap, e/σ); S ← max(0, S + z − k). With k = ½ and standard
 * normal z, the chance that S ever reaches s without a change is about e^(−s)
 * (Siegmund's approximation, P ≈ e^(−2ks)); the reported confidence is
 * 1 − e^(−S), so a flag at S = 3 is "95 % sure" and a confirmation at S = 7
 * "99.9 % sure". The first four weeks only learn the baseline (no alarms).
 *
 * Evidence alone confirms a slow swell too (a season the baseline does not
 * know yet, e.g. a yearly seller's first season): a confirmation also needs a
 * lift — sales over what the baseline expected, on the excursion's latest
 * seven days — of at least {@link DEFAULT_MIN_LIFT}. An excursion with the
 * evidence but not the lift that lasts past two weeks is a level shift: the
 * baseline restarts at its level. The threshold was measured on the bench's
 * classes (docs/forecasting.md): it cut first-season false alarms of yearly
 * sellers from 0.20 to 0.02 per product-year with the viral shocks' delay
 * unchanged.
 *
 * With a yearly index (52 weekly factors, see `yearly-seasonality.ts`) the
 * baseline is multiplied by the week's factor and learns from sales divided
 * by it, so a holiday swell is expected rather than read as a spike; the
 * spread scales with the factor too (busier weeks are noisier).
 */
import { assertDemandSeries, ForecastInputError } from './errors.js';
import { WEEK } from './exponential-smoothing.js';
import { mean } from './statistics.js';
import { YEAR_WEEKS, yearWeek } from './yearly-seasonality.js';

/** Where a series stands. */
export const SPIKE_STATES = ['none', 'flagged', 'confirmed'] as const;
/** One of {@link SPIKE_STATES}. */
export type SpikeState = (typeof SPIKE_STATES)[number];

/**
 * Options of {@link detectSpikes}.
 *
 * @example
 * ```ts
 * // More sensitive than the defaults: flag at S = 2, confirm at S = 5.
 * const { latest } = detectSpikes(sales, { mentions, options: { flagAt: 2, confirmAt: 5 } });
 * ```
 */
export interface SpikeDetectorOptions {
  /** CUSUM reference value k (in spreads). Default 0.5. */
  drift?: number;
  /** S at which a spike is flagged. Default 3 (confidence 0.95). */
  flagAt?: number;
  /** S at which it is confirmed. Default 7 (confidence 0.999). */
  confirmAt?: number;
  /** Largest contribution of one day (z − k ≤ cap − k). Default 4, so confirming takes two days. */
  cap?: number;
  /** Baseline level smoothing. Default 0.1. */
  alpha?: number;
  /** Baseline weekly-pattern smoothing. Default 0.05. */
  gamma?: number;
  /**
   * Least lift — sales since the excursion began over what the baseline
   * expected for those days — a confirmation needs. Default
   * {@link DEFAULT_MIN_LIFT}. An excursion that reaches the confirmation
   * evidence with less lift is a level shift (a season's swell the baseline
   * does not know yet), not a spike: the baseline catches up instead.
   */
  minLift?: number;
}

/** Default {@link SpikeDetectorOptions.minLift} (measured: see docs/forecasting.md). */
export const DEFAULT_MIN_LIFT = 1.75;

/** A spike the detector found. */
export interface SpikeSignal {
  state: SpikeState;
  /** Index of the first day of the excursion (the day after S was last 0). */
  onsetIndex: number | null;
  /** Index of the day it was flagged, and confirmed (null: not yet). */
  flaggedIndex: number | null;
  confirmedIndex: number | null;
  /** 1 − e^(−S) of the strongest evidence, 0..1. */
  confidence: number;
  /** Mean sales since onset over the baseline before it (null without a spike). */
  ratio: number | null;
  /** True when mentions contributed to the flag. */
  mentionsLed: boolean;
}

/** Every confirmed alarm over a series, and where the series ends. */
export interface SpikeScan {
  alarms: Array<{ onsetIndex: number; flaggedIndex: number; confirmedIndex: number }>;
  /** The series' state on its last day: a live flag, else the last confirmed spike, else none. */
  latest: SpikeSignal;
  /** The most recent confirmed spike (null: none). */
  lastConfirmed: SpikeSignal | null;
}

interface Cusum {
  level: number;
  season: number[];
  spread: number;
  s: number;
  lastZero: number;
  /** Smoothed share of zero days, and size of non-zero days. */
  zeroShare: number;
  size: number;
  /** Sales, and what the baseline expected, on the last {@link LIFT_DAYS} days since S was last 0. */
  since: Array<{ sold: number; expected: number }>;
}

/** Days of an excursion, at most, its lift is measured over (the latest). */
const LIFT_DAYS = 7;

function newCusum(y: readonly number[], factor: (t: number) => number): Cusum {
  const head = y.slice(0, Math.min(y.length, 2 * WEEK)).map((v, t) => v / factor(t));
  const level = mean(head);
  const spread = Math.max(1, mean(head.map((v) => Math.abs(v - level))) * 1.25);
  const sold = head.filter((v) => v > 0);
  return {
    level,
    season: new Array<number>(WEEK).fill(0),
    spread,
    s: 0,
    lastZero: -1,
    zeroShare: 1 - sold.length / Math.max(1, head.length),
    size: sold.length > 0 ? mean(sold) : 1,
    since: [],
  };
}

/**
 * One day of a CUSUM; `factor` is the day's yearly factor (1 without an
 * index). Level, weekly pattern and spread live in yearly-adjusted units.
 */
function step(c: Cusum, t: number, value: number, o: Required<SpikeDetectorOptions>, factor = 1): void {
  const slot = t % WEEK;
  const expected = (c.level + c.season[slot]!) * factor;
  const error = value - expected;
  // Poisson floor √level; a sparse seller's sales come in lumps of about
  // `size` units, and a compound-Poisson spread is √(level × size).
  const lumps = c.zeroShare > 0.3 ? Math.max(1, c.size) : 1;
  const sigma = Math.max(c.spread * factor, Math.sqrt(Math.max(c.level * factor, 1) * lumps));
  c.s = Math.max(0, c.s + Math.min(o.cap, error / sigma) - o.drift);
  if (c.s === 0) {
    c.lastZero = t;
    c.since = [];
  } else {
    c.since.push({ sold: value, expected: Math.max(0, expected) });
    if (c.since.length > LIFT_DAYS) c.since.shift();
  }
  // Robust learning (errors clipped at 2σ): a spike barely moves the baseline,
  // and learning on every day keeps it unbiased (learning only while S = 0
  // would learn mostly from low days and drift down).
  const clipped = Math.max(-2 * sigma, Math.min(2 * sigma, error)) / factor;
  c.level += o.alpha * clipped;
  c.season[slot] = c.season[slot]! + o.gamma * clipped;
  c.spread += 0.03 * (Math.abs(clipped) * 1.25 - c.spread);
  c.zeroShare += 0.02 * ((value === 0 ? 1 : 0) - c.zeroShare);
  if (value > 0) c.size += 0.05 * (value - c.size);
}

/** Days that only learn the baseline. */
const WARM_UP_DAYS = 4 * WEEK;
/** Days a CUSUM may stay above zero without confirming before its baseline is reset. */
const MAX_EXCURSION_DAYS = 14;
/** A confirmation this soon after the previous one belongs to the same shock. */
const MERGE_DAYS = 14;

/** Restart a CUSUM at day t with the (yearly-adjusted) level of the days since `from` (default: its excursion). */
function restart(
  c: Cusum,
  series: readonly number[],
  t: number,
  factor: (t: number) => number,
  from = c.lastZero + 1,
): void {
  const start = Math.max(0, Math.min(from, t));
  const recent = series.slice(start, t + 1).map((v, i) => v / factor(start + i));
  c.level = mean(recent) - mean(c.season);
  c.s = 0;
  c.lastZero = t;
  c.since = [];
}

/** Sales since S was last 0 over what the baseline expected (∞ when it expected nothing). */
function lift(c: Cusum): number {
  let sold = 0;
  let expected = 0;
  for (const day of c.since) {
    sold += day.sold;
    expected += day.expected;
  }
  return expected > 0 ? sold / expected : Infinity;
}

function resolve(options: SpikeDetectorOptions): Required<SpikeDetectorOptions> {
  return {
    drift: options.drift ?? 0.5,
    flagAt: options.flagAt ?? 3,
    confirmAt: options.confirmAt ?? 7,
    cap: options.cap ?? 4,
    alpha: options.alpha ?? 0.1,
    gamma: options.gamma ?? 0.05,
    minLift: options.minLift ?? DEFAULT_MIN_LIFT,
  };
}

/**
 * Scan a daily sales series (and optionally aligned daily mention counts) for
 * upward shifts. A confirmed alarm resets the CUSUM (the baseline then learns
 * the new level), so later shifts are found too. `yearlyIndex` (52 factors,
 * `index[yearWeek(t)]` for day t of `sales`, as `yearlyIndex()` returns and
 * `forecastDemand` chooses by out-of-sample error) makes yearly peaks part of
 * the sales baseline; mentions are scanned without it.
 *
 * @example
 * ```ts
 * const { latest } = detectSpikes(sales, { mentions, yearlyIndex: yearlyIndex(sales) });
 * if (latest.state === 'confirmed') console.log(`spike since day ${latest.onsetIndex}, ${latest.confidence}`);
 * ```
 */
export function detectSpikes(
  sales: readonly number[],
  input: {
    mentions?: readonly number[] | undefined;
    options?: SpikeDetectorOptions | undefined;
    yearlyIndex?: readonly number[] | null | undefined;
  } = {},
): SpikeScan {
  assertDemandSeries('sales', sales);
  if (input.mentions) assertDemandSeries('mentions', input.mentions);
  const o = resolve(input.options ?? {});
  const yearly = yearlyFactor(input.yearlyIndex);
  const flat = () => 1;
  const demand = newCusum(sales, yearly);
  const talk = input.mentions ? newCusum(input.mentions, flat) : null;
  const alarms: SpikeScan['alarms'] = [];
  let flaggedIndex: number | null = null;
  let mentionsLed = false;
  let last: SpikeSignal = blank();
  let lastConfirmed: SpikeSignal | null = null;
  for (let t = 0; t < sales.length; t++) {
    step(demand, t, sales[t]!, o, yearly(t));
    if (talk && t < input.mentions!.length) step(talk, t, input.mentions![t]!, o);
    if (t < WARM_UP_DAYS) {
      demand.s = 0;
      demand.lastZero = t;
      if (talk) {
        talk.s = 0;
        talk.lastZero = t;
      }
      continue;
    }
    const talkS = talk?.s ?? 0;
    const flagged = demand.s >= o.flagAt || talkS >= o.flagAt;
    const evidenced = demand.s >= o.confirmAt || (demand.s >= o.flagAt && talkS >= o.confirmAt);
    const confirmed = evidenced && lift(demand) >= o.minLift;
    if (evidenced && !confirmed && t - demand.lastZero > MAX_EXCURSION_DAYS) {
      // Evidence of a rise for weeks, too little lift for a spike: a level
      // shift. The baseline takes the excursion's level, the flag is dropped.
      restart(demand, sales, t, yearly);
      if (talk) restart(talk, input.mentions!, t, flat);
      flaggedIndex = null;
      if (last.state === 'flagged') last = lastConfirmed ?? blank();
      continue;
    }
    if (flagged && flaggedIndex === null) {
      flaggedIndex = t;
      mentionsLed = demand.s < o.flagAt;
    }
    if (!flagged && demand.s === 0) flaggedIndex = null;
    for (const [c, series, factor] of [
      [demand, sales, yearly],
      [talk, input.mentions, flat],
    ] as const) {
      // A long, shallow excursion is a drift, not a spike: let the baseline catch up.
      if (c && series && !flagged && c.s > 0 && t - c.lastZero > MAX_EXCURSION_DAYS)
        restart(c, series, t, factor);
    }
    const onset = Math.min(demand.lastZero, talk && talkS > 0 ? talk.lastZero : Infinity) + 1;
    const evidence = Math.max(demand.s, demand.s + 0.5 * talkS);
    if (confirmed) {
      const previous = alarms.at(-1);
      if (previous && onset - previous.confirmedIndex <= MERGE_DAYS) {
        // The same shock still climbing: keep its onset rather than report a new one.
        last = signal(
          'confirmed',
          sales,
          previous.onsetIndex,
          previous.flaggedIndex,
          previous.confirmedIndex,
          evidence,
          last.mentionsLed,
        );
      } else {
        alarms.push({ onsetIndex: onset, flaggedIndex: flaggedIndex ?? t, confirmedIndex: t });
        last = signal('confirmed', sales, onset, flaggedIndex ?? t, t, evidence, mentionsLed);
      }
      restart(demand, sales, t, yearly, onset);
      if (talk) restart(talk, input.mentions!, t, flat);
      flaggedIndex = null;
      lastConfirmed = last;
    } else if (flagged) {
      last = signal('flagged', sales, onset, flaggedIndex!, null, evidence, mentionsLed);
    } else if (last.state === 'flagged') {
      last = lastConfirmed ?? blank();
    }
  }
  return { alarms, latest: last, lastConfirmed };
}

/** Day t → its yearly factor (1 everywhere without an index). */
function yearlyFactor(index: readonly number[] | null | undefined): (t: number) => number {
  if (!index) return () => 1;
  if (index.length !== YEAR_WEEKS || index.some((f) => !(Number.isFinite(f) && f > 0))) {
    throw new ForecastInputError('yearlyIndex', `expected ${YEAR_WEEKS} finite factors > 0`);
  }
  return (t) => index[yearWeek(t)]!;
}

function blank(): SpikeSignal {
  return {
    state: 'none',
    onsetIndex: null,
    flaggedIndex: null,
    confirmedIndex: null,
    confidence: 0,
    ratio: null,
    mentionsLed: false,
  };
}

function signal(
  state: SpikeState,
  sales: readonly number[],
  onset: number,
  flaggedIndex: number,
  confirmedIndex: number | null,
  evidence: number,
  mentionsLed: boolean,
): SpikeSignal {
  const before = mean(sales.slice(Math.max(0, onset - 4 * WEEK), onset));
  const after = mean(sales.slice(onset, (confirmedIndex ?? flaggedIndex) + 1));
  return {
    state,
    onsetIndex: onset,
    flaggedIndex,
    confirmedIndex,
    confidence: 1 - Math.exp(-evidence),
    ratio: before > 0 ? after / before : null,
    mentionsLed,
  };
}
