/**
 * A step error whose text PostgreSQL cannot store (a NUL character, which
 * jsonb refuses) still lets the saga record the failure and compensate.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TerminalError, defineSaga, type SagaRunner } from '../../src/sagas/index.js';
import { sagaEngines, type SagaTestDatabase } from './fixtures/engines.js';
import { FAST_RETRY } from './fixtures/order-fulfillment.js';

describe.each(sagaEngines)('a step error with a NUL character on $name', (engine) => {
  describe.skipIf(!engine.available)('', () => {
    let db: SagaTestDatabase;
    let runner: SagaRunner;
    beforeEach(async () => {
      db = await engine.open();
      runner = db.runner({ retry: FAST_RETRY, compensationRetry: FAST_RETRY, outagePauseMs: 10 });
      runner.on('error', () => undefined);
      runner.startWorker();
    });
    afterEach(async () => {
      await db.close();
    });

    it('is recorded and the saga compensates', async () => {
      let released = 0;
      const saga = defineSaga({
        name: 'nul-error',
        steps: [
          {
            name: 'reserve',
            action: () => ({ id: 'r-1' }),
            compensation: { name: 'release', run: () => void released++ },
          },
          {
            name: 'charge',
            action: () => {
              throw new TerminalError('gateway said: card\u0000declined');
            },
            compensation: 'none',
          },
        ],
      });
      const { sagaId } = await runner.start(saga, null);
      const state = await runner.waitFor(sagaId, { timeoutMs: 15_000 });
      expect(state.status).toBe('compensated');
      expect(released).toBe(1);
    });
  });
});
