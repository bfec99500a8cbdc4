/**
 * Hybrid logical clock (Kulkarni et al.): a physical millisecond time plus a
 * logical counter, so causally related events order correctly even when wall
 * clocks disagree a little. Drift is bounded: a remote timestamp further ahead
 * of our physical clock than `maxDriftMs` is flagged as not trusted and does
 * not move our clock, so one bad clock cannot drag every node into the future.
 */
import { InvalidArgumentError } from './errors.js';

/** One hybrid-logical-clock reading. */
export interface HlcTimestamp {
  /** Physical part: milliseconds since the epoch (the largest wall time seen). */
  wallMs: number;
  /** Logical part: breaks ties between readings with the same `wallMs`. */
  logical: number;
  /** Id of the node that issued the reading (last tie-break). */
  node: string;
}

/**
 * Options of {@link HybridLogicalClock}.
 *
 * @example
 * ```ts
 * const clock = new HybridLogicalClock({ node: 'host-a', maxDriftMs: 60_000 });
 * ```
 */
export interface HybridLogicalClockOptions {
  /** This node's id, part of every reading. */
  node: string;
  /** Largest tolerated lead of a remote clock over ours, in ms. Default 30 000. */
  maxDriftMs?: number;
  /** Physical clock; injectable for tests. Default `Date.now`. */
  now?: () => number;
}

/** Result of {@link HybridLogicalClock.receive}. */
export interface HlcReceipt {
  /** Our clock's reading after the receipt. */
  timestamp: HlcTimestamp;
  /** False when the remote reading was beyond the drift bound (and was ignored). */
  trusted: boolean;
}

/**
 * Default drift bound in ms.
 *
 * @example
 * ```ts
 * new HybridLogicalClock({ node: 'api-1', maxDriftMs: DEFAULT_MAX_DRIFT_MS / 6 });
 * ```
 */
export const DEFAULT_MAX_DRIFT_MS = 30_000;

// 15 digits of ms reach the year 33658; 6 digits of logical counter are plenty per ms.
const WALL_DIGITS = 15;
const LOGICAL_DIGITS = 6;
const HLC_PATTERN = /^(\d{15})-(\d{6})-(.+)$/;

/**
 * Compare two readings: negative, zero or positive. A total order (wall, logical, node).
 *
 * @example
 * ```ts
 * compareHlc({ wallMs: 1, logical: 0, node: 'a' }, { wallMs: 1, logical: 1, node: 'a' }) < 0 // true
 * ```
 */
export function compareHlc(a: HlcTimestamp, b: HlcTimestamp): number {
  if (a.wallMs !== b.wallMs) return a.wallMs < b.wallMs ? -1 : 1;
  if (a.logical !== b.logical) return a.logical < b.logical ? -1 : 1;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

/**
 * Encode a reading as a string whose lexical order is the clock order.
 *
 * @example
 * ```ts
 * formatHlc({ wallMs: 1700000000000, logical: 3, node: 'n1' }) // '001700000000000-000003-n1'
 * ```
 */
export function formatHlc(t: HlcTimestamp): string {
  return `${String(t.wallMs).padStart(WALL_DIGITS, '0')}-${String(t.logical).padStart(LOGICAL_DIGITS, '0')}-${t.node}`;
}

/**
 * Parse a string made by {@link formatHlc}; throws `InvalidArgumentError` when malformed.
 *
 * @example
 * ```ts
 * parseHlc('001700000000000-000003-n1') // { wallMs: 1700000000000, logical: 3, node: 'n1' }
 * ```
 */
export function parseHlc(text: string): HlcTimestamp {
  const match = HLC_PATTERN.exec(text);
  if (!match) throw new InvalidArgumentError(`Malformed HLC timestamp "${text}"`);
  return { wallMs: Number(match[1]), logical: Number(match[2]), node: match[3]! };
}

/**
 * True when `t` is not further ahead of the physical time `nowMs` than `maxDriftMs`.
 *
 * @example
 * ```ts
 * isWithinDrift({ wallMs: 2_000, logical: 0, node: 'x' }, 1_000, 500) // false: 1 s ahead, bound 0.5 s
 * ```
 */
export function isWithinDrift(t: HlcTimestamp, nowMs: number, maxDriftMs: number): boolean {
  return t.wallMs - nowMs <= maxDriftMs;
}

/**
 * A hybrid logical clock for one node.
 *
 * @example
 * ```ts
 * const clock = new HybridLogicalClock({ node: 'api-1', maxDriftMs: 5_000 });
 * const local = clock.now();                       // stamp a local change
 * const { timestamp, trusted } = clock.receive(remoteStamp); // merge a remote one
 * if (!trusted) log.warn('remote clock is too far ahead', remoteStamp);
 * ```
 */
export class HybridLogicalClock {
  readonly #node: string;
  readonly #maxDriftMs: number;
  readonly #physical: () => number;
  #wallMs = 0;
  #logical = 0;

  constructor(options: HybridLogicalClockOptions) {
    if (options.node.length === 0) throw new InvalidArgumentError('HLC node id must not be empty');
    const drift = options.maxDriftMs ?? DEFAULT_MAX_DRIFT_MS;
    if (!Number.isFinite(drift) || drift < 0)
      throw new InvalidArgumentError('maxDriftMs must be a finite number >= 0');
    this.#node = options.node;
    this.#maxDriftMs = drift;
    this.#physical = options.now ?? Date.now;
  }

  /** The drift bound in ms. */
  get maxDriftMs(): number {
    return this.#maxDriftMs;
  }

  /** A reading for a local event (or a message about to be sent); strictly increasing. */
  now(): HlcTimestamp {
    const physical = this.#physical();
    if (physical > this.#wallMs) {
      this.#wallMs = physical;
      this.#logical = 0;
    } else {
      this.#logical += 1;
    }
    return this.#reading();
  }

  /**
   * Merge a remote reading. A reading beyond the drift bound is reported as not
   * trusted and ignored (the clock ticks as for a local event).
   */
  receive(remote: HlcTimestamp): HlcReceipt {
    const physical = this.#physical();
    if (!isWithinDrift(remote, physical, this.#maxDriftMs)) return { timestamp: this.now(), trusted: false };
    const wall = Math.max(this.#wallMs, remote.wallMs, physical);
    if (wall === this.#wallMs && wall === remote.wallMs)
      this.#logical = Math.max(this.#logical, remote.logical) + 1;
    else if (wall === this.#wallMs) this.#logical += 1;
    else if (wall === remote.wallMs) this.#logical = remote.logical + 1;
    else this.#logical = 0;
    this.#wallMs = wall;
    return { timestamp: this.#reading(), trusted: true };
  }

  #reading(): HlcTimestamp {
    return { wallMs: this.#wallMs, logical: this.#logical, node: this.#node };
  }
}
