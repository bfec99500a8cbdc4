/**
 * The events alert state is kept as, in one stream of the event log, so a
 * restart (or another host taking over) rebuilds exactly the alerts, their
 * acknowledgements, silences and the notifications already sent.
 */
import type { AlertSeverity } from './alert-rule.js';
import type { Matchers } from './matchers.js';

/** The stream holding alert state. */
export const ALERT_STREAM = 'monitoring-alerts';

/** What an alert event says about the alert it concerns. */
export interface AlertIdentity {
  fingerprint: string;
  rule: string;
  severity: AlertSeverity;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A silence: alerts matching its matchers are not notified between its times. */
export interface Silence {
  id: string;
  matchers: Matchers;
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
}

/** The alert events, by type. */
export interface AlertEventData {
  'alert.pending': AlertIdentity & { value: number; at: number };
  'alert.fired': AlertIdentity & { value: number; at: number; activeAt: number };
  'alert.cleared': { fingerprint: string; at: number };
  'alert.resolved': { fingerprint: string; at: number; value: number | null };
  'alert.acknowledged': { fingerprint: string; by: string; at: number };
  'alert.notified': {
    groupKey: string;
    receiver: string;
    severity: AlertSeverity;
    fingerprints: string[];
    /** Hash of the firing and resolved fingerprints notified (what changed since is news). */
    digest: string;
    level: number;
    recipients: string[];
    channels: string[];
    at: number;
  };
  'alert.notification_failed': {
    groupKey: string;
    recipient: string;
    channel: string;
    error: string;
    attempts: number;
    at: number;
  };
  'alert.silence_created': Silence;
  'alert.silence_expired': { id: string; at: number };
  'alert.action_executed': { fingerprint: string; action: string; ok: boolean; error?: string; at: number };
}

/** One alert event. */
export type AlertEvent = {
  [K in keyof AlertEventData]: { type: K; data: AlertEventData[K] };
}[keyof AlertEventData];

/** The alert event types. */
export const ALERT_EVENT_TYPES = [
  'alert.pending',
  'alert.fired',
  'alert.cleared',
  'alert.resolved',
  'alert.acknowledged',
  'alert.notified',
  'alert.notification_failed',
  'alert.silence_created',
  'alert.silence_expired',
  'alert.action_executed',
] as const satisfies readonly (keyof AlertEventData)[];
