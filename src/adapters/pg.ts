/**
 * `@creatorflow/sync/pg`: the SQL port over a node-postgres `Pool`.
 */
import { createHash } from 'node:crypto';
import type { QueryOptions, SqlClient, SqlResult, SqlTransaction, Unlisten } from '../core/sql-client.js';
import { fromDatabase } from '../core/sql-errors.js';
import { PgPriorityLane, type PgLaneClientLike } from './pg-priority-lane.js';
import { runPgTransaction } from './pg-transaction.js';

/**
 * A query as node-postgres takes it; `name` makes it a prepared statement.
 *
 * @example
 * ```ts
 * const config: PgQueryConfig = { name: 'read-stream', text: 'SELECT * FROM app.events WHERE stream_id = $1', values: ['order-42'] };
 * await pool.query(config); // prepared once per connection, by name
 * ```
 */
export interface PgQueryConfig {
  text: string;
  values?: unknown[];
  name?: string;
  rowMode?: 'array';
}

/** What a pg client's `query` resolves to (the part the adapter reads). */
export type PgQueryResult = Promise<{ rows: unknown[]; rowCount: number | null; command?: string }>;

/** The subset of a `pg` client this adapter uses (declared, so the core never imports `pg`). */
export interface PgClientLike {
  query(text: string, params?: unknown[]): PgQueryResult;
  query(config: PgQueryConfig): PgQueryResult;
  release(err?: Error | boolean): void;
  /**
   * node-postgres 8.2x's pipeline mode: statements are written without waiting
   * for earlier answers. Absent in older versions (transactions then send one
   * statement at a time).
   */
  pipeline?: boolean;
  on(event: 'notification' | 'error', listener: (arg: never) => void): unknown;
  removeListener?(event: 'error', listener: (err: Error) => void): unknown;
  /** node-postgres's connection: its socket is corked while a transaction writes several statements in one turn. */
  connection?: { stream?: { cork?(): void; uncork?(): void } };
}

/** The subset of a `pg.Pool` this adapter uses. */
export interface PgPoolLike {
  query(text: string, params?: unknown[]): PgQueryResult;
  query(config: PgQueryConfig): PgQueryResult;
  connect(): Promise<PgClientLike>;
  on?(event: 'error', listener: (err: Error) => void): unknown;
  readonly options?: { max?: number; idleTimeoutMillis?: number | null };
  /**
   * node-postgres's `Client` class, which a `pg.Pool` carries (undeclared in
   * `@types/pg`): the priority lane opens its connection with it and the
   * pool's `options`, as the pool opens its own.
   */
  readonly Client?: new (config: never) => PgLaneClientLike;
}

/**
 * Options of {@link fromPg}.
 *
 * @example
 * ```ts
 * const sql = fromPg(pool, { listenReconnectMs: 1_000, onConnectionError: (err) => log.warn(err.message) });
 * ```
 */
export interface FromPgOptions {
  /** Delay before re-opening a broken LISTEN connection, in ms. Default 500. */
  listenReconnectMs?: number;
  /**
   * Told about connection errors nobody was waiting for: an idle pooled
   * connection the server closed (a restart, `pg_terminate_backend`), or a
   * connection that broke inside a transaction. The pool drops such a
   * connection and opens a new one when needed; calls that were running get
   * the error themselves. Default: ignored.
   */
  onConnectionError?: (err: Error) => void;
  /**
   * Pipeline each transaction where node-postgres can (8.2x's
   * `client.pipeline`, switched on for the checked-out client while the
   * transaction runs): BEGIN goes out with the first statement, and statements
   * sent with `SqlTransaction.queue` with the next one or with COMMIT — fewer
   * round trips, the same statements in the same order. Default true.
   */
  pipeline?: boolean;
  /**
   * The priority lane ({@link SqlClient.priorityLane}): one connection outside
   * the pool, opened on first use, for lease renewals and releases, so they
   * never queue behind the pool's statements. `true` (default) opens it like
   * the pool opens its own (the pool's `Client` and options); a function
   * opens it yourself (an unconnected client); `false`: no lane, lease
   * statements take the pool's path. One connection more per host.
   */
  priorityLane?: boolean | (() => PgLaneClientLike);
}

