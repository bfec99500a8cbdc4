/**
 * The zod schema of `createSyncEngine`'s config: checked once, before
 * anything is created, so a typo or a missing port fails at startup with the
 * field's path (`realtime.windowMs`, `workers.0.stop`, …). Ports and
 * definitions are checked by shape and kept as given (same objects).
 */
import { z } from 'zod';
import { functionSchema, portSchema } from './core/parse-options.js';
import { realtimeTuningSchema } from './realtime/hub-options.js';

const isObject = (v: unknown): v is Record<string, unknown> =>
  (typeof v === 'object' || typeof v === 'function') && v !== null;

/** An object with a string field `field` (a definition), kept as given. */
function withName(what: string, field: string, methods: readonly string[] = []) {
  return z.custom<unknown>(
    (v) =>
      isObject(v) &&
      typeof v[field] === 'string' &&
      (v[field] as string).length > 0 &&
      methods.every((m) => typeof v[m] === 'function'),
    { message: `expected ${what} (with a ${field}${methods.length ? ` and ${methods.join(', ')}` : ''})` },
  );
}

/**
 * The zod schema of {@link SyncEngineConfig} (unknown options refused).
 *
 * @example
 * ```ts
 * syncEngineConfigSchema.safeParse({ sql, sagaConcurrency: 0 }).success // false: sagaConcurrency
 * ```
 */
export const syncEngineConfigSchema = z
  .object({
    sql: portSchema('a SqlClient (fromPg, fromPglite)', ['query', 'transaction']),
    schema: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'expected a SQL identifier (letters, digits, _; at most 63)')
      .optional(),
    // Checked by createEventStore.
    store: z.record(z.string(), z.unknown()).optional(),
    projections: z.array(withName('a projection definition (defineProjection)', 'table')).optional(),
    readModels: z
      .union([
        z.array(portSchema('an EngineReadModel', ['start', 'stop', 'whenCaughtUp'])),
        functionSchema<unknown>(),
      ])
      .optional(),
    // Each channel is checked by the realtime hub's defineChannels.
    channels: z.array(z.unknown()).optional(),
    sagas: z
      .union([
        z.array(
          z.custom<unknown>(
            (v) => isObject(v) && isObject(v['definition']) && typeof v['startOn'] === 'function',
            {
              message: 'expected an EngineSaga ({ definition, startOn })',
            },
          ),
        ),
        functionSchema<unknown>(),
      ])
      .optional(),
    sagaConcurrency: z.number().int().min(1).optional(),
    workers: z.array(withName('an EngineWorker', 'name', ['start', 'stop'])).optional(),
    singletons: z
      .union([z.array(withName('an EngineWorker', 'name', ['start', 'stop'])), functionSchema<unknown>()])
      .optional(),
    // Each definition is checked by the scheduler (cron, time zone, interval, policy).
    schedules: z
      .union([z.array(withName('a ScheduleDefinition', 'name', ['run'])), functionSchema<unknown>()])
      .optional(),
    hostId: z.string().min(1).optional(),
    // Checked by resolveLeaseTiming (renewals below the ttl).
    lease: z
      .object({
        ttlMs: z.number().positive().optional(),
        renewIntervalMs: z.number().positive().optional(),
        acquireIntervalMs: z.number().positive().optional(),
      })
      .strict()
      .optional(),
    rebuildPollIntervalMs: z.number().int().min(10).optional(),
    pubsub: portSchema('a PubSub', ['publish', 'subscribe']).nullable().optional(),
    rateLimiter: portSchema('a RateLimiter', ['consume']).optional(),
    receivers: z.array(withName('a WebhookReceiver', 'path', ['create'])).optional(),
    admission: z
      .union([
        z.literal(false),
        z
          .object({
            targetLagMs: z.number().positive().optional(),
            targetEventLoopDelayMs: z.number().positive().optional(),
            minPerS: z.number().positive().optional(),
            maxPerS: z.number().positive().optional(),
            maxInFlight: z.number().int().min(1).optional(),
            sampleIntervalMs: z.number().int().min(10).optional(),
            degradedForMs: z.number().nonnegative().optional(),
            now: functionSchema<() => number>().optional(),
          })
          .strict(),
      ])
      .optional(),
    realtime: realtimeTuningSchema.optional(),
    accessAudit: portSchema('an AccessAuditStore', ['migrate', 'record', 'list', 'prune']).optional(),
    logger: portSchema('a Logger', ['error', 'warn', 'info', 'debug']).optional(),
  })
  .strict();
