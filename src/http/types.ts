/**
 * The framework-agnostic HTTP shape the ingestion handlers speak. Adapters
 * (Express, Fastify, plain `http`) translate to and from it, keeping the raw
 * body bytes so signatures are checked over exactly what was sent.
 */

/** Request headers, lower-case names as Node gives them. */
export type HttpHeaders = Record<string, string | readonly string[] | undefined>;

/** An incoming request. */
export interface HttpRequest {
  method: string;
  /** The path without the query string, e.g. `/api/webhooks/tiktok`. */
  path: string;
  headers: HttpHeaders;
  /** The body exactly as received (never re-serialised). */
  rawBody: Buffer;
  /** Route parameters, e.g. `{ provider: 'shippo' }`. */
  params: Record<string, string>;
}

/** What an adapter knows of a request before it reads the body. */
export type HttpRequestHead = Omit<HttpRequest, 'rawBody'>;

/** A response to send. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A request handler independent of any framework. A handler that refuses large
 * bodies says so in `maxBodyBytes`, and the adapters stop reading there: one
 * limit, enforced while the body arrives rather than after it was buffered.
 *
 * @example
 * ```ts
 * const handler: HttpHandler = async (req) => ({ status: 200, headers: {}, body: req.path });
 * ```
 */
export interface HttpHandler {
  (req: HttpRequest): Promise<HttpResponse>;
  /** The largest body accepted for a request (undefined: the adapter's own limit applies). */
  maxBodyBytes?: (head: HttpRequestHead) => number | undefined;
}

/**
 * Give a handler a body limit the adapters enforce while reading.
 *
 * @example
 * ```ts
 * const handler = withBodyLimit(async (req) => jsonResponse(200, {}), 64 * 1024);
 * ```
 */
export function withBodyLimit(
  handler: (req: HttpRequest) => Promise<HttpResponse>,
  limit: number | ((head: HttpRequestHead) => number | undefined),
): HttpHandler {
  const maxBodyBytes = typeof limit === 'number' ? () => limit : limit;
  return Object.assign(handler, { maxBodyBytes });
}

/**
 * The first value of a header, looked up case-insensitively.
 *
 * @example
 * ```ts
 * headerValue({ authorization: 'abc' }, 'Authorization') // 'abc'
 * ```
 */
export function headerValue(headers: HttpHeaders, name: string): string | undefined {
  const lower = name.toLowerCase();
  let value = headers[lower];
  if (value === undefined) {
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === lower) {
        value = headers[key];
        break;
      }
    }
  }
  if (typeof value === 'string') return value;
  return value?.[0];
}

/**
 * A JSON response.
 *
 * @example
 * ```ts
 * return jsonResponse(200, { status: 'accepted' });
 * ```
 */
export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}
