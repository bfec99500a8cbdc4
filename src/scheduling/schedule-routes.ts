/**
 * The scheduler over HTTP, framework-agnostic (mount with `createRouter`):
 * list the schedules, read a schedule's history, and trigger a run by hand.
 * Reading needs the admin role; triggering the admin or the service role (a
 * machine calling `sync-inventory-levels`). A refusal is a typed error
 * answered as problem+json (401 `UNAUTHENTICATED`, 403 `FORBIDDEN`); a
 * manual run records who asked (in its history, in its job's context as
 * `requestedBy`, and with `audit` in the access audit). A run acts for every
 * tenant its job covers: a host whose callers are scoped to tenants
 * restricts `roles.trigger` to admins.
 */
import { z } from 'zod';
import type { AccessAuditStore } from '../access/access-audit.js';
import { AccessDeniedError, UnauthenticatedError } from '../access/errors.js';
import { ADMIN_ROLE, SERVICE_ROLE } from '../core/authorization.js';
import { isStorableText } from '../core/storable-text.js';
import { problemOf, problemResponse } from '../http/problem.js';
import type { Route } from '../http/router.js';
import { jsonResponse, withBodyLimit, type HttpRequestHead, type HttpResponse } from '../http/types.js';
import { ScheduleNotFoundError } from './errors.js';
import type { ScheduleRun } from './schedule-run.js';
import type { Scheduler } from './scheduler.js';

/** Who calls: the host's `authorize(request)` returns it, or null when unauthenticated. */
export interface ScheduleCaller {
  userId: string;
  /** The routes need one of their roles (see {@link ScheduleRouteRoles}); the library's `Authorization` fits. */
  roles?: readonly string[] | undefined;
}

/**
 * Who may use the schedule routes: any one of the listed roles.
 *
 * @example
 * ```ts
 * const roles: ScheduleRouteRoles = { read: ['admin'], trigger: ['admin', 'service'] };
 * ```
 */
export interface ScheduleRouteRoles {
  /** List schedules, read runs. Default `['admin']`. */
  read?: readonly string[];
  /** Run a schedule now. Default `['admin', 'service']`. */
  trigger?: readonly string[];
}

/**
 * The default roles of the schedule routes.
 *
 * @example
 * ```ts
 * scheduleRoutes({ scheduler, authorize, roles: { ...SCHEDULE_ROUTE_ROLES, trigger: ['admin'] } });
 * ```
 */
export const SCHEDULE_ROUTE_ROLES: Readonly<Required<ScheduleRouteRoles>> = Object.freeze({
  read: Object.freeze([ADMIN_ROLE]),
  trigger: Object.freeze([ADMIN_ROLE, SERVICE_ROLE]),
});

/**
 * Options of {@link scheduleRoutes}.
 *
 * @example
 * ```ts
 * const options: ScheduleRoutesOptions = {
 *   scheduler: engine.scheduler,
 *   authorize: async (req) => sessionOf(req.headers.authorization), // { userId, roles } | null
 *   prefix: '/api/schedules',
 * };
 * const handler = createRouter(scheduleRoutes(options));
 * ```
 */
export interface ScheduleRoutesOptions {
  scheduler: Scheduler;
  authorize: (request: HttpRequestHead) => ScheduleCaller | null | Promise<ScheduleCaller | null>;
  /** Path prefix. Default `/api/schedules`. */
  prefix?: string;
  /** The roles a caller needs. Default `SCHEDULE_ROUTE_ROLES` (read: admin; trigger: admin or service). */
  roles?: ScheduleRouteRoles;
  /** How long a trigger waits for its run before answering 202. Default 10 000 ms. */
  waitMs?: number;
  /**
   * Where manual triggers are recorded before the run is asked for (action
   * `schedules.trigger`, every tenant: a job acts for all the tenants it
   * covers, as its system principal). Give `commerce.accessAudit`; none: not recorded.
   */
  audit?: AccessAuditStore;
}

/** GETs read no body; not 0, which Fastify refuses as a route's body limit. */
const NO_BODY = 1;

const triggerBodySchema = z
  .object({
    /** Idempotency key: a retried request gets the first run. */
    key: z
      .string()
      .min(1)
      .max(200)
      // Refused before the audit records it: the run's row could not keep it as sent.
      .refine(isStorableText, 'must not contain a NUL character or a lone UTF-16 surrogate')
      .optional(),
  })
  .strict();

