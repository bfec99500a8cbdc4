/**
 * One sample of every resource the capacity check plans: the database's
 * size, the events appended per day (from the log's position, through the
 * EventStore port), the server's connections
 * and the host's pool use. What cannot be measured here (no SQL database, a
 * query the server refuses, no pool recorded) is skipped with its reason.
 */
import { parseCheckpoint } from '../../core/checkpoint.js';
import { METRIC } from '../../monitoring/metrics/library-metrics.js';
import type { MetricsRegistry } from '../../monitoring/metrics/metrics-registry.js';
import type { EventStore } from '../../store/types.js';
import type { CapacityCheck } from './capacity-history.js';
import type { CapacityBudgets } from './capacity-options.js';
import type { HostCapacityResource } from './host-window.js';

/** The resources shared by every host, sampled here, in order (the hosts' own: `HOST_CAPACITY_RESOURCES`). */
export const CAPACITY_RESOURCES = [
  'database_size',
  'event_log_daily',
  'db_connections',
  'pool_connections',
] as const;
/** One of {@link CAPACITY_RESOURCES} or a host resource. */
export type CapacityResource = (typeof CAPACITY_RESOURCES)[number] | HostCapacityResource;

/**
 * A resource's use now, in its unit (bytes, events, connections, cores, a
 * share), and its capacity when known; `host` for a host's own resource.
 */
export interface CapacitySample {
  resource: CapacityResource;
  host?: string;
  value: number;
  capacity: number | null;
}

/** A resource that was not sampled, and why. */
export interface SkippedResource {
  resource: CapacityResource;
  host?: string;
  reason: string;
}

/** What one sampling found. */
export interface CapacitySampling {
  samples: CapacitySample[];
  skipped: SkippedResource[];
  /** The log's committed global position, kept so the next check measures growth from it. */
  logPosition: number;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * Events appended per day: the growth of the log's global position since the
 * check nearest to 24 hours ago (at least an hour ago), scaled to a day. The
 * position comes from a sequence, so an append rolled back counts too (a
 * slight over-count), and the check's own events are log growth like any.
 */
function logGrowth(
  history: readonly CapacityCheck[],
  position: number,
  at: Date,
  capacities: CapacityBudgets,
): CapacitySample | string {
  let from: CapacityCheck | undefined;
  for (const c of history) {
    const age = at.getTime() - Date.parse(c.checkedAt);
    if (c.logPosition === undefined || age < HOUR_MS) continue;
    if (!from || Math.abs(age - DAY_MS) < Math.abs(at.getTime() - Date.parse(from.checkedAt) - DAY_MS))
      from = c;
  }
  if (!from) return 'no earlier check (at least an hour old) to measure the log growth from';
  const elapsed = at.getTime() - Date.parse(from.checkedAt);
  const value = Math.max(0, Math.round(((position - from.logPosition!) * DAY_MS) / elapsed));
  return { resource: 'event_log_daily', value, capacity: capacities.eventsPerDay ?? null };
}

/**
 * Sample every resource once.
 *
 * @example
 * ```ts
 * const { samples, skipped } = await sampleCapacity(store, { diskGb: 200 }, new Date(), registry, history);
 * ```
 */
export async function sampleCapacity(
  store: EventStore,
  capacities: CapacityBudgets,
  at: Date,
  registry?: MetricsRegistry,
  history: readonly CapacityCheck[] = [],
): Promise<CapacitySampling> {
  const out: CapacitySampling = { samples: [], skipped: [], logPosition: 0 };
  const measure = async (resource: CapacityResource, read: () => Promise<CapacitySample | string>) => {
    try {
      const r = await read();
      if (typeof r === 'string') out.skipped.push({ resource, reason: r });
      else out.samples.push(r);
    } catch (err) {
      out.skipped.push({ resource, reason: `query failed: ${(err as Error).message}`.slice(0, 500) });
    }
  };
  const sql = store.sql;
  const noSql = 'the store has no SQL database (in-memory store)';
  await measure('database_size', async () => {
    if (!sql) return noSql;
    const { rows } = await sql.query<{ bytes: string }>(
      'SELECT pg_database_size(current_database())::text AS bytes',
    );
    const capacity = capacities.diskGb === undefined ? null : capacities.diskGb * 1e9;
    return { resource: 'database_size', value: Number(rows[0]!.bytes), capacity };
  });
  const logPosition = parseCheckpoint(await store.committedCheckpoint()).globalPosition;
  out.logPosition = logPosition;
  await measure('event_log_daily', () => Promise.resolve(logGrowth(history, logPosition, at, capacities)));
  await measure('db_connections', async () => {
    if (!sql) return noSql;
    if (sql.dialect === 'pglite') return 'PGlite is embedded: it has no server connections';
    const { rows } = await sql.query<{ used: string; max: string }>(
      `SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::text AS used,
              current_setting('max_connections') AS max`,
    );
    const max = Number(rows[0]!.max);
    return {
      resource: 'db_connections',
      value: Number(rows[0]!.used),
      capacity: capacities.connections ?? (max > 0 ? max : null),
    };
  });
  await measure('pool_connections', () => {
    const max = registry?.value(METRIC.poolMax) ?? 0;
    if (!registry || !(max > 0)) return Promise.resolve('no pool measured (instrumentPool on the registry)');
    const inUse = registry.value(METRIC.poolConnections, { state: 'in_use' });
    return Promise.resolve({ resource: 'pool_connections' as const, value: inUse, capacity: max });
  });
  return out;
}
