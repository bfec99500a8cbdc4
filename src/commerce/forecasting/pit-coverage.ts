/**
 * Interval coverage that stays fair for counts and for distributions with an
 * atom (a forecast that puts 70 % on "no sales today").
 *
 * Counting "p10 ≤ y ≤ p90" over-covers such outcomes: when p10 = 0, every zero
 * day counts as covered, though only part of the probability at zero lies
 * inside the central 80 %. The nonrandomized PIT of Czado, Gneiting & Held
 * (2009, Biometrics 65:1254) treats the PIT of an outcome `y` as uniform on
 * `[F(y−), F(y)]`; the expected coverage of the central interval is then the
 * share of that range inside `[lower, upper]`. A calibrated forecast scores
 * `upper − lower` in expectation, discrete or not; for a continuous forecast
 * it is the ordinary indicator.
 */

function countBelow(sorted: ArrayLike<number>, value: number, inclusive: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const x = sorted[mid]!;
    if (x < value || (inclusive && x === value)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Expected coverage (0–1) of the central `[lower, upper]` probability interval
 * for one outcome, from the forecast's simulated draws sorted ascending, by
 * the nonrandomized PIT (Czado, Gneiting & Held 2009).
 *
 * @example
 * ```ts
 * // 70 % of futures sell nothing: a zero day lies on PIT [0, 0.7], 0.6 of it inside [0.1, 0.9].
 * intervalCoverage([0, 0, 0, 0, 0, 0, 0, 1, 2, 3], 0) // ≈ 0.857 (0.6 / 0.7)
 * ```
 */
export function intervalCoverage(
  sortedDraws: ArrayLike<number>,
  outcome: number,
  lower = 0.1,
  upper = 0.9,
): number {
  const n = sortedDraws.length;
  if (n === 0) return 0;
  const below = countBelow(sortedDraws, outcome, false) / n;
  const atOrBelow = countBelow(sortedDraws, outcome, true) / n;
  if (atOrBelow === below) return below >= lower && below <= upper ? 1 : 0;
  const inside = Math.max(0, Math.min(atOrBelow, upper) - Math.max(below, lower));
  return inside / (atOrBelow - below);
}
