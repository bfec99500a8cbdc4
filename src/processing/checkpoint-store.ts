/**
 * Where a processor keeps its checkpoint: a row written in the same transaction
 * as its effects (SQL), or a map (in-memory store).
 */
import { quoteIdent, type SqlQueryable, type SqlTransaction } from '../core/sql-client.js';
import type { LogCheckpoint } from '../core/checkpoint.js';
import { CheckpointMovedError } from './errors.js';

/**
 * Read the stored checkpoint, storing `initial` first when there is none.
 *
 * @example
 * ```ts
 * const cp = await loadCheckpoint(sql, schema, 'projection:totals', START_CHECKPOINT);
 * ```
 */
export async function loadCheckpoint(
  sql: SqlQueryable,
  schema: string,
  processor: string,
  initial: () => Promise<LogCheckpoint>,
): Promise<LogCheckpoint> {
  const t = table(schema);
  const existing = await readCheckpoint(sql, schema, processor);
  if (existing !== null) return existing;
  await sql.query(
    `INSERT INTO ${t} (processor, checkpoint) VALUES ($1, $2) ON CONFLICT (processor) DO NOTHING`,
    [processor, await initial()],
  );
  return (await readCheckpoint(sql, schema, processor))!;
}

/**
 * The stored checkpoint of a processor, or null.
 *
 * @example
 * ```ts
 * await readCheckpoint(sql, schema, 'projection:totals') // '812:40'
 * ```
 */
export async function readCheckpoint(
  sql: SqlQueryable,
  schema: string,
  processor: string,
): Promise<LogCheckpoint | null> {
  const { rows } = await sql.query<{ checkpoint: string }>(
    `SELECT checkpoint FROM ${table(schema)} WHERE processor = $1`,
    [processor],
  );
  return rows[0]?.checkpoint ?? null;
}

/**
 * The stored checkpoints of several processors (those without one are absent).
 *
 * @example
 * ```ts
 * await readCheckpoints(sql, schema, ['totals#0/2', 'totals#1/2']) // Map { 'totals#0/2' => '812:40', … }
 * ```
 */
export async function readCheckpoints(
  sql: SqlQueryable,
  schema: string,
  processors: readonly string[],
): Promise<Map<string, LogCheckpoint>> {
  const { rows } = await sql.query<{ processor: string; checkpoint: string }>(
    `SELECT processor, checkpoint FROM ${table(schema)} WHERE processor = ANY($1::text[])`,
    [[...processors]],
  );
  return new Map(rows.map((r) => [r.processor, r.checkpoint]));
}

/**
 * Lock the checkpoint row for this transaction and check it is still `expected`.
 * Called first in every batch transaction: a second holder blocks here until the
 * first commits, then sees the moved checkpoint and backs off.
 *
 * @example
 * ```ts
 * await sql.transaction(async (tx) => { await claimCheckpoint(tx, schema, name, cp); … });
 * ```
 */
export async function claimCheckpoint(
  tx: SqlTransaction,
  schema: string,
  processor: string,
  expected: LogCheckpoint,
): Promise<void> {
  const { rows } = await tx.query<{ checkpoint: string }>(
    `SELECT checkpoint FROM ${table(schema)} WHERE processor = $1 FOR UPDATE`,
    [processor],
  );
  const actual = rows[0]?.checkpoint ?? null;
  if (actual !== expected) throw new CheckpointMovedError(processor, expected, actual);
}

/**
 * Move the checkpoint from `expected` to `next` as the first statement of a batch
 * transaction: one round trip that locks the row (a second holder blocks here until
 * the first commits), checks the fence and writes the new value. When the handler
 * then fails, the transaction's rollback restores the old value.
 *
 * @example
 * ```ts
 * await sql.transaction(async (tx) => { await advanceCheckpoint(tx, schema, name, cp, page.checkpoint); … });
 * ```
 */
export async function advanceCheckpoint(
  tx: SqlTransaction,
  schema: string,
  processor: string,
  expected: LogCheckpoint,
  next: LogCheckpoint,
): Promise<void> {
  const { rows } = await tx.query(ADVANCE(schema), [processor, expected, next]);
  if (rows.length === 1) return;
  throw new CheckpointMovedError(processor, expected, await readCheckpoint(tx, schema, processor));
}

