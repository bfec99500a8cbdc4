/**
 * A processor page seen by stream: for an event of the page, its stream from
 * the first version through that event, when the page holds all of it. A
 * saga trigger hands this to `map`, so a saga can start knowing what its
 * stream held when it was triggered, without reading the stream again.
 */
import type { StoredEvent } from '../store/types.js';

/**
 * The streams of one page, indexed on first use.
 *
 * @example
 * ```ts
 * const streams = new PageStreams(ctx.page);
 * const history = streams.soFar(event); // versions 1..event.version, or undefined
 * const held = streams.inPage(event); // versions 1..the last the page holds, or undefined
 * ```
 */
export class PageStreams<E extends StoredEvent = StoredEvent> {
  readonly #page: readonly E[] | undefined;
  #byStream: Map<string, E[]> | undefined;

  constructor(page: readonly E[] | undefined) {
    this.#page = page;
  }

  /**
   * `event`'s stream from version 1 through `event` (in version order) when the
   * page holds every one of those versions; undefined when it does not (an
   * earlier version was in an earlier page) or there is no page.
   */
  soFar(event: E): readonly E[] | undefined {
    return this.#from1(event, event.version);
  }

  /**
   * `event`'s stream from version 1 through the last of its versions the page
   * holds (at least `event`: the events appended with it, or after it, are
   * often in the same page), when the page holds every one of them;
   * undefined otherwise.
   */
  inPage(event: E): readonly E[] | undefined {
    const held = this.#held(event);
    return held && this.#from1(event, Math.max(event.version, ...held.map((e) => e.version)));
  }

  /** The page's events of `event`'s stream (undefined without a page). */
  #held(event: E): readonly E[] | undefined {
    if (this.#page === undefined) return undefined;
    this.#byStream ??= index(this.#page);
    return this.#byStream.get(event.aggregateId) ?? [];
  }

  /** Versions 1..`last` of `event`'s stream, when the page holds every one. */
  #from1(event: E, last: number): readonly E[] | undefined {
    const stream = this.#held(event);
    if (stream === undefined) return undefined;
    const through = stream.filter((e) => e.version <= last).sort((a, b) => a.version - b.version);
    if (through.length !== last) return undefined;
    return through.every((e, i) => e.version === i + 1) ? through : undefined;
  }
}

function index<E extends StoredEvent>(page: readonly E[]): Map<string, E[]> {
  const byStream = new Map<string, E[]>();
  for (const event of page) {
    const list = byStream.get(event.aggregateId);
    if (list) list.push(event);
    else byStream.set(event.aggregateId, [event]);
  }
  return byStream;
}
