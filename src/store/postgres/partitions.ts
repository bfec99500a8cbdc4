/**
 * Monthly partitions of the events table: created ahead of time by migrate(),
 * on demand before an append writes into a month that has none, and moved out
 * (and back) by archive() / restoreArchived().
 */
import { quoteIdent, type SqlClient } from '../../core/sql-client.js';

/** `'2026-11'` for any instant in November 2026 (UTC). */
export function monthKey(date: Date): string {
  return `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The first instant of the month `offset` months after `key`'s. */
export function monthStart(key: string, offset = 0): Date {
  const [year, month] = key.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(year, month - 1 + offset, 1));
}

/** The default retention cutoff: two years before `now` (the specification's policy). */
export function defaultArchiveCutoff(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear() - 2, now.getUTCMonth(), now.getUTCDate()));
}

/** Table name of a month's partition, e.g. `events_2026_11`. */
export function partitionTable(key: string): string {
  return `events_${key.replace('-', '_')}`;
}

const PARTITION_NAME = /^events_(\d{4})_(\d{2})$/;

/** Knows which months have partitions and creates missing ones. */
export class PartitionManager {
  readonly #sql: SqlClient;
  readonly #schema: string;
  readonly #known = new Set<string>();
  #loaded: Promise<void> | undefined;

  constructor(sql: SqlClient, schema: string) {
    this.#sql = sql;
    this.#schema = schema;
  }

  /** Months that currently have a live partition (after the first load). */
  get known(): ReadonlySet<string> {
    return this.#known;
  }

  /** Make sure every month in `months` has a partition. Cheap when they all exist. */
  async ensure(months: Iterable<string>): Promise<void> {
    await this.#load();
    const missing = [...new Set(months)].filter((m) => !this.#known.has(m)).sort();
    if (missing.length === 0) return;
    const s = quoteIdent(this.#schema);
    await this.#sql.transaction(async (tx) => {
      // Serialise DDL between processes; IF NOT EXISTS alone races on the catalog.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `creatorflow.partitions:${this.#schema}`,
      ]);
      for (const month of missing) {
        const from = monthStart(month).toISOString();
        const to = monthStart(month, 1).toISOString();
        await tx.query(
          `CREATE TABLE IF NOT EXISTS ${s}.${quoteIdent(partitionTable(month))} PARTITION OF ${s}.events
             FOR VALUES FROM ('${from}') TO ('${to}')`,
        );
      }
    });
    for (const month of missing) this.#known.add(month);
  }

  /** Forget the cache (after archive/restore, or when an insert found no partition). */
  invalidate(): void {
    this.#known.clear();
    this.#loaded = undefined;
  }

  /** Months with a live partition, read from the catalog. */
  async list(): Promise<string[]> {
    const { rows } = await this.#sql.query<{ relname: string }>(
      `SELECT c.relname FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_class p ON p.oid = i.inhparent
         JOIN pg_namespace n ON n.oid = p.relnamespace
        WHERE n.nspname = $1 AND p.relname = 'events'`,
      [this.#schema],
    );
    return rows
      .map((r) => PARTITION_NAME.exec(r.relname))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => `${m[1]}-${m[2]}`)
      .sort();
  }

  #load(): Promise<void> {
    this.#loaded ??= this.list().then(
      (months) => {
        for (const m of months) this.#known.add(m);
      },
      (err: unknown) => {
        this.#loaded = undefined;
        throw err;
      },
    );
    return this.#loaded;
  }
}
