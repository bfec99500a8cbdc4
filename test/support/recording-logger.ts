/**
 * A logger that keeps what it is given, for asserting what the library logs.
 */
import type { Logger, LogLevel } from '../../src/core/logger.js';

/** One record: level, the fields object (empty for a bare message) and the message. */
export interface LogRecord {
  level: LogLevel;
  obj: Record<string, unknown>;
  msg: string | undefined;
}

/** A {@link Logger} that records every call in `records`. */
export function recordingLogger(): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  const method =
    (level: LogLevel) =>
    (objOrMsg: object | string, msg?: string): void => {
      if (typeof objOrMsg === 'string') records.push({ level, obj: {}, msg: objOrMsg });
      else records.push({ level, obj: objOrMsg as Record<string, unknown>, msg });
    };
  return {
    records,
    error: method('error'),
    warn: method('warn'),
    info: method('info'),
    debug: method('debug'),
  };
}
