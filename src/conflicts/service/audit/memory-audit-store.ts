/**
 * The in-memory audit, used with the in-memory event store.
 */
import type { AuditQuery, ConflictAuditStore, ConflictRecord } from './audit-record.js';
import { assertAuditQuery } from './audit-query.js';

/**
 * Audit records in a Map (deep-copied in and out, like a database would).
 *
 * @example
 * ```ts
 * const audit = new MemoryAuditStore();
 * await audit.insert(record);
 * ```
 */
export class MemoryAuditStore implements ConflictAuditStore {
  readonly #records = new Map<string, ConflictRecord>();

  async migrate(): Promise<void> {}

  async insert(record: ConflictRecord): Promise<boolean> {
    if (this.#records.has(record.conflictId)) return false;
    this.#records.set(record.conflictId, structuredClone(record));
    return true;
  }

  async insertMany(records: readonly ConflictRecord[]): Promise<void> {
    for (const r of records) await this.insert(r);
  }

  async get(conflictId: string): Promise<ConflictRecord | undefined> {
    const r = this.#records.get(conflictId);
    return r && structuredClone(r);
  }

  async completePending(record: ConflictRecord): Promise<boolean> {
    const current = this.#records.get(record.conflictId);
    if (current?.status !== 'pending') return false;
    this.#records.set(record.conflictId, structuredClone(record));
    return true;
  }

  async list(query: AuditQuery = {}): Promise<ConflictRecord[]> {
    assertAuditQuery(query);
    const from = query.from?.getTime() ?? -Infinity;
    const to = query.to?.getTime() ?? Infinity;
    const out = [...this.#records.values()]
      .filter((r) => {
        const t = Date.parse(r.detectedAt);
        return (
          t >= from &&
          t < to &&
          (query.status === undefined || r.status === query.status) &&
          (query.entityType === undefined || r.resolution.entityType === query.entityType) &&
          (query.tenantIds === undefined || (r.tenantId !== null && query.tenantIds.includes(r.tenantId)))
        );
      })
      .sort(
        (a, b) =>
          Date.parse(a.detectedAt) - Date.parse(b.detectedAt) || (a.conflictId < b.conflictId ? -1 : 1),
      );
    return structuredClone(query.limit === undefined ? out : out.slice(0, query.limit));
  }
}
