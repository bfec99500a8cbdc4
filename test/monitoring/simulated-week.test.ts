/**
 * A week on a fake clock in the team's time zone (Europe/Berlin), minute by
 * minute, with a restart in the middle of an escalation: the notifications
 * must match the specification's escalation matrix exactly.
 */
import { describe, expect, it } from 'vitest';
import { createEventStore } from '../../src/store/create-event-store.js';
import {
  createAlerting,
  createMetricsRegistry,
  libraryMetrics,
  SPEC_ESCALATION_MATRIX,
  type Alerting,
  type AlertingOptions,
  type NotificationChannel,
} from '../../src/monitoring/index.js';

const MIN = 60_000;
// Berlin is UTC+1 in December: local time = UTC + 1 h.
const berlin = (day: string, hhmm: string) => Date.parse(`${day}T${hhmm}:00+01:00`);

describe('a simulated week', () => {
  it('notifies per the escalation matrix across business hours, nights and a weekend, through a restart', async () => {
    const store = createEventStore();
    await store.migrate();
    const registry = createMetricsRegistry();
    const m = libraryMetrics(registry);
    const pool = { inUse: 2 };
    registry.onCollect(() => {
      m.poolConnections.set({ state: 'in_use' }, pool.inUse);
      m.poolMax.set(undefined, 10);
    });
    m.up.set(undefined, 1);
    let clock = berlin('2026-11-30', '00:00'); // Monday
    const log: string[] = [];
    const kinds = ['sms', 'phone', 'email', 'slack', 'dashboard', 'mobile_push'];
    const channels: NotificationChannel[] = kinds.map((kind) => ({
      kind,
      send: async (n) => {
        const local = new Date(clock + 60 * MIN).toISOString().slice(0, 16).replace('T', ' ');
        log.push(`${local} ${n.reason} ${n.alerts[0]?.rule ?? 'resolved'} → ${n.recipient} ${kind}`);
      },
    }));
    const options: AlertingOptions = {
      registry,
      now: () => clock,
      intervalMs: 0,
      route: { receiver: 'team', groupWaitMs: 0, groupIntervalMs: 5 * MIN, repeatIntervalMs: 24 * 60 * MIN },
      receivers: {
        team: {
          timeZone: 'Europe/Berlin',
          matrix: SPEC_ESCALATION_MATRIX,
          escalateAfterMs: 5 * MIN,
          contacts: {
            team_lead: { addresses: { sms: 'lead', phone: 'lead', slack: 'lead' } },
            on_call_engineer: { addresses: { sms: 'oncall', phone: 'oncall', email: 'oncall' } },
            backup_engineer: { addresses: { sms: 'backup' } },
            development_team: { addresses: { email: 'dev' } },
          },
        },
      },
      channels,
    };
    let alerting: Alerting = createAlerting(options);
    await alerting.start({ store });
    const script = new Map<number, () => Promise<void> | void>([
      [berlin('2026-11-30', '10:00'), () => m.up.set(undefined, 0)],
      [
        berlin('2026-11-30', '10:04'),
        async () => {
          alerting.stop(); // a restart in the middle of the escalation
          alerting = createAlerting(options);
          await alerting.start({ store });
        },
      ],
      [
        berlin('2026-11-30', '10:10'),
        () => alerting.acknowledge(alerting.view().active[0]!.fingerprint, 'oncall'),
      ],
      [berlin('2026-11-30', '10:30'), () => m.up.set(undefined, 1)],
      [berlin('2026-12-01', '22:00'), () => void (pool.inUse = 9)],
      [berlin('2026-12-01', '22:30'), () => void (pool.inUse = 5)],
      [berlin('2026-12-05', '12:00'), () => m.stockoutsPredicted.set({ creator: 'c1' }, 2)],
      [berlin('2026-12-05', '14:00'), () => m.up.set(undefined, 0)],
      [berlin('2026-12-05', '15:00'), () => m.up.set(undefined, 1)],
    ]);
    const end = berlin('2026-12-07', '10:00');
    for (; clock <= end; clock += MIN) {
      await script.get(clock)?.();
      await alerting.tick();
    }
    expect(log.sort()).toEqual(
      [
        // Monday, business hours: the team lead first, the on-call engineer 5 minutes later
        // (the restart at 10:04 neither repeats nor forgets it), acknowledged at 10:10.
        '2026-11-30 10:02 first system_down → team_lead sms',
        '2026-11-30 10:02 first system_down → team_lead phone',
        '2026-11-30 10:02 first system_down → team_lead slack',
        '2026-11-30 10:07 escalated system_down → on_call_engineer sms',
        '2026-11-30 10:07 escalated system_down → on_call_engineer phone',
        '2026-11-30 10:30 resolved resolved → on_call_engineer sms',
        '2026-11-30 10:30 resolved resolved → on_call_engineer email',
        // Tuesday night: a warning goes to the on-call engineer by email.
        '2026-12-01 22:05 first capacity_warning → on_call_engineer email',
        '2026-12-01 22:30 resolved resolved → on_call_engineer email',
        // Saturday: a critical reaches the on-call engineer only (no second level on weekends).
        '2026-12-05 14:02 first system_down → on_call_engineer sms',
        '2026-12-05 14:02 first system_down → on_call_engineer phone',
        '2026-12-05 15:00 resolved resolved → on_call_engineer sms',
        '2026-12-05 15:00 resolved resolved → on_call_engineer email',
        // The weekend's warning was held and goes to the development team on Monday at 9.
        '2026-12-07 09:00 first stockout_predicted → development_team email',
      ].sort(),
    );
    alerting.stop();
    await store.close();
  }, 120_000);
});
