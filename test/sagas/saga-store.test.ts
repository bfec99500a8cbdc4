/**
 * The saga store's claim on every engine: what one statement now does (claim
 * with the next expiry; the step log only for sagas held before) must answer
 * as the separate statements did.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClaimedSaga } from '../../src/sagas/index.js';
import { waitFor } from '../support/wait.js';
import { sagaEngines, type SagaTestDatabase } from './fixtures/engines.js';

const LEASE_MS = 60_000;

describe.each(sagaEngines)('saga store on $name', (engine) => {
  describe.skipIf(!engine.available)('', () => {
    let db: SagaTestDatabase;
    beforeEach(async () => {
      db = await engine.open();
    });
    afterEach(async () => {
      await db.close();
    });

    const claim = (owner: string, limit = 10) =>
      db.store.claim({ owner, leaseMs: LEASE_MS, limit, definitions: ['d'] });

    it('says which claims took over a lease that ran out, and whose it was', async () => {
      await db.store.insert([
        { sagaId: 'fresh', definition: 'd', input: null },
        { sagaId: 'given-back', definition: 'd', input: null },
      ]);
      // Never leased: not a takeover. Then 'given-back' is given back: no takeover either.
      const first = await db.store.claim({ owner: 'w1', leaseMs: LEASE_MS, limit: 2, definitions: ['d'] });
      expect(first.sagas.map((s) => s.takenOver)).toEqual([undefined, undefined]);
      await db.store.release('w1', ['given-back']);
      await db.store.insert([{ sagaId: 'lapsed', definition: 'd', input: null, owner: 'w0', leaseMs: 50 }]);
      // w0's 50 ms lease runs out (the database's clock decides): w2 takes it over.
      const byId = new Map<string, ClaimedSaga>();
      await waitFor(
        async () => {
          for (const s of (await claim('w2')).sagas) byId.set(s.state.sagaId, s);
          return byId.has('lapsed');
        },
        { what: "w0's lease to run out" },
      );
      expect(byId.get('lapsed')?.takenOver?.previousOwner).toBe('w0');
      expect(byId.get('lapsed')?.takenOver?.expiredForMs).toBeGreaterThanOrEqual(0);
      expect(byId.get('given-back')?.takenOver).toBeUndefined();
    });

    it('claims free sagas and tells when the next lease held elsewhere expires', async () => {
      expect(await claim('w1')).toEqual({ sagas: [], nextExpiryMs: null });
      await db.store.insert([
        { sagaId: 's1', definition: 'd', input: { n: 1 } },
        { sagaId: 's2', definition: 'd', input: { n: 2 } },
        { sagaId: 'other', definition: 'x', input: null },
      ]);
      const first = await claim('w1', 1);
      expect(first.sagas).toHaveLength(1);
      const [{ state, token, completed }] = first.sagas as [(typeof first.sagas)[number]];
      expect([token, completed]).toEqual([1, []]);
      expect(state.input).toEqual({ n: state.sagaId === 's1' ? 1 : 2 });
      // w1 holds one for a minute; the other is free and goes to w2, which learns when w1's lease expires.
      const second = await claim('w2');
      expect(second.sagas.map((s) => s.state.sagaId)).toEqual([state.sagaId === 's1' ? 's2' : 's1']);
      expect(second.nextExpiryMs).toBeGreaterThan(LEASE_MS - 30_000);
      expect(second.nextExpiryMs).toBeLessThanOrEqual(LEASE_MS);
      const none = await claim('w3');
      expect(none.sagas).toEqual([]);
      expect(none.nextExpiryMs).toBeGreaterThan(LEASE_MS - 30_000);
    });

    it('hands a resumed saga its completed steps, a fresh one none', async () => {
      await db.store.insert([{ sagaId: 's1', definition: 'd', input: null }]);
      const [first] = (await claim('w1')).sagas;
      const log = {
        name: 'a',
        stepIndex: 0,
        phase: 'action' as const,
        outcome: 'completed' as const,
        attempts: 1,
        output: { charged: 5 },
        error: null,
        startedAt: new Date(),
      };
      const write = { sagaId: 's1', token: first!.token, status: 'running' as const, cursor: 1 };
      expect(
        await db.store.record('w1', [
          { ...write, transition: false, compensationFailed: false, finish: false, log },
        ]),
      ).toEqual([true]);
      await db.store.release('w1', ['s1']);
      const [resumed] = (await claim('w2')).sagas;
      expect(resumed!.token).toBe(2);
      expect(resumed!.completed.map((e) => [e.name, e.output])).toEqual([['a', { charged: 5 }]]);
    });
  });
});
