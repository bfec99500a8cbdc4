/**
 * Alert rules as data: a signal computed from the metrics (an instant value,
 * an increase or rate over a window, a quantile over a window, a ratio of
 * two signals), compared with a threshold or with a baseline signal times a
 * factor, held for a `for` duration, with hysteresis, severity and labels.
 */
import { z } from 'zod';
import { InvalidAlertConfigError } from '../errors.js';
import type { Matchers } from './matchers.js';

/** Alert severities, most urgent first. */
export const ALERT_SEVERITIES = ['critical', 'warning', 'info'] as const;
/** One of {@link ALERT_SEVERITIES}. */
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** Series of one metric, filtered by label matchers. */
export interface Selector {
  metric: string;
  labels?: Matchers;
}

/** How a rule measures: evaluated per group of its `by` labels. */
export type Signal =
  | { kind: 'value'; of: Selector; aggregate?: 'sum' | 'max' | 'min' }
  | { kind: 'increase'; of: Selector; windowMs: number }
  | { kind: 'rate'; of: Selector; windowMs: number }
  | { kind: 'quantile'; q: number; of: Selector; windowMs: number }
  | { kind: 'ratio'; numerator: Signal; denominator: Signal };

/** What makes a rule breach. */
export type Condition =
  | {
      op: '>' | '<';
      threshold: number;
      /** Hysteresis: an active alert clears only past this. */ clearAt?: number;
    }
  | {
      op: '>' | '<';
      baseline: Signal;
      factor: number;
      /** A baseline below this is not judged (quiet system). */ minBaseline?: number;
    };

/** A rule. */
export interface AlertRule {
  /** Unique; becomes the `alertname` label. */
  name: string;
  severity: AlertSeverity;
  signal: Signal;
  condition: Condition;
  /** How long the breach must hold before it fires. Default 0. */
  forMs?: number;
  /** Labels splitting the rule into one alert per value set (e.g. `['processor']`). Default none. */
  by?: readonly string[];
  labels?: Readonly<Record<string, string>>;
  annotations?: { summary: string; description?: string; runbook?: string };
  /** Notification channel kinds for this rule (e.g. `['sms', 'phone', 'slack']`). */
  channels?: readonly string[];
  /** Automatic actions (hook names the host supplies), run when it fires. */
  actions?: readonly string[];
}

const selector = z.object({ metric: z.string().min(1), labels: z.record(z.string(), z.any()).optional() });
const windowMs = z.number().int().positive();
const signal: z.ZodType<Signal> = z.lazy(() =>
  z.union([
    z.object({ kind: z.literal('value'), of: selector, aggregate: z.enum(['sum', 'max', 'min']).optional() }),
    z.object({ kind: z.literal('increase'), of: selector, windowMs }),
    z.object({ kind: z.literal('rate'), of: selector, windowMs }),
    z.object({ kind: z.literal('quantile'), q: z.number().min(0).max(1), of: selector, windowMs }),
    z.object({ kind: z.literal('ratio'), numerator: signal, denominator: signal }),
  ]),
) as z.ZodType<Signal>;
const ruleSchema = z.object({
  name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/),
  severity: z.enum(ALERT_SEVERITIES),
  signal,
  condition: z.union([
    z.object({
      op: z.enum(['>', '<']),
      threshold: z.number().finite(),
      clearAt: z.number().finite().optional(),
    }),
    z.object({
      op: z.enum(['>', '<']),
      baseline: signal,
      factor: z.number().positive(),
      minBaseline: z.number().min(0).optional(),
    }),
  ]),
  forMs: z.number().int().min(0).optional(),
  by: z.array(z.string().min(1)).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z
    .object({ summary: z.string(), description: z.string().optional(), runbook: z.string().optional() })
    .optional(),
  channels: z.array(z.string().min(1)).optional(),
  actions: z.array(z.string().min(1)).optional(),
});

/**
 * Validate rules once and freeze them: unique names, well-formed signals,
 * and hysteresis on the safe side of the threshold.
 *
 * @example
 * ```ts
 * const rules = defineAlertRules([...DEFAULT_ALERT_RULES, myRule]);
 * ```
 */
export function defineAlertRules(rules: readonly AlertRule[]): readonly AlertRule[] {
  const issues: string[] = [];
  const names = new Set<string>();
  rules.forEach((rule, i) => {
    const parsed = ruleSchema.safeParse(rule);
    if (!parsed.success) issues.push(`rules[${i}]: ${z.prettifyError(parsed.error)}`);
    if (names.has(rule.name)) issues.push(`rules[${i}]: duplicate name ${rule.name}`);
    names.add(rule.name);
    const c = rule.condition;
    if ('threshold' in c && c.clearAt !== undefined) {
      const wrongSide = c.op === '>' ? c.clearAt > c.threshold : c.clearAt < c.threshold;
      if (wrongSide) issues.push(`rules[${i}]: clearAt must be on the healthy side of the threshold`);
    }
  });
  if (issues.length > 0)
    throw new InvalidAlertConfigError(`invalid alert rules: ${issues.join('; ')}`, issues);
  return Object.freeze(rules.map((r) => Object.freeze({ ...r })));
}
