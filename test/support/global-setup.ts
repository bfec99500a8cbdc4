import type { TestProject } from 'vitest/node';
import { canConnect } from './free-port.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string | null;
    redisUrl: string | null;
  }
}

const POSTGRES_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function reachable(url: string, defaultPort: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return canConnect(hostname, Number(port || defaultPort), 2000);
}

/**
 * Finds out once which servers are up. With REQUIRE_SERVICES=1 (CI) a missing
 * server fails the run; otherwise the server-backed suites are skipped and named.
 */
export default async function setup(project: TestProject): Promise<void> {
  const [pgUp, redisUp] = await Promise.all([reachable(POSTGRES_URL, 5432), reachable(REDIS_URL, 6379)]);
  const missing = [!pgUp && `PostgreSQL (${POSTGRES_URL})`, !redisUp && `Redis (${REDIS_URL})`].filter(
    Boolean,
  );
  if (missing.length > 0) {
    if (process.env.REQUIRE_SERVICES === '1') {
      throw new Error(`REQUIRE_SERVICES=1 but these services are down: ${missing.join(', ')}`);
    }
    console.warn(
      `\n[creatorflow/sync] skipping suites that need ${missing.join(' and ')}; ` +
        `set REQUIRE_SERVICES=1 to make this an error.\n`,
    );
  }
  project.provide('postgresUrl', pgUp ? POSTGRES_URL : null);
  project.provide('redisUrl', redisUp ? REDIS_URL : null);
}
