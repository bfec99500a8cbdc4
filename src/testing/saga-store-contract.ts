/**
 * The saga store contract: what the saga runner relies on from a `SagaStore`
 * (in memory, PostgreSQL/PGlite tables, or a third party's) — idempotent
 * creation, one lease holder per saga, writes fenced by the lease token,
 * the step log, dead letters and their redrive.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SagaStore } from '../index.js';
import { waitFor } from './wait-for.js';

/** One write of `SagaStore.record` (named by `/sagas`; derived here so `testing` stays on the root's names). */
type SagaWrite = Parameters<SagaStore['record']>[1][number];

/** Opens a fresh, empty saga store for one test; `close` releases it. */
export type SagaStoreFactory = () => Promise<{ store: SagaStore; close(): Promise<void> }>;

const LEASE_MS = 60_000;
const claimAll = { leaseMs: LEASE_MS, limit: 10, definitions: ['order'] };

/** A write that completes action step `stepIndex` (log only, no transition). */
function stepDone(sagaId: string, token: number, stepIndex: number): SagaWrite {
  return {
    sagaId,
    token,
    transition: false,
    status: 'running',
    cursor: stepIndex,
    compensationFailed: false,
    finish: false,
    log: {
      name: `step-${stepIndex}`,
      stepIndex,
      phase: 'action',
      outcome: 'completed',
      attempts: 1,
      output: { charged: 10 + stepIndex },
      error: null,
      startedAt: new Date(),
    },
  };
}

/**
 * Register the saga store contract with vitest.
 *
 * @example
 * ```ts
 * import { sagaStoreContract } from '@creatorflow/sync/testing';
 * sagaStoreContract('my store', async () => ({ store: createMySagaStore(), close: async () => {} }));
 * ```
 */
