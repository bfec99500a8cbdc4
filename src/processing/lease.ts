/**
 * Lease rows in processing's `leases` table: exactly one owner holds a named
 * lease until it expires. The database clock decides expiry, so host clocks
 * may disagree. Processors hold them through the runtime's `LeaseKeeper`
 * (`sqlLeases` is its port), and so can hosts' singleton jobs. The saga runner
 * does not use this table: it leases each saga in the saga's own row, fenced by
 * a token, renewed by the same runtime `Heartbeat` with the same timing defaults.
 */
import { priorityLaneOf, quoteIdent, type SqlQueryable } from '../core/sql-client.js';
import type { LeasePort } from '../runtime/lease-keeper.js';

/** Where the lease table lives and who asks. */
export interface LeaseTarget {
  sql: SqlQueryable;
  schema: string;
  /** Lease name, e.g. `'processor:order_totals'`. */
  name: string;
  /** This instance's id, unique per process. */
  owner: string;
}

/** A lease as stored. */
export interface LeaseRow {
  name: string;
  owner: string;
  acquiredAt: Date;
  renewedAt: Date;
  expiresAt: Date;
}

/**
 * Take the lease if it is free, expired or already ours; returns true when we hold it
 * for `ttlMs` from now.
 *
 * @example
 * ```ts
 * if (await acquireLease({ sql, schema, name: 'processor:totals', owner }, 6_000)) run();
 * ```
 */
export async function acquireLease(target: LeaseTarget, ttlMs: number): Promise<boolean> {
  const t = leaseTable(target.schema);
  const { rows } = await target.sql.query(
    `INSERT INTO ${t} AS l (name, owner, expires_at)
     VALUES ($1, $2, clock_timestamp() + $3 * interval '1 millisecond')
     ON CONFLICT (name) DO UPDATE SET
       owner = EXCLUDED.owner,
       acquired_at = CASE WHEN l.owner = EXCLUDED.owner THEN l.acquired_at ELSE clock_timestamp() END,
       renewed_at = clock_timestamp(),
       expires_at = EXCLUDED.expires_at
     WHERE l.owner = EXCLUDED.owner OR l.expires_at < clock_timestamp()
     RETURNING owner`,
    [target.name, target.owner, ttlMs],
  );
  return rows.length === 1;
}

/**
 * Extend a lease we hold; false when it was lost (expired and taken, or released).
 *
 * @example
 * ```ts
 * if (!(await renewLease(target, 6_000))) stopWork();
 * ```
 */
export async function renewLease(target: LeaseTarget, ttlMs: number): Promise<boolean> {
  const { rows } = await target.sql.query(
    `UPDATE ${leaseTable(target.schema)}
        SET renewed_at = clock_timestamp(), expires_at = clock_timestamp() + $3 * interval '1 millisecond'
      WHERE name = $1 AND owner = $2 AND expires_at >= clock_timestamp()
      RETURNING name`,
    [target.name, target.owner, ttlMs],
  );
  return rows.length === 1;
}

/**
 * Give a lease up so another instance can take it at once.
 *
 * @example
 * ```ts
 * await releaseLease(target);
 * ```
 */
export async function releaseLease(target: LeaseTarget): Promise<void> {
  await target.sql.query(`DELETE FROM ${leaseTable(target.schema)} WHERE name = $1 AND owner = $2`, [
    target.name,
    target.owner,
  ]);
}

/**
 * The current holder of a lease, or null when nobody holds an unexpired one.
 *
 * @example
 * ```ts
 * const holder = await leaseHolder(sql, schema, 'processor:totals');
 * ```
 */
export async function leaseHolder(sql: SqlQueryable, schema: string, name: string): Promise<LeaseRow | null> {
  const { rows } = await sql.query<{
    name: string;
    owner: string;
    acquired_at: Date;
    renewed_at: Date;
    expires_at: Date;
  }>(
    `SELECT name, owner, acquired_at, renewed_at, expires_at FROM ${leaseTable(schema)}
      WHERE name = $1 AND expires_at >= clock_timestamp()`,
    [name],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    name: row.name,
    owner: row.owner,
    acquiredAt: new Date(row.acquired_at),
    renewedAt: new Date(row.renewed_at),
    expiresAt: new Date(row.expires_at),
  };
}

function leaseTable(schema: string): string {
  return `${quoteIdent(schema)}.leases`;
}

/**
 * The lease rows of `schema` as the runtime's {@link LeasePort}, for a `LeaseKeeper`.
 * Renewals and releases take `sql`'s priority lane where it has one
 * ({@link priorityLaneOf}), so a busy pool cannot delay them past the
 * holder's self-fencing deadline; acquiring waits in the pool like any claim.
 *
 * @example
 * ```ts
 * const keeper = new LeaseKeeper({ leases: sqlLeases(sql, 'creatorflow'), name: 'nightly-report' });
 * ```
 */
export function sqlLeases(sql: SqlQueryable, schema: string): LeasePort {
  const lane = priorityLaneOf(sql);
  return {
    acquire: (name, owner, ttlMs) => acquireLease({ sql, schema, name, owner }, ttlMs),
    renew: (name, owner, ttlMs) => renewLease({ sql: lane, schema, name, owner }, ttlMs),
    release: (name, owner) => releaseLease({ sql: lane, schema, name, owner }),
  };
}
