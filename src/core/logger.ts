/**
 * The logger port: the subset of pino the library calls, so a host passes its
 * pino (or anything with the same four methods) and the library never
 * imports a logging package. The default writes one line per record to
 * stderr, so a failure in the background is never silent unless the host
 * asks for silence with {@link silentLogger}.
 */
import { InvalidArgumentError } from './errors.js';

/**
 * One log method, called as pino's are: `(obj, msg?)` or `(msg)`. Errors go
 * under `err` (pino's convention, so its error serializer applies).
 *
 * @example
 * ```ts
 * logger.error({ component: 'processor:alerts', err }, 'event dead-lettered');
 * logger.info('caught up');
 * ```
 */
export interface LogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

/**
 * What the library logs through. A pino `Logger` is assignable to it.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * const engine = createSyncEngine({ sql, logger: pino() });
 * ```
 */
export interface Logger {
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
}

/**
 * Levels of {@link Logger}, most severe first.
 *
 * @example
 * ```ts
 * const level = LOG_LEVELS.includes(env.LOG_LEVEL as LogLevel) ? (env.LOG_LEVEL as LogLevel) : 'info';
 * ```
 */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Options of {@link consoleLogger}.
 *
 * @example
 * ```ts
 * const logger = consoleLogger({ level: 'warn' });
 * ```
 */
export interface ConsoleLoggerOptions {
  /** Least severe level written. Default `'info'`. */
  level?: LogLevel;
  /** Where lines go. Default `process.stderr` (stdout belongs to the host). */
  write?: (line: string) => void;
}

/**
 * A logger writing one line per record: time, level, `[component]` (from
 * `obj.component`), message, then the rest of `obj` as JSON (errors with
 * name, code, message and cause). This is the library's default.
 *
 * @example
 * ```ts
 * const logger = consoleLogger({ level: 'debug' });
 * logger.error({ component: 'processor:alerts', err }, 'event dead-lettered');
 * // 2026-12-03T04:30:00.000Z ERROR [processor:alerts] event dead-lettered {"err":{…}}
 * ```
 */
export function consoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? 'info');
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const method =
    (level: LogLevel): LogFn =>
    (objOrMsg: object | string, msg?: string) => {
      if (LOG_LEVELS.indexOf(level) > threshold) return;
      write(formatLine(level, objOrMsg, msg));
    };
  return Object.freeze({
    error: method('error'),
    warn: method('warn'),
    info: method('info'),
    debug: method('debug'),
  });
}

/**
 * A logger that drops everything. Pass it only when the host watches the
 * `'error'` events itself (or in tests): the library then fails silently.
 *
 * @example
 * ```ts
 * const projection = createProjection({ store, definition, logger: silentLogger });
 * projection.on('error', (err) => metrics.count(err));
 * ```
 */
export const silentLogger: Logger = Object.freeze({
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
});

/**
 * The logger used when none is given: {@link consoleLogger} at `info`, created once.
 *
 * @example
 * ```ts
 * const logger = options.logger ?? defaultLogger;
 * ```
 */
export const defaultLogger: Logger = consoleLogger();

/**
 * The logger to use: `logger`, or {@link defaultLogger} when undefined. Throws
 * an `InvalidArgumentError` when it lacks one of the four methods, so a wrong
 * object fails at creation rather than at the first failure it should report.
 *
 * @example
 * ```ts
 * const logger = resolveLogger(options.logger, 'saga runner');
 * ```
 */
export function resolveLogger(logger: Logger | undefined, owner: string): Logger {
  if (logger === undefined) return defaultLogger;
  const missing = LOG_LEVELS.filter((l) => typeof (logger as Partial<Logger> | null)?.[l] !== 'function');
  if (missing.length > 0) {
    throw new InvalidArgumentError(`logger of ${owner} needs ${missing.join(', ')} method(s)`);
  }
  return logger;
}

function formatLine(level: LogLevel, objOrMsg: object | string, msg?: string): string {
  const { component, ...rest } = (typeof objOrMsg === 'string' ? {} : objOrMsg) as Record<string, unknown>;
  const message = typeof objOrMsg === 'string' ? objOrMsg : (msg ?? '');
  const head = `${new Date().toISOString()} ${level.toUpperCase()}`;
  const where = typeof component === 'string' ? ` [${component}]` : '';
  const fields = Object.keys(rest).length > 0 ? ` ${safeJson(rest)}` : '';
  // JSON escapes newlines, so a record is one line even with a stack in it.
  return `${head}${where} ${message}${fields}\n`;
}

function safeJson(value: unknown): string {
  try {
    // The holder's own value, not `v`: JSON.stringify applies toJSON() before the replacer,
    // and SyncError.toJSON() leaves out the cause.
    return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
      const raw = this[key];
      return raw instanceof Error ? describeError(raw) : v;
    });
  } catch {
    return '"[unserializable]"';
  }
}

function describeError(err: Error): Record<string, unknown> {
  const code = (err as { code?: unknown }).code;
  return {
    name: err.name,
    ...(code === undefined ? {} : { code }),
    message: err.message,
    ...(err.cause === undefined ? {} : { cause: err.cause }),
  };
}
