/**
 * The zod schema of {@link RealtimeHubOptions}: `createRealtimeHub` checks its
 * options with it once, and `createSyncEngine` its `realtime` field.
 */
import type { Observable, SchedulerLike } from 'rxjs';
import { z } from 'zod';
import { isCheckpoint } from '../core/checkpoint.js';
import { functionSchema, portSchema } from '../core/parse-options.js';
import type { RowChange } from '../core/row-change.js';
import type { ConnectionLimiterPort } from './connection-limiter.js';
import type { AccessAuditStore } from '../access/access-audit.js';
import type { PubSub } from './pubsub.js';
import type { SnapshotPort } from './types.js';

const count = z.number().int().min(1);
const ms = z.number().int().min(0);

/**
 * The options of the hub that are not its wiring (channels, changes,
 * snapshot, pub/sub): what `createSyncEngine({ realtime })` takes.
 *
 * @example
 * ```ts
 * realtimeTuningSchema.parse({ windowMs: 50, maxConnectionsPerUser: 20 });
 * ```
 */
export const realtimeTuningSchema = z
  .object({
    topic: z.string().min(1).max(63).optional(),
    windowMs: ms.optional(),
    replay: z.object({ maxBatches: count.optional(), maxChanges: count.optional() }).strict().optional(),
    startCursor: z
      .string()
      .refine((c) => isCheckpoint(c), 'expected a log checkpoint "<txid>:<position>"')
      .optional(),
    maxConnectionsPerUser: count.optional(),
    retryAfterSeconds: z.number().min(0).optional(),
    connectionLimiter: portSchema<ConnectionLimiterPort>('a ConnectionLimiterPort', ['acquire']).optional(),
    heartbeatMs: ms.optional(),
    subscriberBuffer: z
      .object({ maxMessages: count.optional(), maxDeltas: count.optional() })
      .strict()
      .optional(),
    scheduler: portSchema<SchedulerLike>('an rxjs SchedulerLike', ['now', 'schedule']).optional(),
    now: functionSchema<() => number>().optional(),
  })
  .strict();

/**
 * The zod schema of `createRealtimeHub`'s options (unknown options refused).
 *
 * @example
 * ```ts
 * realtimeHubOptionsSchema.safeParse({ channels: [], snapshot, windowMs: -1 }).success // false
 * ```
 */
export const realtimeHubOptionsSchema = realtimeTuningSchema
  .extend({
    // Each channel is checked by defineChannels, with its own messages.
    channels: z.array(z.unknown()),
    changes: portSchema<Observable<RowChange>>('an Observable of row changes', ['subscribe']).optional(),
    snapshot: functionSchema<SnapshotPort>(),
    pubsub: portSchema<PubSub>('a PubSub', ['publish', 'subscribe']).optional(),
    accessAudit: portSchema<AccessAuditStore>('an AccessAuditStore', ['record']).optional(),
    logIdentity: functionSchema<() => string | undefined>().optional(),
  })
  .strict();
