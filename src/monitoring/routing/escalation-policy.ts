/**
 * The specification's escalation matrix: who is notified for each severity
 * during business hours, after hours and on weekends, in the team's time
 * zone; each list is an escalation order (the next role is notified when
 * nobody acknowledged in time). `logs_only` notifies nobody;
 * `delayed_notification` holds the notification until business hours.
 */
import { z } from 'zod';
import { InvalidAlertConfigError } from '../errors.js';
import { ALERT_SEVERITIES, type AlertSeverity } from '../alerts/alert-rule.js';

/** The periods of the matrix. */
export const ESCALATION_PERIODS = ['business_hours', 'after_hours', 'weekends'] as const;
/** One of {@link ESCALATION_PERIODS}. */
export type EscalationPeriod = (typeof ESCALATION_PERIODS)[number];

/** Roles with a meaning of their own. */
export const LOGS_ONLY = 'logs_only';
export const DELAYED = 'delayed_notification';

/** How to reach one role: an address per channel kind (`sms`, `email`, `slack`, ...). */
export interface Contact {
  addresses: Readonly<Record<string, string>>;
}

/** An escalation policy. */
export interface EscalationPolicy {
  /** IANA time zone of the team, e.g. `Europe/Berlin`. */
  timeZone: string;
  /** Business hours: `[startHour, endHour)` on `days` (0 = Sunday). Default 9–17, Monday–Friday. */
  businessHours?: { startHour: number; endHour: number; days: readonly number[] };
  matrix: Record<EscalationPeriod, Record<AlertSeverity, readonly string[]>>;
  /** Unacknowledged this long at a level: notify the next. Per severity or one for all. */
  escalateAfterMs: number | Partial<Record<AlertSeverity, number>>;
  /** Roles to contacts. */
  contacts: Readonly<Record<string, Contact>>;
  /** Channel kinds per severity when a rule names none. Default: the specification's channels. */
  channelsBySeverity?: Partial<Record<AlertSeverity, readonly string[]>>;
}

/** The specification's section-8 matrix. */
export const SPEC_ESCALATION_MATRIX: EscalationPolicy['matrix'] = {
  business_hours: {
    critical: ['team_lead', 'on_call_engineer'],
    warning: ['development_team'],
    info: [LOGS_ONLY],
  },
  after_hours: {
    critical: ['on_call_engineer', 'backup_engineer'],
    warning: ['on_call_engineer'],
    info: [LOGS_ONLY],
  },
  weekends: { critical: ['on_call_engineer'], warning: [DELAYED], info: [LOGS_ONLY] },
};

/** The specification's channels per severity: SMS and push for critical only, email for warning and up, Slack for all. */
export const SPEC_CHANNELS_BY_SEVERITY: Record<AlertSeverity, readonly string[]> = {
  critical: ['sms', 'mobile_push', 'email', 'slack', 'dashboard'],
  warning: ['email', 'slack', 'dashboard'],
  info: ['slack', 'dashboard'],
};

const policySchema = z.object({
  timeZone: z.string().refine((tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'unknown time zone'),
  businessHours: z
    .object({
      startHour: z.number().int().min(0).max(23),
      endHour: z.number().int().min(1).max(24),
      days: z.array(z.number().int().min(0).max(6)),
    })
    .refine((b) => b.endHour > b.startHour, 'endHour must be after startHour')
    .optional(),
  matrix: z.record(
    z.enum(ESCALATION_PERIODS),
    z.record(z.enum(ALERT_SEVERITIES), z.array(z.string().min(1))),
  ),
  escalateAfterMs: z.union([z.number().int().positive(), z.record(z.string(), z.number().int().positive())]),
  contacts: z.record(z.string(), z.object({ addresses: z.record(z.string(), z.string()) })),
});

/** A compiled policy. */
export interface Escalation {
  readonly policy: EscalationPolicy;
  /** The matrix period at `at` (ms since the epoch) in the team's time zone. */
  period(at: number): EscalationPeriod;
  /** The roles of a level (one role per level), or null past the last level. */
  roleAt(severity: AlertSeverity, level: number, at: number): string | null;
  escalateAfterMs(severity: AlertSeverity): number;
  channelsFor(severity: AlertSeverity, ruleChannels: readonly string[] | undefined): readonly string[];
}

/**
 * Validate a policy (every role in the matrix has a contact) and compile it.
 *
 * @example
 * ```ts
 * const escalation = compileEscalation({ timeZone: 'Europe/Berlin', matrix: SPEC_ESCALATION_MATRIX,
 *   escalateAfterMs: 5 * 60_000, contacts: { team_lead: { addresses: { sms: '+4917…' } }, ... } });
 * escalation.period(Date.parse('2026-12-05T10:00:00Z')); // 'weekends'
 * ```
 */
export function compileEscalation(policy: EscalationPolicy): Escalation {
  const parsed = policySchema.safeParse(policy);
  const issues = parsed.success ? [] : [z.prettifyError(parsed.error)];
  for (const period of ESCALATION_PERIODS) {
    for (const severity of ALERT_SEVERITIES) {
      for (const role of policy.matrix[period]?.[severity] ?? []) {
        if (role !== LOGS_ONLY && role !== DELAYED && !policy.contacts[role]) {
          issues.push(`role ${role} (${period}/${severity}) has no contact`);
        }
      }
    }
  }
  if (issues.length > 0)
    throw new InvalidAlertConfigError(`invalid escalation policy: ${issues.join('; ')}`, issues);
  const hours = policy.businessHours ?? { startHour: 9, endHour: 17, days: [1, 2, 3, 4, 5] };
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: policy.timeZone,
    weekday: 'short',
    hour: 'numeric',
    hourCycle: 'h23',
  });
  const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const period = (at: number): EscalationPeriod => {
    const parts = format.formatToParts(at);
    const day = WEEKDAYS.indexOf(parts.find((p) => p.type === 'weekday')!.value);
    const hour = Number(parts.find((p) => p.type === 'hour')!.value);
    if (day === 0 || day === 6) return 'weekends';
    return hours.days.includes(day) && hour >= hours.startHour && hour < hours.endHour
      ? 'business_hours'
      : 'after_hours';
  };
  return {
    policy,
    period,
    roleAt: (severity, level, at) => policy.matrix[period(at)][severity][level] ?? null,
    escalateAfterMs: (severity) =>
      typeof policy.escalateAfterMs === 'number'
        ? policy.escalateAfterMs
        : (policy.escalateAfterMs[severity] ?? 15 * 60_000),
    channelsFor: (severity, ruleChannels) =>
      ruleChannels ?? policy.channelsBySeverity?.[severity] ?? SPEC_CHANNELS_BY_SEVERITY[severity],
  };
}
