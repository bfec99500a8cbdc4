/**
 * A worker with nothing else to do whose heartbeats hang: its self-fence must
 * fire on time. The fence decides in an immediate after its timer (so a
 * renewal answered during an event-loop stall is read first); an unref'd
 * immediate runs only when other I/O or a timer wakes the loop, so on a quiet
 * worker the fence came late — after the store's lease had run out, when
 * another worker may already run the step.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineSaga, SagaLeaseLostError } from '../../src/sagas/index.js';
import { sagaEngines, type SagaTestDatabase } from './fixtures/engines.js';
import { hangingLeases } from './fixtures/hanging-leases.js';

const LEASE_MS = 3_000;
const HEARTBEAT_MS = 1_000;

describe.each(sagaEngines)('the self-fence of a quiet worker on $name', (engine) => {
  describe.skipIf(!engine.available)('', () => {
    let db: SagaTestDatabase;
    beforeEach(async () => {
      db = await engine.open();
    });
    afterEach(async () => {
      await db.close();
    });

    it('stops the step while the store still holds the lease for it', async () => {
      const hanging = hangingLeases(db.store);
      let fenced!: (at: { reason: unknown; expiresAt: Date | null; now: Date }) => void;
      const fence = new Promise<{ reason: unknown; expiresAt: Date | null; now: Date }>((r) => (fenced = r));
      const saga = defineSaga({
        name: 'quiet',
        steps: [
          {
            name: 'waits',
            action: async ({ sagaId, signal }) => {
              hanging.hang(); // no heartbeat or claim of this worker reaches the store from now on
              // Nothing else runs in this worker: no timer, no I/O until the fence aborts the step.
              await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
              // The store's clock: is the lease still this worker's?
              const state = await db.store.get(sagaId);
              fenced({ reason: signal.reason, expiresAt: state?.leaseExpiresAt ?? null, now: new Date() });
            },
            compensation: 'none',
          },
        ],
      });
      const runner = db.runner({
        store: hanging.store,
        leaseMs: LEASE_MS,
        heartbeatMs: HEARTBEAT_MS,
        definitions: [saga],
      });
      runner.startWorker();
      try {
        await runner.start(saga, null, { sagaId: 'quiet-1' });
        const { reason, expiresAt, now } = await fence;
        expect(reason).toBeInstanceOf(SagaLeaseLostError);
        expect((reason as SagaLeaseLostError).reason).toBe('not_renewed');
        // Fenced before the lease ran out (host and database share one clock here).
        expect(expiresAt).not.toBeNull();
        expect(now.getTime()).toBeLessThan(expiresAt!.getTime());
      } finally {
        hanging.resume();
        await runner.stop();
      }
    }, 60_000);
  });
});
