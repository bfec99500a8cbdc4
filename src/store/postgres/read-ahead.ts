/**
 * Sequential read-ahead for pages of the global log.
 *
 * A reader catching up (a subscriber, a projection rebuild, an export) asks
 * for page after page, each starting at the previous page's checkpoint. Done
 * strictly in turn, the database idles while the client decodes a page and
 * the client idles while the next page is read. Once a reader has asked for
 * the page that follows a full one, this starts reading the page after it as
 * soon as the current page's rows have arrived — before they are decoded — so
 * the database's work on one page overlaps the client's on the other.
 *
 * Only full pages are served from read-ahead, and a full page read earlier is
 * exactly the page a fresh read would return: every event behind the earlier
 * horizon had finished, and events admitted by a later horizon belong to
 * later transactions, which sort after all of them. A short page (the reader
 * reached the head) is discarded, so a reader woken by a new commit always
 * reads afresh.
 */
import type { LogCheckpoint } from '../../core/checkpoint.js';
import type { ReadAllResult } from '../types.js';

/** A page as it arrived: its size and last checkpoint are known before it is decoded. */
export interface RawPage {
  count: number;
  /** The checkpoint after the page (its last event's, or the request's when empty). */
  checkpoint: LogCheckpoint;
  /**
   * Decode the events (once). With `yieldEvery`, pause for I/O after that many
   * events, so a read-ahead under way can send its next statement meanwhile.
   */
  decode(yieldEvery?: number): Promise<ReadAllResult>;
}

/** Reads one page: at most `limit` events after `after`. */
export type PageFetch = (after: LogCheckpoint, limit: number) => Promise<RawPage>;

/** Options of {@link ReadAhead}. */
export interface ReadAheadOptions {
  /** A page read ahead but not asked for within this time is dropped. Default 5,000 ms. */
  ttlMs?: number;
  /** Sequential readers tracked at once. Default 8. */
  maxReaders?: number;
  now?: () => number;
}

/** Events decoded between pauses for I/O while a read-ahead is under way. */
const DECODE_SLICE = 100;

interface Pending {
  page: Promise<RawPage | undefined>;
  startedAt: number;
}

/** See the module comment. */
export class ReadAhead {
  readonly #fetch: PageFetch;
  readonly #ttlMs: number;
  readonly #maxReaders: number;
  readonly #now: () => number;
  /** Pages being (or already) read ahead, by `limit|after`. */
  readonly #pending = new Map<string, Pending>();
  /** `limit|after` of the page that follows a full page handed out: a sequential reader asks for it next. */
  readonly #expected = new Set<string>();

  constructor(fetch: PageFetch, options: ReadAheadOptions = {}) {
    this.#fetch = fetch;
    this.#ttlMs = options.ttlMs ?? 5_000;
    this.#maxReaders = options.maxReaders ?? 8;
    this.#now = options.now ?? Date.now;
  }

  /** The page after `after`, from read-ahead when one is ready or under way. */
  async read(after: LogCheckpoint, limit: number): Promise<ReadAllResult> {
    const key = pageKey(after, limit);
    const ahead = this.#take(key);
    const sequential = ahead !== undefined || this.#expected.delete(key);
    const page = (ahead && (await ahead)) ?? (await this.#fetch(after, limit));
    if (page.count === limit) {
      const next = pageKey(page.checkpoint, limit);
      if (sequential) {
        this.#start(next, page.checkpoint, limit);
        // Decoding runs on this thread: pause now and then so the read-ahead's
        // statements (horizon, then page) go out while this page is decoded.
        return page.decode(DECODE_SLICE);
      }
      this.#expect(next);
    }
    return page.decode();
  }

  /** Forget everything read ahead (the log changed under it, e.g. archived months). */
  clear(): void {
    this.#pending.clear();
    this.#expected.clear();
  }

  #take(key: string): Promise<RawPage | undefined> | undefined {
    const pending = this.#pending.get(key);
    if (!pending) return undefined;
    this.#pending.delete(key);
    return this.#now() - pending.startedAt <= this.#ttlMs ? pending.page : undefined;
  }

  #start(key: string, after: LogCheckpoint, limit: number): void {
    const page = this.#fetch(after, limit).then(
      (p) => (p.count === limit ? p : undefined),
      () => undefined, // the reader's own call will read (and report) afresh
    );
    this.#pending.set(key, { page, startedAt: this.#now() });
    this.#trim(this.#pending);
  }

  #expect(key: string): void {
    this.#expected.add(key);
    this.#trim(this.#expected);
  }

  /** Drop the oldest entries (insertion order) beyond the reader bound. */
  #trim(entries: Map<string, unknown> | Set<string>): void {
    for (const key of entries.keys()) {
      if (entries.size <= this.#maxReaders) break;
      entries.delete(key);
    }
  }
}

function pageKey(after: LogCheckpoint, limit: number): string {
  return `${limit}|${after}`;
}
