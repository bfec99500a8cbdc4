/**
 * A step whose output JSON can express but PostgreSQL's jsonb cannot store (a
 * NUL character, a lone UTF-16 surrogate), or that is not JSON at all, fails
 * for good: run once, compensated (it ran to its end, so it acted), the saga
 * finished. Before, on PostgreSQL/PGlite, the step log's write failed on
 * every retry and the step ran again after each lost lease. A compensation's
 * output of that kind fails the compensation for good (one dead letter). A
 * start input of that kind is refused with a `ValidationError` and starts nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { TerminalError, defineSaga, type SagaRunner } from '../../src/sagas/index.js';
import { sagaEngines, type SagaTestDatabase } from './fixtures/engines.js';
import { FAST_RETRY } from './fixtures/order-fulfillment.js';

const cyclic: Record<string, unknown> = {};
cyclic.self = cyclic;

describe.each(sagaEngines)('a step output the step log cannot store, on $name', (engine) => {
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

    it.each([
      ['a NUL character', { reply: 'card\u0000declined' }],
      ['a lone surrogate', { reply: 'cut \ud83d' }],
      ['a BigInt', { amount: 1n }],
      ['a cycle', cyclic],
    ])('with %s fails the step once and the saga compensates', async (what, output) => {
      const calls = { reserve: 0, release: 0, charge: 0, refund: 0, ship: 0 };
      const saga = defineSaga({
        name: `unstorable-${what.replaceAll(' ', '-')}`,
        steps: [
          {
            name: 'reserve',
            action: () => void calls.reserve++,
            compensation: { name: 'release', run: () => void calls.release++ },
          },
          {
            name: 'charge',
            action: () => {
              calls.charge++;
              return output as never;
            },
            compensation: { name: 'refund', run: () => void calls.refund++ },
          },
          { name: 'ship', action: () => void calls.ship++, compensation: 'none' },
        ],
      });
      const { sagaId } = await runner.start(saga, null);
      const state = await runner.waitFor(sagaId, { timeoutMs: 15_000 });
      expect(state.status).toBe('compensated');
      expect(calls).toEqual({ reserve: 1, release: 1, charge: 1, refund: 1, ship: 0 });
      expect(state.error).toMatchObject({ code: 'SAGA_STEP_TERMINAL' });
    });

    it.each([
      ['a NUL character', { note: 'a\u0000b' }],
      ['a lone surrogate', { note: '\udfff' }],
      ['a BigInt', { amount: 1n }],
    ])('a start input with %s is refused (ValidationError) and starts nothing', async (_what, input) => {
      const saga = defineSaga({
        name: 'unstorable-input',
        steps: [{ name: 'a', action: () => 1, compensation: 'none' }],
      });
      await expect(runner.start(saga, input as never)).rejects.toBeInstanceOf(ValidationError);
      await expect(runner.start(saga, null, { sagaId: 'id-\ud800' })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      expect(await runner.list()).toEqual([]);
    });

    it('a compensation output with a lone surrogate fails that compensation for good: dead-lettered once, the saga finished', async () => {
      let releases = 0;
      const saga = defineSaga({
        name: 'unstorable-compensation',
        steps: [
          {
            name: 'reserve',
            action: () => ({ id: 'r-1' }),
            compensation: {
              name: 'release',
              run: () => {
                releases++;
                return { reply: 'cut \ud83d' };
              },
            },
          },
          {
            name: 'charge',
            action: () => {
              throw new TerminalError('declined');
            },
            compensation: 'none',
          },
        ],
      });
      const { sagaId } = await runner.start(saga, null);
      const state = await runner.waitFor(sagaId, { timeoutMs: 15_000 });
      expect(state.status).toBe('compensation_failed');
      expect(releases).toBe(1);
      expect(await runner.deadLetters({ sagaId })).toMatchObject([
        { step: 'reserve', compensation: 'release', error: { code: 'SAGA_STEP_TERMINAL' } },
      ]);
    });
  });
});
