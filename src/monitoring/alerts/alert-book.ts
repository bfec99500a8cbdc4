/**
 * Alert state folded from the alert events: the active alerts (pending or
 * firing), recently resolved ones, silences, and the last notification of
 * every group. The evaluator, the router and the read model all read it.
 */
import type { AlertSeverity } from './alert-rule.js';
import type { AlertEvent, AlertIdentity, Silence } from './alert-events.js';

/** Where an alert is in its life. */
export type AlertState = 'pending' | 'firing' | 'resolved';

/** An alert as the book holds it. */
export interface Alert extends AlertIdentity {
  state: AlertState;
  value: number;
  /** When the breach began (pending since). */
  activeAt: number;
  firedAt: number | null;
  resolvedAt: number | null;
  acknowledged: { by: string; at: number } | null;
}

/** The last notification of a group. */
export interface GroupNotice {
  receiver: string;
  severity: AlertSeverity;
  /** The fingerprints notified as firing. */
  fingerprints: string[];
  digest: string;
  level: number;
  at: number;
  /** When the group's current escalation level was first notified. */
  levelAt: number;
  recipients: string[];
  channels: string[];
}

/** How many resolved alerts the book remembers for the read model. */
const RESOLVED_MEMORY = 200;

/**
 * The folded alert state.
 *
 * @example
 * ```ts
 * const book = new AlertBook();
 * for (const e of events) book.apply(e);
 * book.firing(); // alerts firing now
 * ```
 */
export class AlertBook {
  readonly alerts = new Map<string, Alert>();
  readonly resolved: Alert[] = [];
  readonly silences = new Map<string, Silence>();
  readonly notices = new Map<string, GroupNotice>();

  apply(event: AlertEvent): void {
    switch (event.type) {
      case 'alert.pending': {
        const { value, at, ...identity } = event.data;
        this.alerts.set(identity.fingerprint, {
          ...identity,
          state: 'pending',
          value,
          activeAt: at,
          firedAt: null,
          resolvedAt: null,
          acknowledged: null,
        });
        return;
      }
      case 'alert.fired': {
        const { value, at, activeAt, ...identity } = event.data;
        const prior = this.alerts.get(identity.fingerprint);
        this.alerts.set(identity.fingerprint, {
          ...identity,
          state: 'firing',
          value,
          activeAt,
          firedAt: at,
          resolvedAt: null,
          acknowledged: prior?.acknowledged ?? null,
        });
        return;
      }
      case 'alert.cleared':
        this.alerts.delete(event.data.fingerprint);
        return;
      case 'alert.resolved': {
        const alert = this.alerts.get(event.data.fingerprint);
        if (!alert) return;
        this.alerts.delete(event.data.fingerprint);
        this.resolved.unshift({ ...alert, state: 'resolved', resolvedAt: event.data.at });
        this.resolved.length = Math.min(this.resolved.length, RESOLVED_MEMORY);
        return;
      }
      case 'alert.acknowledged': {
        // The first acknowledgement of a life wins (a log written before acknowledging was idempotent may hold two).
        const alert = this.alerts.get(event.data.fingerprint);
        if (alert && !alert.acknowledged) alert.acknowledged = { by: event.data.by, at: event.data.at };
        return;
      }
      case 'alert.notified': {
        const d = event.data;
        const prior = this.notices.get(d.groupKey);
        this.notices.set(d.groupKey, {
          receiver: d.receiver,
          severity: d.severity,
          fingerprints: d.fingerprints,
          digest: d.digest,
          level: d.level,
          at: d.at,
          // A new level, or a group starting over after its resolution, starts its escalation clock.
          levelAt: prior && prior.level === d.level && prior.digest !== '' ? prior.levelAt : d.at,
          recipients: d.recipients,
          channels: d.channels,
        });
        return;
      }
      case 'alert.silence_created':
        this.silences.set(event.data.id, event.data);
        return;
      case 'alert.silence_expired':
        this.silences.delete(event.data.id);
        return;
      default:
        return; // failures and actions are audit records: no state
    }
  }

  /** Alerts firing now. */
  firing(): Alert[] {
    return [...this.alerts.values()].filter((a) => a.state === 'firing');
  }

  /** Forget a group whose alerts all resolved and were notified as such. */
  forgetGroup(groupKey: string): void {
    this.notices.delete(groupKey);
  }
}
