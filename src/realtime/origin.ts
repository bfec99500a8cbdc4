/**
 * Which browser pages may open a realtime connection. Browsers attach cookies
 * to WebSocket upgrades and to cross-origin SSE requests from any page, and
 * never let a page forge `Origin`: checking it (before `authorize`) is what
 * keeps another site from reading a logged-in creator's live data.
 *
 * Rules: no `Origin` header (a non-browser client) → allowed; an `Origin` whose
 * host equals the request's `Host` (a page this host served) → allowed; an
 * `Origin` listed in `allowedOrigins` → allowed; anything else (including
 * `Origin: null`) → {@link OriginNotAllowedError}. `'*'` in the list allows
 * every origin.
 */
import type { IncomingMessage } from 'node:http';
import { InvalidArgumentError } from '../core/errors.js';
import { OriginNotAllowedError } from './errors.js';

/** A validated `allowedOrigins` list. */
export interface OriginPolicy {
  readonly any: boolean;
  /** Normalised origins (`scheme://host[:port]`, lower case, default port dropped). */
  readonly origins: ReadonlySet<string>;
}

const compiled = new WeakMap<readonly string[], OriginPolicy>();
const NONE: readonly string[] = Object.freeze([]);

/** `scheme://host[:port]` of an http(s) origin (lower case, default port dropped), or null. */
function normalise(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  // An origin has no path, query, fragment or credentials.
  if (url.username || url.password || url.search || url.hash || url.pathname !== '/') return null;
  return url.origin;
}

/**
 * Validate an `allowedOrigins` list once (cached per list).
 *
 * @throws InvalidArgumentError when an entry is not an http(s) origin or `'*'`.
 * @example
 * ```ts
 * compileOrigins(['https://dashboard.example.com', 'http://localhost:5173'])
 * ```
 */
export function compileOrigins(allowedOrigins: readonly string[] = NONE): OriginPolicy {
  const cached = compiled.get(allowedOrigins);
  if (cached) return cached;
  const origins = new Set<string>();
  let any = false;
  for (const entry of allowedOrigins) {
    if (entry === '*') {
      any = true;
      continue;
    }
    const origin = normalise(entry);
    if (!origin)
      throw new InvalidArgumentError(
        `allowedOrigins: "${entry}" is not an origin (scheme://host[:port], e.g. https://app.example.com)`,
      );
    origins.add(origin);
  }
  const policy = Object.freeze({ any, origins });
  compiled.set(allowedOrigins, policy);
  return policy;
}

/**
 * Refuse a request whose `Origin` the policy does not allow.
 *
 * @throws OriginNotAllowedError (code `ORIGIN_NOT_ALLOWED`, HTTP 403).
 * @example
 * ```ts
 * checkOrigin(req, compileOrigins(['https://app.example.com']));
 * ```
 */
export function checkOrigin(request: IncomingMessage, policy: OriginPolicy): void {
  const header = request.headers.origin;
  if (header === undefined || policy.any) return;
  const host = request.headers.host;
  const origin = normalise(header);
  if (origin !== null && (policy.origins.has(origin) || sameHost(origin, host))) return;
  throw new OriginNotAllowedError(header, host);
}

/** The page came from the host the request names (gorilla/websocket's default rule). */
function sameHost(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  const url = new URL(origin);
  try {
    // Parsed with the origin's scheme, so an explicit default port compares equal to none.
    return new URL(`${url.protocol}//${host}`).host === url.host;
  } catch {
    return false;
  }
}

/**
 * A comma-separated list (e.g. `process.env.ALLOWED_ORIGINS`) as `allowedOrigins`.
 *
 * @example
 * ```ts
 * createSseHandler(hub, { authorize, allowedOrigins: parseAllowedOrigins(process.env.ALLOWED_ORIGINS) });
 * ```
 */
export function parseAllowedOrigins(text: string | undefined): string[] {
  const list = (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  compileOrigins(list);
  return list;
}
