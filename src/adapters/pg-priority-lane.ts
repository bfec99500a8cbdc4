/**
 * The pg adapter's priority lane: one connection of its own, outside the
 * host's pool, for lease renewals and releases. Under load every pooled
 * connection is busy and statements wait in the pool's FIFO queue; a renewal
 * queued there came back 1.2–5.2 s later, past the self-fencing deadline, and
 * a live host stopped its own work for another to claim. On this connection a
 * renewal waits only for other lease statements (tiny, single statements).
 *
 * The connection is opened on first use and again after it broke (a server
 * restart, `pg_terminate_backend`): its `error` events are handled, so a
 * broken lane never ends the process. While it cannot be opened, statements
 * take the pool's path, as they did before the lane. It keeps the process
 * alive only while a statement is in flight, and closes after being idle.
 *
 * Its statements go one after another: each is sent once the one before
 * answered. node-postgres queues a statement sent while another runs, but
 * warns that pg@9 will refuse it; a statement still waiting when the
 * connection broke takes the pool's path instead of failing.
 */
import type { QueryOptions, SqlQueryable, SqlResult } from '../core/sql-client.js';
import { CONNECTION_EXCEPTION_CLASS, fromDatabase } from '../core/sql-errors.js';
import type { PgQueryConfig, PgQueryResult } from './pg.js';

/** A connection made outside the pool, as node-postgres's `Client` is (the part the lane uses). */
export interface PgLaneClientLike {
  connect(): Promise<unknown>;
  query(config: PgQueryConfig): PgQueryResult;
  query(text: string): PgQueryResult;
  end(): Promise<void>;
  on(event: 'error' | 'end', listener: (err?: Error) => void): unknown;
  /** node-postgres's connection: its socket (a `net.Socket`) is unref'd while the lane is idle. */
  connection?: { stream?: unknown };
}

/** What the lane needs from the adapter. */
export interface PgPriorityLaneOptions {
  /** Open a connection (not yet connected) outside the pool, with the pool's settings. */
  newClient: () => PgLaneClientLike;
  /** The pool's path, taken while the lane cannot be opened. */
  fallback: SqlQueryable;
  toConfig: (text: string, params: readonly unknown[] | undefined, opts?: QueryOptions) => PgQueryConfig;
  /** Told when the lane's connection broke or could not be opened. */
  onConnectionError: (err: Error) => void;
  /** After a failed open, statements take the pool's path for this long before the lane tries again. */
  retryOpenMs: number;
  /** The lane's connection is closed after this long without a statement. */
  idleCloseMs: number;
}

/**
 * One connection for small latency-critical statements; see the file comment.
 *
 * @example
 * ```ts
 * const lane = new PgPriorityLane({ newClient: () => new pg.Client(config), fallback: sql, toConfig,
 *   onConnectionError: () => undefined, retryOpenMs: 500, idleCloseMs: 10_000 });
 * await lane.query('UPDATE app.leases SET expires_at = clock_timestamp() + interval \'6 s\' WHERE name = $1', ['x']);
 * ```
 */
export class PgPriorityLane implements SqlQueryable {
  readonly #options: PgPriorityLaneOptions;
  /** The connection while open (it may have ended since: then a new one is opened). */
  #current: LaneConnection | undefined;
  #opening: Promise<LaneConnection> | undefined;
  /** `performance.now()` before which no new open is tried (after one failed). */
  #openAfter = 0;
  #closed = false;

  constructor(options: PgPriorityLaneOptions) {
    this.#options = options;
  }

  async query<Row>(text: string, params?: readonly unknown[], opts?: QueryOptions): Promise<SqlResult<Row>> {
    const config = this.#options.toConfig(text, params, opts);
    const onPool = () => this.#options.fallback.query<Row>(text, params, opts);
    return (await this.#run((client) => client.query(config), onPool)) as SqlResult<Row>;
  }

  async exec(text: string): Promise<void> {
    await this.#run(
      (client) => client.query(text),
      () => this.#options.fallback.exec(text),
    );
  }

  /** Close the lane's connection; later statements take the pool's path. */
  async close(): Promise<void> {
    this.#closed = true;
    const lane = this.#current ?? (await this.#opening?.catch(() => undefined));
    this.#current = undefined;
    if (lane) this.#end(lane);
  }

