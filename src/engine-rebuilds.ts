/**
 * The engine's half of rebuilds: a rebuilt projection's rows reach no hub as
 * row changes, so every host reloads the channels it feeds once the rebuild
 * has committed — whichever process ran it (this host, another host, the
 * CLI). Each host notices by itself from the generation stored with the
 * projection (`watchProjectionRebuilds`), so none depends on a notice another
 * host published while it was not listening.
 */
import type { LogCheckpoint } from './core/checkpoint.js';
import type { Logger } from './core/logger.js';
import type { SqlClient } from './core/sql-client.js';
import { Projection } from './processing/projection/projection.js';
import { ProjectionSet } from './processing/projection-set/projection-set.js';
import {
  type ProjectionRebuildWatch,
  watchProjectionRebuilds,
} from './processing/projection/rebuild-watch.js';
import type { RealtimeHub } from './realtime/hub.js';

/**
 * Watch the rebuilds of the engine's projections (`config.projections`, and
 * the `Projection`s and `ProjectionSet`s' tables among `config.readModels`)
 * that feed a channel of `hub`, and
 * reload those channels on this host (null: none feeds one).
 *
 * @example
 * ```ts
 * const rebuilds = watchRebuiltChannels(config, sql, schema, hub, readModels, logger);
 * await rebuilds?.start(); // in engine.start(), after migrateProcessing
 * ```
 */
export function watchRebuiltChannels(
  config: { rebuildPollIntervalMs?: number },
  sql: SqlClient,
  schema: string,
  hub: RealtimeHub,
  readModels: readonly object[],
  logger: Logger,
): ProjectionRebuildWatch | null {
  const projections = readModels.filter((m): m is Projection => m instanceof Projection);
  // A projection set's tables are registered and rebuilt under their definitions' names too.
  const definitions = readModels.flatMap((m) =>
    m instanceof Projection ? [m.definition] : m instanceof ProjectionSet ? m.definitions : [],
  );
  const channelsOf = new Map<string, string[]>();
  for (const { name, table } of definitions) {
    const fed = [...hub.channels.values()].filter((c) => (c.table ?? c.name) === table).map((c) => c.name);
    if (fed.length > 0) channelsOf.set(name, fed);
  }
  if (channelsOf.size === 0) return null;
  // Every other host's watcher sees the same generation: no notice over the pub/sub.
  const reload = (projection: string, through: LogCheckpoint | null) => {
    for (const channel of channelsOf.get(projection) ?? []) {
      hub.invalidate(channel, { thisHostOnly: true, before: through });
    }
  };
  const watch = watchProjectionRebuilds({
    sql,
    schema,
    projections: [...channelsOf.keys()],
    ...(config.rebuildPollIntervalMs !== undefined ? { pollIntervalMs: config.rebuildPollIntervalMs } : {}),
    onRebuilt: ({ projection, generation, through }) => {
      const channels = channelsOf.get(projection) ?? [];
      logger.info(
        { component: 'realtime', projection, generation, channels },
        'projection rebuilt: reloading its channels',
      );
      reload(projection, through);
    },
    onError: (err) => logger.warn({ component: 'realtime', err }, 'reading projection generations failed'),
  });
  // A rebuild run here: compare at once rather than wait for the notification.
  for (const projection of projections) {
    if (!channelsOf.has(projection.definition.name)) continue;
    projection.on('projection:rebuild_progress', (p) => {
      if (p.phase === 'done') void watch.check();
    });
  }
  return {
    ...watch,
    async start() {
      await watch.start();
      // Rebuilt before this host started: a client's cursor from the old rows
      // (handed out by another host) must not resume here. Nobody has subscribed yet, or reloads.
      for (const { projection, through } of watch.current()) {
        if (through !== null) reload(projection, through);
      }
    },
  };
}
