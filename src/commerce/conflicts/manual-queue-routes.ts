/**
 * The manual conflict queue over HTTP, framework-agnostic (mount the routes
 * with `createRouter` in Express, Fastify or `http`). Every route needs an
 * authenticated caller and is scoped by creator (`ConflictQueue`): a creator
 * or service sees their creators' conflicts, an admin every creator's (each
 * such read access-audited). Only an admin decides; the decision is recorded
 * with the admin's id and the reason they give, and flows back into the read
 * models through `resolve-sync-conflicts`.
 */
import { z } from 'zod';
import { AccessDeniedError, InvalidPrincipalError } from '../../access/errors.js';
import { ADMIN_ROLE, hasRole, type Authorization } from '../../core/authorization.js';
import type { ConflictRecord } from '../../conflicts/service/audit/audit-record.js';
import {
  ConflictNotFoundError,
  ConflictNotPendingError,
  MalformedConflictInputError,
} from '../../conflicts/errors.js';
import type { JsonObject } from '../../conflicts/json.js';
import { errorToProblem, problemResponse } from '../../http/problem.js';
import { COMMERCE_ERROR_REGISTRY } from '../error-codes.js';
import type { Route } from '../../http/router.js';
import { jsonResponse, withBodyLimit, type HttpRequestHead, type HttpResponse } from '../../http/types.js';
import type { ConflictQueue, ConflictReader } from './conflict-queue.js';

/** Who calls the queue: the host's `authorize(request)` returns it, or null when unauthenticated. */
export type QueueCaller = Authorization;

/**
 * Options of {@link manualQueueRoutes}.
 *
 * @example
 * ```ts
 * const options: ManualQueueRoutesOptions = {
 *   queue: commerce.conflictQueue!,
 *   authorize: async (req) => sessionOf(req.headers.authorization), // { userId, tenantIds, roles } | null
 *   prefix: '/admin/conflicts',
 * };
 * const handler = createRouter(manualQueueRoutes(options));
 * ```
 */
export interface ManualQueueRoutesOptions {
  /** The tenant-scoped queue: `commerce.conflictQueue`. */
  queue: ConflictQueue;
  authorize: (request: HttpRequestHead) => Authorization | null | Promise<Authorization | null>;
  /** Path prefix. Default `/api/conflicts`. */
  prefix?: string;
  /** Clock for the report's range, ms. Default `Date.now`. */
  now?: () => number;
}

/**
 * The role allowed to decide the queue (and to read every creator's part of it).
 *
 * @example
 * ```ts
 * const caller: Authorization = { userId: 'u1', tenantIds: [], roles: [QUEUE_ADMIN_ROLE] };
 * ```
 */
export const QUEUE_ADMIN_ROLE = ADMIN_ROLE;

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
 * - `GET {prefix}/pending` and `GET {prefix}/pending/:entityType`: pending conflicts the caller may see, oldest first;
 * - `GET {prefix}/report`: their conflicts per hour of the last 24 hours with trend and automatic rate;
 * - `POST {prefix}/:conflictId/decision` with `{ values, note }`: decide one (admin; 409 when already decided).
 *
 * @example
 * ```ts
 * const handler = createRouter(manualQueueRoutes({
 *   queue: commerce.conflictQueue!,
 *   authorize: (req) => sessionOf(req.headers.authorization), // { userId, tenantIds, roles } | null
 * }));
 * ```
 */
export function manualQueueRoutes(options: ManualQueueRoutesOptions): Route[] {
  const prefix = options.prefix ?? '/api/conflicts';
  const now = options.now ?? Date.now;
  const { queue } = options;

  /**
   * The queue bound to the caller, or the response refusing them; a refusal by
   * the queue becomes its problem. A malformed identity from `authorize` is the
   * host's bug (`InvalidPrincipalError`, 500).
   */
  const guarded =
    (handle: (req: Parameters<Route['handler']>[0], reader: ConflictReader) => Promise<HttpResponse>) =>
    async (req: Parameters<Route['handler']>[0]): Promise<HttpResponse> => {
      const caller = await options.authorize(req);
      if (!caller) return problemResponse({ status: 401, code: 'UNAUTHENTICATED', message: 'Sign in first' });
      try {
        return await handle(req, queue.as(caller));
      } catch (err) {
        return queueProblem(err);
      }
    };
  const listPending = withBodyLimit(
    guarded(async (req, reader) => {
      const entityType = req.params.entityType;
      const pending = await reader.pending(entityType === undefined ? {} : { entityType });
      return jsonResponse(200, { conflicts: pending.map(summary) });
    }),
    0,
  );

  return [
    { method: 'GET', path: `${prefix}/pending`, handler: listPending },
    { method: 'GET', path: `${prefix}/pending/:entityType`, handler: listPending },
    {
      method: 'GET',
      path: `${prefix}/report`,
      handler: withBodyLimit(
        guarded(async (_req, reader) => {
          const to = new Date(now());
          const from = new Date(to.getTime() - 24 * 3_600_000);
          return jsonResponse(200, await reader.report({ from, to, bucket: 'hour' }));
        }),
        0,
      ),
    },
    {
      method: 'POST',
      path: `${prefix}/:conflictId/decision`,
      handler: withBodyLimit(
        guarded(async (req, reader) => {
          // Refuse a non-admin before reading the body.
          if (!hasRole(reader.principal, QUEUE_ADMIN_ROLE))
            throw new AccessDeniedError(reader.principal.userId, [QUEUE_ADMIN_ROLE], 'Deciding a conflict');
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
          const record = await reader.decide(req.params.conflictId!, {
            values: parsed.data.values as JsonObject,
            note: parsed.data.note,
          });
          return jsonResponse(200, { conflict: summary(record) });
        }),
        MAX_BODY,
      ),
    },
  ];
}

function queueProblem(err: unknown): HttpResponse {
  // The refusals of the queue (and a malformed identity from authorize(): the
  // host's bug, a 500 without the detail) are answered by the one mapping.
  if (QUEUE_REFUSALS.some((refusal) => err instanceof refusal))
    return errorToProblem(err, COMMERCE_ERROR_REGISTRY);
  throw err;
}

/** The errors the queue refuses a caller with; anything else is the adapter's to answer. */
const QUEUE_REFUSALS = [
  InvalidPrincipalError,
  AccessDeniedError,
  ConflictNotFoundError,
  ConflictNotPendingError,
  MalformedConflictInputError,
];

/** What an admin needs to decide: the entity, the reasons, every source's value, the state before. */
function summary(r: ConflictRecord) {
  return {
    conflictId: r.conflictId,
    status: r.status,
    entityType: r.resolution.entityType,
    entityId: r.resolution.entityId,
    creatorId: r.tenantId ?? r.resolution.before.creatorId ?? null,
    kind: r.resolution.kind,
    detectedAt: r.detectedAt,
    before: r.resolution.before,
    reasons: r.resolution.escalation?.reasons ?? [],
    markers: r.resolution.markers,
    after: r.resolution.after,
    manualOverride: r.manualOverride,
  };
}
