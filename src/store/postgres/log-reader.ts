/**
 * Reads the global log in commit order without ever skipping a late commit.
 *
 * `global_position` comes from a sequence, so a transaction that took position
 * 10 may commit after one that took 11. Readers therefore order by
 * (transaction_id, global_position) and only pass transactions below a
 * horizon: the oldest transaction still writing to this store (see
 * writer-lock.ts), or the next unassigned id when none is. Everything below it
 * has finished, so nothing can still appear behind the checkpoint. The horizon
 * is read by one statement and the rows by the next, whose snapshot is newer —
 * the order the proof needs; each row is one JSON text (event-rows.ts). Both
 * statements run inside one call of the store's `read_log` function (store
 * migration 0004), whose statements each take a snapshot of their own: one
 * round trip per read, where the client used to send the two itself (each
 * round trip costs the host about a tenth of a millisecond of CPU, and the
 * horizon was the statement hosts sent most).
 *
 * One process often runs several readers of the same log (a read-model
 * processor, a handler, a saga trigger), and one append wakes them all at
 * once. Page reads asked for in the same turn therefore share one call: one
 * horizon, sent after every one of them was asked for (so none misses a
 * commit that woke it), and one page per distinct checkpoint, read with the
 * largest limit asked for — under one horizon, the page for a smaller limit
 * is a prefix of it. The turn ends when the microtasks queued
 * so far have run (readers woken by one notification reach the reader
 * through them), not at the event loop's next check phase: waiting for that
 * held every page behind the rest of the I/O phase's callbacks — the
 * handler's own work among them — while the database could idle.
 *
 * Readers that follow the log (processors: they read again on every wake-up
 * of the store and poll as a backstop) share pages across turns and across
 * positions as well (followed-window.ts): a page read for one follower serves
 * every follower whose checkpoint it holds — the same one, or one a few
 * events further — from that checkpoint to its end, and the follower reads on
 * after it only where no kept page does. Any page is whole from its start
 * to its last event for good; "nothing after it" (a short page) holds only
 * until the next wake-up, and at most {@link FOLLOWED_PAGE_TTL_MS} after its
 * rows arrived: its horizon was sent after every wake-up received before
 * it, so it holds every commit that woke any of them. Before, the processors
 * of one host asked for the same pages a few milliseconds or a few events
 * apart — one still committing its last batch while the others had read —
 * and each paid a read of its own.
 */
import { quoteIdent, type SqlQueryable } from '../../core/sql-client.js';
import { parseCheckpoint, START_CHECKPOINT, type LogCheckpoint } from '../../core/checkpoint.js';
import type { ReadAllResult, ReaderLag, StoredEvent } from '../types.js';
import { FollowedWindow } from '../followed-window.js';
import { checkpointOfEventJson, parseStoredEvent } from './event-rows.js';
import { ReadAhead, type RawPage } from './read-ahead.js';
import { writerLockKeys } from './writer-lock.js';

/** The reader's statements have fixed texts: prepared once per connection. */
const PREPARED = { prepare: true } as const;
/** Pages: also as arrays where the driver can (pg builds each row object with a spread). */
const PAGE = { prepare: true, arrayRows: true } as const;

/** A row of `read_log`, whichever shape the adapter returned: the page's index (1-based) and the event. */
type ReadLogRow = [number, string] | { page: number; event_json: string };

/** A page asked for, waiting for the turn's shared read (its rows: one JSON text per event). */
interface PageRequest {
  limit: number;
  resolve: (rows: string[]) => void;
  reject: (err: unknown) => void;
}

/**
 * The longest a short followed page proves "nothing after it" without a
 * wake-up, ms: a follower's backstop poll (no wake-up came) still reads what
 * committed since, give or take this much.
 */
export const FOLLOWED_PAGE_TTL_MS = 50;

/** Bytes of followed pages kept for other followers by default (4 MiB). */
export const FOLLOW_WINDOW_BYTES = 4 * 1024 * 1024;

/** The SQL of the log reader, prepared once per schema. */
export class LogReader {
  readonly #sql: SqlQueryable;
  readonly #lockKeys: [number, number];
  readonly #readAll: string;
  readonly #head: string;
  readonly #committedHead: string;
  readonly #horizon: string;
  readonly #heldBack: string;
  readonly #oldestWriter: string;
  readonly #readAhead: ReadAhead | undefined;
  /** Pages asked for in this turn, by checkpoint; read together once its microtasks have run. */
  #asked: Map<LogCheckpoint, PageRequest[]> | undefined;
  /** Pages read for followers, shared with the others (followed-window.ts). */
  readonly #followed: FollowedWindow<string>;

