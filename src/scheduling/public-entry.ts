/**
 * `@creatorflow/sync/scheduling`: named schedules run once per due time
 * across hosts, their storage and admin routes, and singleton workers
 * (docs/scheduling.md).
 */
export {
  ACCESS_AUDIT_RETENTION_SCHEDULE,
  InvalidScheduleError,
  MISSED_RUN_POLICIES,
  SCHEDULE_RUN_STATUSES,
  ScheduleNotFoundError,
  Scheduler,
  SingletonWorkers,
  accessAuditRetentionSchedule,
  createScheduler,
  isScheduleError,
  memoryLeases,
  memoryScheduleStorage,
  scheduleRoutes,
  sqlScheduleStorage,
} from './index.js';
export type {
  AccessAuditRetentionOptions,
  ClaimDue,
  MissedRunPolicy,
  RequestRun,
  RunOutcome,
  ScheduleCaller,
  ScheduleDefinition,
  ScheduleRouteRoles,
  ScheduleRoutesOptions,
  ScheduleRun,
  ScheduleRunContext,
  ScheduleRunError,
  ScheduleRunStatus,
  ScheduleStatus,
  ScheduleStorage,
  ScheduleTrigger,
  SchedulerEventMap,
  SchedulerOptions,
  SingletonJob,
  SingletonWorkersEventMap,
  SingletonWorkersOptions,
  TriggerOptions,
} from './index.js';
