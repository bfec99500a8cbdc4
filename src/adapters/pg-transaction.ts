/**
 * One transaction on a checked-out node-postgres client. Where the client can
 * pipeline (`client.pipeline`, node-postgres 8.2x), a statement is written
 * without waiting for the answers of those before it: BEGIN goes out with the
 * transaction's first statement, and statements sent with
 * {@link SqlTransaction.queue} (writes whose rows nobody reads, lock
 * statements) go out with the next statement or with COMMIT. The server still
 * runs them one after the other, each with its own snapshot, so nothing but
 * the waiting changes: a lock queued before a read is held when the read runs.
 * The statements written in one turn of the event loop leave in one write to
 * the socket (it is corked until the turn's microtasks have run): on a
 * loopback or virtualised network the system call, not the bytes, is what
 * each write costs both processes.
 */
import { SyncError } from '../core/errors.js';
import type { QueryOptions, SqlResult, SqlTransaction } from '../core/sql-client.js';
import { markDatabaseError } from '../core/sql-errors.js';
import type { PgClientLike, PgQueryConfig, PgQueryResult } from './pg.js';

/** Opens every transaction: prepared statements get plans for their actual arguments. */
const BEGIN = 'BEGIN; SET LOCAL plan_cache_mode = force_custom_plan';

/** How the adapter turns a statement into node-postgres's query config. */
export type ToPgConfig = (
  text: string,
  params: readonly unknown[] | undefined,
  opts?: QueryOptions,
) => PgQueryConfig;

type PgAnswer = Awaited<PgQueryResult>;

/** Thrown when COMMIT rolled back: a statement of the transaction failed and its error was swallowed. */
export class TransactionRolledBackError extends SyncError {
  constructor(cause?: unknown) {
    super(
      'TRANSACTION_ROLLED_BACK',
      'The transaction was rolled back at COMMIT: one of its statements had failed',
      {
        cause,
      },
    );
  }
}

/** What {@link runPgTransaction} needs besides the function it runs. */
export interface PgTransactionSetup {
  /** A client checked out of the pool; released (or destroyed, when broken) at the end. */
  client: PgClientLike;
  toConfig: ToPgConfig;
  /** False: one statement at a time, as node-postgres does without pipelining. */
  pipeline: boolean;
  /** Told about connection errors while the client is checked out. */
  onConnectionError: (err: Error) => void;
}

/**
 * Run `fn` in one transaction: committed when it resolves, rolled back when
 * it (or a queued statement) fails; then give the client back.
 *
 * @example
 * ```ts
 * const client = await pool.connect();
 * await runPgTransaction({ client, toConfig, pipeline: true, onConnectionError: () => {} }, async (tx) => {
 *   tx.queue?.('SELECT pg_advisory_xact_lock(42)');
 *   return tx.query('SELECT 1');
 * });
 * ```
 */
export async function runPgTransaction<T>(
  setup: PgTransactionSetup,
  fn: (tx: SqlTransaction) => Promise<T>,
): Promise<T> {
  const { client, toConfig, onConnectionError } = setup;
  // A checked-out client has no pool listener: a connection breaking under
  // the transaction would otherwise end the process. The running query
  // gets the error too, and fails the transaction.
  const onError = (err: Error) => onConnectionError(err);
  client.on('error', onError as (arg: never) => void);
  const pipelined = setup.pipeline && typeof client.pipeline === 'boolean';
  const wasPipelined = client.pipeline === true;
  if (pipelined) client.pipeline = true;
  // Every statement has been answered when this runs (answers come in order): the client is idle.
  const giveBack = (err?: Error | boolean) => {
    if (pipelined) client.pipeline = wasPipelined;
    if (err === undefined) client.removeListener?.('error', onError);
    client.release(err);
  };
  const run = new PgTransactionRun(client, toConfig, pipelined);
  try {
    await run.begin();
    const result = await fn(run.transaction);
    await run.commit();
    giveBack();
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
      giveBack();
    } catch (rollbackErr) {
      // A connection that cannot roll back is broken: destroy it rather
      // than reuse it. It keeps the listener: it may still emit.
      giveBack(rollbackErr instanceof Error ? rollbackErr : true);
    }
    throw err;
  }
}

/** The statements of one transaction, and those written whose answers nobody has checked yet. */
class PgTransactionRun {
  readonly transaction: SqlTransaction;
  readonly #client: PgClientLike;
  readonly #pipelined: boolean;
  /** Written, in order, answers not yet checked (BEGIN, queued statements). */
  #unchecked: Promise<PgAnswer>[] = [];
  /** The first failure of a statement, for a COMMIT that rolled back. */
  #failure: unknown;
  /** The socket is corked until the current turn's microtasks have run. */
  #corked = false;

  constructor(client: PgClientLike, toConfig: ToPgConfig, pipelined: boolean) {
    this.#client = client;
    this.#pipelined = pipelined;
    const tx: SqlTransaction = {
      query: async <Row>(text: string, params?: readonly unknown[], opts?: QueryOptions) =>
        (await this.#ask(toConfig(text, params, opts))) as SqlResult<Row>,
      // Without parameters node-postgres uses the simple protocol, which runs several statements.
      exec: async (text: string) => {
        await this.#ask({ text });
      },
    };
    if (pipelined) {
      tx.queue = <Row>(text: string, params?: readonly unknown[], opts?: QueryOptions) => {
        const answer = this.#write(toConfig(text, params, opts));
        this.#unchecked.push(answer);
        return answer as Promise<SqlResult<Row>>;
      };
    }
    this.transaction = tx;
  }

  async begin(): Promise<void> {
    const answer = this.#write({ text: BEGIN });
    if (this.#pipelined) this.#unchecked.push(answer);
    else await answer;
  }

  async commit(): Promise<void> {
    const answer = await this.#ask({ text: 'COMMIT' });
    // COMMIT of a transaction a statement failed in answers ROLLBACK, without an error.
    if (answer.command === 'ROLLBACK') throw this.#failure ?? new TransactionRolledBackError();
  }

  /** Write a statement, then check what was written before it, then wait for its answer. */
  async #ask(config: PgQueryConfig): Promise<PgAnswer> {
    const answer = this.#write(config);
    while (this.#unchecked.length > 0) await this.#unchecked.shift();
    return answer;
  }

  /** Write a statement; its failure is kept for COMMIT, and is never unhandled. */
  #write(config: PgQueryConfig): Promise<PgAnswer> {
    if (this.#pipelined) this.#cork();
    const answer = this.#client.query(config);
    // Registered first, so the error is marked before anyone else sees it.
    answer.catch((err: unknown) => {
      this.#failure ??= markDatabaseError(err);
    });
    return answer;
  }

  /**
   * Hold the socket's writes until every microtask queued in this turn has
   * run, so BEGIN and the first statement, or queued statements and the one
   * after them, go out in one system call. Nothing waits longer: an answer
   * needs I/O, which comes after the uncork. Node's `cork` nests, so
   * node-postgres's own cork around each statement's messages is unaffected.
   */
  #cork(): void {
    const stream = this.#client.connection?.stream;
    if (this.#corked || !stream?.cork || !stream.uncork) return;
    stream.cork();
    this.#corked = true;
    queueMicrotask(() =>
      process.nextTick(() => {
        this.#corked = false;
        stream.uncork!();
      }),
    );
  }
}
