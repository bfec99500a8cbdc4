/**
 * Model-based test: random sequences of appends (every expected-version kind,
 * idempotency keys) against a simple reference model, and concurrent bursts
 * checked for their invariants, on every engine.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createEventStore,
  isConcurrencyError,
  type EventStore,
  type ExpectedVersion,
} from '../../src/index.js';
import { sqlEngines } from '../support/databases.js';

interface Model {
  versions: Map<string, number>;
  keys: Map<string, { stream: string; nextVersion: number }>;
  logLength: number;
}

interface AppendSpec {
  stream: string;
  count: number;
  expected: ExpectedVersion | 'current' | 'stale';
  key: string | undefined;
}

const appendSpec: fc.Arbitrary<AppendSpec> = fc.record({
  stream: fc.constantFrom('a', 'b', 'c'),
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

/** What the model says one append does; mutates the model. */
function applyToModel(
  spec: AppendSpec,
  expected: ExpectedVersion,
  model: Model,
): 'written' | 'duplicate' | 'conflict' {
  if (spec.key && model.keys.has(spec.key)) return 'duplicate';
  const current = model.versions.get(spec.stream) ?? 0;
  const ok =
    expected === 'any' ||
    (expected === 'no_stream' && current === 0) ||
    (expected === 'stream_exists' && current > 0) ||
    expected === current;
  if (!ok) return 'conflict';
  model.versions.set(spec.stream, current + spec.count);
  model.logLength += spec.count;
  if (spec.key) model.keys.set(spec.key, { stream: spec.stream, nextVersion: current + spec.count });
  return 'written';
}

async function runAppend(store: EventStore, spec: AppendSpec, expected: ExpectedVersion) {
  try {
    const r = await store.append(
      spec.stream,
      Array.from({ length: spec.count }, (_, i) => ({ type: 'step', data: { i } })),
      { expectedVersion: expected, ...(spec.key ? { idempotencyKey: spec.key } : {}) },
    );
    return r.duplicate ? 'duplicate' : 'written';
  } catch (err) {
    if (isConcurrencyError(err)) return 'conflict';
    throw err;
  }
}

async function checkAgainstModel(store: EventStore, model: Model): Promise<void> {
  for (const stream of ['a', 'b', 'c']) {
    const { version, events } = await store.readStream(stream);
    expect(version).toBe(model.versions.get(stream) ?? 0);
    expect(events.map((e) => e.version)).toEqual(Array.from({ length: version }, (_, i) => i + 1));
  }
  const log = await store.readAll({ limit: 10_000 });
  expect(log.events).toHaveLength(model.logLength);
  expect(new Set(log.events.map((e) => e.globalPosition)).size).toBe(model.logLength);
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
  const runs = name === 'memory' ? 200 : 25;

  it.skipIf(!available)(
    'sequential appends: versions, log and duplicates always match the reference model',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(appendSpec, { minLength: 1, maxLength: 25 }), async (specs) => {
          const { store, close } = await open();
          try {
            await store.migrate();
            const model: Model = { versions: new Map(), keys: new Map(), logLength: 0 };
            for (const spec of specs) {
              const expected = resolveExpected(spec, model);
              expect(await runAppend(store, spec, expected)).toBe(applyToModel(spec, expected, model));
            }
            await checkAgainstModel(store, model);
          } finally {
            await store.close();
            await close();
          }
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
            const { store, close } = await open();
            try {
              await store.migrate();
              let written = 0;
              const writtenPerStream = new Map<string, number>();
              const keysUsed = new Set<string>();
              for (const burst of bursts) {
                // Expected versions fixed before the burst: racing appends may conflict,
                // but each outcome must be explainable by one serial order.
                const before = new Map<string, number>();
                for (const s of ['a', 'b', 'c']) before.set(s, (await store.readStream(s)).version);
                const model: Model = { versions: before, keys: new Map(), logLength: 0 };
                const outcomes = await Promise.all(
                  burst.map((spec) => runAppend(store, spec, resolveExpected(spec, model))),
                );
                burst.forEach((spec, i) => {
                  if (outcomes[i] === 'written') {
                    written += spec.count;
                    writtenPerStream.set(spec.stream, (writtenPerStream.get(spec.stream) ?? 0) + spec.count);
                    if (spec.key) {
                      expect(keysUsed.has(spec.key)).toBe(false); // a key is written at most once
                      keysUsed.add(spec.key);
                    }
                  }
                });
              }
              const log = await store.readAll({ limit: 10_000 });
              expect(log.events).toHaveLength(written);
              for (const stream of ['a', 'b', 'c']) {
                const { version, events } = await store.readStream(stream);
                expect(version).toBe(writtenPerStream.get(stream) ?? 0);
                expect(events.map((e) => e.version)).toEqual(
                  Array.from({ length: version }, (_, i) => i + 1),
                );
              }
            } finally {
              await store.close();
              await close();
            }
          },
        ),
        { numRuns: Math.ceil(runs / 2) },
      );
    },
  );
});
