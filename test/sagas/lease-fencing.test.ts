import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineSaga } from '../../src/sagas/index.js';
import { sagaEngines, type SagaTestDatabase } from './fixtures/engines.js';

describe.each(sagaEngines)('leases and fencing on $name', (engine) => {
  describe.skipIf(!engine.available)('', () => {
    let db: SagaTestDatabase;
    beforeEach(async () => {
      db = await engine.open();
    });
    afterEach(async () => {
      await db.close();
    });

    it('a worker whose lease expired cannot record its late result; the new owner finishes, nothing doubled', async () => {
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
      // Worker A: a short lease and no heartbeat in time, like a process frozen by a long pause.
      const a = db.runner({ leaseMs: 200, heartbeatMs: 600_000, definitions: [saga] });
      const lost: string[] = [];
      a.on('saga:lease_lost', (e) => lost.push(e.sagaId));
      a.startWorker();
      const { sagaId } = await a.start(saga, null, { sagaId: 'fenced-1' });
      await entered;

      const b = db.runner({ leaseMs: 60_000, definitions: [saga] });
      b.startWorker();
      expect((await b.waitFor(sagaId)).status).toBe('completed');

      releaseStale();
      await new Promise<void>((resolve) => a.once('saga:lease_lost', () => resolve()));
      expect(lost).toEqual([sagaId]);

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
