/**
 * The fault suite's short form (`CHAOS_SHORT=1 npm run chaos`, about two
 * minutes) as a test: it runs as a child process on its own private
 * PostgreSQL and Redis, and passes only when its report has no violation.
 * It runs under REQUIRE_SERVICES=1 (CI) or CHAOS=1; otherwise it is named as
 * skipped, so a local `npm test` does not spend two minutes of CPU on it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresBinDir } from './private-postgres.js';
import { redisAvailable } from './private-redis.js';
import type { ChaosReport } from './report.js';

const RUNNER = fileURLToPath(new URL('./run.ts', import.meta.url));
const wanted = process.env.REQUIRE_SERVICES === '1' || process.env.CHAOS === '1';

describe.skipIf(!wanted)('chaos, short form (REQUIRE_SERVICES=1 or CHAOS=1)', () => {
  let child: ChildProcess | undefined;

  afterAll(() => {
    // The runner cleans up after itself; this is for a test that timed out.
    if (child?.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
  });

  it('nothing lost, nothing doubled, under every fault', { timeout: 12 * 60_000 }, async () => {
    expect(postgresBinDir(), 'PostgreSQL server binaries (initdb, pg_ctl; set PG_BIN)').not.toBeNull();
    expect(redisAvailable(), 'redis-server and redis-cli on the PATH').toBe(true);
    child = spawn(process.execPath, ['--import', 'tsx', RUNNER], {
      env: { ...process.env, CHAOS_SHORT: '1', CHAOS_SEED: process.env.CHAOS_SEED ?? '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child!.once('exit', resolve));
    expect(stdout, `no report; the runner said:\n${stderr.slice(-4000)}`).toContain('{');
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as ChaosReport;
    const evidence = Object.fromEntries(
      report.violated.map((name) => [name, report.invariants[name].examples.slice(0, 3)]),
    );
    expect(
      report.violated,
      `violations (history in ${report.harness.runDir}):\n${JSON.stringify(evidence, null, 2)}`,
    ).toEqual([]);
    expect(report.harness.errors).toEqual([]);
    expect(code).toBe(0);
  });
});
