/**
 * The conflict audit that goes with a resolver's options: a table on the
 * given database (default: the store's), or memory for a memory store. The
 * one place conflicts looks at `store.sql`.
 */
import type { SqlClient } from '../../../core/sql-client.js';
import type { EventStore } from '../../../store/types.js';
import type { ConflictAuditStore } from './audit-record.js';
import { MemoryAuditStore } from './memory-audit-store.js';
import { SqlAuditStore } from './sql-audit-store.js';

/** The audit store, and whether its writes can join the store's append transactions. */
export interface ResolvedAudit {
  audit: ConflictAuditStore;
  /** True when the audit lives on the store's own database (so a record commits with the outcome events). */
  onStoreDatabase: boolean;
}

/**
 * Pick the audit store of a resolver on `store`: on `sql` when given, else on the store's database.
 *
 * @example
 * ```ts
 * const { audit, onStoreDatabase } = auditStoreOf(store);
 * ```
 */
export function auditStoreOf(store: EventStore, sql?: SqlClient, schema?: string): ResolvedAudit {
  const database = sql ?? store.sql;
  return {
    audit: database ? new SqlAuditStore(database, schema ?? store.schema) : new MemoryAuditStore(),
    onStoreDatabase: !sql || sql === store.sql,
  };
}
