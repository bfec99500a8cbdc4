/**
 * A rebuild generation's table: created beside the live one from the
 * definition's migrations, then swapped into its place with the generation
 * recorded. Shared by a projection's blue/green rebuild and a projection set's.
 */
import { quoteIdent, type SqlQueryable, type SqlTransaction } from '../../core/sql-client.js';
import type { LogCheckpoint } from '../../core/checkpoint.js';
import type { ProjectionDefinition } from './definition.js';
import { notifyProjectionRebuilt } from './rebuild-watch.js';
import { renderMigration } from './table-names.js';

/**
 * The name of a rebuild generation's table before the swap: numbered, so the
 * names its migrations give indexes and constraints never meet the live table's.
 *
 * @example
 * ```ts
 * generationTableName(orderTotals, 3) // 'order_totals__g3'
 * ```
 */
export function generationTableName(definition: ProjectionDefinition, generation: number): string {
  return `${definition.table}__g${generation}`;
}

/**
 * Create `generation`'s empty table in `tx` (dropping one a crashed rebuild
 * left behind); returns its name.
 *
 * @example
 * ```ts
 * const fresh = await createGenerationTable(tx, 'app', orderTotals, 3);
 * ```
 */
export async function createGenerationTable(
  tx: SqlQueryable,
  schema: string,
  definition: ProjectionDefinition,
  generation: number,
): Promise<string> {
  const fresh = generationTableName(definition, generation);
  await tx.query(`DROP TABLE IF EXISTS ${quoteIdent(schema)}.${quoteIdent(fresh)}`);
  for (const m of definition.migrations) await tx.exec(renderMigration(m, schema, fresh));
  return fresh;
}

/**
 * Drop the live table, rename `generation`'s into its place, record the
 * generation and the newest position the old table handed out (`through`),
 * and wake the hosts' rebuild watchers, in `tx`.
 *
 * @example
 * ```ts
 * await swapGenerationTable(tx, 'app', orderTotals, 3, '812:40');
 * ```
 */
export async function swapGenerationTable(
  tx: SqlTransaction,
  schema: string,
  definition: ProjectionDefinition,
  generation: number,
  through: LogCheckpoint,
): Promise<void> {
  const s = quoteIdent(schema);
  await tx.query(`DROP TABLE IF EXISTS ${s}.${quoteIdent(definition.table)}`);
  await tx.query(
    `ALTER TABLE ${s}.${quoteIdent(generationTableName(definition, generation))} RENAME TO ${quoteIdent(definition.table)}`,
  );
  await tx.query(
    `UPDATE ${s}.projections SET generation = $2, rebuilt_at = now(), rebuilt_through = $3 WHERE name = $1`,
    [definition.name, generation, through],
  );
  // Delivered on commit: every host's watcher compares the generation (rebuild-watch.ts).
  await notifyProjectionRebuilt(tx, schema, definition.name);
}
