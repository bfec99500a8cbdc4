/**
 * The example hosts' singleton jobs under one lease (the library's defaults,
 * shortened here): exactly one host runs them; a host whose lease statements
 * stop getting through stops its jobs itself, and the other host starts them
 * only after that, once the lease has expired.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineWorker } from '../../src/engine.js';
import { migrateProcessing } from '../../src/processing/index.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import { createHostLog } from '../../examples/shared/host-log.js';
import { singletonWorkers, type SingletonWorkers } from '../../examples/shared/singleton-workers.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { hangingSql, type HangingSql } from '../support/hanging-sql.js';
import { waitFor } from '../support/wait.js';

interface Transition {
  host: string;
  what: 'start' | 'stop';
  at: number;
}

describe.each(sqlEngines)('singleton jobs on $name', (engine) => {
  let db: TestDatabase;
  const hosts: SingletonWorkers[] = [];
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
  async function host(id: string, timeline: Transition[], logs: string[]) {
    const wire = hangingSql(db.sql, /\.leases\b/);
    wires.push(wire);
    const job: EngineWorker = {
      name: 'job',
      start: () => void timeline.push({ host: id, what: 'start', at: performance.now() }),
      stop: () => void timeline.push({ host: id, what: 'stop', at: performance.now() }),
    };
    const singletons = singletonWorkers({
      name: 'host:singletons',
      owner: id,
      workers: [job],
      log: createHostLog(id, (line) => logs.push(line)),
      ttlMs: 3000,
    });
    hosts.push(singletons);
    await singletons.start({ store: createEventStore(), sql: wire.sql, schema: db.schema });
    return { singletons, wire };
  }

  it.skipIf(!engine.available)(
    'a host that cannot renew stops its jobs before the other host starts them',
    async () => {
      const timeline: Transition[] = [];
      const logs: string[] = [];
      const a = await host('a', timeline, logs);
      const b = await host('b', timeline, logs);
      expect([a.singletons.leader, b.singletons.leader]).toEqual([true, false]);

      a.wire.hang(); // host a's database connection stops answering
      await waitFor(() => b.singletons.leader, { timeoutMs: 30_000, what: 'host b taking over the jobs' });
      expect(a.singletons.leader).toBe(false);
      expect(timeline.map((t) => `${t.host} ${t.what}`)).toEqual(['a start', 'a stop', 'b start']);
      // Never both at once: a stopped (fenced) before b started.
      expect(timeline[2]!.at).toBeGreaterThan(timeline[1]!.at);
      expect(logs.some((l) => /\[a\] warn singletons: lease not renewed for 2000 ms/.test(l))).toBe(true);

      a.wire.resume(); // a's database answers again: it is a standby now
      await b.singletons.stop(); // released at once: a takes over at its next attempt
      await waitFor(() => a.singletons.leader, { timeoutMs: 30_000, what: 'host a taking the jobs back' });
    },
  );
});
