/**
 * The capacity check under the scheduler on a real database (PGlite and
 * PostgreSQL; `REQUIRE_SERVICES=1` makes PostgreSQL mandatory): two hosts
 * share the runs and the lease, the clock passes two hourly due times, and
 * each due time is sampled once — the database's size, the log's growth per
 * day, the server's connections against max_connections, and each host's
 * CPU and memory from the reports of its sampler (scripted readings) — and
 * kept as `system.capacity_checked` in the log.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { COMMERCE_EVENT_SCHEMAS } from '../../src/commerce/events/index.js';
import {
  capacityCheckSchedule,
  type CapacityCheckResult,
} from '../../src/commerce/monitoring/capacity-check.js';
import { CAPACITY_STREAM, type CapacityCheck } from '../../src/commerce/monitoring/capacity-history.js';
import {
  hostCapacitySampler,
  type HostCapacitySampler,
} from '../../src/commerce/monitoring/host-capacity-sampler.js';
import { HOST_CAPACITY_RESOURCES } from '../../src/commerce/monitoring/host-window.js';
import { createMetricsRegistry, libraryMetrics, METRIC } from '../../src/monitoring/index.js';
import { createScheduler, type Scheduler } from '../../src/scheduling/index.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';
import { GB, MINUTE, scriptedHost } from './support/scripted-host.js';

const HOUR = 3_600_000;
// Short enough to take over quickly, long enough that a loaded machine does not lose it mid-run.
const LEASE = { ttlMs: 5_000, renewIntervalMs: 1_000, acquireIntervalMs: 200 };

describe.each(sqlEngines)('the capacity check on $name', (engine) => {
  const running: Scheduler[] = [];
  const samplers: HostCapacitySampler[] = [];
  let db: TestDatabase | undefined;
  let store: EventStore | undefined;
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
    await Promise.all(samplers.splice(0).map((s) => s.stop()));
    await store?.close();
    await db?.close();
  });

  it.skipIf(!engine.available)(
    'samples real resources at each due time, once across two hosts, into the history',
    async () => {
      db = await engine.open();
      store = createEventStore({ sql: db.sql, schema: db.schema, eventTypes: COMMERCE_EVENT_SCHEMAS });
      await store.migrate();
      // The clock is now (the log's events are counted over the 24 hours before the due time).
      // Both due times on one UTC day: history is counted in days, and a first check at
      // 23:00 would put the second on the next day (the test failed from 22:00 to 23:00 UTC).
      const nextHour = Math.ceil(Date.now() / HOUR) * HOUR;
      const sameDay = (a: number, b: number) =>
        new Date(a).toISOString().slice(0, 10) === new Date(b).toISOString().slice(0, 10);
      const first = sameDay(nextHour, nextHour + HOUR) ? nextHour : nextHour + HOUR;
      let now = first - 1_000;
      for (let i = 0; i < 5; i++) {
        await store.append(
          `order-${i}`,
          [{ type: 'order.validated', data: { creatorId: 'c1', orderId: `o${i}` } }],
          {
            aggregateType: 'order',
          },
        );
      }
      // Every host samples its own process (a minute of scripted load) and reports before the due time.
      now = first - 1_000 - MINUTE;
      for (const [i, name] of ['host-a', 'host-b'].entries()) {
        const host = scriptedHost();
        const sampler = hostCapacitySampler({ host: name, probe: host.probe, now: () => now });
        samplers.push(sampler);
        sampler.start({ store });
        host.minute(0.5 + i, 0.25, (1 + i) * GB);
      }
      now = first - 1_000;
      for (const s of samplers) {
        s.sample();
        await s.report();
      }
      const registry = createMetricsRegistry();
      const metrics = libraryMetrics(registry);
      const schedule = capacityCheckSchedule({
        store,
        metrics: () => metrics,
        capacities: { diskGb: 100, eventsPerDay: 1_000_000 },
      });
      for (const owner of ['a', 'b']) {
        const s = createScheduler({
          sql: db.sql,
          schema: db.schema,
          schedules: [schedule],
          owner,
          lease: LEASE,
          now: () => now,
          pollIntervalMs: 20,
          logger: silentLogger,
        });
        running.push(s);
        await s.start();
      }
      await waitFor(() => running.some((s) => s.leading && s.status()[0]?.next?.getTime() === first), {
        what: 'a leader waiting for the due time',
      });
      const leader = () => running.find((s) => s.leading) ?? running[0]!;
      const succeeded = async (n: number) => {
        const runs = await leader().history('capacity-check', { limit: 10 });
        return runs.filter((r) => r.status === 'succeeded').length >= n;
      };

      now = first + 1_000;
      await waitFor(() => succeeded(1), { timeoutMs: 60_000, what: 'the first due time to run' });
      for (let i = 5; i < 8; i++) {
        await store.append(
          `order-${i}`,
          [{ type: 'order.validated', data: { creatorId: 'c1', orderId: `o${i}` } }],
          {
            aggregateType: 'order',
          },
        );
      }
      now = first + HOUR + 1_000;
      await waitFor(() => succeeded(2), { timeoutMs: 60_000, what: 'the second due time to run' });

      const runs = await leader().history('capacity-check', { limit: 10 });
      expect(runs.map((r) => [r.dueAt.toISOString(), r.trigger, r.status])).toEqual([
        [new Date(first + HOUR).toISOString(), 'schedule', 'succeeded'],
        [new Date(first).toISOString(), 'schedule', 'succeeded'],
      ]);
      const result = runs[1]!.result as CapacityCheckResult;
      const second = runs[0]!.result as CapacityCheckResult;
      const sample = (r: string) => result.samples.find((s) => s.resource === r);
      // Log growth needs an earlier check; an hour later: the first check's event and 3 orders, times 24.
      expect(result.skipped[0]).toEqual({
        resource: 'event_log_daily',
        reason: 'no earlier check (at least an hour old) to measure the log growth from',
      });
      expect(second.samples.find((s) => s.resource === 'event_log_daily')).toEqual({
        resource: 'event_log_daily',
        value: 4 * 24,
        capacity: 1_000_000,
      });
      expect(result.logPosition).toBe(7); // 5 orders and the two hosts' reports
      expect(sample('database_size')!.value).toBeGreaterThan(1_000_000); // a real database: megabytes
      expect(sample('database_size')!.capacity).toBe(100e9);
      const pool = {
        resource: 'pool_connections',
        reason: 'no pool measured (instrumentPool on the registry)',
      };
      if (engine.name === 'pglite') {
        expect(result.skipped.slice(1)).toEqual([
          { resource: 'db_connections', reason: 'PGlite is embedded: it has no server connections' },
          pool,
        ]);
      } else {
        const connections = sample('db_connections')!;
        expect(connections.value).toBeGreaterThanOrEqual(1); // this test's own
        expect(connections.capacity).toBeGreaterThanOrEqual(connections.value); // max_connections
        expect(result.skipped.slice(1)).toEqual([pool]);
      }
      // Each host's own figures, from its report: cores used of 2, resident memory of the 4 GB limit.
      for (const [i, host] of ['host-a', 'host-b'].entries()) {
        const own = result.samples.filter((s) => s.host === host);
        expect(own.map((s) => s.resource)).toEqual([...HOST_CAPACITY_RESOURCES]);
        expect(own.find((s) => s.resource === 'host_cpu')).toMatchObject({ value: 0.5 + i, capacity: 2 });
        expect(own.find((s) => s.resource === 'host_memory')).toMatchObject({
          value: (1 + i) * GB,
          capacity: 4 * GB,
        });
      }
      expect(registry.value(METRIC.capacityUsage, { resource: 'host_cpu', host: 'host-b' })).toBeCloseTo(
        0.75,
      );
      expect(second.waiting).toMatchObject({ 'host_memory@host-a': 1, 'host_cpu@host-b': 1 });
      // One day of history so far: sampled, not yet planned.
      expect(result.plans).toEqual([]);
      expect(second.waiting).toMatchObject({ database_size: 1, event_log_daily: 1 });

      const { events } = await store.readStream(CAPACITY_STREAM);
      const checks = events.map((e) => e.data as CapacityCheck);
      expect(events.map((e) => e.type)).toEqual(['system.capacity_checked', 'system.capacity_checked']);
      expect(checks.map((c) => c.checkedAt)).toEqual([
        new Date(first).toISOString(),
        new Date(first + HOUR).toISOString(),
      ]);
      expect(registry.value(METRIC.capacityUsage, { resource: 'event_log_daily' })).toBeCloseTo(96e-6);
    },
    150_000,
  );
});