  async #run(
    send: (client: PgLaneClientLike) => PgQueryResult,
    onPool: () => Promise<unknown>,
  ): Promise<unknown> {
    const lane = await this.#open()?.catch(() => undefined);
    if (!lane || lane.ended) return onPool();
    if (lane.inFlight++ === 0) {
      clearTimeout(lane.idleTimer);
      holdsProcess(lane.client, true);
    }
    const before = lane.turn;
    let done!: () => void;
    lane.turn = new Promise<void>((resolve) => (done = resolve));
    try {
      await before;
      if (lane.ended) return await onPool();
      return await fromDatabase(send(lane.client));
    } catch (err) {
      // A statement the server refused leaves the connection usable; anything
      // else (broken, shut down, timed out on the client) may not: open a new one.
      if (!isStatementError(err)) this.#end(lane);
      throw err;
    } finally {
      done();
      if (--lane.inFlight === 0) this.#idle(lane);
    }
  }

  /** The open (or opening) connection; undefined while the lane is closed or waiting to retry an open. */
  #open(): Promise<LaneConnection> | undefined {
    if (this.#closed) return undefined;
    if (this.#current && !this.#current.ended) return Promise.resolve(this.#current);
    if (this.#opening) return this.#opening;
    if (performance.now() < this.#openAfter) return undefined;
    const opening = this.#connect();
    this.#opening = opening;
    opening.then(
      (lane) => {
        this.#opening = undefined;
        if (this.#closed) this.#end(lane);
        else this.#current = lane;
      },
      (err: unknown) => {
        this.#opening = undefined;
        this.#openAfter = performance.now() + this.#options.retryOpenMs;
        this.#options.onConnectionError(err as Error);
      },
    );
    return opening;
  }

  async #connect(): Promise<LaneConnection> {
    const client = this.#options.newClient();
    const lane: LaneConnection = {
      client,
      inFlight: 0,
      turn: Promise.resolve(),
      ended: false,
      idleTimer: undefined,
    };
    // Listened to before connecting: an `error` event nobody listens to ends the process.
    client.on('error', (err) => {
      if (!lane.ended && err) this.#options.onConnectionError(err);
      this.#end(lane);
    });
    client.on('end', () => this.#end(lane));
    try {
      await client.connect();
    } catch (err) {
      this.#end(lane);
      throw err;
    }
    this.#idle(lane);
    return lane;
  }

  /** An idle lane does not keep the process alive (as pg's `allowExitOnIdle`), and closes after `idleCloseMs`. */
  #idle(lane: LaneConnection): void {
    holdsProcess(lane.client, false);
    clearTimeout(lane.idleTimer);
    lane.idleTimer = setTimeout(() => {
      if (lane.inFlight === 0) this.#end(lane);
    }, this.#options.idleCloseMs);
    lane.idleTimer.unref?.();
  }

  /** Close `lane` once; its pending statements fail, and the next statement opens a new connection. */
  #end(lane: LaneConnection): void {
    if (this.#current === lane) this.#current = undefined;
    if (lane.ended) return;
    lane.ended = true;
    clearTimeout(lane.idleTimer);
    void lane.client.end().catch(() => undefined);
  }
}

interface LaneConnection {
  client: PgLaneClientLike;
  inFlight: number;
  /** Settles when the last statement given the connection has answered (the next one's turn). */
  turn: Promise<void>;
  ended: boolean;
  idleTimer: ReturnType<typeof setTimeout> | undefined;
}

/** Let the lane's socket keep the process alive, or not (a socket's `ref`/`unref`, where it has them). */
function holdsProcess(client: PgLaneClientLike, hold: boolean): void {
  const socket = client.connection?.stream as { ref?: () => void; unref?: () => void } | undefined;
  if (hold) socket?.ref?.();
  else socket?.unref?.();
}

/** An error the server raised for the statement itself (a SQLSTATE outside connection failures and shutdowns). */
function isStatementError(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return false;
  // Class 57 holds the shutdowns and cancellations (a client-side timeout is not even a SQLSTATE).
  return !code.startsWith(CONNECTION_EXCEPTION_CLASS) && !code.startsWith('57');
}
