/**
 * The settling timer of `resolve-sync-conflicts`. It ticks every `tickMs` and
 * also wakes when a window is to be prepared or falls due within that, so a
 * window is settled as soon as it closes. A tick starts a settle pass; while
 * nothing is due it prepares the windows halfway through their grace; when
 * more were due than one pass takes, the next tick is at once, so the next
 * pass starts while this one commits. Otherwise a tick comes no sooner than
 * `gatherMs` after the one before, so that windows falling due a few ms apart
 * (staggered windows do, all the time) are prepared and written by one pass.
 */
import type { EventEmitter } from 'eventemitter3';
import type { StagedContender } from './contender-staging.js';
import type { OpenEntityIndex } from './open-index.js';
import type { PreparePasses } from './prepare-passes.js';
import type { SettlePasses } from './settle-passes.js';
import type { SyncConflictEvents } from './sync-conflict-events.js';
import type { WindowSchedule } from './window-schedule.js';

/** What the timer starts, reads and tells: the processor's parts. */
export interface SettleTimerParts {
  passes: Pick<SettlePasses, 'start'>;
  preparer: Pick<PreparePasses, 'busy' | 'prepareClosing'>;
  /** The open entities, for the next window to fall due. */
  index: Pick<OpenEntityIndex, 'forEachOpen'>;
  schedule: WindowSchedule;
  /** Hears the failures of passes. */
  events: EventEmitter<SyncConflictEvents>;
  /** Physical clock, ms. */
  now: () => number;
  /** The cadence, ms. */
  tickMs: number;
  /** Least time between two ticks, ms (the tick after a capped pass excepted). */
  gatherMs: number;
}

/**
 * Runs settle passes on time, between `start()` and `stop()`.
 *
 * @example
 * ```ts
 * const timer = new SettleTimer(parts);
 * timer.start();
 * timer.wakeFor(justStaged);
 * timer.stop();
 * ```
 */
export class SettleTimer {
  readonly #p: SettleTimerParts;
  #running = false;
  #timer: NodeJS.Timeout | null = null;
  /** When the armed timer fires (performance.now() ms); Infinity when none is armed. */
  #timerAt = Infinity;
  /** When the last tick ran (performance.now() ms). */
  #tickedAt = -Infinity;

  constructor(parts: SettleTimerParts) {
    this.#p = parts;
  }

  /** Tick from now on. */
  start(): void {
    this.#running = true;
    this.#arm(this.#p.tickMs);
  }

  /** No more ticks (a tick in progress ends without arming another). */
  stop(): void {
    this.#running = false;
    this.#disarm();
  }

  /** Reports were just staged: wake when the earliest of their windows is to be prepared or falls due. */
  wakeFor(rows: readonly StagedContender[]): void {
    if (!this.#running || rows.length === 0) return;
    // A window already due waits for the next tick.
    const nowMs = this.#p.now();
    let next = Infinity;
    for (const r of rows) next = Math.min(next, this.#p.schedule.wakeAt({ ...r, anchorMs: r.atMs }, nowMs));
    if (next - nowMs < this.#p.tickMs) this.#arm(next - nowMs);
  }

  /** One tick of the timer: start a pass, then arm for the next window to fall due. */
  #tick(): void {
    this.#timer = null;
    this.#timerAt = Infinity;
    const { passes, preparer, events, now, tickMs } = this.#p;
    const nowMs = now();
    this.#tickedAt = performance.now();
    passes.start(nowMs).then(
      (pass) => {
        void pass?.done.then((outcome) => {
          if (outcome.failure) events.emit('error', outcome.failure.error);
        });
        if (!this.#running) return;
        // Ahead of the next windows' due times, while nothing is due (a prepare is only a cache).
        if (!pass && !preparer.busy) void preparer.prepareClosing(nowMs).catch(() => undefined);
        // More were due than one pass takes: the next pass starts while this one commits.
        if (pass?.capped) this.#arm(0, { continuing: true });
        else this.#arm(this.#untilNextDue(nowMs));
      },
      (err: unknown) => {
        events.emit('error', err);
        if (this.#running) this.#arm(tickMs);
      },
    );
  }

  /** Ms until the next window is to be prepared or falls due after `nowMs`, at most `tickMs`. */
  #untilNextDue(nowMs: number): number {
    let next = Infinity;
    this.#p.index.forEachOpen((e) => {
      next = Math.min(next, this.#p.schedule.wakeAt(e, nowMs));
    });
    return Math.min(this.#p.tickMs, next - nowMs);
  }

  /**
   * Fire the timer in `delayMs`, or sooner if it is armed sooner; never sooner than
   * `gatherMs` after the last tick, unless `continuing` a capped pass.
   */
  #arm(delayMs: number, { continuing = false } = {}): void {
    const now = performance.now();
    const at = continuing ? now + delayMs : Math.max(now + delayMs, this.#tickedAt + this.#p.gatherMs);
    delayMs = at - now;
    if (this.#timer !== null) {
      if (this.#timerAt <= at) return;
      clearTimeout(this.#timer);
    }
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#tick(), delayMs);
  }

  #disarm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Infinity;
  }
}