/**
 * {@link advanceCheckpoint}, queued where `tx` pipelines
 * (`SqlTransaction.queue`): the update goes out with the next statement, which
 * runs after it (a second holder's statements wait behind its row lock).
 * Await `held` before COMMIT: it throws `CheckpointMovedError` when the fence
 * failed. Without `queue` the update is run and checked before this resolves.
 *
 * @example
 * ```ts
 * await sql.transaction(async (tx) => {
 *   const fence = await queueCheckpointAdvance(tx, schema, name, cp, page.checkpoint);
 *   await tx.query('INSERT …'); // sent without waiting for the fence
 *   await fence.held;
 * });
 * ```
 */
export async function queueCheckpointAdvance(
  tx: SqlTransaction,
  schema: string,
  processor: string,
  expected: LogCheckpoint,
  next: LogCheckpoint,
): Promise<{ held: Promise<void> }> {
  if (!tx.queue) {
    await advanceCheckpoint(tx, schema, processor, expected, next);
    return { held: Promise.resolve() };
  }
  const held = tx.queue(ADVANCE(schema), [processor, expected, next]).then(async ({ rows }) => {
    if (rows.length === 1) return;
    // The transaction may have failed since (the work ran on): then the actual value is unknown.
    const actual = await readCheckpoint(tx, schema, processor).catch(() => null);
    throw new CheckpointMovedError(processor, expected, actual);
  });
  held.catch(() => undefined); // the caller awaits it later; never an unhandled rejection meanwhile
  return { held };
}

/**
 * Move the checkpoint from `expected` to `next` in the statement of one write
 * (`text`, parameters `$1..$n`, ending in `RETURNING`): a data-modifying WITH
 * runs both in one statement, so both commit together in one round trip.
 * Resolves with the write's returned rows (as JSON). The write runs whether
 * the fence holds or not (it cannot be made to depend on it from outside), so
 * it must be idempotent; a failed fence then throws `CheckpointMovedError`.
 *
 * @example
 * ```ts
 * const rows = await advanceCheckpointWith(sql, schema, name, cp, page.checkpoint, 'INSERT … RETURNING id', [id]);
 * ```
 */
export async function advanceCheckpointWith<Row>(
  sql: SqlQueryable,
  schema: string,
  processor: string,
  expected: LogCheckpoint,
  next: LogCheckpoint,
  text: string,
  params: readonly unknown[],
): Promise<Row[]> {
  const n = params.length;
  const { rows } = await sql.query<{ advanced: number; written: Row[] }>(
    `WITH checkpoint_advanced AS (
       UPDATE ${table(schema)} SET checkpoint = $${n + 3}, updated_at = now()
        WHERE processor = $${n + 1} AND checkpoint = $${n + 2} RETURNING processor
     ), written AS (${text})
     SELECT (SELECT count(*) FROM checkpoint_advanced)::int AS advanced,
            coalesce((SELECT json_agg(w) FROM written w), '[]'::json) AS written`,
    [...params, processor, expected, next],
  );
  if (rows[0]!.advanced !== 1)
    throw new CheckpointMovedError(processor, expected, await readCheckpoint(sql, schema, processor));
  return rows[0]!.written;
}

/**
 * Lock a processor's checkpoint row for the rest of `tx` without checking it
 * (redrives and rebuild swaps use it to serialize with live batches).
 *
 * @example
 * ```ts
 * await sql.transaction(async (tx) => { await lockCheckpointRow(tx, schema, name); … });
 * ```
 */
export async function lockCheckpointRow(
  tx: SqlTransaction,
  schema: string,
  processor: string,
): Promise<void> {
  await tx.query(`SELECT checkpoint FROM ${table(schema)} WHERE processor = $1 FOR UPDATE`, [processor]);
}

/**
 * Store a checkpoint (inside the batch's transaction), creating the row if needed.
 *
 * @example
 * ```ts
 * await saveCheckpoint(tx, schema, 'projection:totals', page.checkpoint);
 * ```
 */
export async function saveCheckpoint(
  sql: SqlQueryable,
  schema: string,
  processor: string,
  checkpoint: LogCheckpoint,
): Promise<void> {
  await sql.query(
    `INSERT INTO ${table(schema)} (processor, checkpoint) VALUES ($1, $2)
     ON CONFLICT (processor) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, updated_at = now()`,
    [processor, checkpoint],
  );
}

/** The fenced update: one row back when the checkpoint was `$2` and is now `$3`. */
function ADVANCE(schema: string): string {
  return `UPDATE ${table(schema)} SET checkpoint = $3, updated_at = now()
      WHERE processor = $1 AND checkpoint = $2 RETURNING processor`;
}

function table(schema: string): string {
  return `${quoteIdent(schema)}.processor_checkpoints`;
}