/**
 * Adapt a `pg.Pool` to the library's {@link SqlClient} port. The pool stays the
 * host's: `close()` only releases the connection held for LISTEN and closes
 * the priority lane's (see {@link FromPgOptions.priorityLane}).
 *
 * The adapter listens for the pool's `error` events: node-postgres emits one
 * when the server closes an idle connection (a restart, an administrator's
 * `pg_terminate_backend`), and an `error` event nobody listens to ends the
 * process. Give the pool a `query_timeout` and `connectionTimeoutMillis` so a
 * call cannot hang on a connection that went silent; the event store finds out
 * what a write whose answer was lost did before writing again.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { createEventStore } from '@creatorflow/sync';
 * import { fromPg } from '@creatorflow/sync/pg';
 * const store = createEventStore({ sql: fromPg(new pg.Pool({ connectionString })) });
 * ```
 */
export function fromPg(pool: PgPoolLike, options: FromPgOptions = {}): SqlClient {
  const onConnectionError = options.onConnectionError ?? (() => undefined);
  const pipeline = options.pipeline ?? true;
  pool.on?.('error', onConnectionError);
  const listener = new PgListener(pool, options.listenReconnectMs ?? 500);
  const names = new Map<string, string>();
  // A prepared statement's name is derived from its text, so one name never
  // means two statements on any connection.
  const toConfig = (
    text: string,
    params: readonly unknown[] | undefined,
    opts?: QueryOptions,
  ): PgQueryConfig => {
    const config: PgQueryConfig = { text };
    if (params) config.values = params as unknown[];
    if (opts?.arrayRows) config.rowMode = 'array';
    if (!opts?.prepare) return config;
    let name = names.get(text);
    if (!name) {
      name = `cf_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
      names.set(text, name);
    }
    config.name = name;
    return config;
  };
  const sql: SqlClient = {
    dialect: 'pg',
    maxConcurrency: pool.options?.max ?? 10,
    async query<Row>(
      text: string,
      params?: readonly unknown[],
      opts?: QueryOptions,
    ): Promise<SqlResult<Row>> {
      return (await fromDatabase(pool.query(toConfig(text, params, opts)))) as SqlResult<Row>;
    },
    async exec(text: string): Promise<void> {
      await fromDatabase(pool.query(text));
    },
    async transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
      const client = await fromDatabase(pool.connect());
      return runPgTransaction({ client, toConfig, pipeline, onConnectionError }, fn);
    },
    listen: (channel, onNotify, onReconnect) => listener.listen(channel, onNotify, onReconnect),
    close: async () => {
      await Promise.all([lane?.close(), listener.close()]);
    },
  };
  const newClient = priorityLaneClient(pool, options.priorityLane ?? true);
  const lane =
    newClient &&
    new PgPriorityLane({
      newClient,
      fallback: sql,
      toConfig,
      onConnectionError,
      retryOpenMs: options.listenReconnectMs ?? 500,
      idleCloseMs: pool.options?.idleTimeoutMillis || 10_000,
    });
  return lane ? { ...sql, priorityLane: lane } : sql;
}

/** How the priority lane opens its connection, or undefined for no lane. */
function priorityLaneClient(
  pool: PgPoolLike,
  choice: boolean | (() => PgLaneClientLike),
): (() => PgLaneClientLike) | undefined {
  if (typeof choice === 'function') return choice;
  const Client = pool.Client;
  if (!choice || !Client) return undefined;
  return () => new Client(pool.options as never);
}

type NotifyHandler = (payload: string) => void;

/** One dedicated pool connection carries every LISTEN channel; it reconnects when it breaks. */
class PgListener {
  readonly #pool: PgPoolLike;
  readonly #reconnectMs: number;
  readonly #handlers = new Map<string, Set<NotifyHandler>>();
  /** Told when a broken LISTEN connection is listening again. */
  readonly #reconnected = new Set<() => void>();
  #client: Promise<PgClientLike> | undefined;
  #closed = false;

  constructor(pool: PgPoolLike, reconnectMs: number) {
    this.#pool = pool;
    this.#reconnectMs = reconnectMs;
  }

  async listen(channel: string, onNotify: NotifyHandler, onReconnect?: () => void): Promise<Unlisten> {
    let set = this.#handlers.get(channel);
    const first = set === undefined;
    if (!set) {
      set = new Set();
      this.#handlers.set(channel, set);
    }
    set.add(onNotify);
    const client = await this.#connection();
    if (first) await client.query(`LISTEN ${quoteChannel(channel)}`);
    const reconnected = onReconnect ? () => onReconnect() : null;
    if (reconnected) this.#reconnected.add(reconnected);
    return async () => {
      if (reconnected) this.#reconnected.delete(reconnected);
      const handlers = this.#handlers.get(channel);
      if (!handlers?.delete(onNotify) || handlers.size > 0) return;
      this.#handlers.delete(channel);
      const pending = this.#client;
      if (!pending || this.#closed) return;
      const client = await pending.catch(() => undefined);
      if (!client) return;
      if (this.#handlers.size === 0 && this.#client === pending) {
        // Nobody listens any more: close the connection (it carries our listeners,
        // so it must not go back to the pool) and let the host's pool end.
        this.#client = undefined;
        client.release(true);
      } else {
        await client.query(`UNLISTEN ${quoteChannel(channel)}`).catch(() => undefined);
      }
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#handlers.clear();
    this.#reconnected.clear();
    const pending = this.#client;
    this.#client = undefined;
    if (pending) {
      const client = await pending.catch(() => undefined);
      client?.release(true);
    }
  }

  #connection(): Promise<PgClientLike> {
    if (!this.#client) {
      const opening = this.#open();
      this.#client = opening;
      opening.catch(() => {
        if (this.#client === opening) this.#client = undefined;
      });
    }
    return this.#client;
  }

  async #open(): Promise<PgClientLike> {
    const client = await this.#pool.connect();
    client.on('notification', (msg: { channel: string; payload?: string }) => {
      for (const handler of this.#handlers.get(msg.channel) ?? []) handler(msg.payload ?? '');
    });
    client.on('error', () => {
      // Notifications are only hints (consumers poll as a backstop), so a broken
      // listener is re-opened quietly and every channel is listened to again.
      client.release(true);
      this.#client = undefined;
      if (!this.#closed) setTimeout(() => void this.#relisten(), this.#reconnectMs).unref?.();
    });
    return client;
  }

  async #relisten(): Promise<void> {
    if (this.#closed || this.#handlers.size === 0) return;
    try {
      const client = await this.#connection();
      for (const channel of this.#handlers.keys()) await client.query(`LISTEN ${quoteChannel(channel)}`);
    } catch {
      if (!this.#closed) setTimeout(() => void this.#relisten(), this.#reconnectMs).unref?.();
      return;
    }
    for (const fn of [...this.#reconnected]) {
      try {
        fn();
      } catch {
        // A consumer's callback failing must not stop the others being told.
      }
    }
  }
}

function quoteChannel(channel: string): string {
  return `"${channel.replace(/"/g, '""')}"`;
}

/** Thrown when COMMIT answers `ROLLBACK` (code `TRANSACTION_ROLLED_BACK`). */
export { TransactionRolledBackError } from './pg-transaction.js';

/** The connection the priority lane opens outside the pool (`FromPgOptions.priorityLane`). */
export type { PgLaneClientLike } from './pg-priority-lane.js';
