/**
 * A window of the log pages this process read recently for its followers
 * (processors: readers that read again on every wake-up of the store), so
 * followers a few events apart read the log once between them.
 *
 * Why it is gapless: a page read after checkpoint A under horizon H holds
 * every event after A up to its last one, L, for good. Everything of a
 * transaction below H had finished when the page was read, and an event of a
 * transaction at or above H sorts after every event of the page (the log is
 * ordered by transaction id first). So a follower at any checkpoint P from
 * A up to L can take the page's events after P, however old the page is, and
 * then read on after L — from the next page in the window, or afresh. A page
 * is found by comparing checkpoints with its first and last (no index of its
 * events: a lone follower, always at the end of its last page, pays nothing
 * per event), and P in it by a binary search.
 *
 * What it never serves from memory: "nothing after L". A short page (fewer
 * events than asked for) proves that only for commits its horizon saw: it
 * ends a follower's read only while no wake-up has come since it was asked
 * for and at most `tailTtlMs` after it arrived; otherwise the follower reads
 * on after L. Memory: pages that arrived are kept until their rows add up to
 * more than `maxBytes` (the oldest go first) or are `retainMs` old
 * (and at most `maxPages` of them).
 */
import { parseCheckpoint, type CheckpointParts, type LogCheckpoint } from '../core/checkpoint.js';

/** Reads one page: at most `limit` rows after `after`, in log order (its own array). */
export type FollowedFetch<Row> = (after: LogCheckpoint, limit: number) => Promise<Row[]>;

/** Options of {@link FollowedWindow}. */
export interface FollowedWindowOptions<Row> {
  /** The checkpoint of a row (its event's). */
  checkpointOf: (row: Row) => LogCheckpoint;
  /** The size a row is counted at against `maxBytes`. */
  sizeOf: (row: Row) => number;
  /** The store's wake-up count (`Wakeups.generation`): a new wake-up retires every "nothing after". */
  generation: () => number;
  /** Most bytes of rows kept. 0 keeps none once read (pages in flight are still shared). */
  maxBytes: number;
  /** How long a short page ends a follower's read without a wake-up, ms (the backstop poll). */
  tailTtlMs: number;
  /** Longest a page is kept, ms. Default 2,000. */
  retainMs?: number;
  /** Most pages kept (empty ones cost no bytes but an entry each). Default 64. */
  maxPages?: number;
  now?: () => number;
}

/** A page read for a follower, in flight. */
interface Pending<Row> {
  limit: number;
  /** The wake-up generation it was asked for in (its horizon was sent after that began). */
  generation: number;
  rows: Promise<Row[]>;
}

/** A page that arrived: every event after `after` up to `last`. */
interface Kept<Row> {
  after: CheckpointParts;
  last: CheckpointParts;
  lastCheckpoint: LogCheckpoint;
  rows: Row[];
  /** Fewer rows than asked for: nothing followed them below the page's horizon. */
  short: boolean;
  generation: number;
  at: number;
  bytes: number;
}

/**
 * See the module comment.
 *
 * @example
 * ```ts
 * const window = new FollowedWindow((after, limit) => readPage(after, limit), {
 *   checkpointOf: (e) => e.checkpoint, sizeOf: () => 1, generation: () => wakeups.generation,
 *   maxBytes: 1_000, tailTtlMs: 50,
 * });
 * const rows = await window.read(checkpoint, 100); // gapless, in order, maybe read by another follower
 * ```
 */
export class FollowedWindow<Row> {
  readonly #fetch: FollowedFetch<Row>;
  readonly #o: Required<FollowedWindowOptions<Row>>;
  /** Pages in flight, by the checkpoint they read after. */
  readonly #pending = new Map<LogCheckpoint, Pending<Row>>();
  /** Pages that arrived, oldest first. */
  readonly #kept = new Set<Kept<Row>>();
  #bytes = 0;

  constructor(fetch: FollowedFetch<Row>, options: FollowedWindowOptions<Row>) {
    this.#fetch = fetch;
    this.#o = { retainMs: 2_000, maxPages: 64, now: () => performance.now(), ...options };
  }

