/**
 * Scheduling: named schedules (an interval or a cron expression in a time
 * zone) run once per due time across hosts, with a history, retries, a
 * missed-run policy and manual triggers; and singleton workers that run on
 * one host at a time. Both lead by a lease in processing's `leases` table.
 */
export { createScheduler, Scheduler } from './scheduler.js';
export type { ScheduleStatus, SchedulerOptions, TriggerOptions } from './scheduler.js';
export type { SchedulerEventMap } from './scheduler-events.js';
export { MISSED_RUN_POLICIES, SCHEDULE_RETRY_POLICY, resolveSchedule } from './schedule-definition.js';
export type {
  MissedRunPolicy,
  ResolvedSchedule,
  ScheduleDefinition,
  ScheduleRunContext,
  ScheduleTrigger,
} from './schedule-definition.js';
export { SCHEDULE_RUN_STATUSES, isFinished } from './schedule-run.js';
export type {
  ClaimDue,
  RequestRun,
  RunOutcome,
  ScheduleRun,
  ScheduleRunError,
  ScheduleRunStatus,
  ScheduleStorage,
} from './schedule-run.js';
export { memoryScheduleStorage } from './memory-schedule-storage.js';
export { sqlScheduleStorage } from './sql-schedule-storage.js';
export { memoryLeases } from './memory-leases.js';
export { Leadership, type LeadershipOptions } from './leadership.js';
export { SingletonWorkers } from './singleton-workers.js';
export type { SingletonJob, SingletonWorkersEventMap, SingletonWorkersOptions } from './singleton-workers.js';
export { InvalidScheduleError, ScheduleNotFoundError, isScheduleError } from './errors.js';
export { cronDueTimes, intervalDueTimes, dueBetween, type DueTimes, type DueWindow } from './due-times.js';
export {
  SCHEDULE_ROUTE_ROLES,
  scheduleRoutes,
  type ScheduleCaller,
  type ScheduleRouteRoles,
  type ScheduleRoutesOptions,
} from './schedule-routes.js';
export {
  ACCESS_AUDIT_RETENTION_SCHEDULE,
  DEFAULT_ACCESS_AUDIT_MAX_AGE_DAYS,
  accessAuditRetentionSchedule,
  type AccessAuditRetentionOptions,
} from './access-audit-retention.js';
