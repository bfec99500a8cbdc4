/**
 * Each host reads the gapless log itself and turns events into tag
 * invalidations. A wake-up (LISTEN/NOTIFY, a local commit) makes it read at
 * once; a short poll is the backstop, so a lost notification delays an
 * invalidation by at most the poll interval, and a host that slept or lost
 * its connection reads from its checkpoint before it serves anything again.
 */
import { EventEmitter } from 'eventemitter3';
import type { Subscription } from 'rxjs';
import type { LogCheckpoint } from '../core/checkpoint.js';
import { PollLoop } from '../runtime/poll-loop.js';
import type { EventStore } from '../store/types.js';
import { tagsForEvent, type InvalidationRules } from './invalidation-rules.js';
import { LagSamples } from './lag-samples.js';
import { logPosition, type LogPosition } from './log-position.js';
import type { TagPositions } from './tag-positions.js';

/** Events of a {@link LogFollower}. */
export interface LogFollowerEvents {
  /** An event invalidated `tags`; `lagMs` = now − the event's commit time. */
  invalidated: [info: { tags: string[]; checkpoint: LogCheckpoint; lagMs: number }];
  /** Reading the log failed (the database is down); entries cannot be vouched for. */
  error: [error: unknown];
  /** The log could be read again after failing. */
  recovered: [];
}

/** Options of {@link LogFollower}. */
export interface LogFollowerOptions {
  store: EventStore;
  rules: InvalidationRules;
  positions: TagPositions;
  /** The checkpoint to read after (the head when the host started). */
  checkpoint: LogCheckpoint;
  pollIntervalMs: number;
  batchSize: number;
  now: () => number;
}

/**
 * Follows the log into a {@link TagPositions}.
 *
 * @example
 * ```ts
 * const follower = new LogFollower({ store, rules, positions, checkpoint: await store.headCheckpoint(),
 *   pollIntervalMs: 100, batchSize: 500, now: Date.now });
 * follower.start();
 * await follower.catchUp();
 * ```
 */
export class LogFollower extends EventEmitter<LogFollowerEvents> {
  readonly #options: LogFollowerOptions;
  #checkpoint: LogCheckpoint;
  #position: LogPosition;
  /** When the last read that reached the end of the log started, ms. */
  #confirmedAt: number;
  #running: Promise<void> | null = null;
  #failing = false;
  #lastError: unknown = undefined;
  #poll: PollLoop | undefined;
  #wakeups: Subscription | undefined;
  readonly lag = new LagSamples(2048);
  #events = 0;

  constructor(options: LogFollowerOptions) {
    super();
    this.#options = options;
    this.#checkpoint = options.checkpoint;
    this.#position = logPosition(options.checkpoint);
    this.#confirmedAt = options.now();
  }

  /** The checkpoint of the last event applied. */
  get checkpoint(): LogCheckpoint {
    return this.#checkpoint;
  }

  /** Its sortable form: what a load started now is stamped with. */
  get position(): LogPosition {
    return this.#position;
  }

  /** Ms since the follower last confirmed it had read everything committed. */
  get confirmedAgoMs(): number {
    return this.#options.now() - this.#confirmedAt;
  }

  /** Events read from the log so far. */
  get eventsRead(): number {
    return this.#events;
  }

  /** True while reading the log fails. */
  get failing(): boolean {
    return this.#failing;
  }

  get lastError(): unknown {
    return this.#lastError;
  }

  /**
   * Follow the log: read to its end on every wake-up and at least every
   * `pollIntervalMs` (the first read one interval after start, as `catchUp()`
   * is the host's own first read). A failed read is reported as `'error'` and
   * tried again at the next wake-up or poll.
   */
  start(): void {
    if (this.#poll) return;
    const poll = new PollLoop({
      turn: async () => {
        await this.catchUp();
        return { ms: this.#options.pollIntervalMs };
      },
      onError: () => ({ ms: this.#options.pollIntervalMs }), // reported as an 'error' event
      unref: true,
    });
    this.#poll = poll;
    this.#wakeups = this.#options.store.wakeups.subscribe(() => poll.wake());
    poll.start({ first: { ms: this.#options.pollIntervalMs } });
  }

  /** Stop following; resolves when the read in flight has finished. */
  async stop(): Promise<void> {
    this.#wakeups?.unsubscribe();
    this.#wakeups = undefined;
    await this.#poll?.stop();
    this.#poll = undefined;
    await (this.#running ?? Promise.resolve()).catch(() => undefined);
  }

  /**
   * Read the log to its end with a read that starts after this call (one
   * reader at a time: a call during a read waits for it, then joins or starts
   * the next). Rejects when the log cannot be read.
   */
  async catchUp(): Promise<void> {
    const current = this.#running;
    if (current) {
      await current.catch(() => undefined);
      if (this.#running && this.#running !== current) return this.#running;
    }
    const run = this.#readToEnd().finally(() => {
      if (this.#running === run) this.#running = null;
    });
    this.#running = run;
    return run;
  }

  /**
   * Apply the log from `from` up to where following began, so copies loaded
   * before this host started (found in Redis) can be judged; then lower the
   * floor to `from`. Gives up (false) past `maxEvents` or when the log cannot be read.
   */
  async backfill(from: LogCheckpoint, until: LogPosition, maxEvents: number): Promise<boolean> {
    const { store, batchSize, positions } = this.#options;
    let after = from;
    let read = 0;
    try {
      for (;;) {
        const page = await store.readAll({ after, limit: batchSize });
        for (const event of page.events) {
          if (logPosition(event.checkpoint) > until) return positions.lowerFloor(logPosition(from));
          const tags = tagsForEvent(this.#options.rules, event);
          if (tags.size > 0) positions.invalidate(tags, logPosition(event.checkpoint));
        }
        read += page.events.length;
        if (page.events.length < batchSize) return positions.lowerFloor(logPosition(from));
        if (read >= maxEvents) return false;
        after = page.checkpoint;
      }
    } catch {
      return false;
    }
  }

  async #readToEnd(): Promise<void> {
    const { store, batchSize, now } = this.#options;
    try {
      for (;;) {
        const startedAt = now();
        const page = await store.readAll({ after: this.#checkpoint, limit: batchSize });
        for (const event of page.events) this.#apply(event);
        this.#checkpoint = page.checkpoint;
        this.#position = logPosition(page.checkpoint);
        if (page.events.length < batchSize) {
          this.#confirmedAt = startedAt;
          break;
        }
      }
      const wasFailing = this.#failing;
      this.#failing = false;
      this.#lastError = undefined;
      if (wasFailing) this.emit('recovered');
    } catch (err) {
      this.#lastError = err;
      if (!this.#failing) this.emit('error', err);
      this.#failing = true;
      throw err;
    }
  }

  #apply(event: Parameters<typeof tagsForEvent>[1] & { checkpoint: LogCheckpoint; processedAt: Date }): void {
    this.#events++;
    const tags = tagsForEvent(this.#options.rules, event);
    if (tags.size === 0) return;
    const position = logPosition(event.checkpoint);
    this.#options.positions.invalidate(tags, position);
    const lagMs = Math.max(0, this.#options.now() - event.processedAt.getTime());
    this.lag.add(lagMs);
    this.emit('invalidated', { tags: [...tags], checkpoint: event.checkpoint, lagMs });
  }
}
