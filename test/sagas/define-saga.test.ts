import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SagaDefinitionError,
  createSagaRunner,
  defineSaga,
  isSagaDefinitionError,
  type SagaStepConfig,
} from '../../src/sagas/index.js';
import { ORDER_STEPS, ThirdParties, orderFulfillment } from './fixtures/order-fulfillment.js';

const noop = () => undefined;
const step = (name: string, compensation: SagaStepConfig['compensation'] = 'none'): SagaStepConfig => ({
  name,
  action: noop,
  compensation,
});

function rejection(fn: () => unknown): SagaDefinitionError {
  try {
    fn();
  } catch (err) {
    if (isSagaDefinitionError(err)) return err;
    throw err;
  }
  throw new Error('expected a SagaDefinitionError');
}

describe('defineSaga', () => {
  it('accepts the order-fulfillment example with one compensation per side-effecting step', () => {
    const saga = orderFulfillment(new ThirdParties());
    expect(saga.steps.map((s) => s.name)).toEqual([...ORDER_STEPS]);
    expect(saga.steps.map((s) => (s.compensation === 'none' ? 'none' : s.compensation.name))).toEqual([
      'mark_order_failed',
      'release_inventory',
      'refund_payment',
      'cancel_shipping',
      'none',
    ]);
    expect(Object.isFrozen(saga) && Object.isFrozen(saga.steps) && Object.isFrozen(saga.steps[0])).toBe(true);
  });

  it('rejects duplicate step names with a typed error and a stable code', () => {
    const err = rejection(() => defineSaga({ name: 'dup', steps: [step('a'), step('b'), step('a')] }));
    expect(err).toBeInstanceOf(SagaDefinitionError);
    expect(err.code).toBe('SAGA_DEFINITION_INVALID');
    expect(err.issues).toEqual([
      expect.objectContaining({ problem: 'duplicate_step', path: 'steps.2.name' }),
    ]);
    expect(err.message).toContain('duplicate step name "a"');
  });

  it('rejects a step without a compensation and says how to declare none', () => {
    const missing = { name: 'charge', action: noop } as unknown as SagaStepConfig;
    const err = rejection(() => defineSaga({ name: 'pay', steps: [step('a'), missing] }));
    expect(err.issues).toEqual([
      expect.objectContaining({ problem: 'missing_compensation', path: 'steps.1.compensation' }),
    ]);
    expect(err.message).toContain("compensation: 'none'");
  });

  it('rejects compensation names that clash with steps or other compensations', () => {
    const undo = { name: 'undo', run: noop };
    const err = rejection(() =>
      defineSaga({
        name: 'clash',
        steps: [step('a', undo), step('b', undo), step('c', { name: 'a', run: noop })],
      }),
    );
    expect(err.issues.map((i) => [i.problem, i.path])).toEqual([
      ['duplicate_compensation', 'steps.1.compensation.name'],
      ['duplicate_compensation', 'steps.2.compensation.name'],
    ]);
  });

  it('reports malformed fields as invalid, all at once', () => {
    const err = rejection(() =>
      defineSaga({
        name: '',
        steps: [
          { name: 'a', action: 'nope', compensation: { name: 'b', run: noop }, timeoutMs: -5 } as never,
        ],
      }),
    );
    expect(err.issues.map((i) => i.path).sort()).toEqual(['name', 'steps.0.action', 'steps.0.timeoutMs']);
    expect(err.issues.every((i) => i.problem === 'invalid')).toBe(true);
    expect(rejection(() => defineSaga({ name: 'empty', steps: [] })).issues[0]?.path).toBe('steps');
  });

  it('a runner refuses a second, different definition under a registered name', () => {
    const runner = createSagaRunner();
    const first = defineSaga({ name: 'x', steps: [step('a')] });
    runner.register(first);
    runner.register(first);
    expect(() => runner.register(defineSaga({ name: 'x', steps: [step('b')] }))).toThrow(
      expect.objectContaining({ code: 'SAGA_DEFINITION_CONFLICT' }),
    );
  });

  it('law: a definition is accepted iff its step names are unique and every step has a compensation', () => {
    const name = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
    const stepArb = fc.record({ name, compensated: fc.constantFrom('none', 'named', 'missing') });
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 6 }), (steps) => {
        const configs = steps.map((s, i) => ({
          name: s.name,
          action: noop,
          ...(s.compensated === 'missing'
            ? {}
            : { compensation: s.compensated === 'none' ? 'none' : { name: `undo_${i}`, run: noop } }),
        })) as unknown as SagaStepConfig[];
        const unique = new Set(steps.map((s) => s.name)).size === steps.length;
        const complete = steps.every((s) => s.compensated !== 'missing');
        let error: SagaDefinitionError | undefined;
        try {
          defineSaga({ name: 'law', steps: configs });
        } catch (err) {
          if (!isSagaDefinitionError(err)) throw err;
          error = err;
        }
        expect(error === undefined).toBe(unique && complete);
        if (error) {
          const problems = new Set(error.issues.map((i) => i.problem));
          expect(problems.has('duplicate_step')).toBe(!unique);
          expect(problems.has('missing_compensation')).toBe(!complete);
        }
      }),
    );
  });
});