  /** Bytes of rows kept now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** At most `limit` rows after `after`, in log order: from kept pages where they hold them, then read. */
  async read(after: LogCheckpoint, limit: number): Promise<Row[]> {
    this.#evict();
    const out: Row[] = [];
    let from = after;
    for (;;) {
      const taken = this.#take(from, limit - out.length);
      if (taken.length === 0) break;
      for (const row of taken) out.push(row);
      if (out.length === limit) return out;
      from = this.#o.checkpointOf(taken.at(-1)!);
    }
    if (this.#nothingAfter(from)) return out;
    for (const row of await this.#rowsAfter(from, limit - out.length)) out.push(row);
    return out;
  }

  /** Forget every page (the log changed under them: archive, restore). */
  clear(): void {
    this.#pending.clear();
    this.#kept.clear();
    this.#bytes = 0;
  }

  /** Up to `limit` kept rows right after `from`, from the kept page that reaches furthest past it. */
  #take(from: LogCheckpoint, limit: number): Row[] {
    if (this.#kept.size === 0) return [];
    const at = parseCheckpoint(from);
    let best: Kept<Row> | undefined;
    for (const page of this.#kept)
      if (compare(page.after, at) <= 0 && compare(at, page.last) < 0)
        if (!best || compare(best.last, page.last) < 0) best = page;
    if (!best) return [];
    // The first row after `from`: every event between `after` and `last` is in the page.
    let lo = 0;
    let hi = best.rows.length;
    if (compare(best.after, at) < 0)
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (compare(parseCheckpoint(this.#o.checkpointOf(best.rows[mid]!)), at) <= 0) lo = mid + 1;
        else hi = mid;
      }
    return best.rows.slice(lo, lo + limit);
  }

  /** A kept short page ends at `at` and still proves nothing follows it. */
  #nothingAfter(at: LogCheckpoint): boolean {
    const now = this.#o.now();
    const generation = this.#o.generation();
    for (const page of this.#kept)
      if (
        page.short &&
        page.lastCheckpoint === at &&
        page.generation === generation &&
        now - page.at <= this.#o.tailTtlMs
      )
        return true;
    return false;
  }

  /** A page after `after`: the one in flight for it when it was asked for in this generation and is large enough. */
  async #rowsAfter(after: LogCheckpoint, limit: number): Promise<Row[]> {
    const generation = this.#o.generation();
    const pending = this.#pending.get(after);
    if (pending && pending.generation === generation && pending.limit >= limit)
      return (await pending.rows).slice(0, limit);
    const page: Pending<Row> = { limit, generation, rows: this.#fetch(after, limit) };
    this.#pending.set(after, page);
    try {
      const rows = await page.rows;
      this.#keep(after, page, rows);
      return rows.slice(0, limit);
    } finally {
      if (this.#pending.get(after) === page) this.#pending.delete(after);
    }
  }

  #keep(after: LogCheckpoint, page: Pending<Row>, rows: Row[]): void {
    let bytes = 0;
    for (const row of rows) bytes += this.#o.sizeOf(row);
    const lastCheckpoint = rows.length > 0 ? this.#o.checkpointOf(rows.at(-1)!) : after;
    this.#kept.add({
      after: parseCheckpoint(after),
      last: parseCheckpoint(lastCheckpoint),
      lastCheckpoint,
      rows,
      short: rows.length < page.limit,
      generation: page.generation,
      at: this.#o.now(),
      bytes,
    });
    this.#bytes += bytes;
    this.#evict();
  }

  /** Drop the oldest pages beyond the budget or the retention time. */
  #evict(): void {
    const oldest = this.#o.now() - this.#o.retainMs;
    for (const page of this.#kept) {
      const over = this.#bytes > this.#o.maxBytes || this.#kept.size > this.#o.maxPages;
      if (!over && page.at >= oldest) break;
      this.#kept.delete(page);
      this.#bytes -= page.bytes;
    }
  }
}

/** Log order of two checkpoints. */
function compare(a: CheckpointParts, b: CheckpointParts): number {
  if (a.transactionId !== b.transactionId) return a.transactionId < b.transactionId ? -1 : 1;
  return a.globalPosition - b.globalPosition;
}
