/**
 * HTTP channels: a generic JSON webhook, Slack incoming webhooks, and a sink
 * pushing to a real Alertmanager's API for teams that already run one.
 */
import type { Notification, NotificationChannel } from './notification-channel.js';

type Fetch = typeof fetch;

async function post(fetchFn: Fetch, url: string, body: unknown, timeoutMs: number): Promise<void> {
  const res = await fetchFn(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
}

/**
 * Options of the HTTP channels.
 *
 * @example
 * ```ts
 * const slack = slackChannel({ timeoutMs: 2_000 });
 * const hook = webhookChannel({ fetch: proxiedFetch, timeoutMs: 10_000 });
 * ```
 */
export interface HttpChannelOptions {
  fetch?: Fetch;
  /** Default 5000 ms. */
  timeoutMs?: number;
}

const alertJson = (alerts: Notification['alerts']) =>
  alerts.map((a) => ({
    fingerprint: a.fingerprint,
    labels: a.labels,
    annotations: a.annotations,
    value: a.value,
    activeAt: new Date(a.activeAt).toISOString(),
    acknowledged: a.acknowledged,
  }));

/**
 * POST every notification as JSON to the contact's address (a URL).
 *
 * @example
 * ```ts
 * const hook = webhookChannel(); // contacts: { ops: { addresses: { webhook: 'https://ops.example/hook' } } }
 * ```
 */
export function webhookChannel(options: HttpChannelOptions & { kind?: string } = {}): NotificationChannel {
  const fetchFn = options.fetch ?? fetch;
  return {
    kind: options.kind ?? 'webhook',
    send: (n) =>
      post(
        fetchFn,
        n.address,
        {
          groupKey: n.groupKey,
          groupLabels: n.groupLabels,
          status: n.resolved ? 'resolved' : 'firing',
          severity: n.severity,
          level: n.level,
          reason: n.reason,
          recipient: n.recipient,
          text: n.text,
          alerts: alertJson(n.alerts),
          resolvedAlerts: alertJson(n.resolvedAlerts),
        },
        options.timeoutMs ?? 5000,
      ),
  };
}

/**
 * Slack incoming webhook (the address is the hook URL); messages of one group
 * carry its key so a bot can thread them.
 *
 * @example
 * ```ts
 * const slack = slackChannel(); // contacts: { team_lead: { addresses: { slack: 'https://hooks.slack.com/services/…' } } }
 * ```
 */
export function slackChannel(options: HttpChannelOptions = {}): NotificationChannel {
  const fetchFn = options.fetch ?? fetch;
  return {
    kind: 'slack',
    send: (n) =>
      post(
        fetchFn,
        n.address,
        { text: n.text, metadata: { event_type: 'creatorflow_alert', event_payload: { group: n.groupKey } } },
        options.timeoutMs ?? 5000,
      ),
  };
}

/**
 * Push alerts to an Alertmanager (`POST /api/v2/alerts` at the address, e.g.
 * `http://alertmanager:9093`): firing alerts with `startsAt`, resolved ones
 * with `endsAt`, so its own routing, silences and receivers take over.
 *
 * @example
 * ```ts
 * const am = alertmanagerSink(); // contacts: { ops: { addresses: { alertmanager: 'http://127.0.0.1:9093' } } }
 * ```
 */
export function alertmanagerSink(options: HttpChannelOptions = {}): NotificationChannel {
  const fetchFn = options.fetch ?? fetch;
  return {
    kind: 'alertmanager',
    async send(n) {
      const iso = (t: number | null) => new Date(t ?? Date.now()).toISOString();
      // Alertmanager identifies an alert by its labels: resolved ones are ended with `endsAt`.
      const body = [
        ...n.alerts.map((a) => ({
          labels: a.labels,
          annotations: a.annotations,
          startsAt: iso(a.firedAt ?? a.activeAt),
        })),
        ...n.resolvedAlerts.map((a) => ({
          labels: a.labels,
          annotations: a.annotations,
          startsAt: iso(a.firedAt ?? a.activeAt),
          endsAt: iso(a.resolvedAt),
        })),
      ];
      await post(fetchFn, `${n.address.replace(/\/$/, '')}/api/v2/alerts`, body, options.timeoutMs ?? 5000);
    },
  };
}
