/**
 * A saga written inline types each step's output from its action: the
 * compensation's `output` and the `results` of the steps after it see it,
 * without annotations (issue 12: they were `unknown`, so users cast). The
 * type-level checks hold only if this file compiles (compile-checks.test.ts);
 * the runtime part shows `results` holds what the types say.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createMemorySagaStore, createSagaRunner, defineSaga, type SagaStepConfig } from '../../src/index.js';

describe('inline saga steps', () => {
  it("type the compensation's output and later steps' results from each action", () => {
    const check = () =>
      defineSaga({
        name: 'typed_order',
        input: z.object({ orderId: z.string(), amount: z.number() }),
        steps: [
          {
            name: 'allocate',
            action: ({ input }) => ({ reservationId: `r-${input.orderId}` }),
            compensation: {
              name: 'release',
              run: ({ output }) => {
                expectTypeOf(output).toEqualTypeOf<{ reservationId: string } | null>();
                return output?.reservationId;
              },
            },
          },
          {
            name: 'charge',
            action: async ({ input, results }) => {
              expectTypeOf(results.allocate).toEqualTypeOf<{ reservationId: string } | undefined>();
              // @ts-expect-error a step that does not come before this one is not in its results
              void results.label;
              return { chargeId: `ch-${input.amount}`, reservation: results.allocate?.reservationId };
            },
            compensation: {
              name: 'refund',
              run: ({ output }) => {
                expectTypeOf(output).toEqualTypeOf<{
                  chargeId: string;
                  reservation: string | undefined;
                } | null>();
                // @ts-expect-error the output has no such field
                return output?.labelId;
              },
            },
          },
          {
            name: 'label',
            action: ({ results }) => {
              expectTypeOf(results.charge?.chargeId).toEqualTypeOf<string | undefined>();
              return 42;
            },
            compensation: { name: 'void_label', run: ({ output }) => output?.toFixed() },
          },
        ],
      });
    expect(typeof check).toBe('function');
  });

  it('still takes steps built elsewhere (a list of SagaStepConfig, or mapped)', () => {
    const steps: SagaStepConfig<{ id: string }>[] = [
      { name: 'one', action: ({ input }) => input.id, compensation: 'none' },
    ];
    const names = ['a', 'b'] as const;
    const check = () => [
      defineSaga({ name: 'listed', input: z.object({ id: z.string() }), steps }),
      defineSaga({
        name: 'mapped',
        steps: names.map((name) => ({
          name,
          action: ({ idempotencyKey }) => idempotencyKey,
          compensation: 'none' as const,
        })),
      }),
    ];
    expect(typeof check).toBe('function');
  });

  it('passes each completed output to the steps after it, under its name', async () => {
    const seen: unknown[] = [];
    const saga = defineSaga({
      name: 'results_chain',
      steps: [
        { name: 'first', action: () => ({ n: 1 }), compensation: 'none' },
        {
          name: 'second',
          action: ({ results }) => {
            seen.push(results.first);
            return (results.first?.n ?? 0) + 1;
          },
          compensation: 'none',
        },
      ],
    });
    const runner = createSagaRunner({ store: createMemorySagaStore(), definitions: [saga] });
    runner.startWorker();
    try {
      await runner.start(saga, undefined, { sagaId: 'chain-1' });
      const state = await runner.waitFor('chain-1', { timeoutMs: 30_000 });
      expect(state.status).toBe('completed');
      expect(seen).toEqual([{ n: 1 }]);
    } finally {
      await runner.stop();
    }
  });
});
