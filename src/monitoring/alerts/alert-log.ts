/**
 * Alert state kept durable in the event log: one stream, appended with the
 * version last read, so two evaluators racing (a takeover, a split brain)
 * cannot both record a transition or a notification: the loser's append is
 * refused, it catches up from the log and re-decides.
 */
import { isConcurrencyError } from '../../core/errors.js';
import type { EventStore } from '../../store/types.js';
import { AlertBook } from './alert-book.js';
import { ALERT_EVENT_TYPES, ALERT_STREAM, type AlertEvent } from './alert-events.js';

const KNOWN = new Set<string>(ALERT_EVENT_TYPES);

/**
 * The alert stream of a store, folded into an {@link AlertBook}.
 *
 * @example
 * ```ts
 * const log = new AlertLog(engine.store);
 * await log.load();
 * if (await log.append(events)) notify(log.book);
 * ```
 */
export class AlertLog {
  readonly book = new AlertBook();
  readonly #store: EventStore;
  readonly #stream: string;
  #version = 0;

  constructor(store: EventStore, stream = ALERT_STREAM) {
    this.#store = store;
    this.#stream = stream;
  }

  /** The stream version folded so far. */
  get version(): number {
    return this.#version;
  }

  /** Fold the events appended since the last load (all of them the first time). */
  async load(): Promise<void> {
    for (;;) {
      const { events } = await this.#store.readStream(this.#stream, {
        fromVersion: this.#version + 1,
        maxCount: 1000,
      });
      for (const e of events) {
        if (KNOWN.has(e.type)) this.book.apply({ type: e.type, data: e.data } as AlertEvent);
        this.#version = e.version;
      }
      if (events.length < 1000) return;
    }
  }

  /**
   * Append `events` if nobody appended since our last read, and fold them.
   * Returns false (having caught up instead) when another writer got there first.
   */
  async append(events: readonly AlertEvent[]): Promise<boolean> {
    if (events.length === 0) return true;
    try {
      const result = await this.#store.append(this.#stream, events, {
        aggregateType: 'alert',
        expectedVersion: this.#version === 0 ? 'no_stream' : this.#version,
        metadata: { source: 'monitoring' },
      });
      for (const e of events) this.book.apply(e);
      this.#version = result.nextVersion;
      return true;
    } catch (err) {
      if (!isConcurrencyError(err)) throw err;
      await this.load();
      return false;
    }
  }
}
