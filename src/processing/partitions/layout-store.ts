/**
 * Partition layouts in SQL (`processor_layouts`): the count a processor's
 * partitions were created with. Recording a layout stores every partition's
 * starting checkpoint in the same transaction, so partitions that start later
 * (on another host) still start where the layout did.
 */
import { quoteIdent, type SqlClient, type SqlQueryable, type SqlTransaction } from '../../core/sql-client.js';
import type { LogCheckpoint } from '../../core/checkpoint.js';
import { lockCheckpointRow, readCheckpoint, saveCheckpoint } from '../checkpoint-store.js';
import { ProcessorLayoutError } from '../errors.js';
import { partitionNames } from './partition-names.js';

/**
 * Record `name`'s layout as `partitions`, or check it is: throws
 * {@link ProcessorLayoutError} when another count is recorded. A checkpoint of
 * the unpartitioned processor stored before layouts were recorded counts as a
 * layout of 1 (and keeps its checkpoint). The first recording stores every
 * partition's checkpoint at `initial` (computed before the transaction: on
 * PGlite the store cannot be read while it is open), so partitions never
 * create their own: a missing one means a rebuild retired it.
 *
 * @example
 * ```ts
 * await claimLayout(sql, schema, 'projection:order_totals', 4, START_CHECKPOINT);
 * ```
 */
export async function claimLayout(
  sql: SqlClient,
  schema: string,
  name: string,
  partitions: number,
  initial: LogCheckpoint,
): Promise<void> {
  const t = layoutTable(schema);
  await sql.transaction(async (tx) => {
    const stored = await lockLayout(tx, schema, name);
    if (stored !== null) return check(name, partitions, stored);
    if (partitions !== 1 && (await readCheckpoint(tx, schema, name)) !== null) {
      throw new ProcessorLayoutError(name, partitions, 1);
    }
    const { rows } = await tx.query(
      `INSERT INTO ${t} (name, partitions) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING name`,
      [name, partitions],
    );
    // Another host recorded it first (our insert waited for its commit): check against theirs.
    if (rows.length === 0) return check(name, partitions, (await readLayout(tx, schema, name))!);
    await tx.query(
      `INSERT INTO ${quoteIdent(schema)}.processor_checkpoints (processor, checkpoint)
       SELECT unnest($1::text[]), $2 ON CONFLICT (processor) DO NOTHING`,
      [partitionNames(name, partitions), initial],
    );
  });
}

/**
 * The recorded partition count of `name`, or null.
 *
 * @example
 * ```ts
 * await readLayout(sql, schema, 'projection:order_totals') // 4
 * ```
 */
export async function readLayout(sql: SqlQueryable, schema: string, name: string): Promise<number | null> {
  const { rows } = await sql.query<{ partitions: number }>(
    `SELECT partitions FROM ${layoutTable(schema)} WHERE name = $1`,
    [name],
  );
  return rows[0] ? Number(rows[0].partitions) : null;
}

/** What {@link lockRelayout} locked and {@link writeRelayout} writes. */
export interface Relayout {
  readonly name: string;
  readonly partitions: number;
  /** The checkpoint rows of the old layout that the new one does not keep. */
  readonly retired: readonly string[];
  /** The checkpoint rows of the new layout. */
  readonly next: readonly string[];
}

/**
 * First half of a rebuild's swap, in its transaction: lock the layout row (one
 * rebuild at a time) and every checkpoint row of the old and new layout, which
 * waits for the partitions' in-flight batches. No layout recorded means one
 * partition (an unpartitioned processor).
 *
 * @example
 * ```ts
 * const plan = await lockRelayout(tx, schema, 'projection:order_totals', 8);
 * ```
 */
export async function lockRelayout(
  tx: SqlTransaction,
  schema: string,
  name: string,
  partitions: number,
): Promise<Relayout> {
  const old = partitionNames(name, (await lockLayout(tx, schema, name)) ?? 1);
  const next = partitionNames(name, partitions);
  // In one order; a live batch locks only its own row, so this cannot deadlock with them.
  for (const row of [...new Set([...old, ...next])].sort()) await lockCheckpointRow(tx, schema, row);
  return { name, partitions, retired: old.filter((n) => !next.includes(n)), next };
}

/**
 * Second half: delete the retired checkpoints (their processors then stop with
 * `PROCESSOR_RETIRED` instead of starting over), move every new partition to
 * `checkpoint` and record the count.
 *
 * @example
 * ```ts
 * await writeRelayout(tx, schema, plan, rebuiltCheckpoint);
 * ```
 */
export async function writeRelayout(
  tx: SqlTransaction,
  schema: string,
  plan: Relayout,
  checkpoint: LogCheckpoint,
): Promise<void> {
  if (plan.retired.length > 0) {
    await tx.query(
      `DELETE FROM ${quoteIdent(schema)}.processor_checkpoints WHERE processor = ANY($1::text[])`,
      [[...plan.retired]],
    );
  }
  for (const row of plan.next) await saveCheckpoint(tx, schema, row, checkpoint);
  await tx.query(
    `INSERT INTO ${layoutTable(schema)} (name, partitions) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET partitions = EXCLUDED.partitions, updated_at = now()`,
    [plan.name, plan.partitions],
  );
}

async function lockLayout(tx: SqlTransaction, schema: string, name: string): Promise<number | null> {
  const { rows } = await tx.query<{ partitions: number }>(
    `SELECT partitions FROM ${layoutTable(schema)} WHERE name = $1 FOR UPDATE`,
    [name],
  );
  return rows[0] ? Number(rows[0].partitions) : null;
}

function check(name: string, partitions: number, stored: number): void {
  if (stored !== partitions) throw new ProcessorLayoutError(name, partitions, stored);
}

function layoutTable(schema: string): string {
  return `${quoteIdent(schema)}.processor_layouts`;
}
