/**
 * {@link PubSub} on PostgreSQL LISTEN/NOTIFY (the single-node default).
 * A NOTIFY payload must stay under 8000 bytes: larger messages are written to
 * `realtime_messages` and the notification carries a pointer (`@<id>`).
 */
import { InvalidArgumentError } from '../core/errors.js';
import { runMigrations } from '../core/migrator.js';
import { type SqlClient, quoteIdent } from '../core/sql-client.js';
import type { RetryPolicy } from '../runtime/retry-policy.js';
import { withRetry } from '../runtime/with-retry.js';
import type { PubSub } from './pubsub.js';
import { migrations } from './sql/index.generated.js';

/**
 * Options of {@link createPgPubSub}.
 *
 * @example
 * ```ts
 * const pubsub = createPgPubSub(sql, { schema: 'app' });
 * ```
 */
export interface PgPubSubOptions {
  /** Schema of the `realtime_messages` table (see {@link migrateRealtime}). */
  schema: string;
  /** Payloads above this many bytes go through the table. Default 7,000. */
  maxPayloadBytes?: number;
  /** Stored payloads older than this are pruned. Default 60,000 ms. */
  retentionMs?: number;
}

const POINTER = '@';
const INLINE = '=';
/**
 * Reading a pointed-to payload that failed (the pool had no connection in
 * time, a connection dropped) is tried again: a dropped message costs every
 * subscriber of its channels a snapshot. Bounded by half the retention, while
 * the row is surely still there.
 */
const FETCH_RETRY: RetryPolicy = {
  attempts: 20,
  minTimeoutMs: 50,
  maxTimeoutMs: 2000,
  factor: 2,
  jitter: true,
};

/**
 * Create the realtime tables (the pointer table of {@link createPgPubSub}).
 *
 * @example
 * ```ts
 * await migrateRealtime(sql, 'app');
 * ```
 */
export async function migrateRealtime(sql: SqlClient, schema: string): Promise<number[]> {
  return runMigrations(sql, { schema, component: 'realtime', migrations });
}

/** NOTIFY channels are identifiers of at most 63 bytes; keep them plain so no driver needs to quote them. */
function channelName(schema: string, topic: string): string {
  const name = `${schema}_${topic}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  if (Buffer.byteLength(name) > 63)
    throw new InvalidArgumentError(`pub/sub channel "${name}" is longer than 63 bytes`);
  return name;
}

/**
 * PostgreSQL pub/sub through `SqlClient.listen` and `pg_notify`.
 *
 * @example
 * ```ts
 * await migrateRealtime(sql, 'app');
 * const hub = createRealtimeHub({ channels, changes, snapshot, pubsub: createPgPubSub(sql, { schema: 'app' }) });
 * ```
 */
export function createPgPubSub(sql: SqlClient, options: PgPubSubOptions): PubSub {
  if (!sql.listen) throw new InvalidArgumentError('createPgPubSub needs an SqlClient with listen()');
  const listen = sql.listen.bind(sql);
  const maxBytes = options.maxPayloadBytes ?? 7000;
  const retentionMs = options.retentionMs ?? 60_000;
  const table = `${quoteIdent(options.schema)}.realtime_messages`;
  let lastPrune = 0;

  async function prune(): Promise<void> {
    const now = Date.now();
    if (now - lastPrune < retentionMs / 2) return;
    lastPrune = now;
    await sql.query(`DELETE FROM ${table} WHERE created_at < now() - make_interval(secs => $1)`, [
      retentionMs / 1000,
    ]);
  }

  return {
    async publish(topic, message) {
      const channel = channelName(options.schema, topic);
      if (Buffer.byteLength(message) + 1 <= maxBytes) {
        await sql.query('SELECT pg_notify($1, $2)', [channel, INLINE + message]);
        return;
      }
      // Insert and notify in one transaction: listeners are woken only once the row is visible.
      await sql.transaction(async (tx) => {
        const { rows } = await tx.query<{ id: string }>(
          `INSERT INTO ${table} (topic, payload) VALUES ($1, $2) RETURNING id::text AS id`,
          [topic, message],
        );
        await tx.query('SELECT pg_notify($1, $2)', [channel, POINTER + rows[0]!.id]);
      });
      await prune();
    },
    async subscribe(topic, onMessage, onResume) {
      const channel = channelName(options.schema, topic);
      const stopped = new AbortController();
      // Pointer fetches are chained so messages keep their order (a retried one holds the rest back).
      let chain = Promise.resolve();
      const unlisten = await listen(
        channel,
        (payload) => {
          chain = chain
            .then(async () => {
              if (payload.startsWith(INLINE)) {
                onMessage(payload.slice(1));
                return;
              }
              if (!payload.startsWith(POINTER)) return;
              const { rows } = await withRetry(
                () =>
                  sql.query<{ payload: string }>(`SELECT payload FROM ${table} WHERE id = $1`, [
                    payload.slice(1),
                  ]),
                FETCH_RETRY,
                { signal: stopped.signal, maxRetryTimeMs: retentionMs / 2 },
              );
              if (rows[0] && !stopped.signal.aborted) onMessage(rows[0].payload);
            })
            // Given up (or unsubscribed): receivers see the broken `previous` chain at the next batch and reload.
            .catch(() => undefined);
        },
        onResume,
      );
      return async () => {
        stopped.abort();
        await unlisten();
      };
    },
  };
}
