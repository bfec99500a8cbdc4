/**
 * Dead letters: events a processor gave up on after its retries. Kept in a table
 * (SQL stores) or in memory, listed for people and redriven by the processor.
 */
import { quoteIdent, type SqlQueryable } from '../core/sql-client.js';
import type { StoredEvent } from '../store/types.js';
import { storableText } from '../core/storable-text.js';
import { InvalidArgumentError } from '../core/errors.js';

/** The largest `bigserial` id. */
const MAX_ID = 9223372036854775807n;

/**
 * True when `id` can name a letter: the decimal form of a positive `bigint`.
 * Any other string names none (in memory as in SQL, where casting it would be
 * the database's raw error).
 */
function isLetterId(id: string): boolean {
  return /^[1-9]\d{0,18}$/.test(id) && BigInt(id) <= MAX_ID;
}

/**
 * The filter with its defaults, or `INVALID_ARGUMENT` for one no store can
 * answer (a negative or fractional limit, an `afterId` that is no id).
 */
function checkedFilter(filter: DeadLetterFilter): {
  processor: string | null;
  afterId: string;
  limit: number;
} {
  const { limit = 100, afterId = '0' } = filter;
  if (!Number.isSafeInteger(limit) || limit < 0)
    throw new InvalidArgumentError(`Dead letter list limit must be a non-negative integer, got ${limit}`);
  if (typeof afterId !== 'string' || (afterId !== '0' && !isLetterId(afterId)))
    throw new InvalidArgumentError(`Dead letter list afterId must be a letter id, got ${String(afterId)}`);
  return { processor: filter.processor ?? null, afterId, limit };
}

/** One dead-lettered event. */
export interface DeadLetter {
  /** Id of the dead letter (a decimal string). */
  id: string;
  processor: string;
  event: StoredEvent;
  /** The last error's message (with its stack when it had one). */
  error: string;
  attempts: number;
  failedAt: Date;
}

/** What to list. */
export interface DeadLetterFilter {
  processor?: string;
  /** Default 100. */
  limit?: number;
  /** Only ids greater than this (paging). */
  afterId?: string;
}

/** A new dead letter. */
export interface NewDeadLetter {
  processor: string;
  event: StoredEvent;
  error: unknown;
  attempts: number;
}

/**
 * The dead-letter store. Writes take a queryable so they join the caller's transaction.
 *
 * @example
 * ```ts
 * const dlq = sqlDeadLetterQueue(sql, 'app');
 * for (const letter of await dlq.list({ processor: 'projection:totals' })) console.log(letter.error);
 * ```
 */
export interface DeadLetterQueue {
  add(letter: NewDeadLetter, tx?: SqlQueryable): Promise<DeadLetter>;
  list(filter?: DeadLetterFilter): Promise<DeadLetter[]>;
  get(id: string, tx?: SqlQueryable): Promise<DeadLetter | null>;
  /** Delete; true when it existed. */
  remove(id: string, tx?: SqlQueryable): Promise<boolean>;
  /** Record another failed redrive. */
  recordFailure(id: string, error: unknown, attempts: number): Promise<void>;
  /** How many letters each processor has (processors without any are absent), for health. */
  countByProcessor(): Promise<Record<string, number>>;
}

/**
 * Dead letters in the `dead_letters` table of `schema`.
 *
 * @example
 * ```ts
 * const dlq = sqlDeadLetterQueue(sql, 'creatorflow');
 * ```
 */
