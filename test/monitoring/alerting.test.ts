import { afterEach, describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore } from '../../src/store/types.js';
import {
  createAlerting,
  createMetricsRegistry,
  defineAlertRules,
  DEFAULT_ALERT_RULES,
  InvalidAlertConfigError,
  libraryMetrics,
  SPEC_ESCALATION_MATRIX,
  type AlertingOptions,
  type Notification,
  type NotificationChannel,
} from '../../src/monitoring/index.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

const MIN = 60_000;
// Monday 2026-11-30 10:00 in Berlin (09:00 UTC): business hours.
const MONDAY_10 = Date.parse('2026-11-30T09:00:00Z');

const contacts = {
  team_lead: { addresses: { sms: '+49-lead', slack: 'lead-hook', email: 'lead@x', phone: '+49-lead' } },
  on_call_engineer: {
    addresses: { sms: '+49-oncall', slack: 'oncall-hook', phone: '+49-oncall', email: 'oncall@x' },
  },
  backup_engineer: { addresses: { sms: '+49-backup', phone: '+49-backup' } },
  development_team: { addresses: { email: 'dev@x', slack: 'dev-hook' } },
};

function recorder(kinds: string[]) {
  const sent: Notification[] = [];
  const channels: NotificationChannel[] = kinds.map((kind) => ({
    kind,
    send: async (n) => void sent.push({ ...n, address: `${kind}:${n.address}` }),
  }));
  return { sent, channels };
}

