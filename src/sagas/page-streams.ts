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
    if (this.#page === undefined) return undefined;
    this.#byStream ??= index(this.#page);
    const stream = this.#byStream.get(event.aggregateId) ?? [];
    const through = stream.filter((e) => e.version <= event.version).sort((a, b) => a.version - b.version);
    if (through.length !== event.version) return undefined;
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
