/**
 * The stale-read checker: three host processes read and write the same keys
 * through their caches while Redis is stopped and restarted and one host is
 * paused (SIGSTOP/SIGCONT). The checker reads the history: no read may return
 * a version older than one committed more than the bound before the read began.
 */
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram, type ChildProgram } from '../support/child-process.js';
import { uniqueSchema } from '../support/databases.js';
import { postgresBinDir, startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.js';
import { redisServerBinary, startPrivateRedis, type PrivateRedis } from '../support/private-redis.js';
import { waitFor } from '../support/wait.js';

/** The cache's staleness bound (maxStalenessMs, 1000 by default) plus 500 ms for commit after the event's timestamp. */
const BOUND_MS = 1500;
const HOST = fileURLToPath(new URL('./fixtures/cache-host.ts', import.meta.url));
const missing = postgresBinDir() === null || redisServerBinary() === null;

interface Read {
  host: string;
  key: string;
  version: number;
  startedAt: number;
}

describe.skipIf(missing && !process.env.REQUIRE_SERVICES)(
  'stale-read checker (3 hosts, Redis restart, a paused host)',
  () => {
    let postgres: PrivatePostgres;
    let redis: PrivateRedis;
    const hosts: ChildProgram[] = [];

    beforeAll(async () => {
      [postgres, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
    });
    afterAll(async () => {
      for (const h of hosts) h.kill('SIGKILL');
      await Promise.all([postgres?.close(), redis?.close()]);
    });

    it('no read is older than the bound', async () => {
      const schema = uniqueSchema('cache');
      const env = { DATABASE_URL: postgres.url, SCHEMA: schema, REDIS_URL: redis.url };
      // The first host migrates; the others start once the schema exists.
      hosts.push(runProgram(HOST, { ...env, HOST_ID: 'h1', SEED: '11' }));
      await hosts[0]!.line(/"kind":"ready"/, 120_000);
      hosts.push(runProgram(HOST, { ...env, HOST_ID: 'h2', SEED: '22' }));
      hosts.push(runProgram(HOST, { ...env, HOST_ID: 'h3', SEED: '33' }));
      await Promise.all(hosts.map((h) => h.line(/"kind":"ready"/, 120_000)));
      const records = () =>
        hosts.flatMap((h) => h.lines().map((l) => JSON.parse(l) as Record<string, unknown>));
      const readsSoFar = () => records().filter((r) => r.kind === 'read').length;
      const atLeast = async (n: number, what: string) => {
        const target = readsSoFar() + n;
        await waitFor(() => readsSoFar() >= target, { timeoutMs: 60_000, what });
      };

      await atLeast(100, 'reads before the faults');
      await redis.stop();
      await atLeast(100, 'reads while Redis is down');
      await redis.start();
      await atLeast(50, 'reads after Redis is back');
      hosts[2]!.kill('SIGSTOP');
      const pausedAt = records().filter((r) => r.kind === 'write').length;
      await waitFor(() => records().filter((r) => r.kind === 'write').length >= pausedAt + 20, {
        timeoutMs: 60_000,
        what: 'writes by the others while h3 sleeps',
      });
      hosts[2]!.kill('SIGCONT');
      const h3Reads = () => hosts[2]!.lines().filter((l) => l.includes('"kind":"read"')).length;
      const h3Before = h3Reads();
      await waitFor(() => h3Reads() >= h3Before + 30, { timeoutMs: 60_000, what: 'h3 reading again' });
      for (const h of hosts) h.send('stop');
      await Promise.all(hosts.map((h) => h.line(/"kind":"stopped"/, 60_000)));

      // The history: commit times from the database, reads from the hosts.
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      const { rows } = await client.query<{ stream: string; version: number; at: Date }>(
        `SELECT aggregate_id AS stream, version, processed_at AS at FROM "${schema}".events ORDER BY aggregate_id, version`,
      );
      await client.end();
      const committed = new Map<string, { version: number; at: number }[]>();
      for (const r of rows) {
        const key = r.stream.slice('kv-'.length);
        const list = committed.get(key) ?? [];
        list.push({ version: Number(r.version), at: r.at.getTime() });
        committed.set(key, list);
      }
      const reads = records().filter((r) => r.kind === 'read') as unknown as Read[];
      const stale = reads.filter((read) =>
        (committed.get(read.key) ?? []).some(
          (c) => c.version > read.version && c.at + BOUND_MS < read.startedAt,
        ),
      );
      const errors = records().filter((r) => r.kind === 'error');
      const health = records().filter((r) => r.kind === 'health');

      expect(reads.length).toBeGreaterThan(300);
      expect(rows.length).toBeGreaterThan(50);
      expect(errors).toEqual([]); // nothing failed, Redis down or not
      expect(stale).toEqual([]);
      // The shared layer was used, and the outage was survived.
      const redisHits = health.reduce(
        (n, h) => n + ((h.metrics as { warm: { redisHits: number } }).warm.redisHits ?? 0),
        0,
      );
      expect(redisHits).toBeGreaterThan(0);
    });
  },
);
