import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineSaga, SagaLeaseLostError, TerminalError } from '../../src/sagas/index.js';
import { sagaEngines, type SagaTestDatabase } from './fixtures/engines.js';
import { hangingLeases } from './fixtures/hanging-leases.js';

describe.each(sagaEngines)('leases and fencing on $name', (engine) => {
  describe.skipIf(!engine.available)('', () => {
    let db: SagaTestDatabase;
    beforeEach(async () => {
      db = await engine.open();
    });
    afterEach(async () => {
      await db.close();
    });

    it('a worker that lost its lease without noticing cannot record its late result; the new owner finishes, nothing doubled', async () => {
      let releaseStale!: () => void;
      const stale = new Promise<void>((r) => (releaseStale = r));
      let slowEntered!: () => void;
      const entered = new Promise<void>((r) => (slowEntered = r));
      const calls: { step: string; key: string }[] = [];
      const saga = defineSaga({
        name: 'fenced',
        steps: [
          {
            name: 'one',
            action: ({ idempotencyKey }) => void calls.push({ step: 'one', key: idempotencyKey }),
            compensation: 'none',
          },
          {
            name: 'slow',
            action: async ({ idempotencyKey }) => {
              calls.push({ step: 'slow', key: idempotencyKey });
              if (calls.filter((c) => c.step === 'slow').length === 1) {
                slowEntered();
                await stale; // the first worker "pauses" here past its lease
              }
              return 'slow-done';
            },
            compensation: 'none',
          },
          { name: 'three', action: () => void calls.push({ step: 'three', key: '' }), compensation: 'none' },
        ],
      });
      // Worker A: its self-fencing deadline is far away (400 s, past the test's bound even on a
      // loaded machine), so A itself never notices; only the store's refusal can stop it.
      const frozen = hangingLeases(db.store);
      const a = db.runner({ store: frozen.store, leaseMs: 600_000, definitions: [saga] });
      const lost: { sagaId: string; reason: string }[] = [];
      a.on('saga:lease_lost', (e) => lost.push({ sagaId: e.sagaId, reason: e.reason }));
      a.startWorker();
      const { sagaId } = await a.start(saga, null, { sagaId: 'fenced-1' });
      await entered;
      // A pauses: no heartbeat or claim of A reaches the store, and its lease goes while it
      // cannot notice (for the store, giving it up under A is the same as letting it run out).
      frozen.hang();
      await db.store.release(a.workerId, [sagaId]);

      const b = db.runner({ definitions: [saga] });
      b.startWorker();
      expect((await b.waitFor(sagaId)).status).toBe('completed');

      releaseStale(); // A wakes up and writes its late result
      await new Promise<void>((resolve) => a.once('saga:lease_lost', () => resolve()));
      frozen.resume();
      // Refused by the lease token: another worker owns the saga.
      expect(lost).toEqual([{ sagaId, reason: 'taken' }]);

      const history = await b.history(sagaId);
      expect(history.map((h) => [h.name, h.outcome, h.workerId])).toEqual([
        ['one', 'completed', a.workerId],
        ['slow', 'completed', b.workerId],
        ['three', 'completed', b.workerId],
      ]);
      // At least once: "slow" ran twice, under the same idempotency key; "one" was never repeated.
      expect(calls.filter((c) => c.step === 'slow').map((c) => c.key)).toEqual([
        'fenced-1:slow',
        'fenced-1:slow',
      ]);
      expect(calls.filter((c) => c.step === 'one')).toHaveLength(1);
    });

    it('a worker whose heartbeats hang stops the step itself while the lease is still its own; the next worker starts it only afterwards', async () => {
      const hanging = hangingLeases(db.store);
      // Every run of the step: the first is A's (the saga starts leased to A).
      const runs: { startedAt: number; endedAt?: number; reason?: unknown }[] = [];
      let holderAtFence: string | null | undefined;
      const saga = defineSaga({
        name: 'self_fenced',
        steps: [
          { name: 'one', action: () => 1, compensation: 'none' },
          {
            name: 'slow',
            action: async ({ sagaId, signal }) => {
              const run: (typeof runs)[number] = { startedAt: performance.now() };
              runs.push(run);
              if (runs.length === 1) {
                hanging.hang(); // from now on A's store answers no heartbeat (and no claim)
                await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
                holderAtFence = (await db.store.get(sagaId))?.leaseOwner;
                Object.assign(run, { endedAt: performance.now(), reason: signal.reason });
              }
              return runs.length;
            },
            compensation: 'none',
          },
          { name: 'three', action: () => 3, compensation: 'none' },
        ],
      });
      const a = db.runner({ store: hanging.store, leaseMs: 3000, heartbeatMs: 1000, definitions: [saga] });
      const lost: string[] = [];
      a.on('saga:lease_lost', (e) => lost.push(e.reason));
      a.startWorker();
      // B is ready all along: it claims the saga the moment the store lets it.
      const b = db.runner({ definitions: [saga] });
      b.startWorker();
      try {
        const { sagaId } = await a.start(saga, null, { sagaId: 'self-fenced-1' });
        expect((await b.waitFor(sagaId, { timeoutMs: 30_000 })).status).toBe('completed');

        expect(hanging.heldHeartbeats).toBeGreaterThan(0);
        const [onA, onB] = runs;
        expect(runs).toHaveLength(2);
        expect(onA!.reason).toBeInstanceOf(SagaLeaseLostError);
        expect((onA!.reason as SagaLeaseLostError).reason).toBe('not_renewed');
        expect(lost).toEqual(['not_renewed']);
        // Fenced before the lease ran out: nobody else had the saga yet …
        expect(holderAtFence).toBe(a.workerId);
        // … and B started the step only after A had stopped it.
        expect(onB!.startedAt).toBeGreaterThan(onA!.endedAt!);
        const history = await b.history(sagaId);
        expect(history.map((h) => [h.name, h.workerId])).toEqual([
          ['one', a.workerId],
          ['slow', b.workerId],
          ['three', b.workerId],
        ]);
      } finally {
        hanging.resume();
      }
    });

    it('a worker that claims again a saga it still runs stops the stale run and resumes at once, without waiting out the lease', async () => {
      let slowRuns = 0;
      let entered!: () => void;
      const inSlow = new Promise<void>((resolve) => (entered = resolve));
      const saga = defineSaga({
        name: 'reclaimed',
        steps: [
          { name: 'one', action: () => 1, compensation: 'none' },
          {
            name: 'slow',
            action: async () => {
              if (++slowRuns === 1) {
                entered();
                await new Promise(() => undefined); // stuck, ignoring its signal
              }
              return 'done';
            },
            compensation: 'none',
          },
        ],
      });
      const a = db.runner({ leaseMs: 60_000, definitions: [saga] });
      const lost: string[] = [];
      a.on('saga:lease_lost', (e) => lost.push(e.reason));
      a.startWorker();
      const { sagaId } = await a.start(saga, null, { sagaId: 'reclaimed-1' });
      await inSlow;
      // Its lease goes under the stuck run; A claims the saga again with a new token.
      await db.store.release(a.workerId, [sagaId]);
      a.wake();
      // Far sooner than the 60 s lease the fresh claim would otherwise sit idle for.
      const state = await a.waitFor(sagaId, { timeoutMs: 10_000 });
      expect(state.status).toBe('completed');
      expect(lost).toEqual(['taken']);
      expect(slowRuns).toBe(2);
      expect((await a.history(sagaId)).map((h) => [h.name, h.workerId])).toEqual([
        ['one', a.workerId],
        ['slow', a.workerId],
      ]);
    });

    it("a step the previous owner may have started is undone after a takeover, even when the new owner's attempt is refused with effect 'none'", async () => {
      // The chaos suite's case: a host charges, dies before recording the step; the buyer
      // cancels; the next host's attempt refuses ("cancelled") without charging. The
      // earlier charge is still there, so the step's own compensation must run.
      const charged: string[] = [];
      const refunded: string[] = [];
      let releaseStale!: () => void;
      const stale = new Promise<void>((r) => (releaseStale = r));
      let charging!: () => void;
      const entered = new Promise<void>((r) => (charging = r));
      const saga = defineSaga({
        name: 'charge_then_refused',
        steps: [
          {
            name: 'charge',
            action: async ({ idempotencyKey }) => {
              if (charged.length === 0) {
                charged.push(idempotencyKey); // the provider acted …
                charging();
                await stale; // … and the worker "dies" before the step is recorded
                return 'late';
              }
              throw new TerminalError('the order was cancelled'); // effect 'none' by default
            },
            compensation: {
              name: 'refund',
              run: ({ actionIdempotencyKey, actionOutcome }) =>
                void refunded.push(`${actionIdempotencyKey} ${actionOutcome}`),
            },
          },
          { name: 'ship', action: () => 'shipped', compensation: 'none' },
        ],
      });
      const frozen = hangingLeases(db.store);
      const a = db.runner({ store: frozen.store, leaseMs: 600_000, definitions: [saga] });
      a.startWorker();
      const { sagaId } = await a.start(saga, null, { sagaId: 'takeover-refused-1' });
      await entered;
      frozen.hang();
      await db.store.release(a.workerId, [sagaId]);

      const b = db.runner({ definitions: [saga] });
      b.startWorker();
      const finished = await b.waitFor(sagaId);
      releaseStale();
      frozen.resume();
      expect(finished.status).toBe('compensated');
      expect(finished.error).toMatchObject({ name: 'TerminalError', effect: 'unknown' });
      expect(charged).toEqual(['takeover-refused-1:charge']);
      expect(refunded).toEqual(['takeover-refused-1:charge unknown']);
    });

    it('concurrent workers never run the same saga: each saga has one owner and each step one entry', async () => {
      const ran: string[] = [];
      const saga = defineSaga({
        name: 'shared',
        steps: ['a', 'b', 'c'].map((name) => ({
          name,
          action: async ({ idempotencyKey }: { idempotencyKey: string }) => {
            ran.push(idempotencyKey);
            await new Promise((r) => setTimeout(r, 1));
          },
          compensation: 'none' as const,
        })),
      });
      const host = db.runner();
      const ids: string[] = [];
      for (let i = 0; i < 30; i++)
        ids.push((await host.start(saga, { i }, { sagaId: `shared-${i}` })).sagaId);
      const workers = [0, 1, 2].map(() => db.runner({ concurrency: 4, definitions: [saga] }));
      workers.forEach((w) => w.startWorker());
      for (const id of ids) expect((await host.waitFor(id)).status).toBe('completed');
      expect(ran).toHaveLength(ids.length * 3);
      expect(new Set(ran).size).toBe(ran.length);
      const owners = new Set<string>();
      for (const id of ids) {
        const history = await host.history(id);
        expect(history).toHaveLength(3);
        expect(new Set(history.map((h) => h.workerId)).size).toBe(1);
        owners.add(history[0]!.workerId);
      }
      // The work was actually shared (with 4 slots each, one worker cannot have taken all 30 at once).
      expect(owners.size).toBeGreaterThan(1);
    });
  });
});
