/**
 * Which notifications are due at `now`, with Alertmanager's semantics —
 * grouping, group wait, group interval, repeat interval, inhibition and
 * silences — and the escalation matrix on top: unacknowledged groups move to
 * the next level after the policy's delay; acknowledgement stops both
 * escalation and repeats. Pure and derived from the durable book only, so a
 * restarted evaluator decides exactly what the old one would have.
 */
import { createHash } from 'node:crypto';
import type { Alert, AlertBook } from '../alerts/alert-book.js';
import type { AlertEvent } from '../alerts/alert-events.js';
import { ALERT_SEVERITIES, type AlertSeverity } from '../alerts/alert-rule.js';
import { fingerprintOf } from '../alerts/evaluate-rules.js';
import { DELAYED, LOGS_ONLY, type Escalation } from './escalation-policy.js';
import { isInhibited, isSilenced, type InhibitRule } from './inhibition.js';
import type { RoutingTree } from './route.js';

/** One message to one address through one channel kind. */
export interface Delivery {
  recipient: string;
  channel: string;
  address: string;
}

/** A notification due now. */
export interface PlannedNotification {
  groupKey: string;
  receiver: string;
  /** Labels the group shares (its `groupBy` values). */
  groupLabels: Record<string, string>;
  severity: AlertSeverity;
  level: number;
  /** Firing alerts of the group (empty: everything resolved). */
  alerts: Alert[];
  /** Alerts notified as firing last time that have resolved since. */
  resolvedAlerts: Alert[];
  resolved: boolean;
  digest: string;
  recipients: string[];
  channels: string[];
  deliveries: Delivery[];
  /** Why: first notification, changed alerts, repeat, escalation, resolution. */
  reason: 'first' | 'changed' | 'repeat' | 'escalated' | 'resolved';
}

/** What planning needs. */
export interface RoutingSetup {
  tree: RoutingTree;
  inhibitRules: readonly InhibitRule[];
  /** Receivers by name. */
  receivers: ReadonlyMap<string, Escalation>;
  /** A rule's channel kinds, when it names them. */
  channelsOf: (rule: string) => readonly string[] | undefined;
}

const worst = (alerts: readonly Alert[]): AlertSeverity =>
  ALERT_SEVERITIES.find((s) => alerts.some((a) => a.severity === s)) ?? 'info';

const digestOf = (fingerprints: readonly string[]) =>
  fingerprints.length === 0 ? '' : createHash('sha1').update(fingerprints.join('\n')).digest('hex');

/**
 * Plan the notifications due at `now`.
 *
 * @example
 * ```ts
 * for (const n of planNotifications(Date.now(), log.book, setup)) await deliver(n);
 * ```
 */
