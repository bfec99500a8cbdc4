/**
 * createSyncEngine and createRealtimeHub check their options once, with zod,
 * before anything starts: a bad or unknown field is an InvalidOptionsError
 * naming it by its path.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { InvalidOptionsError } from '../../src/core/errors.js';
import { isInvalidOptionsError } from '../../src/core/errors.js';
import { parseOptions } from '../../src/core/parse-options.js';
import { createSyncEngine } from '../../src/engine.js';
import { realtimeHubOptionsSchema } from '../../src/realtime/hub-options.js';
import { createRealtimeHub } from '../../src/realtime/hub.js';
import type { RealtimeHubOptions } from '../../src/realtime/hub-types.js';
import { CHANNELS } from '../realtime/support.js';

/** The error of `fn`, which must throw an InvalidOptionsError. */
function refusal(fn: () => unknown): InvalidOptionsError {
  try {
    fn();
  } catch (err) {
    expect(isInvalidOptionsError(err)).toBe(true);
    return err as InvalidOptionsError;
  }
  throw new Error('no error was thrown');
}

const snapshot = async () => ({ rows: [], checkpoint: '0:0' });
// Never queried: validation fails before anything touches the database.
const sql = { dialect: 'pg', query: async () => ({ rows: [] }), transaction: async () => undefined };

describe('createRealtimeHub options', () => {
  it('names a field of the wrong type, out of range, missing or unknown', () => {
    const base = { channels: CHANNELS, snapshot } as unknown as RealtimeHubOptions;
    const negative = refusal(() => createRealtimeHub({ ...base, windowMs: -1 }));
    expect(negative.code).toBe('INVALID_OPTIONS');
    expect(negative.issues.map((i) => i.path)).toEqual(['windowMs']);
    expect(negative.message).toMatch(/^Invalid createRealtimeHub options: windowMs: /);

    const typo = refusal(() => createRealtimeHub({ ...base, windowMS: 50 } as RealtimeHubOptions));
    expect(typo.message).toContain('unknown option(s) windowMS');

    const noSnapshot = refusal(() =>
      createRealtimeHub({ channels: CHANNELS } as unknown as RealtimeHubOptions),
    );
    expect(noSnapshot.issues.map((i) => i.path)).toEqual(['snapshot']);

    const nested = refusal(() => createRealtimeHub({ ...base, replay: { maxBatches: 0 }, topic: '' }));
    expect(nested.issues.map((i) => i.path).sort()).toEqual(['replay.maxBatches', 'topic']);

    const badPort = refusal(() =>
      createRealtimeHub({ ...base, pubsub: { publish: async () => undefined } as never }),
    );
    expect(badPort.issues[0]).toMatchObject({
      path: 'pubsub',
      message: expect.stringContaining('subscribe'),
    });
  });

  it('accepts valid options and freezes what it parsed, keeping the ports as given', async () => {
    const options = parseOptions('createRealtimeHub', realtimeHubOptionsSchema, {
      channels: CHANNELS,
      snapshot,
      windowMs: 10,
    });
    expect(Object.isFrozen(options)).toBe(true);
    expect(options.snapshot).toBe(snapshot);
    const hub = createRealtimeHub({ channels: CHANNELS, snapshot, heartbeatMs: 0 });
    expect([...hub.channels.keys()]).toEqual(['inventory_alerts']);
    await hub.close();
  });
});

describe('createSyncEngine options', () => {
  it('names each bad field by its path before creating anything', () => {
    const missing = refusal(() => createSyncEngine({} as never));
    expect(missing.issues.map((i) => i.path)).toEqual(['sql']);
    expect(missing.message).toMatch(/^Invalid createSyncEngine options: sql: expected a SqlClient/);

    const many = refusal(() =>
      createSyncEngine({
        sql: sql as never,
        sagaConcurrency: 0,
        schema: 'no-dashes',
        realtime: { windowMs: 'fast' as never },
        workers: [{ name: 'mailer', start: () => undefined } as never],
      }),
    );
    expect(many.issues.map((i) => i.path).sort()).toEqual([
      'realtime.windowMs',
      'sagaConcurrency',
      'schema',
      'workers.0',
    ]);

    const typo = refusal(() => createSyncEngine({ sql: sql as never, projection: [] } as never));
    expect(typo.message).toContain('unknown option(s) projection');
  });
});

describe('every factory', () => {
  it('parses its options with parseOptions, never a throwing zod parse (a raw ZodError has no code)', () => {
    const src = resolve(import.meta.dirname, '../../src');
    const throwingParse = /^(?!\s*(?:\*|\/\/)).*\b(?!JSON\b|Date\b)[A-Za-z_$][\w$]*\.parse\(/m;
    const offenders = readdirSync(src, { withFileTypes: true, recursive: true })
      .filter((d) => d.isFile() && d.name.endsWith('.ts'))
      .map((d) => resolve(d.parentPath, d.name))
      .filter((path) => throwingParse.test(readFileSync(path, 'utf8')))
      .map((path) => relative(src, path));
    expect(offenders).toEqual([]);
    expect(throwingParse.test('  const config = optionsSchema.parse(options);')).toBe(true);
    expect(throwingParse.test('  const body = JSON.parse(text);')).toBe(false);
  });
});
