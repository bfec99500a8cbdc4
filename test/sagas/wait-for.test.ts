/**
 * `runner.waitFor` pauses between reads of the saga's state until the saga
 * stops running in this process or `pollMs` passes. A saga that finishes
 * while its state is being read must still end the next pause at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMemorySagaStore, createSagaRunner, defineSaga, type SagaRunner } from '../../src/index.js';
import type { SagaStore } from '../../src/sagas/saga-store.js';

let runner: SagaRunner | undefined;
afterEach(async () => {
  await runner?.close();
  runner = undefined;
});

/** A promise and its resolver. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

describe('SagaRunner.waitFor', () => {
  it('sees a saga that finished while its state was being read without waiting out pollMs', async () => {
    const inner = createMemorySagaStore();
    const readStarted = gate();
    const readMayReturn = gate();
    let gated = false;
    // The first read waitFor makes is held after it read the state, until the saga has finished.
    const gatedGet = async (sagaId: string) => {
      const state = await inner.get(sagaId);
      if (!gated && state) {
        gated = true;
        readStarted.open();
        await readMayReturn.promise;
      }
      return state;
    };
    const store = new Proxy(inner, {
      get(target, prop) {
        if (prop === 'get') return gatedGet;
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as SagaStore;
    const step = gate();
    const saga = defineSaga({
      name: 'gated',
      steps: [{ name: 'only', action: () => step.promise.then(() => 'done'), compensation: 'none' }],
    });
    runner = createSagaRunner({ store });
    runner.register(saga);
    const { sagaId } = await runner.start(saga, null);
    runner.startWorker();

    const waiting = runner.waitFor(sagaId, { pollMs: 60_000, timeoutMs: 120_000 });
    await readStarted.promise;
    const finished = new Promise<void>((resolve) => runner!.once('saga:completed', () => resolve()));
    step.open();
    await finished;
    readMayReturn.open();

    const outcome = await Promise.race([
      waiting.then((state) => state.status),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5_000).unref()),
    ]);
    expect(outcome).toBe('completed');
  });
});
