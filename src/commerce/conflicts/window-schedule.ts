/**
 * When an entity's window is resolved ahead and when it falls due, on the
 * processor's clock. A window ends its entity type's `windowMs` after its
 * anchor (its earliest report) and falls due `settleMs` later, the grace a late
 * report has to join it; halfway through that grace it is resolved ahead. The
 * settling timer wakes at whichever of the two comes next.
 */
import { windowFor, type ConflictConfig } from '../../conflicts/config.js';
import type { OpenEntity } from './contender-staging.js';

/** A window as the schedule sees it: its entity type and its anchor. */
type ScheduledWindow = Pick<OpenEntity, 'entityType' | 'anchorMs'>;

/**
 * The due and prepare times of windows under one conflict configuration.
 *
 * @example
 * ```ts
 * const schedule = new WindowSchedule(resolver.engine.config, 1_000);
 * schedule.dueAt({ entityType: 'inventory', anchorMs: t0 }); // t0 + 5_000 + 1_000
 * ```
 */
export class WindowSchedule {
  readonly #config: ConflictConfig;
  /** Grace after a window's end for late reports, ms. */
  readonly settleMs: number;

  constructor(config: ConflictConfig, settleMs: number) {
    this.#config = config;
    this.settleMs = settleMs;
  }

  /** The detection window of an entity type, ms. */
  windowMs(entityType: string): number {
    return windowFor(this.#config, entityType);
  }

  /** When the window closes: its end plus the grace. */
  dueAt(window: ScheduledWindow): number {
    return window.anchorMs + this.windowMs(window.entityType) + this.settleMs;
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
