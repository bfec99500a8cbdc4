/**
 * Blue/green rebuild of a projection on a SQL store: replay the whole log into a
 * fresh table, then swap it in when caught up, with progress reports. The SQL
 * projection storage's `rebuild`; callers go through `rebuildProjection`.
 */
import type { SqlClient, SqlTransaction } from '../../core/sql-client.js';
import {
  compareCheckpoints,
  parseCheckpoint,
  START_CHECKPOINT,
  type LogCheckpoint,
} from '../../core/checkpoint.js';
import { readCheckpoints } from '../checkpoint-store.js';
import type { EventStore, ReadAllResult } from '../../store/types.js';
import { migrateProcessing } from '../migrate-processing.js';
import { lockRelayout, writeRelayout } from '../partitions/layout-store.js';
import { applyProjectionBatch } from './apply-batch.js';
import type { ProjectionDefinition } from './definition.js';
import type { RebuildOptions, RebuildPhase, RebuildResult } from './rebuild.js';
import { createGenerationTable, generationTableName, swapGenerationTable } from './generation-tables.js';
import { SqlTable } from './sql-table.js';
import {
  migrateProjectionTable,
  projectionGeneration,
  projectionLockKey,
  projectionProcessorName,
} from './table-names.js';

/**
 * Rebuild `options.definition`'s table in `schema` on `sql` (see `rebuildProjection`).
 *
 * @example
 * ```ts
 * const result = await rebuildSqlProjection(sql, 'app', { store, definition: orderTotals });
 * ```
 */
export async function rebuildSqlProjection(
  sql: SqlClient,
  schema: string,
  options: RebuildOptions,
): Promise<RebuildResult> {
  const { store, definition, signal } = options;
  const batchSize = options.batchSize ?? 5000;
  const interval = options.progressIntervalMs ?? 500;
  await migrateProcessing(sql, schema);
  await migrateProjectionTable(sql, schema, definition);

  const generation = (await projectionGeneration(sql, schema, definition.name)) + 1;
  // A rebuild that crashed leaves its fresh table behind: start it over.
  const fresh = await sql.transaction((tx) => createGenerationTable(tx, schema, definition, generation));

  const started = performance.now();
  let total = parseCheckpoint(await store.headCheckpoint()).globalPosition;
  let done = 0;
  let checkpoint: LogCheckpoint = START_CHECKPOINT;
  let lastReport = -Infinity;
  const report = (phase: RebuildPhase, force = false) => {
    const now = performance.now();
    if (!force && now - lastReport < interval) return;
    lastReport = now;
    total = Math.max(total, done);
    const elapsed = (now - started) / 1000;
    const ratePerSecond = elapsed > 0 ? done / elapsed : 0;
    const etaMs = phase === 'done' ? 0 : ratePerSecond > 0 ? ((total - done) / ratePerSecond) * 1000 : null;
    options.onProgress?.({
      projection: definition.name,
      phase,
      done,
      total,
      ratePerSecond,
      etaMs,
      checkpoint,
    });
  };
  report('replaying', true);

  const table = new SqlTable(sql, schema, fresh, definition.key);
  // Read the next page while the current one is applied.
  let next: Promise<ReadAllResult> = store.readAll({ after: checkpoint, limit: batchSize });
  for (;;) {
    signal?.throwIfAborted();
    const page = await next;
    if (page.events.length === batchSize) next = store.readAll({ after: page.checkpoint, limit: batchSize });
    await applyProjectionBatch(definition, table, page.events);
    done += page.events.length;
    checkpoint = page.checkpoint;
    if (page.events.length < batchSize) break;
    const head = parseCheckpoint(await store.headCheckpoint()).globalPosition;
    if (head > total) total = head;
    report('replaying');
  }

  report('swapping', true);
  const swapped =
    definition.mode === 'inline'
      ? await swapInline(sql, store, definition, generation, checkpoint)
      : await swapAsync(sql, schema, store, definition, generation, checkpoint);
  done += swapped.extra;
  checkpoint = swapped.checkpoint;
  report('done', true);
  return {
    projection: definition.name,
    events: done,
    durationMs: performance.now() - started,
    generation,
    checkpoint,
  };
}

/**
 * Async projection: fence its processors on their checkpoint rows, catch the
 * fresh table up to the furthest of them, swap, and move every partition of
 * the definition's layout there.
 */
async function swapAsync(
  sql: SqlClient,
  schema: string,
  store: EventStore,
  definition: ProjectionDefinition,
  generation: number,
  from: LogCheckpoint,
): Promise<{ extra: number; checkpoint: LogCheckpoint }> {
  return sql.transaction(async (tx) => {
    // Locking the rows waits for the processors' in-flight batches; their next
    // batch then finds the checkpoint moved and reloads it, against the new table
    // — or, when the partition count changed, finds it gone and stops (retired).
    const plan = await lockRelayout(tx, schema, projectionProcessorName(definition), definition.partitions);
    // A processor may have gone past the replay's end: its changes reached the
    // hubs, whose buffers drop a position they already hold. The fresh table
    // must not apply them again after the swap, so it catches up to there now.
    const old = await readCheckpoints(tx, schema, [...plan.retired, ...plan.next]);
    const through = [...old.values()].reduce(
      (newest, c) => (compareCheckpoints(c, newest) > 0 ? c : newest),
      from,
    );
    const fresh = new SqlTable(tx, schema, generationTableName(definition, generation), definition.key);
    const { applied: extra } = await catchUp(tx, store, definition, fresh, from, through);
    await swapGenerationTable(tx, schema, definition, generation, through);
    await writeRelayout(tx, schema, plan, through);
    return { extra, checkpoint: through };
  });
}

/**
 * Apply the events after `from` to `target`, in `tx`: up to `through` (a
 * processor reached it, so every event up to it has committed), or to the
 * log's end when null. Returns how many applied and the last one's checkpoint.
 */
async function catchUp(
  tx: SqlTransaction,
  store: EventStore,
  definition: ProjectionDefinition,
  target: SqlTable,
  from: LogCheckpoint,
  through: LogCheckpoint | null,
): Promise<{ applied: number; checkpoint: LogCheckpoint }> {
  let checkpoint = from;
  let applied = 0;
  for (;;) {
    const { events } = await store.readAll({ after: checkpoint, limit: 5000, tx });
    const upTo =
      through === null ? events : events.filter((e) => compareCheckpoints(e.checkpoint, through) <= 0);
    if (upTo.length > 0) {
      await applyProjectionBatch(definition, target, upTo);
      applied += upTo.length;
      checkpoint = upTo.at(-1)!.checkpoint;
    }
    if (events.length === 0 || upTo.length < events.length) break;
  }
  return { applied, checkpoint };
}

/**
 * Inline projection: hold every append's hook on the advisory lock, apply what
 * committed since the replay (read in the swap's transaction, with no reader
 * horizon: no hook-running append can be in flight), then swap.
 */
async function swapInline(
  sql: SqlClient,
  store: EventStore,
  definition: ProjectionDefinition,
  generation: number,
  from: LogCheckpoint,
): Promise<{ extra: number; checkpoint: LogCheckpoint }> {
  const schema = store.schema;
  return sql.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [projectionLockKey(schema, definition)]);
    const table = new SqlTable(tx, schema, generationTableName(definition, generation), definition.key);
    const { applied: extra, checkpoint } = await catchUp(tx, store, definition, table, from, null);
    // Held hooks: every change of the old table came from an event read above.
    await swapGenerationTable(tx, schema, definition, generation, checkpoint);
    return { extra, checkpoint };
  });
}