export function sagaStoreContract(
  name: string,
  factory: SagaStoreFactory,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip ?? false)(`saga store contract: ${name}`, () => {
    let store: SagaStore;
    let close: () => Promise<void>;

    beforeEach(async () => {
      ({ store, close } = await factory());
      await store.migrate();
    });
    afterEach(async () => {
      await store.close?.();
      await close();
    });

    it('creates a saga once; a second insert of its id leaves it alone', async () => {
      expect(await store.insert([{ sagaId: 's1', definition: 'order', input: { total: 5 } }])).toEqual([
        true,
      ]);
      expect(
        await store.insert([
          { sagaId: 's1', definition: 'order', input: { total: 99 } },
          { sagaId: 's2', definition: 'order', input: null },
        ]),
      ).toEqual([false, true]);
      const saga = await store.get('s1');
      expect(saga).toMatchObject({
        sagaId: 's1',
        definition: 'order',
        input: { total: 5 },
        status: 'running',
        cursor: 0,
        compensationFailed: false,
        error: null,
        leaseOwner: null,
        finishedAt: null,
      });
      expect(await store.get('nope')).toBeNull();
    });

    it('leases a saga to one claimer at a time, only of the definitions asked for', async () => {
      await store.insert([
        { sagaId: 's1', definition: 'order', input: null },
        { sagaId: 'r1', definition: 'refund', input: null },
      ]);
      const a = await store.claim({ ...claimAll, owner: 'a' });
      expect(a.sagas.map((s) => s.state.sagaId)).toEqual(['s1']);
      expect(a.sagas[0]!.state.leaseOwner).toBe('a');
      const b = await store.claim({ ...claimAll, owner: 'b' });
      expect(b.sagas).toEqual([]);
      // The only active lease of someone else expires within the lease time.
      expect(b.nextExpiryMs).not.toBeNull();
      expect(b.nextExpiryMs!).toBeLessThanOrEqual(LEASE_MS);
    });

    it("claims a dead worker's expired lease before sagas never leased", async () => {
      await store.insert([{ sagaId: 'orphan', definition: 'order', input: null, owner: 'dead', leaseMs: 1 }]);
      // More new sagas than one claim takes: the orphan must still be in the first batch.
      await store.insert(
        Array.from({ length: claimAll.limit + 5 }, (_, i) => ({
          sagaId: `new-${i}`,
          definition: 'order',
          input: null,
        })),
      );
      const expiresAt = (await store.get('orphan'))!.leaseExpiresAt!.getTime();
      await waitFor(() => Date.now() > expiresAt + 20, { what: "the dead worker's lease to expire" });
      const { sagas } = await store.claim({ ...claimAll, owner: 'b' });
      expect(sagas).toHaveLength(claimAll.limit);
      expect(sagas[0]!.state.sagaId).toBe('orphan');
      expect(sagas[0]!.state.leaseOwner).toBe('b');
    });

    it('a saga inserted with an owner is leased to it at once (token 1)', async () => {
      await store.insert([{ sagaId: 's1', definition: 'order', input: null, owner: 'a', leaseMs: LEASE_MS }]);
      expect((await store.claim({ ...claimAll, owner: 'b' })).sagas).toEqual([]);
      expect(await store.record('a', [stepDone('s1', 1, 0)])).toEqual([true]);
    });

    it('fences writes by owner and token: a stale or foreign write is refused', async () => {
      await store.insert([{ sagaId: 's1', definition: 'order', input: null }]);
      const [claimed] = (await store.claim({ ...claimAll, owner: 'a' })).sagas;
      const { token } = claimed!;
      expect(await store.record('b', [stepDone('s1', token, 0)])).toEqual([false]);
      expect(await store.record('a', [stepDone('s1', token + 1, 0)])).toEqual([false]);
      expect(await store.record('a', [stepDone('s1', token, 0)])).toEqual([true]);
      // Released and claimed again: the new lease has a new token, the old one is dead.
      await store.release('a', ['s1']);
      const [again] = (await store.claim({ ...claimAll, owner: 'b' })).sagas;
      expect(again!.token).not.toBe(token);
      expect(await store.record('a', [stepDone('s1', token, 1)])).toEqual([false]);
      expect(await store.record('b', [stepDone('s1', again!.token, 1)])).toEqual([true]);
    });

    it('keeps the step log, and hands a resuming worker the completed steps', async () => {
      await store.insert([{ sagaId: 's1', definition: 'order', input: null }]);
      const [first] = (await store.claim({ ...claimAll, owner: 'a' })).sagas;
      expect(first!.completed).toEqual([]);
      await store.record('a', [stepDone('s1', first!.token, 0), stepDone('s1', first!.token, 1)]);
      await store.release('a', ['s1']);
      const [resumed] = (await store.claim({ ...claimAll, owner: 'b' })).sagas;
      expect(resumed!.completed.map((e) => [e.stepIndex, e.output])).toEqual([
        [0, { charged: 10 }],
        [1, { charged: 11 }],
      ]);
      const history = await store.history('s1');
      expect(history.map((e) => [e.name, e.phase, e.outcome, e.workerId])).toEqual([
        ['step-0', 'action', 'completed', 'a'],
        ['step-1', 'action', 'completed', 'a'],
      ]);
    });

    it('heartbeat extends only the leases the owner holds', async () => {
      await store.insert([
        { sagaId: 's1', definition: 'order', input: null },
        { sagaId: 's2', definition: 'order', input: null },
      ]);
      await store.claim({ ...claimAll, owner: 'a', limit: 1 });
      const held = (await store.list()).find((s) => s.leaseOwner === 'a')!.sagaId;
      const other = held === 's1' ? 's2' : 's1';
      await store.claim({ ...claimAll, owner: 'b' });
      // No write holds a row here: none is busy.
      expect(await store.heartbeat('a', ['s1', 's2'], LEASE_MS)).toEqual({ renewed: [held], busy: [] });
      expect(await store.heartbeat('b', ['s1', 's2'], LEASE_MS)).toEqual({ renewed: [other], busy: [] });
    });

    it('a final transition finishes the saga, ends its lease and lists it by status', async () => {
      await store.insert([{ sagaId: 's1', definition: 'order', input: null }]);
      const [claimed] = (await store.claim({ ...claimAll, owner: 'a' })).sagas;
      const done: SagaWrite = {
        ...stepDone('s1', claimed!.token, 0),
        transition: true,
        status: 'completed',
        finish: true,
      };
      expect(await store.record('a', [done])).toEqual([true]);
      const saga = await store.get('s1');
      expect(saga).toMatchObject({ status: 'completed', leaseOwner: null, leaseExpiresAt: null });
      expect(saga!.finishedAt).toBeInstanceOf(Date);
      expect((await store.list({ status: 'completed' })).map((s) => s.sagaId)).toEqual(['s1']);
      expect(await store.list({ status: 'running' })).toEqual([]);
      expect((await store.claim({ ...claimAll, owner: 'b' })).sagas).toEqual([]); // finished: never claimed again
    });

    it('records a dead letter with its write, counts it, and a redrive resolves it and resumes compensation', async () => {
      await store.insert([{ sagaId: 's1', definition: 'order', input: null }]);
      const [claimed] = (await store.claim({ ...claimAll, owner: 'a' })).sagas;
      await store.record('a', [stepDone('s1', claimed!.token, 0)]);
      const error = { name: 'Error', message: 'refund refused' };
      const failed: SagaWrite = {
        sagaId: 's1',
        token: claimed!.token,
        transition: true,
        status: 'compensation_failed',
        cursor: 0,
        compensationFailed: true,
        error,
        finish: true,
        deadLetter: { definition: 'order', step: 'step-0', compensation: 'refund', error, attempts: 3 },
      };
      expect(await store.record('a', [failed])).toEqual([true]);
      expect(await store.countDeadLetters()).toBe(1);
      const [letter] = await store.deadLetters({ sagaId: 's1' });
      expect(letter).toMatchObject({
        sagaId: 's1',
        step: 'step-0',
        compensation: 'refund',
        attempts: 3,
        resolvedAt: null,
      });
      expect(letter!.error).toMatchObject(error);

      expect(await store.redrive('s1')).toBe(true);
      expect(await store.get('s1')).toMatchObject({
        status: 'compensating',
        compensationFailed: false,
        cursor: 0,
      });
      expect(await store.countDeadLetters()).toBe(0);
      expect(await store.deadLetters({ sagaId: 's1' })).toEqual([]);
      expect(await store.deadLetters({ sagaId: 's1', includeResolved: true })).toHaveLength(1);
      expect(await store.redrive('s1')).toBe(false); // not compensation_failed any more
      expect((await store.claim({ ...claimAll, owner: 'b' })).sagas.map((s) => s.state.sagaId)).toEqual([
        's1',
      ]);
    });
  });
}
