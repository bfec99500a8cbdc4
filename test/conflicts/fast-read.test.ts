/**
 * The hot path reads input by hand (fast-validate.ts) and builds conflict ids
 * without slicing (conflict-id.ts). These laws pin both to their definitions:
 * what a fast read returns is what zod parses, the outcome does not depend on
 * how the input objects were built, and conflict ids are the name-based uuids
 * of the documented name.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  conflictIdFor,
  conflictInputSchema,
  contenderSchema,
  createConflictEngine,
  formatHlc,
  type ConflictInput,
  type ContenderInput,
  type HlcTimestamp,
} from '../../src/conflicts/index.js';
import { nameUuid } from '../../src/conflicts/pipeline/conflict-id.js';
import { readConflict, readContender } from '../../src/conflicts/pipeline/fast-validate.js';
import { anyConflictArb } from './support/arbitraries.js';
import { commerceConflictConfig } from '../../src/commerce/conflicts/commerce-conflict-config.js';

const engine = createConflictEngine(commerceConflictConfig());

/** Nested JSON values (keys JSON and zod treat alike). */
const nestedJson = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.oneof(fc.string(), fc.array(fc.boolean()))),
);

/** A contender in either clock form, with nested values in its changes. */
const contenderArb: fc.Arbitrary<ContenderInput> = anyConflictArb
  .chain((c) => fc.tuple(fc.constantFrom(...c.contenders), fc.boolean(), nestedJson))
  .map(([c, stringClock, extra]) => {
    const hlc = stringClock ? formatHlc(c.hlc as HlcTimestamp) : c.hlc;
    return c.changes ? { ...c, hlc, changes: { ...c.changes, extra } } : { ...c, hlc };
  });

/** Rebuild a conflict the way the benchmark does: one hidden class per contender (`{ ...base, field }`). */
function spreadBuilt(c: ConflictInput): ConflictInput {
  return {
    ...c,
    contenders: c.contenders.map(({ changes, deltas, ...rest }) =>
      deltas ? { ...rest, deltas } : { ...rest, ...(changes ? { changes } : {}) },
    ),
  };
}

/** The reference: a v5-layout uuid of the SHA-1 of the name, as the conflict id was first defined. */
function referenceUuid(name: string): string {
  const hex = createHash('sha1').update(name).digest('hex');
  const variant = ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16) + hex.slice(18, 20);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}-${hex.slice(20, 32)}`;
}

describe('fast reads', () => {
  it('a contender read by hand equals what zod parses, with fresh copies of its objects', () => {
    fc.assert(
      fc.property(contenderArb, (raw) => {
        const read = readContender(raw)!;
        const parsed = contenderSchema.parse(raw);
        expect(read).toEqual({
          ...parsed,
          changes: parsed.changes ?? {},
          deltas: parsed.deltas ?? {},
          priority: 0,
          trusted: false,
        });
        if (typeof raw.hlc === 'object') expect(read.hlc).not.toBe(raw.hlc);
        expect(read.changes).not.toBe(raw.changes);
        expect(read.deltas).not.toBe(raw.deltas);
      }),
      { numRuns: 1_000 },
    );
  });

  it('a conflict shell read by hand equals what zod parses', () => {
    fc.assert(
      fc.property(anyConflictArb, (raw) => {
        const { contenders, ...read } = readConflict(raw)!;
        const { contenders: parsedContenders, ...parsed } = conflictInputSchema.parse(raw);
        expect(read).toEqual(parsed);
        expect(contenders).toEqual(parsedContenders);
        expect(contenders).toBe(raw.contenders);
      }),
      { numRuns: 500 },
    );
  });

  it('shape independence: spread-built input (one hidden class per object) resolves as its JSON copy does', () => {
    fc.assert(
      fc.property(anyConflictArb, (c) => {
        const spread = spreadBuilt(c);
        expect(engine.resolve(spread)).toEqual(engine.resolve(JSON.parse(JSON.stringify(c))));
      }),
      { numRuns: 300 },
    );
  });
});

describe('conflict ids', () => {
  it('nameUuid is the version-5-layout uuid of the SHA-1 of the UTF-8 name (any string, lone surrogates too)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })),
        (name) => {
          expect(nameUuid(name)).toBe(referenceUuid(name));
          expect(nameUuid(name)).toMatch(
            /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
          );
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('conflictIdFor hashes the entity and the sorted set of event ids, whatever their order and repeats', () => {
    const ids = fc.array(fc.oneof(fc.string(), fc.constantFrom('e1', 'e2', 'e10', 'E1', 'é')), {
      maxLength: 24,
    });
    fc.assert(
      fc.property(fc.string(), fc.string(), ids, (entityType, entityId, eventIds) => {
        const name = ['creatorflow.conflict', entityType, entityId, ...[...new Set(eventIds)].sort()].join(
          '\u0000',
        );
        expect(conflictIdFor(entityType, entityId, eventIds)).toBe(referenceUuid(name));
      }),
      { numRuns: 1_000 },
    );
  });
});
