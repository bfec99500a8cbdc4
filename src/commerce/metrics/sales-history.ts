/**
 * A product's recent sales as hourly buckets: small enough to live in its
 * read-model row (so every calculation stays a pure function of the row) and
 * precise enough for velocity, trend and anomaly detection.
 */

/** Hours of history kept per product. */
export const SALES_HISTORY_HOURS = 48;

const HOUR_MS = 3_600_000;

/** Units sold per hour, oldest first; the last bucket is the hour `endHour`. */
export interface SalesHistory {
  /** Hours since the epoch of the newest bucket. */
  endHour: number;
  /** {@link SALES_HISTORY_HOURS} non-negative unit counts. */
  buckets: number[];
}

/** The hour (since the epoch) containing `atMs`. */
export function hourOf(atMs: number): number {
  return Math.floor(atMs / HOUR_MS);
}

/**
 * An empty history ending at the hour of `atMs`.
 *
 * @example
 * ```ts
 * emptySalesHistory(Date.now()).buckets.length // 48
 * ```
 */
export function emptySalesHistory(atMs: number): SalesHistory {
  return { endHour: hourOf(atMs), buckets: new Array<number>(SALES_HISTORY_HOURS).fill(0) };
}

/**
 * Move the newest bucket forward to the hour of `atMs` (older hours drop off).
 * A history already at or past that hour is returned unchanged.
 *
 * @example
 * ```ts
 * const later = advanceSalesHistory(history, Date.now());
 * ```
 */
export function advanceSalesHistory(history: SalesHistory, atMs: number): SalesHistory {
  const target = hourOf(atMs);
  const shift = target - history.endHour;
  if (shift <= 0) return history;
  if (shift >= SALES_HISTORY_HOURS) return emptySalesHistory(atMs);
  const buckets = [...history.buckets.slice(shift), ...new Array<number>(shift).fill(0)];
  return { endHour: target, buckets };
}

/**
 * Record `units` sold at `atMs`. Sales older than the window are dropped;
 * sales within it land in their hour whatever the order they arrive in.
 *
 * @example
 * ```ts
 * let h = emptySalesHistory(Date.now());
 * h = recordSale(h, Date.now(), 3);
 * ```
 */
export function recordSale(history: SalesHistory, atMs: number, units: number): SalesHistory {
  const advanced = advanceSalesHistory(history, atMs);
  const index = SALES_HISTORY_HOURS - 1 - (advanced.endHour - hourOf(atMs));
  if (index < 0 || units <= 0) return advanced;
  const buckets = [...advanced.buckets];
  buckets[index] = (buckets[index] ?? 0) + units;
  return { endHour: advanced.endHour, buckets };
}

/**
 * Read a history from a stored row value (jsonb), tolerating absent or
 * malformed values (they read as an empty history).
 *
 * @example
 * ```ts
 * const history = parseSalesHistory(row.sales_history, Date.now());
 * ```
 */
export function parseSalesHistory(value: unknown, fallbackMs: number): SalesHistory {
  if (typeof value === 'object' && value !== null) {
    const { endHour, buckets } = value as { endHour?: unknown; buckets?: unknown };
    if (
      typeof endHour === 'number' &&
      Array.isArray(buckets) &&
      buckets.length === SALES_HISTORY_HOURS &&
      buckets.every((b) => typeof b === 'number' && Number.isFinite(b) && b >= 0)
    ) {
      return { endHour, buckets: buckets as number[] };
    }
  }
  return emptySalesHistory(fallbackMs);
}
