/**
 * Retention of the access audit: a schedule that deletes entries older than
 * a maximum age (default 90 days). Give it to the engine's `schedules` (the
 * commerce schedules include it): one host of many runs each due time, under
 * the scheduler's lease, and the cutoff is taken from the run's due time, so
 * a retried or taken-over run deletes the same entries.
 */
import type { AccessAuditStore } from '../access/access-audit.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { ScheduleDefinition } from './schedule-definition.js';

/** Name of the access-audit retention schedule. */
export const ACCESS_AUDIT_RETENTION_SCHEDULE = 'prune-access-audit';

/** How long access-audit entries are kept by default, in days. */
export const DEFAULT_ACCESS_AUDIT_MAX_AGE_DAYS = 90;

const DAY_MS = 86_400_000;

/**
 * Options of {@link accessAuditRetentionSchedule}.
 *
 * @example
 * ```ts
 * const options: AccessAuditRetentionOptions = { audit: engine.accessAudit, maxAgeDays: 365, cron: '15 4 * * *' };
 * ```
 */
export interface AccessAuditRetentionOptions {
  /** The audit to prune (`engine.accessAudit`, `commerce.accessAudit`). */
  audit: AccessAuditStore;
  /** Entries older than this many days are deleted. Default 90 (`DEFAULT_ACCESS_AUDIT_MAX_AGE_DAYS`). */
  maxAgeDays?: number;
  /** When it runs. Default daily at 03:30. */
  cron?: string;
  /** Time zone of `cron`. Default `'UTC'`. */
  timeZone?: string;
}

/**
 * The schedule that prunes the access audit; its run's result is `{ pruned, before }`.
 *
 * @example
 * ```ts
 * const engine = createSyncEngine({
 *   sql,
 *   schedules: (ctx) => [accessAuditRetentionSchedule({ audit: createAccessAudit({ sql: ctx.sql, schema: ctx.schema }) })],
 * });
 * ```
 */
export function accessAuditRetentionSchedule(options: AccessAuditRetentionOptions): ScheduleDefinition {
  const days = options.maxAgeDays ?? DEFAULT_ACCESS_AUDIT_MAX_AGE_DAYS;
  if (!(Number.isFinite(days) && days > 0))
    throw new InvalidArgumentError('maxAgeDays of the access-audit retention must be a positive number');
  return {
    name: ACCESS_AUDIT_RETENTION_SCHEDULE,
    cron: options.cron ?? '30 3 * * *',
    timeZone: options.timeZone ?? 'UTC',
    // Pruning as of the latest due time covers every missed one.
    missed: 'latest',
    run: async ({ dueAt }) => {
      const before = new Date(dueAt.getTime() - days * DAY_MS);
      return { pruned: await options.audit.prune(before), before: before.toISOString() };
    },
  };
}
