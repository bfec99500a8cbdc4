/**
 * A worker whose event loop stalls past a saga's self-fencing deadline while a
 * heartbeat that renews the lease in time is answered. After the stall Node
 * runs the overdue fence timer before the I/O that arrived meanwhile: the
 * worker used to fence the saga on a lease the store had just renewed, and
 * claimed it again once that ran out — its step ran twice (traced in the e2e
 * benchmark: 53 of 899 sagas re-claimed on a host whose event loop stalled
 * 1–2.3 s, every one in its first step). The fence now decides after that I/O.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineSaga, type SagaStore } from '../../src/sagas/index.js';
import { answerAfterStall } from '../support/event-loop-stall.js';
import { sagaEngines, type SagaTestDatabase } from './fixtures/engines.js';

const LEASE_MS = 3_000;
const HEARTBEAT_MS = 1_000;
const SELF_FENCE_AFTER_MS = LEASE_MS - HEARTBEAT_MS;

/**
 * A store whose second heartbeat renews the leases, then stalls the process
 * past the deadline the first one gave and hands its answer back through an
 * I/O callback, as a socket's answer comes.
 */
function stallingRenewal(inner: SagaStore) {
  let previousCall: number | undefined;
  let stalled = false;
  let onStalled!: () => void;
  const stallDone = new Promise<void>((resolve) => (onStalled = resolve));
  let beatsAfter = 0;
  const heartbeat: SagaStore['heartbeat'] = async (owner, sagaIds, leaseMs) => {
    const before = previousCall;
    previousCall = performance.now();
    const held = await inner.heartbeat(owner, sagaIds, leaseMs);
    if (stalled) beatsAfter++;
    if (stalled || before === undefined) return held;
    stalled = true;
    // The earlier beat was sent no later than `before`: the worker's deadline is at most this.
    const deadline = before + SELF_FENCE_AFTER_MS;
    if (performance.now() >= deadline - 100) {
      throw new Error('the renewal came back after the deadline: the machine is too slow for this test');
    }
    return answerAfterStall(held, deadline + 100, onStalled);
  };
  const reclaimed: number[] = [];
  const claim: SagaStore['claim'] = async (options) => {
    const result = await inner.claim(options);
    for (const s of result.sagas) if (s.token > 1) reclaimed.push(s.token);
    return result;
  };
  const store = new Proxy(inner, {
    get(target, property) {
      if (property === 'heartbeat') return heartbeat;
      if (property === 'claim') return claim;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store, stallDone, beatsAfter: () => beatsAfter, reclaimed };
}

describe.each(sagaEngines)('a stalled worker whose renewal was answered on $name', (engine) => {
  describe.skipIf(!engine.available)('', () => {
    let db: SagaTestDatabase;
    beforeEach(async () => {
      db = await engine.open();
    });
    afterEach(async () => {
      await db.close();
    });

    it('keeps its saga: no self-fence, no second claim, the step runs once', async () => {
      let runs = 0;
      let entered!: () => void;
      const running = new Promise<void>((resolve) => (entered = resolve));
      let finish!: () => void;
      const finished = new Promise<void>((resolve) => (finish = resolve));
      const saga = defineSaga({
        name: 'stalled',
        steps: [
          {
            name: 'long',
            action: async () => {
              runs++;
              entered();
              await finished;
            },
            compensation: 'none',
          },
          { name: 'after', action: () => undefined, compensation: 'none' },
        ],
      });
      const stalling = stallingRenewal(db.store);
      const runner = db.runner({
        store: stalling.store,
        leaseMs: LEASE_MS,
        heartbeatMs: HEARTBEAT_MS,
        definitions: [saga],
      });
      const lost: string[] = [];
      let onLost!: () => void;
      const leaseLost = new Promise<void>((resolve) => (onLost = resolve));
      runner.on('saga:lease_lost', (e) => {
        lost.push(e.reason);
        onLost();
      });
      runner.startWorker();
      const { sagaId } = await runner.start(saga, null, { sagaId: 'stalled-1' });
      await running;
      await stalling.stallDone;
      // One more renewal after the stall (the worker kept the saga), or the loss.
      await Promise.race([
        leaseLost,
        new Promise<void>((resolve) => {
          const check = () => (stalling.beatsAfter() > 0 ? resolve() : void setTimeout(check, 20));
          check();
        }),
      ]);
      finish();
      expect((await runner.waitFor(sagaId, { timeoutMs: 30_000 })).status).toBe('completed');
      expect(lost).toEqual([]);
      expect(runs).toBe(1);
      expect(stalling.reclaimed).toEqual([]);
      const history = await runner.history(sagaId);
      expect(history.map((h) => [h.name, h.workerId])).toEqual([
        ['long', runner.workerId],
        ['after', runner.workerId],
      ]);
    }, 60_000);
  });
});