describe.each(sqlEngines)('alerting on $name', (engine) => {
  let db: TestDatabase | undefined;
  let store: EventStore | undefined;
  afterEach(async () => {
    await store?.close();
    await db?.close();
  });

  it.skipIf(!engine.available)(
    'fires system_down after 2 minutes, notifies per the matrix, escalates, survives a restart without notifying twice, resolves',
    async () => {
      db = await engine.open();
      store = createEventStore({ sql: db.sql, schema: db.schema });
      await store.migrate();
      const registry = createMetricsRegistry();
      const m = libraryMetrics(registry);
      let clock = MONDAY_10;
      const { sent, channels } = recorder(['sms', 'phone', 'slack', 'email', 'dashboard', 'mobile_push']);
      const options: AlertingOptions = {
        registry,
        now: () => clock,
        intervalMs: 0,
        route: {
          receiver: 'team',
          groupBy: ['alertname'],
          groupWaitMs: 0,
          groupIntervalMs: MIN,
          repeatIntervalMs: 60 * MIN,
        },
        receivers: {
          team: {
            timeZone: 'Europe/Berlin',
            matrix: SPEC_ESCALATION_MATRIX,
            escalateAfterMs: 5 * MIN,
            contacts,
          },
        },
        channels,
      };
      let alerting = createAlerting(options);
      await alerting.start({ store });
      m.up.set(undefined, 0);
      expect((await alerting.tick()).transitions.map((e) => e.type)).toEqual(['alert.pending']);
      clock += MIN;
      await alerting.tick();
      expect(sent).toHaveLength(0);
      clock += MIN; // 2 minutes down: fires, and the team lead hears first (business hours)
      const fired = await alerting.tick();
      expect(fired.transitions.map((e) => e.type)).toEqual(['alert.fired']);
      expect(sent.map((n) => n.address).sort()).toEqual([
        'phone:+49-lead',
        'slack:lead-hook',
        'sms:+49-lead',
      ]);
      expect(sent[0]!.text).toMatch(/\[CRITICAL\] system_down/);

      // A restart: a new runtime rebuilds the firing alert and the notice from the log.
      alerting.stop();
      alerting = createAlerting(options);
      await alerting.start({ store });
      expect(alerting.view().active.map((a) => [a.rule, a.state])).toEqual([['system_down', 'firing']]);
      clock += MIN;
      expect((await alerting.tick()).notifications).toHaveLength(0); // not twice
      expect(sent).toHaveLength(3);

      clock += 4 * MIN; // 5 minutes unacknowledged: the on-call engineer
      const escalated = await alerting.tick();
      expect(escalated.notifications.map((n) => [n.reason, n.level, n.recipients])).toEqual([
        ['escalated', 1, ['on_call_engineer']],
      ]);
      const fp = alerting.view().active[0]!.fingerprint;
      await alerting.acknowledge(fp, 'oncall');
      clock += 120 * MIN; // acknowledged: no repeat, no further escalation
      expect((await alerting.tick()).notifications).toHaveLength(0);

      m.up.set(undefined, 1);
      clock += MIN;
      const resolved = await alerting.tick();
      expect(resolved.transitions.map((e) => e.type)).toEqual(['alert.resolved']);
      // The last notice is older than the group interval: the resolution goes out at once, to the level reached.
      expect(resolved.notifications.map((n) => [n.reason, n.recipients])).toEqual([
        ['resolved', ['on_call_engineer']],
      ]);
      clock += MIN;
      expect((await alerting.tick()).notifications).toHaveLength(0);
      expect(alerting.view().resolved[0]?.rule).toBe('system_down');
      const { events } = await store.readStream('monitoring-alerts');
      expect(events.map((e) => e.type)).toContain('alert.acknowledged');
    },
  );

  it.skipIf(!engine.available)(
    'with a lease, only its holder evaluates; another takes over once it expired',
    async () => {
      db = await engine.open();
      store = createEventStore({ sql: db.sql, schema: db.schema });
      await store.migrate();
      const registry = createMetricsRegistry();
      libraryMetrics(registry).up.set(undefined, 0);
      const { channels } = recorder(['sms', 'phone', 'slack']);
      const options = (owner: string): AlertingOptions => ({
        registry,
        now: () => MONDAY_10,
        intervalMs: 0,
        // Long enough that no pause of a loaded machine expires it by itself:
        // the test expires it below, as a dead holder's lease would.
        lease: { owner, ttlMs: 60_000 },
        rules: DEFAULT_ALERT_RULES.filter((r) => r.name === 'system_down').map((r) => ({ ...r, forMs: 0 })),
        route: { receiver: 'team', groupWaitMs: 0 },
        receivers: {
          team: { timeZone: 'UTC', matrix: SPEC_ESCALATION_MATRIX, escalateAfterMs: 5 * MIN, contacts },
        },
        channels,
      });
      const a = createAlerting(options('host-a'));
      const b = createAlerting(options('host-b'));
      await a.start({ store });
      await b.start({ store });
      expect((await a.tick()).owned).toBe(true);
      expect(await b.tick()).toEqual({ transitions: [], notifications: [], owned: false });
      // host-a stops renewing (it died) and its lease runs out: host-b takes over.
      await db.sql.query(
        `UPDATE ${db.schema}.leases SET expires_at = now() - interval '1 second' WHERE name = $1`,
        ['monitoring:alerting'],
      );
      await waitFor(async () => (await b.tick()).owned, { what: 'host-b to take the lease' });
      expect((await a.tick()).owned).toBe(false);
    },
  );

  it.skipIf(!engine.available)(
    'a lease without an owner is held under the process owner id: one of two evaluators owns it',
    async () => {
      db = await engine.open();
      store = createEventStore({ sql: db.sql, schema: db.schema });
      await store.migrate();
      const registry = createMetricsRegistry();
      const options: AlertingOptions = {
        registry,
        now: () => MONDAY_10,
        intervalMs: 0,
        lease: { ttlMs: 60_000 },
        route: { receiver: 'team', groupWaitMs: 0 },
        receivers: {
          team: { timeZone: 'UTC', matrix: SPEC_ESCALATION_MATRIX, escalateAfterMs: 5 * MIN, contacts },
        },
        channels: recorder(['sms', 'phone', 'slack']).channels,
      };
      const a = createAlerting(options);
      const b = createAlerting(options);
      await a.start({ store });
      await b.start({ store });
      expect((await a.tick()).owned).toBe(true);
      expect((await b.tick()).owned).toBe(false);
      expect((await a.tick()).owned).toBe(true);
      const { rows } = await db.sql.query<{ owner: string }>(
        `SELECT owner FROM ${db.schema}.leases WHERE name = $1`,
        ['monitoring:alerting'],
      );
      expect(rows[0]?.owner).toMatch(new RegExp(`^${hostname()}:${process.pid}:[0-9a-f]{8}$`));
    },
  );

  it.skipIf(!engine.available)('two evaluators on one log: only one records each transition', async () => {
    db = await engine.open();
    store = createEventStore({ sql: db.sql, schema: db.schema });
    await store.migrate();
    const registry = createMetricsRegistry();
    libraryMetrics(registry).up.set(undefined, 0);
    const { channels } = recorder(['sms', 'phone', 'slack']);
    const options: AlertingOptions = {
      registry,
      now: () => MONDAY_10,
      intervalMs: 0,
      rules: DEFAULT_ALERT_RULES.filter((r) => r.name === 'system_down').map((r) => ({ ...r, forMs: 0 })),
      route: { receiver: 'team', groupWaitMs: 0 },
      receivers: {
        team: { timeZone: 'UTC', matrix: SPEC_ESCALATION_MATRIX, escalateAfterMs: 5 * MIN, contacts },
      },
      channels,
    };
    const a = createAlerting(options);
    const b = createAlerting(options);
    await a.start({ store });
    await b.start({ store });
    const results = await Promise.all([a.tick(), b.tick()]);
    const { events } = await store.readStream('monitoring-alerts');
    expect(events.filter((e) => e.type === 'alert.fired')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'alert.notified')).toHaveLength(1);
    expect(results.filter((r) => r.owned && r.transitions.length > 0)).toHaveLength(1);
  });
});

