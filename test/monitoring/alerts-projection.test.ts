/**
 * The alerts read model folds the alert state events the alerting runtime
 * writes: pending, cleared (row gone), firing with who was notified,
 * escalated, acknowledged, resolved; re-pending after a resolution starts a
 * fresh life. A rebuild from the log equals the live table. In memory, on
 * PGlite and on PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProjection, type Projection } from '../../src/processing/index.js';
import {
  alertsProjection,
  createAlerting,
  createMetricsRegistry,
  defineAlertRules,
  DEFAULT_ALERT_RULES,
  libraryMetrics,
  SPEC_ESCALATION_MATRIX,
  type Alerting,
  type AlertRow,
  type NotificationChannel,
} from '../../src/monitoring/index.js';
import { storeEngines, type TestStore } from '../processing/support.js';

const MIN = 60_000;
// Monday 2026-11-30 10:00 in Berlin: business hours.
const MONDAY_10 = Date.parse('2026-11-30T09:00:00Z');
const contacts = {
  team_lead: { addresses: { sms: '+49-lead', slack: 'lead-hook', phone: '+49-lead' } },
  on_call_engineer: { addresses: { sms: '+49-oncall', phone: '+49-oncall' } },
  backup_engineer: { addresses: { sms: '+49-backup' } },
  development_team: { addresses: { slack: 'dev-hook' } },
};
const channels: NotificationChannel[] = ['sms', 'phone', 'slack'].map((kind) => ({
  kind,
  send: async () => undefined,
}));

/** Rows as JSON (SQL reads timestamps back as Date), by fingerprint. */
const plain = (rows: readonly AlertRow[]) =>
  (JSON.parse(JSON.stringify(rows)) as AlertRow[]).sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
const at = (ms: number) => new Date(ms).toISOString();

describe.each(storeEngines)('alerts read model on $name', (engine) => {
  let t: TestStore;
  let projection: Projection<AlertRow> | undefined;
  let alerting: Alerting | undefined;
  beforeEach(async () => {
    if (engine.available) t = await engine.open();
  });
  afterEach(async () => {
    alerting?.stop();
    await projection?.stop();
    if (engine.available) await t.close();
  });

  it.skipIf(!engine.available)(
    'folds every state transition and the notifications; a rebuild equals the live table',
    async () => {
      const registry = createMetricsRegistry();
      const m = libraryMetrics(registry);
      let clock = MONDAY_10;
      alerting = createAlerting({
        registry,
        rules: defineAlertRules(DEFAULT_ALERT_RULES.filter((r) => r.name === 'system_down')),
        now: () => clock,
        intervalMs: 0,
        route: { receiver: 'team', groupBy: ['alertname'], groupWaitMs: 0, groupIntervalMs: MIN },
        receivers: {
          team: {
            timeZone: 'Europe/Berlin',
            matrix: SPEC_ESCALATION_MATRIX,
            escalateAfterMs: 5 * MIN,
            contacts,
          },
        },
        channels,
      });
      projection = createProjection({ store: t.store, definition: alertsProjection({ scope: 'ops' }) });
      await projection.start();
      await alerting.start({ store: t.store });
      const rows = async () => {
        await projection!.whenCaughtUp({ timeoutMs: 20_000 });
        return plain(await projection!.rows());
      };

      // Down: pending. Up again within 2 minutes: cleared, and the row is gone.
      m.up.set(undefined, 0);
      await alerting.tick();
      const [pending] = await rows();
      expect(pending).toMatchObject({
        scope: 'ops',
        rule: 'system_down',
        severity: 'critical',
        state: 'pending',
        value: 0,
        since: at(clock),
        active_at: at(clock),
        fired_at: null,
        level: null,
        recipients: [],
      });
      expect(pending!.labels).toMatchObject({ alertname: 'system_down', component: 'system' });
      clock += MIN;
      m.up.set(undefined, 1);
      await alerting.tick();
      expect(await rows()).toEqual([]);

      // Down for 2 minutes: firing, and the team lead was notified (business hours).
      m.up.set(undefined, 0);
      await alerting.tick();
      const downAt = clock;
      clock += 2 * MIN;
      await alerting.tick();
      expect(await rows()).toEqual([
        expect.objectContaining({
          state: 'firing',
          since: at(clock),
          active_at: at(downAt),
          fired_at: at(clock),
          level: 0,
          notified_at: at(clock),
          recipients: ['team_lead'],
          channels: expect.arrayContaining(['sms', 'phone', 'slack']),
          acknowledged_by: null,
        }),
      ]);
      const firedAt = clock;

      // Unacknowledged for 5 minutes: escalated to the on-call engineer.
      clock += 5 * MIN;
      await alerting.tick();
      expect((await rows())[0]).toMatchObject({
        state: 'firing',
        since: at(firedAt),
        level: 1,
        notified_at: at(clock),
        recipients: ['on_call_engineer'],
      });

      // Acknowledged, then resolved.
      const fingerprint = alerting.view().active[0]!.fingerprint;
      clock += MIN;
      await alerting.acknowledge(fingerprint, 'oncall');
      expect((await rows())[0]).toMatchObject({
        fingerprint,
        state: 'acknowledged',
        since: at(clock),
        acknowledged_by: 'oncall',
        acknowledged_at: at(clock),
      });
      clock += MIN;
      m.up.set(undefined, 1);
      await alerting.tick();
      expect((await rows())[0]).toMatchObject({
        state: 'resolved',
        since: at(clock),
        resolved_at: at(clock),
        acknowledged_by: 'oncall',
      });

      // Down again: a new life, nothing carried over from the last one.
      clock += MIN;
      m.up.set(undefined, 0);
      await alerting.tick();
      expect((await rows())[0]).toMatchObject({
        state: 'pending',
        since: at(clock),
        resolved_at: null,
        acknowledged_by: null,
        level: null,
        recipients: [],
      });

      const live = await rows();
      await projection.rebuild();
      expect(plain(await projection.rows())).toEqual(live);
    },
    60_000,
  );
});
