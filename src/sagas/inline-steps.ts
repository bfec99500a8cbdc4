/**
 * The steps of a saga defined inline (`defineSaga({ steps: [...] })`), typed
 * one by one: each step's output is inferred from its action, so its
 * compensation's `output` and the `results` of the steps after it are typed
 * without annotations. TypeScript infers a separate type per position only
 * from separate type parameters, so the first eight steps are typed this way; steps after them see untyped results (`unknown`). Every
 * position is optional, so a list of steps built elsewhere
 * (`SagaStepConfig<I>[]`) fits too (at least one step is checked at run time).
 */
import type { ZodType } from 'zod';
import type { SagaStepConfig } from './define-saga.js';

/**
 * The output of the step named `N` as later steps see it in `results`:
 * absent until that step completed.
 *
 * @example
 * ```ts
 * type AfterCharge = StepOutputOf<'process_payment', { chargeId: string }>; // { readonly process_payment?: { chargeId: string } }
 * ```
 */
export type StepOutputOf<N extends string, O> = { readonly [K in N]?: O };

/**
 * `defineSaga`'s config when the steps are written inline: the outputs
 * (`O1`…) and names (`N1`…) of the first eight steps are inferred.
 *
 * @example
 * ```ts
 * const config: InlineSagaConfig<{ amount: number }, { chargeId: string }> = {
 *   name: 'pay',
 *   steps: [{ name: 'charge', action: async () => ({ chargeId: 'ch-1' }), compensation: 'none' }],
 * };
 * ```
 */
export interface InlineSagaConfig<
  I = unknown,
  O1 = unknown,
  O2 = unknown,
  O3 = unknown,
  O4 = unknown,
  O5 = unknown,
  O6 = unknown,
  O7 = unknown,
  O8 = unknown,
  N1 extends string = string,
  N2 extends string = string,
  N3 extends string = string,
  N4 extends string = string,
  N5 extends string = string,
  N6 extends string = string,
  N7 extends string = string,
  N8 extends string = string,
> {
  /** Unique name; stored with every instance, so keep it stable across deploys. */
  name: string;
  /** Validates the input at `start`. */
  input?: ZodType<I>;
  steps: readonly [
    SagaStepConfig<I, O1, N1>?,
    SagaStepConfig<I, O2, N2, StepOutputOf<N1, O1>>?,
    SagaStepConfig<I, O3, N3, StepOutputOf<N1, O1> & StepOutputOf<N2, O2>>?,
    SagaStepConfig<I, O4, N4, StepOutputOf<N1, O1> & StepOutputOf<N2, O2> & StepOutputOf<N3, O3>>?,
    SagaStepConfig<
      I,
      O5,
      N5,
      StepOutputOf<N1, O1> & StepOutputOf<N2, O2> & StepOutputOf<N3, O3> & StepOutputOf<N4, O4>
    >?,
    SagaStepConfig<
      I,
      O6,
      N6,
      StepOutputOf<N1, O1> &
        StepOutputOf<N2, O2> &
        StepOutputOf<N3, O3> &
        StepOutputOf<N4, O4> &
        StepOutputOf<N5, O5>
    >?,
    SagaStepConfig<
      I,
      O7,
      N7,
      StepOutputOf<N1, O1> &
        StepOutputOf<N2, O2> &
        StepOutputOf<N3, O3> &
        StepOutputOf<N4, O4> &
        StepOutputOf<N5, O5> &
        StepOutputOf<N6, O6>
    >?,
    SagaStepConfig<
      I,
      O8,
      N8,
      StepOutputOf<N1, O1> &
        StepOutputOf<N2, O2> &
        StepOutputOf<N3, O3> &
        StepOutputOf<N4, O4> &
        StepOutputOf<N5, O5> &
        StepOutputOf<N6, O6> &
        StepOutputOf<N7, O7>
    >?,
    ...SagaStepConfig<I>[],
  ];
}