  /**
   * `readAhead`: overlap a sequential reader's page reads with its decoding
   * (read-ahead.ts). Only worth it when the database can work while this
   * process decodes: not on PGlite, which runs in this thread.
   * `generation`: the store's wake-up count (`Wakeups.generation`); without
   * it a short page never ends another follower's read. `followedTtlMs`: see
   * {@link FOLLOWED_PAGE_TTL_MS}; `followWindowBytes`: see {@link FOLLOW_WINDOW_BYTES}.
   */
  constructor(
    sql: SqlQueryable,
    schema: string,
    options: {
      readAhead?: boolean;
      generation?: () => number;
      followedTtlMs?: number;
      followWindowBytes?: number;
    } = {},
  ) {
    const s = quoteIdent(schema);
    this.#sql = sql;
    this.#followed = new FollowedWindow((after, limit) => this.#askRows(after, limit), {
      checkpointOf: checkpointOfEventJson,
      sizeOf: (row) => row.length,
      generation: options.generation ?? (() => Number.NaN),
      maxBytes: options.followWindowBytes ?? FOLLOW_WINDOW_BYTES,
      tailTtlMs: options.followedTtlMs ?? FOLLOWED_PAGE_TTL_MS,
    });
    this.#readAhead = options.readAhead
      ? new ReadAhead((after, limit) => this.#readPage(after, limit))
      : undefined;
    this.#lockKeys = writerLockKeys(schema);
    // Horizon, then pages, in one call (store migration 0004).
    this.#readAll = `SELECT page, event_json
      FROM ${s}.read_log($1::oid, $2::oid, $3::xid8[], $4::int8[], $5::int8[])`;
    this.#head = `SELECT head_txid, head_position FROM ${s}.read_head($1::oid, $2::oid)`;
    // No horizon: an event committed above an open append counts. No parameter
    // either, so the prepared statement keeps one plan (a probe per partition).
    this.#committedHead = `SELECT transaction_id::text AS head_txid, global_position AS head_position
      FROM ${s}.events ORDER BY transaction_id DESC, global_position DESC LIMIT 1`;
    this.#horizon = `SELECT ${s}.log_horizon($1::oid, $2::oid)::text AS horizon`;
    this.#heldBack = `SELECT count(*)::int AS n FROM ${s}.events WHERE transaction_id >= $1::xid8`;
    this.#oldestWriter = `SELECT extract(epoch FROM clock_timestamp() - min(a.xact_start)) * 1000 AS ms
      FROM pg_locks w JOIN pg_stat_activity a ON a.pid = w.pid
     WHERE w.locktype = 'advisory' AND w.granted AND w.objsubid = 2
       AND w.classid = $1::oid AND w.objid = $2::oid`;
  }

  /**
   * Transactions below the returned xid8 have all finished writing events.
   * Statements run after this one see all their rows (for head and lag).
   */
  async horizon(): Promise<bigint> {
    const { rows } = await this.#sql.query<{ horizon: string }>(this.#horizon, this.#lockKeys, PREPARED);
    return BigInt(rows[0]!.horizon);
  }

  /** At most `limit` events after `after`, in commit order. */
  async readAll(after: LogCheckpoint, limit: number): Promise<ReadAllResult> {
    if (this.#readAhead) return this.#readAhead.read(after, limit);
    return (await this.#readPage(after, limit)).decode();
  }

  /**
   * At most `limit` events after `after`, for a reader that follows the log:
   * served from pages read for other followers where they hold it (followed-window.ts).
   */
  async readFollowing(after: LogCheckpoint, limit: number): Promise<ReadAllResult> {
    return rawPage(await this.#followed.read(after, limit), after).decode();
  }

  /** Drop pages read ahead (after the log changed under them: archive, restore). */
  forgetReadAhead(): void {
    this.#readAhead?.clear();
    this.#followed.clear();
  }

  async #readPage(after: LogCheckpoint, limit: number): Promise<RawPage> {
    return rawPage(await this.#askRows(after, limit), after);
  }

  /** Ask for a page's rows (its own array); read at the end of this turn, with every other page asked for meanwhile. */
  #askRows(after: LogCheckpoint, limit: number): Promise<string[]> {
    return new Promise<string[]>((resolve, reject) => {
      if (!this.#asked) {
        this.#asked = new Map();
        afterMicrotasks(() => void this.#readAsked());
      }
      const waiting = this.#asked.get(after);
      if (waiting) waiting.push({ limit, resolve, reject });
      else this.#asked.set(after, [{ limit, resolve, reject }]);
    });
  }

  /** One call for every page asked for in the turn: one horizon, then one page per checkpoint. */
  async #readAsked(): Promise<void> {
    const asked = [...this.#asked!];
    this.#asked = undefined;
    let pages: string[][];
    try {
      // Sent now, after every request of the turn: none misses what woke it.
      pages = await this.#pagesRows(
        asked.map(([after, requests]) => ({ after, limit: Math.max(...requests.map((r) => r.limit)) })),
      );
    } catch (err) {
      for (const [, requests] of asked) for (const r of requests) r.reject(err);
      return;
    }
    asked.forEach(([, requests], i) => {
      const rows = pages[i]!;
      // Each its own array: decoding empties it.
      for (const r of requests) r.resolve(requests.length === 1 ? rows : rows.slice(0, r.limit));
    });
  }

  /** The rows of each page (one JSON text per event), read under one horizon in one round trip. */
  async #pagesRows(pages: readonly { after: LogCheckpoint; limit: number }[]): Promise<string[][]> {
    const txids: string[] = [];
    const positions: number[] = [];
    for (const { after } of pages) {
      const { transactionId, globalPosition } = parseCheckpoint(after);
      txids.push(transactionId.toString());
      positions.push(globalPosition);
    }
    const { rows } = await this.#sql.query<ReadLogRow>(
      this.#readAll,
      [...this.#lockKeys, txids, positions, pages.map((p) => p.limit)],
      PAGE,
    );
    const out = pages.map((): string[] => []);
    for (const row of rows) {
      if (Array.isArray(row)) out[row[0] - 1]!.push(row[1]);
      else out[row.page - 1]!.push(row.event_json);
    }
    // Drop the driver's references now: in a process that also appends, V8
    // pretenures the driver's result objects, and a dead old-generation array
    // would keep every row alive through young-generation GCs.
    rows.length = 0;
    return out;
  }

  /** The checkpoint of the newest event below the horizon: readers can reach it now. */
  async head(): Promise<LogCheckpoint> {
    return headOf(await this.#sql.query<HeadRow>(this.#head, this.#lockKeys, PREPARED));
  }

  /**
   * The checkpoint of the newest committed event, also one above the horizon
   * (an open append that took an older transaction id holds readers below it).
   */
  async committedHead(): Promise<LogCheckpoint> {
    return headOf(await this.#sql.query<HeadRow>(this.#committedHead, [], PREPARED));
  }

  async lag(): Promise<ReaderLag> {
    const horizon = await this.horizon();
    const { rows } = await this.#sql.query<{ n: number }>(this.#heldBack, [horizon.toString()]);
    const heldBackEvents = rows[0]?.n ?? 0;
    if (heldBackEvents === 0) return { heldBackEvents, oldestOpenTransactionMs: null };
    const age = await this.#sql.query<{ ms: number | string | null }>(this.#oldestWriter, this.#lockKeys);
    const ms = age.rows[0]?.ms;
    return { heldBackEvents, oldestOpenTransactionMs: ms === null || ms === undefined ? null : Number(ms) };
  }
}

/** A row of the head statements (none: the log is empty). */
interface HeadRow {
  head_txid: string;
  head_position: string | number;
}

function headOf({ rows }: { rows: HeadRow[] }): LogCheckpoint {
  const row = rows[0];
  return row ? `${row.head_txid}:${Number(row.head_position)}` : START_CHECKPOINT;
}

/**
 * Run `fn` once the microtask queue has drained: a microtask queued now runs
 * after the ones already queued, and the tick it schedules runs only when no
 * microtask is left — before any timer, I/O callback or immediate.
 */
function afterMicrotasks(fn: () => void): void {
  queueMicrotask(() => process.nextTick(fn));
}

/** The rows of one page, decoded on demand. */
function rawPage(rows: string[], after: LogCheckpoint): RawPage {
  const last = rows.at(-1);
  return {
    count: rows.length,
    checkpoint: last ? parseStoredEvent(last).checkpoint : after,
    decode: async (yieldEvery = Infinity) => {
      const events: StoredEvent[] = [];
      for (let i = 0; i < rows.length; i++) {
        if (i > 0 && i % yieldEvery === 0) await new Promise(setImmediate);
        events.push(parseStoredEvent(rows[i]!));
      }
      // Drop the texts now: in a process that also appends, V8 pretenures
      // long-lived arrays, and a dead old-generation array would keep every
      // row text alive through young-generation GCs (about 2 µs of client CPU
      // per event in the catch-up benchmark).
      rows.length = 0;
      return { events, checkpoint: events.at(-1)?.checkpoint ?? after };
    },
  };
}
