/**
 * The hot-path pre-checks never accept what the zod schemas reject, so zod
 * remains the definition of valid input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conflictInputSchema, contenderSchema } from '../../src/conflicts/index.js';
import { looksLikeConflict, looksLikeContender } from '../../src/conflicts/pipeline/fast-validate.js';
import { anyConflictArb } from './support/arbitraries.js';

const KEYS = ['entityType', 'entityId', 'source', 'sourceId', 'eventId', 'hlc', 'changes', 'deltas', 'extra'];
const weird = fc.oneof(
  fc.anything({
    withBoxedValues: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
  }),
  fc.constantFrom(
    Number.NaN,
    Infinity,
    -0,
    '',
    1.5,
    -1,
    2 ** 60,
    new Date(0),
    [],
    {},
    { wallMs: 1, logical: 0, node: '' },
  ),
);

/** A valid contender with one field replaced, removed or added. */
const mutatedContender = anyConflictArb
  .chain((c) => fc.constantFrom(...c.contenders))
  .chain((c) =>
    fc.oneof(
      fc.constant<unknown>(c),
      fc.tuple(fc.constantFrom(...KEYS), weird).map(([k, v]) => ({ ...c, [k]: v })),
      fc.constantFrom(...KEYS).map((k) => {
        const copy: Record<string, unknown> = { ...c };
        delete copy[k];
        return copy;
      }),
      fc
        .tuple(fc.constantFrom('changes', 'deltas'), fc.string(), weird)
        .map(([k, f, v]) => ({ ...c, [k]: { [f]: v } })),
      fc
        .tuple(fc.constantFrom('wallMs', 'logical', 'node', 'x'), weird)
        .map(([k, v]) => ({ ...c, hlc: { ...(c.hlc as object), [k]: v } })),
    ),
  );

describe('fast validation', () => {
  it('soundness: a contender the pre-check accepts is accepted by the zod schema', () => {
    fc.assert(
      fc.property(mutatedContender, (raw) => {
        if (looksLikeContender(raw)) expect(contenderSchema.safeParse(raw).success).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });

  it('soundness: a conflict shell the pre-check accepts is accepted by the zod schema', () => {
    const mutatedConflict = anyConflictArb.chain((c) =>
      fc.oneof(
        fc.constant<unknown>(c),
        fc
          .tuple(
            fc.constantFrom('entityType', 'entityId', 'contenders', 'base', 'detectedAt', 'extra'),
            weird,
          )
          .map(([k, v]) => ({ ...c, [k]: v })),
        fc.tuple(fc.string(), weird).map(([k, v]) => ({ ...c, base: { [k]: v } })),
      ),
    );
    fc.assert(
      fc.property(mutatedConflict, (raw) => {
        if (looksLikeConflict(raw)) expect(conflictInputSchema.safeParse(raw).success).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });

  it('the common case takes the fast path: every generated well-formed contender and conflict passes the pre-check', () => {
    fc.assert(
      fc.property(anyConflictArb, (c) => {
        expect(looksLikeConflict(c)).toBe(true);
        for (const x of c.contenders) expect(looksLikeContender(x)).toBe(true);
      }),
    );
  });
});
