/**
 * Everything a chaos run stands on, started in order and closed in reverse
 * even when a later step fails: the private PostgreSQL and Redis, the
 * simulator's fake shop and mock Open API, the providers service, the
 * history, the harness's own database pool, and the host processes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { DEMO_CREDENTIALS } from '../../examples/shared/demo-credentials.js';
import { FakeShop } from '../../examples/simulator/fake-shop.js';
import { serveOpenApi } from '../../examples/simulator/open-api.js';
import { seededRandom } from '../../examples/simulator/random.js';
import { fromPg } from '../../src/adapters/pg.js';
import type { SqlClient } from '../../src/core/sql-client.js';
import type { ChaosConfig } from './config.js';
import { HARNESS_APPLICATION } from './faults.js';
import { HistoryWriter } from './history.js';
import { HostCluster } from './host-cluster.js';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';
import { startPrivateRedis, type PrivateRedis } from './private-redis.js';
import { startChaosProviders, type ProvidersService } from './providers.js';

/** Schema of the hosts' tables in the private database. */
export const CHAOS_SCHEMA = 'chaos';

/** A started environment. */
export interface ChaosEnvironment {
  readonly runDir: string;
  readonly postgres: PrivatePostgres;
  readonly redis: PrivateRedis;
  readonly shop: FakeShop;
  readonly providers: ProvidersService;
  readonly history: HistoryWriter;
  /** The harness's connections (never terminated by the injector; survive restarts). */
  readonly sql: SqlClient;
  readonly cluster: HostCluster;
  /** Stop everything; delete the run directory unless `keepRunDir`. */
  close(keepRunDir: boolean): Promise<void>;
  /** Synchronous last resort (exit hook, signals): kill the hosts, crash and delete the servers. */
  killNow(): void;
}

/**
 * Start the environment (the hosts are created, not started).
 *
 * @example
 * ```ts
 * const env = await openEnvironment(config, log);
 * try { await env.cluster.startAll(); … } finally { await env.close(false); }
 * ```
 */
export async function openEnvironment(
  config: ChaosConfig,
  log: (line: string) => void,
): Promise<ChaosEnvironment> {
  const closers: (() => Promise<unknown>)[] = [];
  const runDir = await mkdtemp(path.join(os.tmpdir(), 'chaos-run-'));
  let keep = false;
  closers.push(() => (keep ? Promise.resolve() : rm(runDir, { recursive: true, force: true })));
  const close = async (keepRunDir: boolean) => {
    keep = keepRunDir;
    for (const closer of closers.reverse())
      await closer().catch((err: unknown) => log(`cleanup: ${String(err)}`));
    closers.length = 0;
  };
  try {
    const postgres = await startPrivatePostgres('chaos');
    closers.push(() => postgres.destroy());
    const redis = await startPrivateRedis();
    closers.push(() => redis.destroy());
    log(`private PostgreSQL ${postgres.url}, Redis ${redis.url}, run directory ${runDir}`);

    // A fixed rate: no viral spike; stock scaled up so orders rarely fail for stock.
    const shop = new FakeShop(seededRandom(config.seed), {
      rate: config.rate,
      viralMultiplier: 1,
      stockScale: 5,
    });
    const api = await serveOpenApi(shop, DEMO_CREDENTIALS.appSecret, 0);
    closers.push(() => closeServer(api.server));
    const providers = await startChaosProviders(seededRandom(config.seed + 1));
    closers.push(() => providers.close());
    const history = new HistoryWriter(path.join(runDir, 'history.jsonl'));
    closers.push(() => history.close());

    const pool = new pg.Pool({
      connectionString: postgres.url,
      application_name: HARNESS_APPLICATION,
      max: 4,
    });
    // The harness outlives every restart of the server: a dropped idle client is not fatal here.
    pool.on('error', () => undefined);
    const sql = fromPg(pool);
    closers.push(async () => {
      await sql.close?.();
      await pool.end();
    });

    const cluster = await HostCluster.create({
      count: config.hosts,
      entry: config.hostEntry,
      logDir: runDir,
      history,
      env: (i) => ({
        // Host 0 waits out a slow query; the others give up after queryTimeoutMs (outcome unknown).
        DATABASE_URL:
          i > 0 && config.queryTimeoutMs > 0
            ? `${postgres.url}?query_timeout=${config.queryTimeoutMs}`
            : postgres.url,
        REDIS_URL: redis.url,
        HOST: '127.0.0.1',
        HOST_ID: `host-${i}`,
        HOST_FRAMEWORK: config.frameworks[i % config.frameworks.length]!,
        DB_SCHEMA: CHAOS_SCHEMA,
        TIKTOK_API_URL: api.url,
        PROVIDERS_URL: providers.url,
        // Off unless CHAOS_ADMISSION=on: then the hosts shed load (503 OVERLOADED, docs/ingestion.md,
        // Overload) and `refusals_wrote_nothing` judges that a refusal left nothing in the log.
        ADMISSION: config.admission ? 'on' : 'off',
        CONFLICT_WINDOWS: config.conflictWindows,
      }),
    });
    closers.push(() => cluster.stopAll());
    const killNow = () => {
      cluster.killAllNow();
      redis.destroySync();
      postgres.destroySync();
    };
    return { runDir, postgres, redis, shop, providers, history, sql, cluster, close, killNow };
  } catch (err) {
    await close(true);
    throw err;
  }
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
