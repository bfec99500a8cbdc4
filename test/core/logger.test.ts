/**
 * The logger port: the default writes one line per record to stderr, the
 * silent one nothing, a wrong object is refused at creation, and a pino
 * logger fits the port (by its types and by what it writes).
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SyncError } from '../../src/core/errors.js';
import {
  consoleLogger,
  defaultLogger,
  resolveLogger,
  silentLogger,
  type Logger,
} from '../../src/core/logger.js';

function collect(): { lines: string[]; write: (line: string) => void } {
  const lines: string[] = [];
  return { lines, write: (line) => void lines.push(line) };
}

describe('consoleLogger', () => {
  it('writes one line per record: time, level, [component], message, the other fields', () => {
    const out = collect();
    const logger = consoleLogger({ write: out.write });
    const cause = new Error('duplicate key\nvalue violates unique constraint');
    const err = new SyncError('PROCESSOR_DEAD_LETTERED', 'event e-1 failed', { cause });
    logger.error({ component: 'processor:alerts', eventId: 'e-1', err }, 'event dead-lettered');
    logger.warn('plain message');
    expect(out.lines).toHaveLength(2);
    const [first, second] = out.lines as [string, string];
    expect(first).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z ERROR \[processor:alerts\] event dead-lettered \{/);
    expect(first.endsWith('\n')).toBe(true);
    expect(first.slice(0, -1)).not.toContain('\n'); // the cause's newline is escaped
    const fields = JSON.parse(first.slice(first.indexOf('{'))) as Record<string, unknown>;
    expect(fields).toEqual({
      eventId: 'e-1',
      err: {
        name: 'SyncError',
        code: 'PROCESSOR_DEAD_LETTERED',
        message: 'event e-1 failed',
        cause: { name: 'Error', message: 'duplicate key\nvalue violates unique constraint' },
      },
    });
    expect(second).toMatch(/ WARN plain message\n$/);
  });

  it('drops records below its level', () => {
    const out = collect();
    const logger = consoleLogger({ write: out.write, level: 'warn' });
    logger.info('not this');
    logger.debug({ n: 1 }, 'nor this');
    logger.warn('this');
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toContain('WARN this');
  });
});

describe('defaultLogger and silentLogger', () => {
  afterEach(() => vi.restoreAllMocks());

  it('the default writes to stderr', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    defaultLogger.error({ component: 'test-component' }, 'loud by default');
    const ours = write.mock.calls
      .map(([chunk]) => String(chunk))
      .filter((c) => c.includes('loud by default'));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(/ERROR \[test-component\] loud by default\n$/);
  });

  it('the silent one writes nothing anywhere', () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    silentLogger.error({ component: 'x' }, 'quiet');
    silentLogger.warn('quiet');
    silentLogger.info('quiet');
    silentLogger.debug('quiet');
    const quiet = [...err.mock.calls, ...out.mock.calls].filter(([c]) => String(c).includes('quiet'));
    expect(quiet).toEqual([]);
  });
});

describe('resolveLogger', () => {
  it('uses the default when none is given and refuses an object that is not a logger', () => {
    expect(resolveLogger(undefined, 'test')).toBe(defaultLogger);
    expect(resolveLogger(silentLogger, 'test')).toBe(silentLogger);
    const notALogger = { error: () => undefined, info: () => undefined } as unknown as Logger;
    expect(() => resolveLogger(notALogger, 'processor "x"')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/warn, debug/) }),
    );
  });
});

describe('a pino logger', () => {
  it('is assignable to the port and receives the records as pino JSON', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    // The assignment is the type-level check: it fails to compile if pino's methods stop fitting.
    const logger: Logger = pino({ level: 'debug' }, destination);
    logger.error({ component: 'processor:alerts', err: new Error('boom') }, 'event dead-lettered');
    logger.debug('bare message');
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(records[0]).toMatchObject({
        level: 50,
        component: 'processor:alerts',
        msg: 'event dead-lettered',
        err: { type: 'Error', message: 'boom' },
      });
      expect(records[1]).toMatchObject({ level: 20, msg: 'bare message' });
    });
  });
});
