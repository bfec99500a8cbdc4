/**
 * Where an entity's detection window ends, when it is resolved ahead and when
 * it falls due, on the processor's clock. Two alignments:
 *
 * - `anchored` (default): a window opens at the entity's earliest waiting
 *   report (its anchor) and ends `windowMs` after it, holding the reports up to
 *   and including that end. A burst after a quiet spell is always one window;
 *   entities whose reports start together fall due together.
 * - `staggered`: each entity's windows are the fixed slots
 *   `[phase + k·windowMs, phase + (k+1)·windowMs)`, `phase` a hash of the
 *   entity's key. Which window a report belongs to depends only on its entity
 *   and time, and entities updated together (a scheduled sync of every product)
 *   fall due spread evenly over `windowMs` instead of in one burst; the price is
 *   that reports straddling a slot's end settle in two windows.
 *
 * A window falls due `settleMs` after its end, the grace a late report has to
 * join it; halfway through that grace it is resolved ahead. The settling timer
 * wakes at whichever of the two comes next.
 */
import { windowFor, type ConflictConfig } from '../../conflicts/config.js';
import type { OpenEntity, StagedContender } from './contender-staging.js';

/** How an entity's reports are cut into windows (see the header). */
export type WindowAlignment = 'anchored' | 'staggered';

/** The alignments, for validation. */
export const WINDOW_ALIGNMENTS: readonly WindowAlignment[] = ['anchored', 'staggered'];

/** A window as the schedule sees it: its entity and its anchor (earliest report). */
export type ScheduledWindow = Pick<OpenEntity, 'creatorId' | 'entityType' | 'entityId' | 'anchorMs'>;

/**
 * An entity's phase in `[0, windowMs)`: FNV-1a of its key, so every host and
 * every restart cuts the same slots.
 *
 * @example
 * ```ts
 * windowPhaseMs({ creatorId: 'c1', entityType: 'inventory', entityId: 'p1' }, 5_000); // 0..4999
 * ```
 */
export function windowPhaseMs(
  entity: Pick<OpenEntity, 'creatorId' | 'entityType' | 'entityId'>,
  windowMs: number,
): number {
  let hash = 0x811c9dc5;
  for (const part of [entity.creatorId, entity.entityType, entity.entityId]) {
    for (let i = 0; i < part.length; i++) hash = Math.imul(hash ^ part.charCodeAt(i), 0x01000193);
    hash = Math.imul(hash ^ 0, 0x01000193); // a separator: ('ab','c') and ('a','bc') differ
  }
  return (hash >>> 0) % Math.max(1, Math.floor(windowMs));
}

/**
 * The end of a staggered slot holding `atMs`: the first `phase + k·windowMs`
 * after it (a report at a slot's end opens the next slot). `windowMs` > 0: a
 * window of 0 ms has no slots (each instant is its own window, as anchored).
 *
 * @example
 * ```ts
 * staggeredWindowEnd(7_200, 1_000, 5_000); // 11_000: the slot [6_000, 11_000)
 * ```
 */
export function staggeredWindowEnd(atMs: number, phaseMs: number, windowMs: number): number {
  const intoSlot = (((atMs - phaseMs) % windowMs) + windowMs) % windowMs;
  return atMs - intoSlot + windowMs;
}

/**
 * The due and prepare times of windows under one conflict configuration.
 *
 * @example
 * ```ts
 * const schedule = new WindowSchedule(resolver.engine.config, 1_000);
 * schedule.dueAt({ creatorId: 'c1', entityType: 'inventory', entityId: 'p1', anchorMs: t0 }); // t0 + 6_000
 * ```
 */
export class WindowSchedule {
  readonly #config: ConflictConfig;
  /** Grace after a window's end for late reports, ms. */
  readonly settleMs: number;
  readonly alignment: WindowAlignment;
  /** Phases by entity object (see `#end`). */
  readonly #phases = new WeakMap<object, number>();

  constructor(config: ConflictConfig, settleMs: number, alignment: WindowAlignment = 'anchored') {
    this.#config = config;
    this.settleMs = settleMs;
    this.alignment = alignment;
  }

  /** The detection window of an entity type, ms. */
  windowMs(entityType: string): number {
    return windowFor(this.#config, entityType);
  }

  /** Whether an entity type's windows are slots (a window of 0 ms has none: each instant is its own). */
  #slotted(entityType: string): boolean {
    return this.alignment === 'staggered' && this.windowMs(entityType) > 0;
  }

  /** When the window from `anchorMs` ends (anchored: inclusive; staggered: the next slot's start). */
  windowEnd(window: ScheduledWindow): number {
    return this.#end(window, window.anchorMs);
  }

  /**
   * The end of `entity`'s window from `anchorMs`. The phase is kept per entity object: the
   * index's objects are the same from tick to tick, so a tick over them hashes nothing.
   */
  #end(entity: Omit<ScheduledWindow, 'anchorMs'>, anchorMs: number): number {
    const windowMs = this.windowMs(entity.entityType);
    if (!this.#slotted(entity.entityType)) return anchorMs + windowMs;
    let phase = this.#phases.get(entity);
    if (phase === undefined) {
      phase = windowPhaseMs(entity, windowMs);
      this.#phases.set(entity, phase);
    }
    return staggeredWindowEnd(anchorMs, phase, windowMs);
  }

  /** The reports of the window from the entity's `anchorMs` (rows sorted by time, the first at the anchor). */
  cut(rows: readonly StagedContender[], window: ScheduledWindow): StagedContender[] {
    return this.#upTo(rows, window.entityType, this.windowEnd(window));
  }

  /** The reports of an entity's first window once it is due at `nowMs`, else null (rows sorted by time). */
  dueWindow(
    rows: readonly StagedContender[],
    nowMs: number,
    entity: Omit<ScheduledWindow, 'anchorMs'>,
  ): StagedContender[] | null {
    const first = rows[0];
    if (first === undefined) return null;
    const end = this.#end(entity, first.atMs);
    if (nowMs < end + this.settleMs) return null;
    return this.#upTo(rows, entity.entityType, end);
  }

  /** The rows a window ending at `end` holds: up to and including it when anchored, before it when slotted. */
  #upTo(rows: readonly StagedContender[], entityType: string, end: number): StagedContender[] {
    return this.#slotted(entityType) ? rows.filter((r) => r.atMs < end) : rows.filter((r) => r.atMs <= end);
  }

  /** When the window closes: its end plus the grace. */
  dueAt(window: ScheduledWindow): number {
    return this.windowEnd(window) + this.settleMs;
  }

  /** Halfway through the grace: late reports have had half of it to arrive. */
  prepareAt(window: ScheduledWindow): number {
    return this.dueAt(window) - this.settleMs / 2;
  }

  /**
   * When to wake for the window after `nowMs`: to prepare it, or when it falls due once
   * that is past. Infinity when both are past (a due window waits for the next tick).
   */
  wakeAt(window: ScheduledWindow, nowMs: number): number {
    const prepare = this.prepareAt(window);
    const at = prepare > nowMs ? prepare : this.dueAt(window);
    return at > nowMs ? at : Infinity;
  }
}
