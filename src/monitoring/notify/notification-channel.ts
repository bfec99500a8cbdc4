/**
 * Notification channels are ports the host fills (Slack, email, SMS, phone,
 * push, a generic webhook): one method that delivers one message to one
 * address and throws when it could not.
 */
import type { Alert } from '../alerts/alert-book.js';
import type { AlertSeverity } from '../alerts/alert-rule.js';

/** What a channel is asked to deliver. */
export interface Notification {
  /** The group's key: the same for every message about the same group (threading). */
  groupKey: string;
  groupLabels: Record<string, string>;
  receiver: string;
  severity: AlertSeverity;
  /** Escalation level (0 first). */
  level: number;
  reason: 'first' | 'changed' | 'repeat' | 'escalated' | 'resolved';
  /** Firing alerts (empty when the group resolved). */
  alerts: readonly Alert[];
  /** Alerts of the group that resolved since its last notification. */
  resolvedAlerts: readonly Alert[];
  resolved: boolean;
  recipient: string;
  /** Where to: a phone number, an email address, a webhook URL, per the contact. */
  address: string;
  /** A one-line summary for channels with little room (SMS). */
  text: string;
}

/**
 * A notification channel port.
 *
 * @example
 * ```ts
 * const sms: NotificationChannel = { kind: 'sms', send: (n) => twilio.messages.create({ to: n.address, body: n.text }) };
 * ```
 */
export interface NotificationChannel {
  /** The channel kind rules and contacts name (`sms`, `email`, `slack`, `webhook`, ...). */
  readonly kind: string;
  send(notification: Notification): Promise<void>;
}

/**
 * The one-line text of a notification.
 *
 * @example
 * ```ts
 * notificationText(n); // '[CRITICAL] system_down (1 alert): Service health check failing'
 * ```
 */
export function notificationText(n: Omit<Notification, 'text' | 'address' | 'recipient'>): string {
  if (n.resolved) return `[RESOLVED] ${Object.values(n.groupLabels).join(' ') || n.groupKey}`;
  const first = n.alerts[0];
  const summary = first?.annotations['summary'] ?? first?.rule ?? '';
  const names = [...new Set(n.alerts.map((a) => a.rule))].join(', ');
  const escalated = n.level > 0 ? ` (escalated, level ${n.level + 1})` : '';
  return `[${n.severity.toUpperCase()}] ${names} (${n.alerts.length} alert${n.alerts.length === 1 ? '' : 's'})${escalated}: ${summary}`;
}
