/**
 * Text PostgreSQL cannot store — a NUL character or a lone UTF-16 surrogate
 * (half of an emoji) — in an append is refused with a typed error before the
 * database, the same on every store, and writes nothing. A lone surrogate in a
 * name would otherwise reach `text` as U+FFFD: `s\ud800` and `s\udfff` would
 * be one stream, read back under a third name. A read no store can answer
 * is refused alone: on the SQL stores concurrent reads share one statement.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventStore, type EventStore } from '../../src/index.js';
import { InvalidArgumentError, ValidationError } from '../../src/core/errors.js';
import { sqlEngines } from '../support/databases.js';

const engines = [
  {
    name: 'memory',
    available: true,
    open: async () => ({ store: createEventStore(), close: async () => {} }),
  },
  ...sqlEngines.map((engine) => ({
    name: engine.name,
    get available() {
      return engine.available;
    },
    async open() {
      const db = await engine.open();
      return { store: createEventStore({ sql: db.sql, schema: db.schema }), close: () => db.close() };
    },
  })),
];

describe.each(engines)('unstorable text in an append on $name', (engine) => {
  describe.skipIf(!engine.available)('', () => {
    let store: EventStore;
    let close: () => Promise<void>;
    beforeEach(async () => {
      ({ store, close } = await engine.open());
      await store.migrate();
    });
    afterEach(async () => {
      await store.close();
      await close();
    });

    it.each([
      ['a lone high surrogate in the data', { type: 't', data: { note: 'cut \ud83d' } }],
      ['a lone low surrogate in a key of the data', { type: 't', data: { ['\ude00']: 1 } }],
      ['a lone surrogate in the metadata', { type: 't', data: {}, metadata: { note: '\ud800' } }],
      ['a NUL character in the data', { type: 't', data: { note: 'a\u0000b' } }],
    ])('%s: ValidationError, nothing written', async (_what, event) => {
      const append = store.append('s-1', [event]);
      await expect(append).rejects.toBeInstanceOf(ValidationError);
      await expect(append).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      expect((await store.readStream('s-1')).version).toBe(0);
    });

    it.each([
      ['stream id', (bad: string) => store.append(bad, [{ type: 't', data: {} }])],
      ['event type', (bad: string) => store.append('s-2', [{ type: bad, data: {} }])],
      [
        'aggregate type',
        (bad: string) => store.append('s-2', [{ type: 't', data: {} }], { aggregateType: bad }),
      ],
      [
        'idempotency key',
        (bad: string) => store.append('s-2', [{ type: 't', data: {} }], { idempotencyKey: bad }),
      ],
    ])(
      'a NUL or a lone surrogate in the %s: InvalidArgumentError, nothing written',
      async (_what, append) => {
        for (const bad of ['x\u0000', 'x\ud800', 'x\udfff']) {
          await expect(append(bad)).rejects.toBeInstanceOf(InvalidArgumentError);
          await expect(append(bad)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
        }
        expect((await store.readStream('s-2')).version).toBe(0);
        expect((await store.readAll()).events).toEqual([]);
      },
    );

    it('keeps well-formed text: emoji, and the six characters \\u0000 after a backslash', async () => {
      const data = { emoji: '\u{1F600}', escaped: '\\u0000 and \\ud800', key: { ['\\u0000']: 1 } };
      await store.append('s-3', [{ type: 't', data }]);
      expect((await store.readStream('s-3')).events[0]!.data).toEqual(data);
    });

    it('refuses only the bad append of a concurrent batch', async () => {
      const results = await Promise.allSettled([
        store.append('s-4', [{ type: 't', data: { n: 1 } }]),
        store.append('s-5', [{ type: 't', data: { note: '\ud800' } }]),
        store.append('s-6', [{ type: 't', data: { n: 3 } }]),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(ValidationError);
    });

    it.each([
      ['a negative number', -1],
      ['a fraction', 1.5],
      ['an unknown word', 'latest'],
      ['a BigInt', 2n],
      ['a symbol', Symbol('v')],
      ['an object', { version: 1 }],
    ])(
      'an expectedVersion that is %s: InvalidArgumentError naming it, nothing written',
      async (_what, bad) => {
        const append = store.append('s-9', [{ type: 't', data: {} }], {
          expectedVersion: bad as unknown as number,
        });
        await expect(append).rejects.toBeInstanceOf(InvalidArgumentError);
        await expect(append).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: /expectedVersion/ });
        expect((await store.readStream('s-9')).version).toBe(0);
      },
    );

    it.each([
      ['a NUL in the stream id', () => store.readStream('a\u0000b')],
      ['a lone surrogate in the stream id', () => store.readStream('a\ud800')],
      ['a fractional fromVersion', () => store.readStream('s-7', { fromVersion: 1.5 })],
      ['a NaN fromVersion', () => store.readStream('s-7', { fromVersion: NaN })],
      ['a negative fromVersion', () => store.readStream('s-7', { fromVersion: -1 })],
      ['a negative maxCount', () => store.readStream('s-7', { maxCount: -1 })],
      ['a maxCount beyond a safe integer', () => store.readStream('s-7', { maxCount: 2 ** 70 })],
    ])(
      'a read with %s is refused alone (InvalidArgumentError); the reads sharing its statement answer',
      async (_what, badRead) => {
        await store.append('s-7', [
          { type: 't', data: {} },
          { type: 't', data: {} },
        ]);
        const [before, bad, after] = await Promise.allSettled([
          store.readStream('s-7'),
          badRead(),
          store.readStream('s-7', { maxCount: 1 }),
        ]);
        expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'INVALID_ARGUMENT' } });
        expect(before).toMatchObject({ status: 'fulfilled', value: { version: 2 } });
        expect(after).toMatchObject({ status: 'fulfilled', value: { version: 2 } });
      },
    );

    it.each([
      ['negative', -1],
      ['fractional', 1.5],
      ['NaN', NaN],
    ])(
      'a readAll with a %s limit is refused alone (InvalidArgumentError); followers answer',
      async (_what, limit) => {
        await store.append('s-8', [{ type: 't', data: {} }]);
        const [before, bad, badFollowing, after] = await Promise.allSettled([
          store.readAll({ follow: true }),
          store.readAll({ limit }),
          store.readAll({ limit, follow: true }),
          store.readAll({ follow: true }),
        ]);
        expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'INVALID_ARGUMENT' } });
        expect(badFollowing).toMatchObject({ status: 'rejected', reason: { code: 'INVALID_ARGUMENT' } });
        expect(before).toMatchObject({ status: 'fulfilled', value: { events: [{ aggregateId: 's-8' }] } });
        expect(after).toMatchObject({ status: 'fulfilled', value: { events: [{ aggregateId: 's-8' }] } });
      },
    );
  });
});
