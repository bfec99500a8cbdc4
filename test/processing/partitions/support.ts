/**
 * A recording handler for the partition suites: every handled event is kept
 * (after its batch committed, so in commit order per partition) and, on SQL
 * stores, inserted in the batch's transaction with the position as primary
 * key — an event handled twice fails the insert.
 */
import { quoteIdent } from '../../../src/core/sql-client.js';
import type { HandlerContext, PostCommit } from '../../../src/processing/index.js';
import type { EventStore, StoredEvent } from '../../../src/store/types.js';

/** One handled event. */
export interface Handled {
  partition: string;
  stream: string;
  version: number;
  position: number;
}

/** A recording handler and what it saw. */
export interface Recorder {
  handle(event: StoredEvent, context: HandlerContext): Promise<PostCommit>;
  /** In commit order. */
  readonly seen: Handled[];
  /** Positions stored in the table (SQL) or seen (memory), ascending. */
  stored(): Promise<number[]>;
}

/**
 * Create the table (SQL) and the recorder.
 *
 * @example
 * ```ts
 * const rec = await recorder(store, 'handled');
 * createPartitionedProcessor({ store, name: 'p', partitions: 4, handle: rec.handle });
 * ```
 */
export async function recorder(store: EventStore, name: string): Promise<Recorder> {
  const table = `${quoteIdent(store.schema)}.${quoteIdent(name)}`;
  if (store.sql) {
    await store.sql.query(
      `CREATE TABLE ${table} (position bigint PRIMARY KEY, stream text NOT NULL, version int NOT NULL, part text NOT NULL)`,
    );
  }
  const seen: Handled[] = [];
  return {
    seen,
    async handle(event, { tx, processor }) {
      await tx?.query(`INSERT INTO ${table} (position, stream, version, part) VALUES ($1, $2, $3, $4)`, [
        event.globalPosition,
        event.aggregateId,
        event.version,
        processor,
      ]);
      const entry = {
        partition: processor,
        stream: event.aggregateId,
        version: event.version,
        position: event.globalPosition,
      };
      return () => void seen.push(entry);
    },
    async stored() {
      if (!store.sql) return seen.map((h) => h.position).sort((a, b) => a - b);
      const { rows } = await store.sql.query<{ position: string }>(
        `SELECT position FROM ${table} ORDER BY position`,
      );
      return rows.map((r) => Number(r.position));
    },
  };
}

/** The positions of every event in the log, ascending. */
export async function logPositions(store: EventStore): Promise<number[]> {
  return (await store.readAll({ limit: 1_000_000 })).events.map((e) => e.globalPosition);
}

/**
 * True when every stream's events were handled by one partition, in version order.
 *
 * @example
 * ```ts
 * expect(perStreamOrdered(rec.seen)).toBe(true);
 * ```
 */
export function perStreamOrdered(seen: readonly Handled[]): boolean {
  const last = new Map<string, Handled>();
  for (const h of seen) {
    const before = last.get(h.stream);
    if (before && (before.partition !== h.partition || before.version >= h.version)) return false;
    last.set(h.stream, h);
  }
  return true;
}
