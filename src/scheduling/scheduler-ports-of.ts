/**
 * The ports a scheduler runs on: the ones it was given, else the tables of
 * its `sql` option, else memory. The one place scheduling picks SQL or memory
 * adapters (`test/package/no-sql-branches.test.ts` keeps it so); the engine
 * passes its ports and never reaches the fallback.
 */
import type { SqlClient } from '../core/sql-client.js';
import { sqlLeases } from '../processing/lease.js';
import type { LeasePort } from '../runtime/lease-keeper.js';
import { memoryLeases } from './memory-leases.js';
import { memoryScheduleStorage } from './memory-schedule-storage.js';
import type { ScheduleStorage } from './schedule-run.js';
import { sqlScheduleStorage } from './sql-schedule-storage.js';

/** What a scheduler keeps its runs and its lease in. */
export interface SchedulerPorts {
  storage: ScheduleStorage;
  leases: LeasePort;
}

/**
 * Resolve a scheduler's ports: explicit `storage` / `leases` win; `sql` is the
 * shorthand for `sqlScheduleStorage(sql, schema)` and `sqlLeases(sql, schema)`.
 *
 * @example
 * ```ts
 * const { storage, leases } = schedulerPortsOf({ sql, schema: 'app' });
 * ```
 */
export function schedulerPortsOf(options: {
  sql?: SqlClient | undefined;
  schema?: string | undefined;
  storage?: ScheduleStorage | undefined;
  leases?: LeasePort | undefined;
}): SchedulerPorts {
  const schema = options.schema ?? 'creatorflow';
  const { sql } = options;
  return {
    storage: options.storage ?? (sql ? sqlScheduleStorage(sql, schema) : memoryScheduleStorage()),
    leases: options.leases ?? (sql ? sqlLeases(sql, schema) : memoryLeases()),
  };
}
