/**
 * A tiny path router for framework-agnostic handlers, so one handler can be
 * mounted as a catch-all in any framework.
 */
import { problemResponse } from './problem.js';
import { withBodyLimit, type HttpHandler, type HttpRequest, type HttpRequestHead } from './types.js';

/** One route: a method and a path pattern with `:name` segments. */
export interface Route {
  method: string;
  path: string;
  handler: HttpHandler;
}

interface CompiledRoute extends Route {
  segments: string[];
}

function splitPath(path: string): string[] {
  const clean = path.split('?')[0] ?? '';
  return clean.split('/').filter((s) => s.length > 0);
}

function match(route: CompiledRoute, segments: readonly string[]): Record<string, string> | null {
  if (route.segments.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const pattern = route.segments[i]!;
    const actual = segments[i]!;
    if (pattern.startsWith(':')) {
      try {
        params[pattern.slice(1)] = decodeURIComponent(actual);
      } catch {
        return null;
      }
    } else if (pattern !== actual) return null;
  }
  return params;
}

/**
 * Combine routes into one handler: 404 `NOT_FOUND` for an unknown path, 405
 * `METHOD_NOT_ALLOWED` (with `Allow`) for a known path and another method.
 * Parameters the framework already matched are kept.
 *
 * @example
 * ```ts
 * const handler = createRouter([{ method: 'POST', path: '/api/webhooks/shipping/:provider', handler: shipping }]);
 * ```
 */
export function createRouter(routes: readonly Route[]): HttpHandler {
  const compiled: CompiledRoute[] = routes.map((r) => ({
    ...r,
    method: r.method.toUpperCase(),
    segments: splitPath(r.path),
  }));
  /** The route serving a request and its params, else the methods the path allows. */
  const find = (
    head: HttpRequestHead,
  ): { route: CompiledRoute; params: Record<string, string> } | string[] => {
    const segments = splitPath(head.path);
    const allowed: string[] = [];
    for (const route of compiled) {
      const params = match(route, segments);
      if (!params) continue;
      if (route.method === head.method.toUpperCase()) return { route, params };
      allowed.push(route.method);
    }
    return allowed;
  };
  const router = async (req: HttpRequest) => {
    const found = find(req);
    if (!Array.isArray(found)) {
      // Built field by field: in V8 adding keys to a spread copy takes a slow path.
      return found.route.handler({
        method: req.method,
        path: req.path,
        headers: req.headers,
        rawBody: req.rawBody,
        params: Object.assign({}, req.params, found.params),
      });
    }
    const allowed = found;
    if (allowed.length > 0) {
      return problemResponse({
        status: 405,
        code: 'METHOD_NOT_ALLOWED',
        message: `Use ${allowed.join(', ')} for this path`,
        headers: { allow: allowed.join(', ') },
      });
    }
    return problemResponse({ status: 404, code: 'NOT_FOUND', message: 'No webhook receiver at this path' });
  };
  // The limit of the route that will answer, so the adapter reads no further than it would accept.
  return withBodyLimit(router, (head) => {
    const found = find(head);
    if (Array.isArray(found)) return undefined;
    return found.route.handler.maxBodyBytes?.({
      ...head,
      params: Object.assign({}, head.params, found.params),
    });
  });
}
