/**
 * The access audit: who read across tenants, what, when. A table on
 * PostgreSQL/PGlite (`access_audit`), an array in memory. Entries are written
 * before the read's rows are returned, so a read the audit could not record
 * fails instead of going unrecorded.
 */
import { randomUUID } from 'node:crypto';
import { quoteIdent, type SqlClient } from '../core/sql-client.js';
import { migrateAccess } from './migrate-access.js';

/** One audited read. */
export interface AccessAuditEntry {
  id: string;
  /** ISO time of the read. */
  at: string;
  userId: string;
  roles: readonly string[];
  /** What was read, e.g. `commerce.rows`, `conflicts.pending`, `conflicts.decide`. */
  action: string;
  /** The table, queue or conflict read. */
  resource: string;
  /** Tenants reached outside the caller's own; `null`: every tenant. */
  tenantIds: readonly string[] | null;
  /** Rows (or records) returned, when known. */
  rowCount: number | null;
  /** What the request asked for beyond `action` and `resource`, e.g. a realtime subscription's filter. */
  detail: string | null;
}

/** What a caller records; the audit adds the id and the time (`detail` defaults to null). */
export type AccessAuditInput = Omit<AccessAuditEntry, 'id' | 'at' | 'detail'> & { detail?: string | null };

/** Filter of {@link AccessAuditStore.list}. */
export interface AccessAuditQuery {
  userId?: string;
  /** At or after. */
  from?: Date;
  /** Before. */
  to?: Date;
  /** Newest first, at most this many. Default 1,000. */
  limit?: number;
}

/**
 * Where access-audit entries live.
 *
 * @example
 * ```ts
 * const audit: AccessAuditStore = createAccessAudit({ sql, schema: 'app' });
 * await audit.migrate();
 * const lastHour = await audit.list({ from: new Date(Date.now() - 3_600_000) });
 * ```
 */
export interface AccessAuditStore {
  /** Create the table (SQL only; component `access`). */
  migrate(): Promise<void>;
  record(entry: AccessAuditInput): Promise<AccessAuditEntry>;
  /** Entries newest first. */
  list(query?: AccessAuditQuery): Promise<AccessAuditEntry[]>;
  /** Delete entries older than `before` (retention); returns how many. */
  prune(before: Date): Promise<number>;
}

/**
 * Options of {@link createAccessAudit}.
 *
 * @example
 * ```ts
 * const options: AccessAuditOptions = { sql, schema: 'app' };
 * ```
 */
export interface AccessAuditOptions {
  /** The database; in memory when absent. */
  sql?: SqlClient | undefined;
  /** Schema of `access_audit`. Default `public`. */
  schema?: string | undefined;
  /** The clock entries are stamped with (ms since the epoch). Default `Date.now`; tests pass their own. */
  now?: (() => number) | undefined;
}

/**
 * The access audit on the store's database, or in memory without one.
 *
 * @example
 * ```ts
 * const audit = createAccessAudit({ sql, schema: 'app' });
 * ```
 */
export function createAccessAudit(options: AccessAuditOptions = {}): AccessAuditStore {
  return options.sql
    ? new SqlAccessAudit(options.sql, options.schema ?? 'public', options.now)
    : new MemoryAccessAudit(options.now);
}

/**
 * Access-audit entries in memory (the in-memory store; tests).
 *
 * @example
 * ```ts
 * const audit = new MemoryAccessAudit();
 * ```
 */
export class MemoryAccessAudit implements AccessAuditStore {
  readonly #entries: AccessAuditEntry[] = [];
  readonly #now: () => number;

  /** `now`: the clock entries are stamped with. Default `Date.now`. */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async migrate(): Promise<void> {}

  async record(input: AccessAuditInput): Promise<AccessAuditEntry> {
    const at = new Date(this.#now()).toISOString();
    const entry = structuredClone({ ...input, detail: input.detail ?? null, id: randomUUID(), at });
    this.#entries.push(entry);
    return structuredClone(entry);
  }

  async list(query: AccessAuditQuery = {}): Promise<AccessAuditEntry[]> {
    const from = query.from?.getTime() ?? -Infinity;
    const to = query.to?.getTime() ?? Infinity;
    const found = this.#entries.filter((e) => {
      const t = Date.parse(e.at);
      return t >= from && t < to && (query.userId === undefined || e.userId === query.userId);
    });
    return structuredClone(found.reverse().slice(0, query.limit ?? 1_000));
  }

  async prune(before: Date): Promise<number> {
    const kept = this.#entries.filter((e) => Date.parse(e.at) >= before.getTime());
    const removed = this.#entries.length - kept.length;
    this.#entries.splice(0, this.#entries.length, ...kept);
    return removed;
  }
}

interface AuditRow {
  id: string;
  at: Date | string;
  user_id: string;
  roles: string[];
  action: string;
  resource: string;
  tenant_ids: string[] | null;
  row_count: number | null;
  detail: string | null;
}

/**
 * Access-audit entries in `<schema>.access_audit`.
 *
 * @example
 * ```ts
 * const audit = new SqlAccessAudit(sql, 'app');
 * await audit.migrate();
 * ```
 */
export class SqlAccessAudit implements AccessAuditStore {
  readonly #sql: SqlClient;
  readonly #schema: string;
  readonly #table: string;
  readonly #now: () => number;

  /** `now`: the clock entries are stamped with (the host's, like the memory audit's). Default `Date.now`. */
  constructor(sql: SqlClient, schema: string, now: () => number = Date.now) {
    this.#sql = sql;
    this.#schema = schema;
    this.#table = `${quoteIdent(schema)}.access_audit`;
    this.#now = now;
  }

  async migrate(): Promise<void> {
    await migrateAccess(this.#sql, this.#schema);
  }

  async record(input: AccessAuditInput): Promise<AccessAuditEntry> {
    const { rows } = await this.#sql.query<AuditRow>(
      `INSERT INTO ${this.#table} (id, user_id, roles, action, resource, tenant_ids, row_count, detail, at)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6::jsonb, $7, $8, $9)
       RETURNING *`,
      [
        randomUUID(),
        input.userId,
        JSON.stringify(input.roles),
        input.action,
        input.resource,
        input.tenantIds === null ? null : JSON.stringify(input.tenantIds),
        input.rowCount,
        input.detail ?? null,
        new Date(this.#now()).toISOString(),
      ],
    );
    return fromRow(rows[0]!);
  }

  async list(query: AccessAuditQuery = {}): Promise<AccessAuditEntry[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      values.push(value);
      where.push(clause.replace('?', `$${values.length}`));
    };
    if (query.userId !== undefined) add('user_id = ?', query.userId);
    if (query.from) add('at >= ?', query.from.toISOString());
    if (query.to) add('at < ?', query.to.toISOString());
    values.push(query.limit ?? 1_000);
    const { rows } = await this.#sql.query<AuditRow>(
      `SELECT * FROM ${this.#table} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY at DESC, seq DESC LIMIT $${values.length}`,
      values,
    );
    return rows.map(fromRow);
  }

  async prune(before: Date): Promise<number> {
    const { rows } = await this.#sql.query(`DELETE FROM ${this.#table} WHERE at < $1 RETURNING id`, [
      before.toISOString(),
    ]);
    return rows.length;
  }
}

function fromRow(row: AuditRow): AccessAuditEntry {
  return {
    id: row.id,
    at: new Date(row.at).toISOString(),
    userId: row.user_id,
    roles: row.roles,
    action: row.action,
    resource: row.resource,
    tenantIds: row.tenant_ids,
    rowCount: row.row_count,
    detail: row.detail ?? null,
  };
}
