/**
 * The hosts' log: one line per message on stderr, prefixed with the host id
 * (several hosts share a terminal or a log collector), and URLs with their
 * credentials removed — a token in a query string (the only way a browser's
 * WebSocket can carry one) must never reach a log.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LogFn, Logger } from '@creatorflow/sync';

/** Levels of {@link HostLog}. */
export type LogLevel = 'info' | 'warn' | 'error';

/** A host's log. */
export interface HostLog {
  readonly hostId: string;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Query parameters whose values never reach a log. */
const SECRET_PARAMS = new Set(['token', 'access_token', 'sign', 'api_key', 'apikey', 'key']);

/**
 * `url` (a request target like `/realtime/ws?channel=x&token=…`) with the
 * values of credential parameters replaced by `[redacted]`.
 *
 * @example
 * ```ts
 * redactUrl('/realtime/sse?channel=a&token=s3cret') // '/realtime/sse?channel=a&token=[redacted]'
 * ```
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = decodeURIComponentSafe(eq < 0 ? pair : pair.slice(0, eq)).toLowerCase();
      return SECRET_PARAMS.has(name) ? `${pair.slice(0, eq < 0 ? pair.length : eq)}=[redacted]` : pair;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/**
 * A short, credential-free description of an error for a log line: its code
 * and name, and its message (driver messages name servers and states, not
 * secrets).
 *
 * @example
 * ```ts
 * log.warn(`database: ${describeError(err)}`); // 'database: 57P01 error: terminating connection …'
 * ```
 */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return `${typeof code === 'string' ? `${code} ` : ''}${err.name}: ${err.message}`;
}

/**
 * A log writing `<time> [<hostId>] <level> <message>` lines.
 *
 * @example
 * ```ts
 * const log = createHostLog('host-a');
 * log.warn('redis: connection lost');
 * ```
 */
export function createHostLog(hostId: string, write: (line: string) => void = defaultWrite): HostLog {
  const line = (level: LogLevel, message: string) =>
    write(`${new Date().toISOString()} [${hostId}] ${level} ${message}`);
  return {
    hostId,
    info: (m) => line('info', m),
    warn: (m) => line('warn', m),
    error: (m) => line('error', m),
  };
}

function defaultWrite(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * Log every request when it ends: method, redacted URL, status and duration
 * (a realtime stream's duration is its lifetime).
 *
 * @example
 * ```ts
 * app.use((req, res, next) => { logRequest(log, req, res); next(); });
 * ```
 */
export function logRequest(log: HostLog, req: IncomingMessage, res: ServerResponse): void {
  const started = performance.now();
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    const ms = Math.round(performance.now() - started);
    log.info(`${req.method ?? '?'} ${redactUrl(req.url ?? '/')} ${res.statusCode} ${ms}ms`);
  };
  res.once('finish', finish);
  res.once('close', finish);
}

/**
 * Whether `ACCESS_LOG=1` asks for a line per request.
 *
 * @example
 * ```ts
 * if (accessLogEnabled()) app.use((req, res, next) => { logRequest(log, req, res); next(); });
 * ```
 */
export function accessLogEnabled(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  return env.ACCESS_LOG === '1';
}

/** An error and its causes, each described by {@link describeError}. */
function describeChain(err: unknown): string {
  const parts: string[] = [];
  for (let e = err, depth = 0; e !== undefined && depth < 4; depth++) {
    parts.push(describeError(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(' <- caused by: ');
}

/**
 * The library's logger port writing to the host's log: `[component] message:
 * error (and its causes)`, the other fields as JSON. Given to
 * `createSyncEngine({ logger })`, so what the library logs — a webhook answered
 * 500 with the error it hid, a processor's failure — carries the host id.
 *
 * @example
 * ```ts
 * createSyncEngine({ sql, logger: hostLogger(log) });
 * ```
 */
export function hostLogger(log: HostLog): Logger {
  const method =
    (write: (message: string) => void): LogFn =>
    (objOrMsg: object | string, msg?: string) => {
      if (typeof objOrMsg === 'string') return write(objOrMsg);
      const { component, err, ...rest } = objOrMsg as Record<string, unknown>;
      const where = typeof component === 'string' ? `[${component}] ` : '';
      const error = err === undefined ? '' : `: ${describeChain(err)}`;
      const fields = Object.keys(rest).length > 0 ? ` ${safeJson(rest)}` : '';
      write(`${where}${msg ?? ''}${error}${fields}`);
    };
  return {
    error: method(log.error),
    warn: method(log.warn),
    info: method(log.info),
    // The host's log has no debug level: the library's debug records are dropped.
    debug: () => undefined,
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return '"[unserializable]"';
  }
}