export function sqlDeadLetterQueue(sql: SqlQueryable, schema: string): DeadLetterQueue {
  const t = `${quoteIdent(schema)}.dead_letters`;
  const columns = 'id, processor, event, error, attempts, failed_at';
  return {
    async add(letter, tx = sql) {
      const { rows } = await tx.query<DeadLetterRow>(
        `INSERT INTO ${t} (processor, event_id, event_type, global_position, checkpoint, event, error, attempts)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)
         ON CONFLICT (processor, event_id) DO UPDATE SET
           error = EXCLUDED.error, attempts = ${t}.attempts + EXCLUDED.attempts, failed_at = now()
         RETURNING ${columns}`,
        [
          letter.processor,
          letter.event.id,
          letter.event.type,
          letter.event.globalPosition,
          letter.event.checkpoint,
          JSON.stringify(letter.event),
          describeError(letter.error),
          letter.attempts,
        ],
      );
      return fromRow(rows[0]!);
    },
    async list(filter = {}) {
      const { processor, afterId, limit } = checkedFilter(filter);
      const { rows } = await sql.query<DeadLetterRow>(
        `SELECT ${columns} FROM ${t}
          WHERE ($1::text IS NULL OR processor = $1) AND id > $2::bigint
          ORDER BY id LIMIT $3`,
        [processor, afterId, limit],
      );
      return rows.map(fromRow);
    },
    async get(id, tx = sql) {
      if (!isLetterId(id)) return null;
      const { rows } = await tx.query<DeadLetterRow>(`SELECT ${columns} FROM ${t} WHERE id = $1::bigint`, [
        id,
      ]);
      return rows[0] ? fromRow(rows[0]) : null;
    },
    async remove(id, tx = sql) {
      if (!isLetterId(id)) return false;
      const { rows } = await tx.query(`DELETE FROM ${t} WHERE id = $1::bigint RETURNING id`, [id]);
      return rows.length > 0;
    },
    async recordFailure(id, error, attempts) {
      if (!isLetterId(id)) return;
      await sql.query(
        `UPDATE ${t} SET error = $2, attempts = attempts + $3, failed_at = now() WHERE id = $1::bigint`,
        [id, describeError(error), attempts],
      );
    },
    async countByProcessor() {
      const { rows } = await sql.query<{ processor: string; n: string | number }>(
        `SELECT processor, count(*) AS n FROM ${t} GROUP BY processor`,
      );
      return Object.fromEntries(rows.map((r) => [r.processor, Number(r.n)]));
    },
  };
}

/**
 * Dead letters in memory, for the in-memory event store.
 *
 * @example
 * ```ts
 * const dlq = memoryDeadLetterQueue();
 * ```
 */
export function memoryDeadLetterQueue(): DeadLetterQueue {
  const letters = new Map<string, DeadLetter>();
  let next = 1;
  return {
    async add(letter) {
      const existing = [...letters.values()].find(
        (l) => l.processor === letter.processor && l.event.id === letter.event.id,
      );
      const stored: DeadLetter = {
        id: existing?.id ?? String(next++),
        processor: letter.processor,
        event: letter.event,
        error: describeError(letter.error),
        attempts: (existing?.attempts ?? 0) + letter.attempts,
        failedAt: new Date(),
      };
      letters.set(stored.id, stored);
      return stored;
    },
    async list(filter = {}) {
      const { processor, afterId, limit } = checkedFilter(filter);
      const after = Number(afterId);
      return [...letters.values()]
        .filter((l) => (processor === null || l.processor === processor) && Number(l.id) > after)
        .sort((a, b) => Number(a.id) - Number(b.id))
        .slice(0, limit);
    },
    async get(id) {
      return letters.get(id) ?? null;
    },
    async remove(id) {
      return letters.delete(id);
    },
    async recordFailure(id, error, attempts) {
      const letter = letters.get(id);
      if (letter)
        letters.set(id, { ...letter, error: describeError(error), attempts: letter.attempts + attempts });
    },
    async countByProcessor() {
      const counts: Record<string, number> = {};
      for (const { processor } of letters.values()) counts[processor] = (counts[processor] ?? 0) + 1;
      return counts;
    },
  };
}

/**
 * A readable one-string description of anything thrown, storable in a
 * PostgreSQL `text` column: a NUL character (which PostgreSQL refuses, so a
 * dead letter could not be written and the processor would fail the same
 * batch forever) becomes U+FFFD.
 *
 * @example
 * ```ts
 * describeError(new Error('boom')) // 'Error: boom\n    at …'
 * ```
 */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  return storableText(text);
}

interface DeadLetterRow {
  id: string | number;
  processor: string;
  event: SerializedEvent | string;
  error: string;
  attempts: number;
  failed_at: Date | string;
}

type SerializedEvent = Omit<StoredEvent, 'occurredAt' | 'processedAt'> & {
  occurredAt: string;
  processedAt: string;
};

function fromRow(row: DeadLetterRow): DeadLetter {
  const raw = (typeof row.event === 'string' ? JSON.parse(row.event) : row.event) as SerializedEvent;
  return {
    id: String(row.id),
    processor: row.processor,
    event: { ...raw, occurredAt: new Date(raw.occurredAt), processedAt: new Date(raw.processedAt) },
    error: row.error,
    attempts: Number(row.attempts),
    failedAt: new Date(row.failed_at),
  };
}
