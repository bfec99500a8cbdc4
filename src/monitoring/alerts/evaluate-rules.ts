/**
 * One evaluation: every rule's signal against its condition, turned into
 * alert state transitions (pending, fired, cleared, resolved). Pure: the
 * caller appends the events and folds them into the book.
 */
import type { AlertRule, Signal } from './alert-rule.js';
import type { AlertBook } from './alert-book.js';
import type { AlertEvent } from './alert-events.js';
import { evaluateSignal, type GroupValue } from './evaluate-signal.js';
import type { MetricHistory } from './metric-history.js';

/** The fingerprint of an alert: its rule and labels, stable across hosts and restarts. */
export function fingerprintOf(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',');
}

const breaches = (op: '>' | '<', value: number, limit: number) =>
  op === '>' ? value > limit : value < limit;

/** The rule's breaching groups now; active alerts are judged against `clearAt` (hysteresis). */
function breaching(
  rule: AlertRule,
  history: MetricHistory,
  active: (fp: string) => boolean,
  signals: (signal: Signal, by: readonly string[]) => Map<string, GroupValue>,
) {
  const by = rule.by ?? [];
  const values = signals(rule.signal, by);
  const out = new Map<string, GroupValue & { labels: Record<string, string> }>();
  const c = rule.condition;
  const baseline = 'baseline' in c ? signals(c.baseline, by) : undefined;
  for (const [key, v] of values) {
    let limit: number;
    let fp: string | undefined;
    const labelsOf = () => ({ ...rule.labels, ...v.labels, alertname: rule.name, severity: rule.severity });
    if ('threshold' in c) {
      limit = c.threshold;
      // Hysteresis: an active alert clears only past `clearAt`. The fingerprint is
      // computed only where it decides something (most groups are far from breaching).
      if (c.clearAt !== undefined && !breaches(c.op, v.value, limit) && breaches(c.op, v.value, c.clearAt)) {
        fp = fingerprintOf(labelsOf());
        if (active(fp)) limit = c.clearAt;
      }
    } else {
      const base = baseline?.get(key)?.value;
      if (base === undefined || base < (c.minBaseline ?? 0)) continue;
      limit = base * c.factor;
    }
    if (!breaches(c.op, v.value, limit)) continue;
    const labels = labelsOf();
    out.set(fp ?? fingerprintOf(labels), { labels, value: v.value });
  }
  return out;
}

/**
 * The transitions of one evaluation at `now`.
 *
 * @example
 * ```ts
 * const events = evaluateRules(rules, history, book, Date.now());
 * await log.append(events);
 * ```
 */
export function evaluateRules(
  rules: readonly AlertRule[],
  history: MetricHistory,
  book: AlertBook,
  now: number,
): AlertEvent[] {
  const events: AlertEvent[] = [];
  // Rules sharing a signal (same metric, other thresholds or severities) compute it once per evaluation.
  const cache = new Map<string, Map<string, GroupValue>>();
  const signals = (signal: Signal, by: readonly string[]) => {
    const key = JSON.stringify([signal, by]);
    let values = cache.get(key);
    if (!values) {
      values = evaluateSignal(signal, history, by);
      cache.set(key, values);
    }
    return values;
  };
  const active = (fp: string) => book.alerts.has(fp);
  for (const rule of rules) {
    const now_ = breaching(rule, history, active, signals);
    const annotations: Record<string, string> = { ...rule.annotations };
    for (const [fingerprint, { labels, value }] of now_) {
      const alert = book.alerts.get(fingerprint);
      const identity = { fingerprint, rule: rule.name, severity: rule.severity, labels, annotations };
      const forMs = rule.forMs ?? 0;
      if (!alert) {
        if (forMs === 0)
          events.push({ type: 'alert.fired', data: { ...identity, value, at: now, activeAt: now } });
        else events.push({ type: 'alert.pending', data: { ...identity, value, at: now } });
      } else if (alert.state === 'pending' && now - alert.activeAt >= forMs) {
        events.push({ type: 'alert.fired', data: { ...identity, value, at: now, activeAt: alert.activeAt } });
      }
    }
    for (const alert of book.alerts.values()) {
      if (alert.rule !== rule.name || now_.has(alert.fingerprint)) continue;
      if (alert.state === 'pending')
        events.push({ type: 'alert.cleared', data: { fingerprint: alert.fingerprint, at: now } });
      else
        events.push({
          type: 'alert.resolved',
          data: { fingerprint: alert.fingerprint, at: now, value: null },
        });
    }
  }
  return events;
}
