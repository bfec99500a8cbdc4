import type { Alert } from '../alerts/alert-book.js';
import type { Silence } from '../alerts/alert-events.js';
import { matchLabels, type Matchers } from '../alerts/matchers.js';

/** Alertmanager's inhibit rule: a firing source alert mutes target alerts that share the `equal` labels. */
export interface InhibitRule {
  source: Matchers;
  target: Matchers;
  equal?: readonly string[];
}

/** A critical mutes the warnings and infos of the same component (the specification's "critical suppresses its warnings"). */
export const DEFAULT_INHIBIT_RULES: readonly InhibitRule[] = [
  { source: { severity: 'critical' }, target: { severity: { re: 'warning|info' } }, equal: ['component'] },
  { source: { severity: 'warning' }, target: { severity: 'info' }, equal: ['component'] },
];

/**
 * Whether `alert` is muted by a firing alert through `rules`.
 *
 * @example
 * ```ts
 * isInhibited(warning, book.firing(), DEFAULT_INHIBIT_RULES);
 * ```
 */
export function isInhibited(alert: Alert, firing: readonly Alert[], rules: readonly InhibitRule[]): boolean {
  return rules.some(
    (rule) =>
      matchLabels(alert.labels, rule.target) &&
      firing.some(
        (source) =>
          source.fingerprint !== alert.fingerprint &&
          matchLabels(source.labels, rule.source) &&
          (rule.equal ?? []).every((l) => (source.labels[l] ?? '') === (alert.labels[l] ?? '')),
      ),
  );
}

/**
 * Whether an active silence matches `alert` at `now`.
 *
 * @example
 * ```ts
 * isSilenced(alert, book.silences.values(), Date.now());
 * ```
 */
export function isSilenced(alert: Alert, silences: Iterable<Silence>, now: number): boolean {
  for (const s of silences) {
    if (s.startsAt <= now && now < s.endsAt && matchLabels(alert.labels, s.matchers)) return true;
  }
  return false;
}