/**
 * Routes:
 * - `GET {prefix}`: every schedule with its next due time;
 * - `GET {prefix}/:name/runs`: its history, newest first;
 * - `POST {prefix}/:name/runs` with an optional `{ key }`: run it now, on
 *   whichever host leads; 200 with the finished run, or 202 with the run
 *   still in progress after `waitMs` (poll `GET {prefix}/:name/runs/:runId`).
 *
 * @example
 * ```ts
 * app.use(expressAdapter(createRouter(scheduleRoutes({ scheduler: engine.scheduler, authorize }))));
 * // curl -X POST -H 'authorization: Bearer …' /api/schedules/sync-inventory-levels/runs
 * ```
 */
export function scheduleRoutes(options: ScheduleRoutesOptions): Route[] {
  const prefix = options.prefix ?? '/api/schedules';
  const readRoles = options.roles?.read ?? SCHEDULE_ROUTE_ROLES.read;
  const triggerRoles = options.roles?.trigger ?? SCHEDULE_ROUTE_ROLES.trigger;
  const { scheduler } = options;

  /** The caller, or a typed refusal: no identity (401), none of `roles` (403). */
  const authorized = async (req: HttpRequestHead, roles: readonly string[], what: string) => {
    const caller = await options.authorize(req);
    if (!caller) throw new UnauthenticatedError();
    if (!roles.some((r) => (caller.roles ?? []).includes(r)))
      throw new AccessDeniedError(caller.userId, roles, what);
    return caller;
  };
  const guarded = (
    limit: number,
    roles: readonly string[],
    handle: (
      req: Parameters<Parameters<typeof withBodyLimit>[0]>[0],
      caller: ScheduleCaller,
    ) => Promise<HttpResponse>,
  ) =>
    withBodyLimit(async (req) => {
      try {
        const what = req.method === 'POST' ? 'Running a schedule' : 'Reading schedules';
        return await handle(req, await authorized(req, roles, what));
      } catch (err) {
        if (
          err instanceof ScheduleNotFoundError ||
          err instanceof UnauthenticatedError ||
          err instanceof AccessDeniedError
        ) {
          return problemResponse(problemOf(err));
        }
        throw err;
      }
    }, limit);

  return [
    {
      method: 'GET',
      path: prefix,
      handler: guarded(NO_BODY, readRoles, async () =>
        jsonResponse(200, { leading: scheduler.leading, schedules: scheduler.status() }),
      ),
    },
    {
      method: 'GET',
      path: `${prefix}/:name/runs`,
      handler: guarded(NO_BODY, readRoles, async (req) =>
        jsonResponse(200, { runs: (await scheduler.history(req.params.name!)).map(view) }),
      ),
    },
    {
      method: 'GET',
      path: `${prefix}/:name/runs/:runId`,
      handler: guarded(NO_BODY, readRoles, async (req) => {
        const run = await scheduler.run(req.params.runId!);
        if (!run || run.schedule !== req.params.name) {
          throw new ScheduleNotFoundError(
            req.params.name!,
            `No run ${req.params.runId} of ${req.params.name}`,
          );
        }
        return jsonResponse(200, { run: view(run) });
      }),
    },
    {
      method: 'POST',
      path: `${prefix}/:name/runs`,
      handler: guarded(1_024, triggerRoles, async (req, caller) => {
        const text = req.rawBody.toString('utf8').trim();
        let body: unknown = {};
        try {
          if (text) body = JSON.parse(text);
        } catch {
          return problemResponse({ status: 400, code: 'MALFORMED_JSON', message: 'The body is not JSON' });
        }
        const parsed = triggerBodySchema.safeParse(body);
        if (!parsed.success) {
          return problemResponse({
            status: 422,
            code: 'VALIDATION_FAILED',
            message: 'Invalid trigger',
            issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
          });
        }
        // A run acts for every tenant its job covers: who asked is on the record first.
        const name = req.params.name!;
        if (!scheduler.status().some((s) => s.name === name)) throw new ScheduleNotFoundError(name);
        await options.audit?.record({
          userId: caller.userId,
          roles: caller.roles ?? [],
          action: 'schedules.trigger',
          resource: req.params.name!,
          tenantIds: null,
          rowCount: null,
          ...(parsed.data.key === undefined ? {} : { detail: `key ${parsed.data.key}` }),
        });
        const asked = await scheduler.trigger(req.params.name!, {
          key: parsed.data.key,
          requestedBy: caller.userId,
        });
        const run = await scheduler.waitForRun(asked.id, { timeoutMs: options.waitMs ?? 10_000 });
        const finished = run.status !== 'pending' && run.status !== 'running';
        return jsonResponse(finished ? 200 : 202, { run: view(run) });
      }),
    },
  ];
}

function view(run: ScheduleRun) {
  return { ...run, dueAt: run.dueAt.toISOString() };
}