describe('rules and actions', () => {
  it('refuses bad rules, unknown receivers and roles without contacts, changing nothing', () => {
    expect(() =>
      defineAlertRules([
        {
          name: 'x',
          severity: 'warning',
          signal: { kind: 'value', of: { metric: 'm' } },
          condition: { op: '>', threshold: 1, clearAt: 2 },
        },
      ]),
    ).toThrow(/healthy side/);
    expect(() => defineAlertRules([DEFAULT_ALERT_RULES[0]!, DEFAULT_ALERT_RULES[0]!])).toThrow(
      InvalidAlertConfigError,
    );
    const base = { registry: createMetricsRegistry(), channels: [] };
    expect(() => createAlerting({ ...base, route: { receiver: 'nobody' }, receivers: {} })).toThrow(
      /unknown receivers: nobody/,
    );
    expect(() =>
      createAlerting({
        ...base,
        route: { receiver: 'team' },
        receivers: {
          team: { timeZone: 'UTC', matrix: SPEC_ESCALATION_MATRIX, escalateAfterMs: MIN, contacts: {} },
        },
      }),
    ).toThrow(/has no contact/);
  });

  it('uses hysteresis, runs automatic actions and audits them, and a failing channel is a dead letter', async () => {
    const store = createEventStore();
    await store.migrate();
    const registry = createMetricsRegistry();
    const m = libraryMetrics(registry);
    let clock = MONDAY_10;
    const actions: string[] = [];
    const alerting = createAlerting({
      registry,
      now: () => clock,
      intervalMs: 0,
      route: { receiver: 'team', groupWaitMs: 0, groupIntervalMs: MIN },
      receivers: {
        team: {
          timeZone: 'Europe/Berlin',
          matrix: SPEC_ESCALATION_MATRIX,
          escalateAfterMs: 5 * MIN,
          contacts,
        },
      },
      channels: [{ kind: 'email', send: async () => Promise.reject(new Error('smtp down')) }],
      actions: {
        stop_affected_processes: (a) => void actions.push(`stop ${a.rule}`),
        backup_current_state: () => Promise.reject(new Error('no disk')),
      },
    });
    await alerting.start({ store });
    const pool = { inUse: 9 };
    registry.onCollect(() => {
      m.poolConnections.set({ state: 'in_use' }, pool.inUse);
      m.poolMax.set(undefined, 10);
    });
    m.consistencyChecks.inc({ check: 'stock', result: 'ok' });
    await alerting.tick();
    m.consistencyChecks.inc({ check: 'stock', result: 'failed' });
    clock += MIN;
    await alerting.tick();
    expect(actions).toEqual(['stop data_corruption']);
    const { events } = await store.readStream('monitoring-alerts');
    const audit = events.filter((e) => e.type === 'alert.action_executed').map((e) => e.data);
    expect(audit).toMatchObject([
      { action: 'stop_affected_processes', ok: true },
      { action: 'backup_current_state', ok: false, error: 'no disk' },
    ]);
    const failed = events
      .filter((e) => e.type === 'alert.notification_failed')
      .map((e) => e.data as { channel: string; error: string });
    expect(failed.map((f) => `${f.channel}: ${f.error}`).sort()).toEqual([
      'email: smtp down',
      'slack: no channel of kind slack',
    ]);
    // Capacity: pending at 90 %, fires after 5 minutes, holds at 75 % (hysteresis), clears below 70 %.
    const capacity = () => alerting.view().active.find((a) => a.rule === 'capacity_warning')?.state;
    clock += 5 * MIN;
    await alerting.tick();
    expect(capacity()).toBe('firing');
    pool.inUse = 7.5;
    clock += MIN;
    await alerting.tick();
    expect(capacity()).toBe('firing');
    pool.inUse = 6;
    clock += MIN;
    await alerting.tick();
    expect(capacity()).toBeUndefined();
    await store.close();
  });
});
