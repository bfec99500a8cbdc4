/**
 * System events: health checks, thresholds and recoveries raised by the
 * monitors and processors.
 */
import { z } from 'zod';
import { HEALTH_COMPONENTS, HEALTH_STATUSES, SEVERITIES, idSchema, instantSchema } from './common.js';

const componentSchema = z.enum(HEALTH_COMPONENTS);

/**
 * `system.health_check_completed`: one component's status and the measurements behind it.
 *
 * @example
 * ```ts
 * const parsed = healthCheckCompletedSchema.safeParse(input);
 * ```
 */
export const healthCheckCompletedSchema = z.object({
  component: componentSchema,
  status: z.enum(HEALTH_STATUSES),
  /** Named measurements, e.g. `{ webhook_latency_ms: 12, rate_limit_headroom: 0.8 }`. */
  measurements: z.record(z.string(), z.number().finite()),
  checkedAt: instantSchema,
  creatorId: idSchema.optional(),
});

/**
 * `system.performance_threshold_exceeded`: a measurement crossed its threshold.
 *
 * @example
 * ```ts
 * const parsed = performanceThresholdExceededSchema.safeParse(input);
 * ```
 */
export const performanceThresholdExceededSchema = z.object({
  component: componentSchema,
  metric: z.string().min(1),
  value: z.number().finite(),
  threshold: z.number().finite(),
  severity: z.enum(SEVERITIES),
  creatorId: idSchema.optional(),
});

/**
 * `system.api_rate_limit_approached`: little headroom left on an external API.
 *
 * @example
 * ```ts
 * const parsed = apiRateLimitApproachedSchema.safeParse(input);
 * ```
 */
export const apiRateLimitApproachedSchema = z.object({
  api: z.string().min(1),
  shopId: idSchema.optional(),
  remaining: z.int().min(0),
  limit: z.int().min(1),
  resetAt: instantSchema.optional(),
});

/**
 * `system.sync_failure_detected`: a sync operation failed.
 *
 * @example
 * ```ts
 * const parsed = syncFailureDetectedSchema.safeParse(input);
 * ```
 */
export const syncFailureDetectedSchema = z.object({
  component: componentSchema,
  operation: z.string().min(1),
  errorCode: z.string().min(1),
  message: z.string().max(2000),
  creatorId: idSchema.optional(),
  shopId: idSchema.optional(),
});

/**
 * `system.recovery_completed`: a failed component or operation works again.
 *
 * @example
 * ```ts
 * const parsed = recoveryCompletedSchema.safeParse(input);
 * ```
 */
export const recoveryCompletedSchema = z.object({
  component: componentSchema,
  operation: z.string().min(1).optional(),
  /** How long it was down, when known. */
  downtimeMs: z.int().min(0).optional(),
  creatorId: idSchema.optional(),
});

const capacityResourceSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/)
  .max(64);
/** The host a per-host resource (CPU, memory) was measured on; absent for the shared ones (the database). */
const capacityHostSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/)
  .max(128);

/**
 * `system.capacity_checked`: the scheduled capacity check's samples (one
 * value per resource, in its unit, with the capacity it is compared with),
 * the resources it could not sample and why, and the 30-day plan per
 * resource with enough history.
 *
 * @example
 * ```ts
 * const parsed = capacityCheckedSchema.safeParse(input);
 * ```
 */
export const capacityCheckedSchema = z.object({
  checkedAt: instantSchema,
  /** The log's committed global position at the check (the next check's growth is measured from it). */
  logPosition: z.int().min(0).optional(),
  samples: z.array(
    z.object({
      resource: capacityResourceSchema,
      host: capacityHostSchema.optional(),
      value: z.number().finite().min(0),
      capacity: z.number().finite().positive().nullable(),
    }),
  ),
  skipped: z.array(
    z.object({
      resource: capacityResourceSchema,
      host: capacityHostSchema.optional(),
      reason: z.string().min(1).max(500),
    }),
  ),
  plans: z.array(
    z.object({
      resource: capacityResourceSchema,
      host: capacityHostSchema.optional(),
      scaleUp: z.boolean(),
      reachesThresholdOn: z.iso.date().nullable(),
      daysToThreshold: z.int().min(0).nullable(),
      threshold: z.number().gt(0).max(1),
      p50Share: z.number().finite(),
      p90Share: z.number().finite(),
      historyDays: z.int().min(1),
    }),
  ),
});

/**
 * `system.capacity_threshold_predicted`: a resource is newly forecast to
 * reach its threshold share of capacity (70 % by default) within the horizon.
 *
 * @example
 * ```ts
 * const parsed = capacityThresholdPredictedSchema.safeParse(input);
 * ```
 */
export const capacityThresholdPredictedSchema = z.object({
  resource: capacityResourceSchema,
  host: capacityHostSchema.optional(),
  value: z.number().finite().min(0),
  capacity: z.number().finite().positive(),
  threshold: z.number().gt(0).max(1),
  reachesThresholdOn: z.iso.date(),
  daysToThreshold: z.int().min(0),
});

/**
 * `system.host_resources_reported`: one host's CPU, event loop, memory and
 * heap over the interval since its previous report (per-minute samples
 * reduced to peak and p95; `value` is the figure the capacity check plans),
 * with the limits they are compared with and where those came from.
 *
 * @example
 * ```ts
 * const parsed = hostResourcesReportedSchema.safeParse(input);
 * ```
 */
export const hostResourcesReportedSchema = z.object({
  host: capacityHostSchema,
  from: instantSchema,
  to: instantSchema,
  samples: z.int().min(1),
  resources: z.array(
    z.object({
      resource: capacityResourceSchema,
      value: z.number().finite().min(0),
      peak: z.number().finite().min(0),
      p95: z.number().finite().min(0),
      capacity: z.number().finite().positive(),
    }),
  ),
  limits: z.object({
    coresFrom: z.enum(['cgroup v2', 'cgroup v1', 'host', 'configured']),
    memoryFrom: z.enum(['cgroup v2', 'cgroup v1', 'host', 'configured']),
  }),
});
