/**
 * The hosts' acknowledge route logic: 204 for an alert of the caller's
 * scope, also on a host that is not the evaluator and started before the
 * alert existed; 403 outside the scope; 404 for no active alert.
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

    const stranger = { userId: 'u2', tenantIds: ['creator-2'] };
    expect(await other.alerts.acknowledge(stranger, fingerprint)).toMatchObject({ status: 403 });
    const operator = { userId: 'u1', tenantIds: ['creator-1'] };
    expect(await other.alerts.acknowledge(operator, 'no-such-alert')).toMatchObject({ status: 404 });
    expect(await other.alerts.acknowledge(operator, fingerprint)).toEqual({ status: 204, body: null });
    await evaluator.alerts.alerting.tick();
    expect(evaluator.alerts.alerting.view().active[0]!.acknowledged).toMatchObject({ by: 'u1' });
    await store.close();
  });
});
