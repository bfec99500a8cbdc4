/**
 * The default rule `capacity_predicted` alone, evaluated once on a registry
 * (weekday business hours: the development team's email and dashboard), for
 * the capacity tests: what fired, with which labels, and who was told.
 */
import type { EventStore } from '../../../src/store/types.js';
import {
  DEFAULT_ALERT_RULES,
  SPEC_ESCALATION_MATRIX,
  createAlerting,
  type MetricsRegistry,
  type NotificationChannel,
} from '../../../src/monitoring/index.js';

/** One evaluation of `capacity_predicted`: the transitions' types and labels, and the addresses notified. */
export async function evaluateCapacityAlert(
  registry: MetricsRegistry,
  store: EventStore,
): Promise<{ transitions: [string, Record<string, string> | undefined][]; sent: string[] }> {
  const sent: string[] = [];
  const channels: NotificationChannel[] = ['email', 'dashboard'].map((kind) => ({
    kind,
    send: async (n) => void sent.push(`${kind}:${n.address}`),
  }));
  const alerting = createAlerting({
    registry,
    now: () => Date.parse('2026-11-30T09:00:00Z'),
    intervalMs: 0,
    rules: DEFAULT_ALERT_RULES.filter((r) => r.name === 'capacity_predicted'),
    route: { receiver: 'team', groupWaitMs: 0 },
    receivers: {
      team: {
        timeZone: 'UTC',
        matrix: SPEC_ESCALATION_MATRIX,
        escalateAfterMs: 3_600_000,
        contacts: {
          team_lead: { addresses: { email: 'lead@x' } },
          on_call_engineer: { addresses: { email: 'oncall@x' } },
          backup_engineer: { addresses: { email: 'backup@x' } },
          development_team: { addresses: { email: 'dev@x', dashboard: 'ops' } },
        },
      },
    },
    channels,
  });
  await alerting.start({ store });
  try {
    const tick = await alerting.tick();
    return {
      transitions: tick.transitions.map((e) => [
        e.type,
        (e.data as { labels?: Record<string, string> }).labels,
      ]),
      sent: sent.sort(),
    };
  } finally {
    alerting.stop();
  }
}
