/**
 * The hosts' acknowledge route logic: 200 with the acknowledgement for an
 * admin, also on a host that is not the evaluator and started before the
 * alert existed, and the same answer (`duplicate`) to a retry; problem+json
 * 401 without an identity, 403 for a creator or a service key of another
 * creator, 404 `ALERT_NOT_FOUND` for no such alert (also once its pending
 * breach cleared). `ALERT_RESOLVED` is shown in test/monitoring/acknowledge-alert.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { hostAlerting } from '../../examples/shared/host-alerting.js';
import { createHostLog } from '../../examples/shared/host-log.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import {
  createMetricsRegistry,
  DEFAULT_ALERT_RULES,
  libraryMetrics,
  type Alerting,
} from '../../src/monitoring/index.js';

describe('host alerting', () => {
  const started: Alerting[] = [];
  afterEach(() => {
    for (const a of started.splice(0)) a.stop();
  });

  it('acknowledges for the scope only, on any host', async () => {
    const store = createEventStore();
    await store.migrate();
    const log = createHostLog('test', () => undefined);
    const open = async (owner: string) => {
      const registry = createMetricsRegistry();
      const rules = DEFAULT_ALERT_RULES.filter((r) => r.name === 'system_down');
      const alerts = hostAlerting({ registry, log, owner, rules, intervalMs: 0 }, 'creator-1');
      await alerts.alerting.start({ store });
      started.push(alerts.alerting);
      return { alerts, registry };
    };
    const evaluator = await open('a');
    const other = await open('b'); // started before the alert exists; never evaluates
    libraryMetrics(evaluator.registry).up.set(undefined, 0);
    await evaluator.alerts.alerting.tick();
    const fingerprint = evaluator.alerts.alerting.view().active[0]!.fingerprint;

    const problem = (res: { status: number; headers: Record<string, string>; body: string }) => ({
      status: res.status,
      type: res.headers['content-type'],
      code: (JSON.parse(res.body) as { code: string }).code,
    });
    const json = 'application/problem+json';
    expect(problem(await other.alerts.acknowledge(null, fingerprint))).toEqual({
      status: 401,
      type: json,
      code: 'UNAUTHENTICATED',
    });
    // A creator (even of the alerts' scope) may not acknowledge; neither may another creator's service key.
    const creator = { userId: 'u1', tenantIds: ['creator-1'], roles: ['creator'] };
    expect(problem(await other.alerts.acknowledge(creator, fingerprint))).toEqual({
      status: 403,
      type: json,
      code: 'FORBIDDEN',
    });
    const foreignKey = { userId: 'service:x', tenantIds: ['creator-2'], roles: ['service'] };
    expect(problem(await other.alerts.acknowledge(foreignKey, fingerprint))).toEqual({
      status: 403,
      type: json,
      code: 'FORBIDDEN',
    });
    const admin = { userId: 'ops', tenantIds: [], roles: ['admin'] };
    expect(problem(await other.alerts.acknowledge(admin, 'no-such-alert'))).toEqual({
      status: 404,
      type: json,
      code: 'ALERT_NOT_FOUND',
    });
    const answer = (res: { status: number; body: string }) => ({
      status: res.status,
      ...(JSON.parse(res.body) as Record<string, unknown>),
    });
    const first = answer(await other.alerts.acknowledge(admin, fingerprint));
    expect(first).toEqual({
      status: 200,
      fingerprint,
      acknowledgedBy: 'ops',
      acknowledgedAt: expect.any(String),
      duplicate: false,
    });
    // A retry (or another admin) is answered the first acknowledgement and records nothing.
    const otherAdmin = { ...admin, userId: 'ops-2' };
    expect(answer(await evaluator.alerts.acknowledge(otherAdmin, fingerprint))).toEqual({
      ...first,
      duplicate: true,
    });
    await evaluator.alerts.alerting.tick();
    expect(evaluator.alerts.alerting.view().active[0]!.acknowledged).toMatchObject({ by: 'ops' });
    const { events } = await store.readStream('monitoring-alerts');
    expect(events.filter((e) => e.type === 'alert.acknowledged')).toHaveLength(1);
    // Up again while still pending (the rule's `for` has not passed): the breach cleared, no such alert.
    libraryMetrics(evaluator.registry).up.set(undefined, 1);
    await evaluator.alerts.alerting.tick();
    expect(problem(await other.alerts.acknowledge(admin, fingerprint))).toEqual({
      status: 404,
      type: json,
      code: 'ALERT_NOT_FOUND',
    });
    await store.close();
  });
});
