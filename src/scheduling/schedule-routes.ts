/**
 * The scheduler over HTTP, framework-agnostic (mount with `createRouter`):
 * list the schedules, read a schedule's history, and trigger a run by hand.
 * Only a caller with the admin role may; a manual run records who asked.
 */
import { z } from 'zod';
import { problemResponse } from '../http/problem.js';
import type { Route } from '../http/router.js';
import { jsonResponse, withBodyLimit, type HttpRequestHead, type HttpResponse } from '../http/types.js';
import { ScheduleNotFoundError } from './errors.js';
import type { ScheduleRun } from './schedule-run.js';
import type { Scheduler } from './scheduler.js';

/** Who calls: the host's `authorize(request)` returns it, or null when unauthenticated. */
export interface ScheduleCaller {
  userId: string;
  /** The routes need `role` (default `'admin'`) among them; the library's `Authorization` fits. */
  roles?: readonly string[] | undefined;
}

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
  /** The role a caller needs. Default `'admin'`. */
  role?: string;
  /** How long a trigger waits for its run before answering 202. Default 10 000 ms. */
  waitMs?: number;
}

/** GETs read no body; not 0, which Fastify refuses as a route's body limit. */
const NO_BODY = 1;

const triggerBodySchema = z
  .object({
    /** Idempotency key: a retried request gets the first run. */
    key: z.string().min(1).max(200).optional(),
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
  const role = options.role ?? 'admin';
  const { scheduler } = options;

  const authorized = async (req: HttpRequestHead): Promise<ScheduleCaller | HttpResponse> => {
    const caller = await options.authorize(req);
    if (!caller) return problemResponse({ status: 401, code: 'UNAUTHENTICATED', message: 'Sign in first' });
    if (!(caller.roles ?? []).includes(role)) {
      return problemResponse({ status: 403, code: 'FORBIDDEN', message: `Schedules need the ${role} role` });
    }
    return caller;
  };
  const guarded = (
    limit: number,
    handle: (
      req: Parameters<Parameters<typeof withBodyLimit>[0]>[0],
      caller: ScheduleCaller,
    ) => Promise<HttpResponse>,
  ) =>
    withBodyLimit(async (req) => {
      const caller = await authorized(req);
      if ('status' in caller) return caller;
      try {
        return await handle(req, caller);
      } catch (err) {
        if (err instanceof ScheduleNotFoundError) {
          return problemResponse({ status: 404, code: err.code, message: err.message });
        }
        throw err;
      }
    }, limit);

  return [
    {
      method: 'GET',
      path: prefix,
      handler: guarded(NO_BODY, async () =>
        jsonResponse(200, { leading: scheduler.leading, schedules: scheduler.status() }),
      ),
    },
    {
      method: 'GET',
      path: `${prefix}/:name/runs`,
      handler: guarded(NO_BODY, async (req) =>
        jsonResponse(200, { runs: (await scheduler.history(req.params.name!)).map(view) }),
      ),
    },
    {
      method: 'GET',
      path: `${prefix}/:name/runs/:runId`,
      handler: guarded(NO_BODY, async (req) => {
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
      handler: guarded(1_024, async (req, caller) => {
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
