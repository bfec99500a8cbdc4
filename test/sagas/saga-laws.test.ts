import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sagaEngines, type SagaTestDatabase } from './fixtures/engines.js';
import {
  ORDER_COMPENSATIONS,
  ORDER_STEPS,
  ThirdParties,
  orderFulfillment,
  type Behaviour,
} from './fixtures/order-fulfillment.js';

const RETRY = { attempts: 2, minTimeoutMs: 0, maxTimeoutMs: 1, factor: 1, jitter: false };
const runsOn = { memory: 60, pglite: 12, postgres: 12 } as const;

/** A plan: per action ok | transient once | terminal | always failing; per compensation ok | transient once | always failing. */
const planArb = fc.record({
  actions: fc.array(fc.constantFrom('ok', 'ok', 'ok', 'flaky', 'terminal', 'broken'), {
    minLength: ORDER_STEPS.length,
    maxLength: ORDER_STEPS.length,
  }),
  compensations: fc.array(fc.constantFrom('ok', 'ok', 'flaky', 'broken'), {
    minLength: ORDER_STEPS.length,
    maxLength: ORDER_STEPS.length,
  }),
});

function behaviours(kind: string): Behaviour[] {
  if (kind === 'flaky') return ['transient', 'ok'];
  if (kind === 'terminal') return ['terminal'];
  if (kind === 'broken') return ['transient'];
  return ['ok'];
}

describe.each(sagaEngines)('saga laws on $name', (engine) => {
  describe.skipIf(!engine.available)('', () => {
    let db: SagaTestDatabase;
    beforeAll(async () => {
      db = await engine.open();
    });
    afterAll(async () => {
      await db.close();
    });

    it('law: completed sagas ran every action once; failed ones undo the completed steps and a failed step that may have acted, in reverse', async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(planArb, async (plan) => {
          const parties = new ThirdParties();
          ORDER_STEPS.forEach((step, i) => {
            parties.fail(step, ...behaviours(plan.actions[i]!));
            const comp = ORDER_COMPENSATIONS[step];
            if (comp) parties.fail(comp, ...behaviours(plan.compensations[i]!));
          });
          const name = `law_${engine.name}_${n++}`;
          const runner = db.runner({ retry: RETRY, compensationRetry: RETRY });
          runner.startWorker();
          try {
            const { sagaId } = await runner.start(orderFulfillment(parties, name), {
              orderId: 'o',
              amount: 1,
            });
            const state = await runner.waitFor(sagaId, { timeoutMs: 30_000 });
            const history = await runner.history(sagaId);

            const failedAt = plan.actions.findIndex((a) => a === 'terminal' || a === 'broken');
            const completedActions = history.filter((h) => h.phase === 'action' && h.outcome === 'completed');
            // Nothing is ever recorded done twice.
            const keys = history
              .filter((h) => h.outcome === 'completed')
              .map((h) => `${h.phase}:${h.stepIndex}`);
            expect(new Set(keys).size).toBe(keys.length);

            if (failedAt === -1) {
              expect(state.status).toBe('completed');
              expect(completedActions.map((h) => h.name)).toEqual([...ORDER_STEPS]);
              expect(history.some((h) => h.phase === 'compensation')).toBe(false);
              return;
            }
            expect(completedActions.map((h) => h.name)).toEqual(ORDER_STEPS.slice(0, failedAt));
            // A step that failed for want of retries may have acted: it is undone too;
            // one that threw a TerminalError said it did nothing.
            const undoneUpTo = plan.actions[failedAt] === 'broken' ? failedAt + 1 : failedAt;
            const expectedUndo = ORDER_STEPS.slice(0, undoneUpTo)
              .map((s, i) => ({ comp: ORDER_COMPENSATIONS[s], i }))
              .filter((c): c is { comp: string; i: number } => c.comp !== null)
              .reverse();
            // Each compensation is attempted in reverse order of its step.
            expect(history.filter((h) => h.phase === 'compensation').map((h) => h.name)).toEqual(
              expectedUndo.map((c) => c.comp),
            );
            const broken = expectedUndo
              .filter((c) => plan.compensations[c.i] === 'broken')
              .map((c) => c.comp);
            expect(state.status).toBe(broken.length > 0 ? 'compensation_failed' : 'compensated');
            expect((await runner.deadLetters({ sagaId })).map((d) => d.compensation)).toEqual(broken);
          } finally {
            await runner.stop({ drainMs: 0 });
          }
        }),
        { numRuns: runsOn[engine.name] },
      );
    });

    it('law: after a worker dies at any step boundary, another finishes the saga and no step is recorded twice', async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: ORDER_STEPS.length - 1 }), async (crashAt) => {
          const parties = new ThirdParties();
          const name = `crash_${engine.name}_${n++}`;
          // The first worker hangs in step `crashAt` and then dies without releasing its lease.
          parties.fail(ORDER_STEPS[crashAt]!, 'hang', 'ok');
          const saga = orderFulfillment(parties, name);
          // A short lease, so B takes over soon after A dies; frequent heartbeats, so a
          // busy event loop (up to 180 ms) does not make A fence itself before it dies.
          const a = db.runner({ leaseMs: 200, heartbeatMs: 20, definitions: [saga] });
          a.startWorker();
          const hung = new Promise<void>((resolve) => {
            const check = () =>
              parties.calls.some((c) => c.name === ORDER_STEPS[crashAt]) ? resolve() : setTimeout(check, 2);
            check();
          });
          const { sagaId } = await a.start(saga, { orderId: 'o', amount: 1 });
          await hung;
          await a.stop({ drainMs: 0, releaseLeases: false });

          const b = db.runner({ leaseMs: 10_000, definitions: [saga] });
          b.startWorker();
          try {
            expect((await b.waitFor(sagaId, { timeoutMs: 30_000 })).status).toBe('completed');
            const history = await b.history(sagaId);
            expect(history.map((h) => h.name)).toEqual([...ORDER_STEPS]);
            expect(history.map((h) => h.workerId)).toEqual(
              ORDER_STEPS.map((_, i) => (i < crashAt ? a.workerId : b.workerId)),
            );
            // Steps recorded before the crash never ran again; only the interrupted one ran twice.
            const counts = ORDER_STEPS.map((s) => parties.calls.filter((c) => c.name === s).length);
            expect(counts).toEqual(ORDER_STEPS.map((_, i) => (i === crashAt ? 2 : 1)));
          } finally {
            await b.stop({ drainMs: 0 });
          }
        }),
        { numRuns: engine.name === 'memory' ? 20 : 5 },
      );
    });
  });
});
