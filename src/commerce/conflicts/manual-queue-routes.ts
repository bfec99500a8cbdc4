/**
 * The manual conflict queue over HTTP, framework-agnostic (mount the routes
 * with `createRouter` in Express, Fastify or `http`). Only an authenticated
 * caller with the admin role may read the queue or decide; the decision is
 * recorded with the admin's id and the reason they give, and flows back into
 * the read models through `resolve-sync-conflicts`.
 */
import { z } from 'zod';
import type { ConflictRecord } from '../../conflicts/service/audit/audit-record.js';
import {
  ConflictNotFoundError,
  ConflictNotPendingError,
  MalformedConflictInputError,
} from '../../conflicts/errors.js';
import type { ConflictResolver } from '../../conflicts/service/conflict-resolver.js';
import { problemResponse } from '../../http/problem.js';
import type { Route } from '../../http/router.js';
import { jsonResponse, withBodyLimit, type HttpRequestHead, type HttpResponse } from '../../http/types.js';

/** Who calls the queue: the host's `authorize(request)` returns it, or null when unauthenticated. */
export interface QueueCaller {
  userId: string;
  /** The queue needs `'admin'`. */
  roles: readonly string[];
}

/**
 * Options of {@link manualQueueRoutes}.
 *
 * @example
 * ```ts
 * const options: ManualQueueRoutesOptions = {
 *   resolver: commerce.conflicts!.resolver,
 *   authorize: async (req) => sessionOf(req.headers.authorization), // { userId, roles } | null
 *   prefix: '/admin/conflicts',
 * };
 * const handler = createRouter(manualQueueRoutes(options));
 * ```
 */
export interface ManualQueueRoutesOptions {
  resolver: ConflictResolver;
  authorize: (request: HttpRequestHead) => QueueCaller | null | Promise<QueueCaller | null>;
  /** Path prefix. Default `/api/conflicts`. */
  prefix?: string;
  /** Clock for the report's range, ms. Default `Date.now`. */
  now?: () => number;
}

/**
 * The role allowed to read and decide the queue.
 *
 * @example
 * ```ts
 * const caller: QueueCaller = { userId: 'u1', roles: [QUEUE_ADMIN_ROLE] };
 * ```
 */
export const QUEUE_ADMIN_ROLE = 'admin';

const decisionBodySchema = z
  .object({
    /** Final values of the fields the admin decides, e.g. `{ "quantity": 31 }`. */
    values: z.record(z.string().min(1), z.json()),
    /** Why: kept in the audit with the admin's id. */
    note: z.string().trim().min(1).max(2_000),
  })
  .strict();

const MAX_BODY = 64 * 1024;

/**
 * Routes of the manual queue:
 * - `GET {prefix}/pending` and `GET {prefix}/pending/:entityType`: pending conflicts, oldest first;
 * - `GET {prefix}/report`: conflicts per hour of the last 24 hours with trend and automatic rate;
 * - `POST {prefix}/:conflictId/decision` with `{ values, note }`: decide one (409 when already decided).
 *
 * @example
 * ```ts
 * const handler = createRouter(manualQueueRoutes({
 *   resolver: commerce.conflicts!.resolver,
 *   authorize: (req) => sessionOf(req.headers.authorization), // { userId, roles } | null
 * }));
 * ```
 */
export function manualQueueRoutes(options: ManualQueueRoutesOptions): Route[] {
  const prefix = options.prefix ?? '/api/conflicts';
  const now = options.now ?? Date.now;
  const { resolver } = options;

  const admin = async (req: HttpRequestHead): Promise<QueueCaller | HttpResponse> => {
    const caller = await options.authorize(req);
    if (!caller) return problemResponse({ status: 401, code: 'UNAUTHENTICATED', message: 'Sign in first' });
    if (!caller.roles.includes(QUEUE_ADMIN_ROLE))
      return problemResponse({
        status: 403,
        code: 'FORBIDDEN',
        message: 'The conflict queue needs the admin role',
      });
    return caller;
  };
  const listPending = withBodyLimit(async (req) => {
    const caller = await admin(req);
    if ('status' in caller) return caller;
    const entityType = req.params.entityType;
    const pending = await resolver.listPending(entityType === undefined ? {} : { entityType });
    return jsonResponse(200, { conflicts: pending.map(summary) });
  }, 0);

  return [
    { method: 'GET', path: `${prefix}/pending`, handler: listPending },
    { method: 'GET', path: `${prefix}/pending/:entityType`, handler: listPending },
    {
      method: 'GET',
      path: `${prefix}/report`,
      handler: withBodyLimit(async (req) => {
        const caller = await admin(req);
        if ('status' in caller) return caller;
        const to = new Date(now());
        const from = new Date(to.getTime() - 24 * 3_600_000);
        return jsonResponse(200, await resolver.report({ from, to, bucket: 'hour' }));
      }, 0),
    },
    {
      method: 'POST',
      path: `${prefix}/:conflictId/decision`,
      handler: withBodyLimit(async (req) => {
        const caller = await admin(req);
        if ('status' in caller) return caller;
        let body: unknown;
        try {
          body = JSON.parse(req.rawBody.toString('utf8'));
        } catch {
          return problemResponse({ status: 400, code: 'MALFORMED_JSON', message: 'The body is not JSON' });
        }
        const parsed = decisionBodySchema.safeParse(body);
        if (!parsed.success) {
          return problemResponse({
            status: 400,
            code: 'CONFLICT_MALFORMED_INPUT',
            message: 'Invalid decision',
            issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
          });
        }
        try {
          const record = await resolver.resolveManually(req.params.conflictId!, {
            values: parsed.data.values as ConflictRecord['resolution']['set'],
            adminId: caller.userId,
            note: parsed.data.note,
          });
          return jsonResponse(200, { conflict: summary(record) });
        } catch (err) {
          return decisionProblem(err);
        }
      }, MAX_BODY),
    },
  ];
}

function decisionProblem(err: unknown): HttpResponse {
  if (err instanceof ConflictNotFoundError)
    return problemResponse({ status: 404, code: err.code, message: err.message });
  if (err instanceof ConflictNotPendingError)
    return problemResponse({ status: 409, code: err.code, message: err.message });
  if (err instanceof MalformedConflictInputError)
    return problemResponse({ status: 400, code: err.code, message: err.message, issues: err.issues });
  throw err;
}

/** What an admin needs to decide: the entity, the reasons, every source's value, the state before. */
function summary(r: ConflictRecord) {
  return {
    conflictId: r.conflictId,
    status: r.status,
    entityType: r.resolution.entityType,
    entityId: r.resolution.entityId,
    creatorId: r.resolution.before.creatorId ?? null,
    kind: r.resolution.kind,
    detectedAt: r.detectedAt,
    before: r.resolution.before,
    reasons: r.resolution.escalation?.reasons ?? [],
    markers: r.resolution.markers,
    after: r.resolution.after,
    manualOverride: r.manualOverride,
  };
}
