/**
 * Noticing rebuilds run by another process (the CLI, another host): every
 * rebuild's swap moves the projection's generation in the `projections` row
 * and notifies, in the swap's transaction. A watcher compares the stored
 * generations with the ones it saw: the notification only wakes it early, the
 * comparison is what decides, so a watcher whose LISTEN was down (or that has
 * none, or whose notification was lost) still notices at its next poll.
 */
import { createHash } from 'node:crypto';
import type { LogCheckpoint } from '../../core/checkpoint.js';
import { quoteIdent, type SqlClient, type SqlQueryable, type Unlisten } from '../../core/sql-client.js';
import { everyInterval } from '../../runtime/every-interval.js';
import type { PollLoop } from '../../runtime/poll-loop.js';

/** What a watcher reports when a projection's generation moved. */
export interface ProjectionRebuilt {
  projection: string;
  /** The live generation now (one more per rebuild; several rebuilds between two checks report once). */
  generation: number;
  /**
   * The newest log position the previous generation handed out (null before
   * any rebuild): a cursor at or before it was read from the old rows.
   */
  through: LogCheckpoint | null;
}

/**
 * Options of {@link watchProjectionRebuilds}.
 *
 * @example
 * ```ts
 * const options: ProjectionRebuildWatchOptions = {
 *   sql, schema: 'app', projections: ['order_totals'], pollIntervalMs: 5_000,
 *   onRebuilt: ({ through }) => hub.invalidate('order_totals', { thisHostOnly: true, before: through }),
 * };
 * ```
 */
export interface ProjectionRebuildWatchOptions {
  sql: SqlClient;
  schema: string;
  /** Projection names (`definition.name`) to watch. */
  projections: readonly string[];
  /** Called once the generation of a watched projection moved (its rebuild committed). */
  onRebuilt: (info: ProjectionRebuilt) => void;
  /** Backstop poll of the generations, in ms (the notification is the fast path). Default 5,000. */
  pollIntervalMs?: number;
  /** A failed read or LISTEN; the watcher goes on polling. */
  onError?: (error: unknown) => void;
}

/** A running watcher: see {@link watchProjectionRebuilds}. */
export interface ProjectionRebuildWatch {
  /** Read the generations it starts from, then listen and poll. */
  start(): Promise<void>;
  /** Compare the generations now (what a notification or the poll does). */
  check(): Promise<void>;
  /** The generations last read (after `start()`), rebuilt or not. */
  current(): ProjectionRebuilt[];
  stop(): Promise<void>;
}

/**
 * The NOTIFY channel a rebuild's swap signals on in `schema`: a plain
 * identifier of at most 63 bytes, so no driver needs to quote it.
 *
 * @example
 * ```ts
 * await sql.listen?.(projectionRebuiltTopic('app'), () => void watch.check());
 * ```
 */
export function projectionRebuiltTopic(schema: string): string {
  const plain = `${schema}_projection_rebuilt`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  if (Buffer.byteLength(plain) <= 63) return plain;
  return `projection_rebuilt_${createHash('sha1').update(schema).digest('hex').slice(0, 24)}`;
}

/** In a rebuild's swap transaction: woken watchers read the new generation once it has committed. */
export async function notifyProjectionRebuilt(tx: SqlQueryable, schema: string, name: string): Promise<void> {
  await tx.query('SELECT pg_notify($1, $2)', [projectionRebuiltTopic(schema), name]);
}

/**
 * Watch projections' generations and report each rebuild once it has
 * committed, whichever process ran it. Needs the processing tables
 * (`migrateProcessing`); a projection never registered is at generation 0.
 *
 * @example
 * ```ts
 * const watch = watchProjectionRebuilds({ sql, schema: 'app', projections: ['order_totals'],
 *   onRebuilt: ({ through }) => hub.invalidate('order_totals', { thisHostOnly: true, before: through }) });
 * await watch.start();
 * ```
 */
export function watchProjectionRebuilds(options: ProjectionRebuildWatchOptions): ProjectionRebuildWatch {
  const { sql, schema } = options;
  const names = [...new Set(options.projections)];
  const pollIntervalMs = options.pollIntervalMs ?? 5000;
  const onError = options.onError ?? (() => undefined);
  const seen = new Map<string, ProjectionRebuilt>();
  let poll: PollLoop | undefined;
  let unlisten: Unlisten | undefined;
  let stopped = false;
  // One read at a time; a request during a read runs one more after it (it may
  // have been woken by a commit the running read did not see).
  let running: Promise<void> | null = null;
  let again = false;

  async function compare(): Promise<void> {
    const { rows } = await sql.query<{ name: string; generation: number; rebuilt_through: string | null }>(
      `SELECT name, generation, rebuilt_through FROM ${quoteIdent(schema)}.projections
        WHERE name = ANY($1::text[])`,
      [names],
    );
    const stored = new Map(rows.map((r) => [r.name, r]));
    for (const name of names) {
      const row = stored.get(name);
      const now: ProjectionRebuilt = {
        projection: name,
        generation: Number(row?.generation ?? 0),
        through: row?.rebuilt_through ?? null,
      };
      const before = seen.get(name);
      seen.set(name, now);
      if (before !== undefined && before.generation !== now.generation && !stopped) {
        try {
          options.onRebuilt(now);
        } catch (err) {
          onError(err);
        }
      }
    }
  }

  function check(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await compare();
        } catch (err) {
          onError(err); // the next poll tries again
        }
      } while (again && !stopped);
    })().finally(() => {
      running = null;
    });
    return running;
  }

  return {
    async start() {
      if (names.length === 0 || poll) return;
      await compare(); // the baseline: what this process's hubs serve now
      if (sql.listen) {
        try {
          // A reconnected LISTEN may have missed notifications: compare at once.
          unlisten = await sql.listen(
            projectionRebuiltTopic(schema),
            () => void check(),
            () => void check(),
          );
        } catch (err) {
          onError(err); // polling still notices
        }
      }
      if (stopped) {
        await unlisten?.().catch(onError);
        return;
      }
      // check() reports its own failures: the ticker's handler never sees one.
      poll = everyInterval(pollIntervalMs, check, onError);
    },
    check,
    current: () => [...seen.values()],
    async stop() {
      stopped = true;
      await poll?.stop();
      await running;
      await unlisten?.().catch(onError);
    },
  };
}
