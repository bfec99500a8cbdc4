/**
 * Read models against a rebuild from the log. The live tables reflect the log
 * up to their processor's checkpoint; a scratch schema gets a view of the log
 * cut at that checkpoint, the same commerce definitions rebuild into it, and
 * every table must match row for row. A doubled or lost event, or a batch
 * applied twice, shows up as a difference.
 *
 * Every table is compared whole. Two kinds of recomputation are in the log
 * too: a `sync-inventory-levels` run appends an event the `inventory_levels`
 * projection folds as of the run's instant, and an analytics run appends an
 * `analytics.run_completed` per creator that the analytics tables (forecasts,
 * insights, creator rows, the ledger of kept forecasts and their state
 * tables) fold as of the run's instant, so a rebuild recomputes both
 * identically.
 */
import { resolveHealthThresholds } from '../../../src/commerce/metrics/system-health.js';
import {
  COMMERCE_TABLES,
  commerceReadModelDefinitions,
} from '../../../src/commerce/read-models/definitions.js';
import { resolveInventoryOptions } from '../../../src/commerce/read-models/inventory-options.js';
import { ReadModelSet } from '../../../src/commerce/read-models/read-model-set.js';
import { quoteIdent, type SqlClient } from '../../../src/core/sql-client.js';
import { parseCheckpoint, START_CHECKPOINT } from '../../../src/core/checkpoint.js';
import { createEventStore } from '../../../src/store/index.js';
import { verdict, type InvariantResult } from './invariant.js';

/** The processor that folds the commerce read models in async mode (the example hosts'). */
export const COMMERCE_READ_MODELS = 'commerce_read_models';

/** Options of {@link checkReadModels}. */
export interface ReadModelCheck {
  sql: SqlClient;
  /** Schema of the log and the live read models. */
  schema: string;
  /** A schema the check may drop and recreate. */
  scratchSchema: string;
  /** Processor whose checkpoint the live tables are at. Default {@link COMMERCE_READ_MODELS}. */
  processor?: string;
}

/**
 * Rebuild into `scratchSchema` and compare; the scratch schema is dropped afterwards.
 *
 * @example
 * ```ts
 * const result = await checkReadModels({ sql, schema: 'chaos', scratchSchema: 'chaos_rebuild' });
 * ```
 */
export async function checkReadModels(
  options: ReadModelCheck,
): Promise<InvariantResult & { checkpoint: string }> {
  const { sql } = options;
  const live = quoteIdent(options.schema);
  const scratch = quoteIdent(options.scratchSchema);
  const { rows } = await sql.query<{ checkpoint: string }>(
    `SELECT checkpoint FROM ${live}.processor_checkpoints WHERE processor = $1`,
    [options.processor ?? COMMERCE_READ_MODELS],
  );
  const checkpoint = rows[0]?.checkpoint ?? START_CHECKPOINT;
  // Parsed, so only two numbers reach the view's text.
  const { transactionId, globalPosition } = parseCheckpoint(checkpoint);
  await sql.exec(`DROP SCHEMA IF EXISTS ${scratch} CASCADE; CREATE SCHEMA ${scratch}`);
  try {
    await sql.exec(
      `CREATE VIEW ${scratch}.events AS SELECT * FROM ${live}.events
        WHERE (transaction_id, global_position) <= ('${transactionId}'::xid8, ${Number(globalPosition)})`,
    );
    // The scratch schema has the log's view and nothing of the store: its pages are read
    // in a transaction of their own (no reader horizon, the view is cut at a committed point).
    const store = createEventStore({ sql, schema: options.scratchSchema });
    const readAll = store.readAll.bind(store);
    store.readAll = (o) => (o?.tx ? readAll(o) : sql.transaction((tx) => readAll({ ...o, tx })));
    const rebuilt = new ReadModelSet({
      store,
      name: COMMERCE_READ_MODELS,
      definitions: commerceReadModelDefinitions(resolveInventoryOptions(), resolveHealthThresholds()),
      mode: 'inline',
    });
    await rebuilt.rebuild();
    const violations: unknown[] = [];
    let checked = 0;
    for (const table of COMMERCE_TABLES) {
      const t = quoteIdent(table);
      const { rows: counted } = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${live}.${t}`);
      checked += counted[0]?.n ?? 0;
      const row = (schema: string) => `SELECT to_jsonb(r) AS row FROM ${schema}.${t} r`;
      const { rows: differing } = await sql.query<{ side: string; row: unknown }>(
        `SELECT * FROM (
           SELECT 'live_only' AS side, row FROM (${row(live)} EXCEPT ALL ${row(scratch)}) d
           UNION ALL
           SELECT 'rebuild_only', row FROM (${row(scratch)} EXCEPT ALL ${row(live)}) d
         ) x LIMIT 1000`,
      );
      for (const d of differing) violations.push({ problem: 'read_model_differs', table, ...d });
    }
    return { ...verdict(checked, violations), checkpoint };
  } finally {
    await sql.exec(`DROP SCHEMA IF EXISTS ${scratch} CASCADE`);
  }
}
