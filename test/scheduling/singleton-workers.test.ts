/**
 * The library's singleton workers under one lease (the defaults, shortened
 * here), on PGlite and PostgreSQL: exactly one host runs the jobs; a host
 * whose lease statements stop getting through stops its jobs itself, and the
 * other host starts them only after that, once the lease has expired.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import type { EngineWorker } from '../../src/engine.js';
import { migrateProcessing, sqlLeases } from '../../src/processing/index.js';
import type { LeaseLostReason } from '../../src/runtime/errors.js';
import { SingletonWorkers } from '../../src/scheduling/index.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { hangingSql, type HangingSql } from '../support/hanging-sql.js';
import { waitFor } from '../support/wait.js';

interface Transition {
  host: string;
  what: 'start' | 'stop';
  at: number;
}

describe.each(sqlEngines)('singleton workers on $name', (engine) => {
  let db: TestDatabase;
  const hosts: SingletonWorkers<object>[] = [];
  const wires: HangingSql[] = [];
  beforeEach(async () => {
    if (!engine.available) return;
    db = await engine.open();
    await migrateProcessing(db.sql, db.schema);
  });
  afterEach(async () => {
    if (!engine.available) return;
    for (const w of wires.splice(0)) w.resume();
    for (const h of hosts.splice(0)) await h.stop();
    await db.close();
  });

  /** A host whose lease statements can be made to hang. */
  async function host(id: string, timeline: Transition[], lost: LeaseLostReason[]) {
    const wire = hangingSql(db.sql, /\.leases\b/);
    wires.push(wire);
    const job: EngineWorker = {
      name: 'job',
      start: () => void timeline.push({ host: id, what: 'start', at: performance.now() }),
      stop: () => void timeline.push({ host: id, what: 'stop', at: performance.now() }),
    };
    const singletons = new SingletonWorkers<object>({
      leases: sqlLeases(wire.sql, db.schema),
      name: 'singletons:test',
      owner: id,
      jobs: [job],
      context: {},
      lease: { ttlMs: 3000 },
      logger: silentLogger,
    });
    singletons.on('singletons:lease_lost', ({ reason }) => lost.push(reason));
    hosts.push(singletons);
    await singletons.start();
    return { singletons, wire };
  }

  it.skipIf(!engine.available)(
    'a host that cannot renew stops its jobs before the other host starts them',
    async () => {
      const timeline: Transition[] = [];
      const lost: LeaseLostReason[] = [];
      const a = await host('a', timeline, lost);
      const b = await host('b', timeline, []);
      expect([a.singletons.leading, b.singletons.leading]).toEqual([true, false]);

      a.wire.hang(); // host a's database connection stops answering
      await waitFor(() => b.singletons.leading, { timeoutMs: 30_000, what: 'host b taking over the jobs' });
      expect(a.singletons.leading).toBe(false);
      expect(timeline.map((t) => `${t.host} ${t.what}`)).toEqual(['a start', 'a stop', 'b start']);
      // Never both at once: a stopped (fenced) before b started.
      expect(timeline[2]!.at).toBeGreaterThan(timeline[1]!.at);
      expect(lost).toEqual(['not_renewed']);

      a.wire.resume(); // a's database answers again: it is a standby now
      await b.singletons.stop(); // released at once: a takes over at its next attempt
      await waitFor(() => a.singletons.leading, { timeoutMs: 30_000, what: 'host a taking the jobs back' });
    },
  );
});
