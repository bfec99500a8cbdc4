/**
 * Model-based tests: random sequences of appends (every expected-version kind,
 * idempotency keys) against a simple reference model, and concurrent bursts
 * checked for their invariants, on every engine. Each run works in its own
 * streams and keys (a fresh prefix) of one store per engine.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createEventStore,
  IdempotencyKeyReusedError,
  isConcurrencyError,
  type EventStore,
  type ExpectedVersion,
} from '../../src/index.js';
import { sqlEngines } from '../support/databases.js';

const STREAMS = ['a', 'b', 'c'] as const;

interface Model {
  versions: Map<string, number>;
  /** Each key and the stream its first append went to. */
  keys: Map<string, string>;
  logLength: number;
}

interface AppendSpec {
  stream: (typeof STREAMS)[number];
  count: number;
  expected: ExpectedVersion | 'current' | 'stale';
  key: string | undefined;
}

const appendSpec: fc.Arbitrary<AppendSpec> = fc.record({
  stream: fc.constantFrom(...STREAMS),
  count: fc.integer({ min: 1, max: 3 }),
  expected: fc.constantFrom<AppendSpec['expected']>('any', 'no_stream', 'stream_exists', 'current', 'stale'),
  key: fc.option(fc.constantFrom('k1', 'k2', 'k3', 'k4'), { nil: undefined }),
});

function resolveExpected(spec: AppendSpec, model: Model): ExpectedVersion {
  const current = model.versions.get(spec.stream) ?? 0;
  if (spec.expected === 'current') return current;
  if (spec.expected === 'stale') return current + 1;
  return spec.expected;
}

type Outcome = 'written' | 'duplicate' | 'conflict' | 'key_reused';

/** What the reference model says one append does; updates the model. */
function applyToModel(spec: AppendSpec, expected: ExpectedVersion, model: Model): Outcome {
  const keyStream = spec.key === undefined ? undefined : model.keys.get(spec.key);
  if (keyStream !== undefined) return keyStream === spec.stream ? 'duplicate' : 'key_reused';
  const current = model.versions.get(spec.stream) ?? 0;
  const ok =
    expected === 'any' ||
    (expected === 'no_stream' && current === 0) ||
    (expected === 'stream_exists' && current > 0) ||
    expected === current;
  if (!ok) return 'conflict';
  model.versions.set(spec.stream, current + spec.count);
  model.logLength += spec.count;
  if (spec.key) model.keys.set(spec.key, spec.stream);
  return 'written';
}

/** Runs one append in the run's namespace (`prefix`) and names its outcome. */
async function runAppend(
  store: EventStore,
  prefix: string,
  spec: AppendSpec,
  expected: ExpectedVersion,
): Promise<Outcome> {
  try {
    const r = await store.append(
      `${prefix}-${spec.stream}`,
      Array.from({ length: spec.count }, (_, i) => ({ type: 'step', data: { i } })),
      { expectedVersion: expected, ...(spec.key ? { idempotencyKey: `${prefix}-${spec.key}` } : {}) },
    );
    return r.duplicate ? 'duplicate' : 'written';
  } catch (err) {
    if (isConcurrencyError(err)) return 'conflict';
    if (err instanceof IdempotencyKeyReusedError) return 'key_reused';
    throw err;
  }
}

async function runEvents(store: EventStore, prefix: string) {
  const log = await store.readAll({ limit: 100_000 });
  return log.events.filter((e) => e.aggregateId.startsWith(`${prefix}-`));
}

const engines = [
  {
    name: 'memory',
    available: true,
    open: async () => ({ store: createEventStore(), close: async () => undefined }),
  },
  ...sqlEngines.map((engine) => ({
    name: engine.name,
    available: engine.available,
    open: async () => {
      const db = await engine.open();
      return { store: createEventStore({ sql: db.sql, schema: db.schema }), close: () => db.close() };
    },
  })),
];

describe.each(engines)('event store model on $name', ({ name, available, open }) => {
  const runs = name === 'memory' ? 200 : 30;
  let store: EventStore;
  let close: () => Promise<void>;

  beforeAll(async () => {
    if (!available) return;
    ({ store, close } = await open());
    await store.migrate();
  });
  afterAll(async () => {
    if (!available) return;
    await store.close();
    await close();
  });

  it.skipIf(!available)(
    'sequential appends: versions, log and duplicates always match the reference model',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(appendSpec, { minLength: 1, maxLength: 25 }), async (specs) => {
          const prefix = randomUUID();
          const model: Model = { versions: new Map(), keys: new Map(), logLength: 0 };
          for (const spec of specs) {
            const expected = resolveExpected(spec, model);
            expect(await runAppend(store, prefix, spec, expected)).toBe(applyToModel(spec, expected, model));
          }
          for (const stream of STREAMS) {
            const { version, events } = await store.readStream(`${prefix}-${stream}`);
            expect(version).toBe(model.versions.get(stream) ?? 0);
            expect(events.map((e) => e.version)).toEqual(Array.from({ length: version }, (_, i) => i + 1));
          }
          const events = await runEvents(store, prefix);
          expect(events).toHaveLength(model.logLength);
          expect(new Set(events.map((e) => e.globalPosition)).size).toBe(model.logLength);
        }),
        { numRuns: runs },
      );
    },
  );

  it.skipIf(!available)(
    'concurrent bursts: each written append is in the log once, versions stay gapless, a key writes at most once',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(appendSpec, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 4 }),
          async (bursts) => {
            const prefix = randomUUID();
            let written = 0;
            const writtenPerStream = new Map<string, number>();
            const keysUsed = new Set<string>();
            for (const burst of bursts) {
              // Expectations are fixed before the burst: racing appends may conflict,
              // but nothing may be lost, doubled or written out of version order.
              const versions = new Map<string, number>();
              for (const s of STREAMS) versions.set(s, (await store.readStream(`${prefix}-${s}`)).version);
              const model: Model = { versions, keys: new Map(), logLength: 0 };
              const outcomes = await Promise.all(
                burst.map((spec) => runAppend(store, prefix, spec, resolveExpected(spec, model))),
              );
              burst.forEach((spec, i) => {
                if (outcomes[i] !== 'written') return;
                written += spec.count;
                writtenPerStream.set(spec.stream, (writtenPerStream.get(spec.stream) ?? 0) + spec.count);
                if (spec.key) {
                  expect(keysUsed.has(spec.key)).toBe(false);
                  keysUsed.add(spec.key);
                }
              });
            }
            expect(await runEvents(store, prefix)).toHaveLength(written);
            for (const stream of STREAMS) {
              const { version, events } = await store.readStream(`${prefix}-${stream}`);
              expect(version).toBe(writtenPerStream.get(stream) ?? 0);
              expect(events.map((e) => e.version)).toEqual(Array.from({ length: version }, (_, i) => i + 1));
            }
          },
        ),
        { numRuns: Math.ceil(runs / 2) },
      );
    },
  );
});