export function planNotifications(now: number, book: AlertBook, setup: RoutingSetup): PlannedNotification[] {
  const firing = book.firing();
  const groups = new Map<
    string,
    {
      receiver: string;
      labels: Record<string, string>;
      route: ReturnType<RoutingTree['match']>[number];
      alerts: Alert[];
    }
  >();
  for (const alert of firing) {
    if (isSilenced(alert, book.silences.values(), now) || isInhibited(alert, firing, setup.inhibitRules))
      continue;
    for (const route of setup.tree.match(alert.labels)) {
      const labels: Record<string, string> = {};
      const names = route.groupBy.includes('...') ? Object.keys(alert.labels) : route.groupBy;
      for (const l of names) labels[l] = alert.labels[l] ?? '';
      const key = `${route.id}|${fingerprintOf(labels)}`;
      const g = groups.get(key) ?? { receiver: route.receiver, labels, route, alerts: [] };
      g.alerts.push(alert);
      groups.set(key, g);
    }
  }
  const planned: PlannedNotification[] = [];
  const keys = new Set([...groups.keys(), ...book.notices.keys()]);
  for (const key of keys) {
    const group = groups.get(key);
    const last = book.notices.get(key);
    // A group that resolved and was announced as such starts over: group wait, level 0.
    const notice = last && (last.digest !== '' || groups.has(key) === false) ? last : undefined;
    const alerts = (group?.alerts ?? []).sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1));
    const fingerprints = alerts.map((a) => a.fingerprint);
    const digest = digestOf(fingerprints);
    const receiver = group?.receiver ?? last!.receiver;
    const escalation = setup.receivers.get(receiver);
    if (!escalation) continue;
    const severity = alerts.length > 0 ? worst(alerts) : last!.severity;
    // A group whose alerts all resolved keeps its route's timing (its key starts with the route's id).
    const route = group?.route ?? setup.tree.byId(key.slice(0, key.indexOf('|')));
    if (!route) continue;
    let level: number;
    let reason: PlannedNotification['reason'];
    if (!notice) {
      if (alerts.length === 0) continue;
      const firstAt = Math.min(...alerts.map((a) => a.firedAt ?? a.activeAt));
      if (now < firstAt + route.groupWaitMs) continue;
      // A delayed notification waits for business hours, not merely for the weekend to end.
      if (escalation.roleAt(severity, 0, firstAt) === DELAYED && escalation.period(now) !== 'business_hours')
        continue;
      level = 0;
      reason = 'first';
    } else if (alerts.length === 0) {
      // Only muted (silenced, inhibited), not resolved: say nothing, as Alertmanager does.
      if (notice.fingerprints.some((fp) => book.alerts.has(fp))) continue;
      if (notice.digest === '' || now < notice.at + route.groupIntervalMs) continue;
      level = notice.level;
      reason = 'resolved';
    } else if (digest !== notice.digest) {
      if (now < notice.at + route.groupIntervalMs) continue;
      level = notice.level;
      reason = 'changed';
    } else if (alerts.every((a) => a.acknowledged)) {
      continue; // acknowledged: a person is on it, no repeats and no escalation
    } else if (
      escalation.roleAt(severity, notice.level + 1, now) !== null &&
      now >= notice.levelAt + escalation.escalateAfterMs(severity) &&
      // Like every notification after a group's first, an escalation waits out the group interval:
      // a change notified just before it holds it back by at most that interval.
      now >= notice.at + route.groupIntervalMs
    ) {
      level = notice.level + 1;
      reason = 'escalated';
    } else if (now >= notice.at + route.repeatIntervalMs) {
      level = notice.level;
      reason = 'repeat';
    } else continue;
    // The period may have changed since the level was reached: fall back to the deepest level it has.
    let role = escalation.roleAt(severity, level, now);
    while (role === null && level > 0) role = escalation.roleAt(severity, --level, now);
    if (role === null || role === DELAYED) continue; // held until a period that notifies someone
    const kinds = new Set<string>();
    for (const a of alerts)
      for (const c of escalation.channelsFor(a.severity, setup.channelsOf(a.rule))) kinds.add(c);
    if (alerts.length === 0) for (const c of escalation.channelsFor(severity, undefined)) kinds.add(c);
    const deliveries: Delivery[] = [];
    if (role !== LOGS_ONLY) {
      const contact = escalation.policy.contacts[role]!;
      for (const channel of kinds) {
        const address = contact.addresses[channel];
        if (address !== undefined) deliveries.push({ recipient: role, channel, address });
      }
    }
    const resolvedAlerts = (notice?.fingerprints ?? [])
      .filter((fp) => !fingerprints.includes(fp))
      .flatMap((fp) => book.resolved.find((a) => a.fingerprint === fp) ?? []);
    planned.push({
      groupKey: key,
      resolvedAlerts,
      receiver,
      groupLabels: group?.labels ?? {},
      severity,
      level,
      alerts,
      resolved: alerts.length === 0,
      digest,
      recipients: [role],
      channels: [...new Set(deliveries.map((d) => d.channel))],
      deliveries,
      reason,
    });
  }
  return planned;
}

/**
 * The `alert.notified` event recording that `n` was sent at `at` (what the
 * alert book folds to plan the group's next notification).
 *
 * @example
 * ```ts
 * for (const n of planNotifications(now, book, setup)) await append([notifiedEvent(n, now)]);
 * ```
 */
export function notifiedEvent(n: PlannedNotification, at: number): AlertEvent {
  return {
    type: 'alert.notified',
    data: {
      groupKey: n.groupKey,
      receiver: n.receiver,
      severity: n.severity,
      fingerprints: n.alerts.map((a) => a.fingerprint),
      digest: n.digest,
      level: n.level,
      recipients: n.recipients,
      channels: n.channels,
      at,
    },
  };
}
