/**
 * A step whose every attempt fails on an outage of our own database (a
 * refused or broken connection, a deadlock, a lock timeout, a retryable store
 * error) says nothing about the order: the runner neither compensates it nor
 * dead-letters a compensation for it. It emits `saga:step_deferred` and runs
 * the step again after `outagePauseMs`. Before, a database restart longer
 * than a step's retry budget cancelled and refunded orders that were fine.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { fromPg } from '../../src/adapters/pg.js';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { markDatabaseError } from '../../src/core/sql-errors.js';
import type { SqlClient } from '../../src/core/sql-client.js';
import { freePort } from '../support/free-port.js';
import { postgresUrl } from '../support/databases.js';
import { TerminalError, defineSaga, type SagaEventMap, type SagaRunner } from '../../src/sagas/index.js';
import { sagaEngines, type SagaTestDatabase } from './fixtures/engines.js';
import { FAST_RETRY } from './fixtures/order-fulfillment.js';

/** A driver error as node-postgres raises it, through the library's adapter (marked as the database's). */
function pgError(message: string, code: string): Error {
  return markDatabaseError(Object.assign(new Error(message), { code })) as Error;
}

/** Throws `failure()` on the first `n` calls, then returns `value`. */
function failingFirst<T>(n: number, failure: () => unknown, value: T): { run: () => T; calls: () => number } {
  let calls = 0;
  return {
    run: () => {
      calls += 1;
      if (calls <= n) throw failure();
      return value;
    },
    calls: () => calls,
  };
}

/**
 * Reserve (undone by `release`, counted in `released()`), then `charge`: the
 * shape of an order's saga, with the step under test second.
 */
function reserveThenCharge(
  name: string,
  charge: () => unknown,
): { saga: ReturnType<typeof defineSaga>; released: () => number } {
  let released = 0;
  const saga = defineSaga({
    name,
    steps: [
      {
        name: 'reserve',
        action: () => ({ id: 'r-1' }),
        compensation: { name: 'release', run: () => void released++ },
      },
      { name: 'charge', action: charge, compensation: 'none' },
    ],
  });
  return { saga, released: () => released };
}

describe.each(sagaEngines)('a database outage under a saga step on $name', (engine) => {
  describe.skipIf(!engine.available)('', () => {
    let db: SagaTestDatabase;
    let runner: SagaRunner;
    let deferred: SagaEventMap['saga:step_deferred'][0][];
    let deadLetters: unknown[];

    beforeEach(async () => {
      db = await engine.open();
      runner = db.runner({ retry: FAST_RETRY, compensationRetry: FAST_RETRY, outagePauseMs: 10 });
      deferred = [];
      deadLetters = [];
      runner.on('saga:step_deferred', (e) => deferred.push(e));
      runner.on('saga:dead_lettered', (e) => deadLetters.push(e));
      runner.on('error', () => undefined);
      runner.startWorker();
    });

    afterEach(async () => {
      await db.close();
    });

    it.each<[string, () => unknown]>([
      ['a refused connection', () => pgError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
      ['a server shutdown', () => pgError('terminating connection due to administrator command', '57P01')],
      ['a lock timeout', () => pgError('canceling statement due to lock timeout', '55P03')],
      ['a deadlock', () => pgError('deadlock detected', '40P01')],
      [
        'the store unavailable',
        () => new StoreUnavailableError('nothing was written', pgError('x', 'ECONNREFUSED')),
      ],
    ])(
      '%s past the retry budget defers the step; the saga completes, nothing compensated',
      async (_, failure) => {
        // Three rounds of three attempts fail, then the database is back.
        const charge = failingFirst(9, failure, { chargeId: 'ch-1' });
        const { saga, released } = reserveThenCharge('outage-action', charge.run);
        const { sagaId } = await runner.start(saga, null);
        const state = await runner.waitFor(sagaId, { timeoutMs: 20_000 });
        expect(state.status).toBe('completed');
        expect(released()).toBe(0);
        expect(charge.calls()).toBe(10);
        expect(deferred.map((e) => [e.step, e.phase, e.attempts])).toEqual([
          ['charge', 'action', 3],
          ['charge', 'action', 3],
          ['charge', 'action', 3],
        ]);
        expect(deferred[0]!.retryInMs).toBe(10);
      },
    );

    it('a compensation failing on an outage is run again, not dead-lettered', async () => {
      const release = failingFirst(7, () => pgError('Connection terminated unexpectedly', '08006'), null);
      const saga = defineSaga({
        name: 'outage-compensation',
        steps: [
          {
            name: 'reserve',
            action: () => ({ id: 'r-1' }),
            compensation: { name: 'release', run: release.run },
          },
          {
            name: 'charge',
            action: () => {
              throw new TerminalError('card declined');
            },
            compensation: 'none',
          },
        ],
      });
      const { sagaId } = await runner.start(saga, null);
      const state = await runner.waitFor(sagaId, { timeoutMs: 20_000 });
      expect(state.status).toBe('compensated');
      expect(deadLetters).toEqual([]);
      expect(release.calls()).toBe(8);
      expect(deferred.every((e) => e.phase === 'compensation' && e.step === 'release')).toBe(true);
      expect(deferred.length).toBe(2);
    });

    it('a step refused after an outage deferred it may have acted: its own compensation runs', async () => {
      let refunded = 0;
      let calls = 0;
      const saga = defineSaga({
        name: 'outage-then-refused',
        steps: [
          {
            name: 'charge',
            action: () => {
              calls += 1;
              // The first round charged, then lost the database before it could record it.
              if (calls <= 3) throw pgError('Connection terminated unexpectedly', '08006');
              throw new TerminalError('order cancelled meanwhile');
            },
            compensation: { name: 'refund', run: () => void refunded++ },
          },
        ],
      });
      const { sagaId } = await runner.start(saga, null);
      const state = await runner.waitFor(sagaId, { timeoutMs: 20_000 });
      expect(state.status).toBe('compensated');
      expect(refunded).toBe(1);
    });

    it("a provider's socket error past the retry budget is the step's failure: it compensates", async () => {
      const { saga, released } = reserveThenCharge('provider-down', () => {
        // Node's HTTP client, not the database: the same code and message a pg socket gives.
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      });
      const { sagaId } = await runner.start(saga, null);
      const state = await runner.waitFor(sagaId, { timeoutMs: 20_000 });
      expect(state.status).toBe('compensated');
      expect(released()).toBe(1);
      expect(deferred).toEqual([]);
    });

    it.skipIf(!postgresUrl())(
      'a step reading through fromPg while its server is unreachable is deferred until it is back',
      async () => {
        const url = postgresUrl()!;
        const down = new pg.Pool({ host: '127.0.0.1', port: await freePort(), max: 1 });
        const up = new pg.Pool({ connectionString: url, max: 1 });
        let sql: SqlClient = fromPg(down);
        runner.on('saga:step_deferred', () => {
          if (deferred.length >= 2) sql = fromPg(up); // the server is back after two pauses
        });
        const saga = defineSaga({
          name: 'read-through-pg',
          steps: [
            {
              name: 'look',
              action: async () => (await sql.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one,
              compensation: 'none',
            },
          ],
        });
        try {
          const { sagaId } = await runner.start(saga, null);
          const state = await runner.waitFor(sagaId, { timeoutMs: 20_000 });
          expect(state.status).toBe('completed');
          expect(deferred.length).toBe(2);
          expect(deferred[0]!.error.code).toBe('ECONNREFUSED');
        } finally {
          await down.end();
          await up.end();
        }
      },
    );

    it('a bug past the retry budget still compensates', async () => {
      const { saga, released } = reserveThenCharge('bug', () => {
        throw pgError('duplicate key value violates unique constraint', '23505');
      });
      const { sagaId } = await runner.start(saga, null);
      const state = await runner.waitFor(sagaId, { timeoutMs: 20_000 });
      expect(state.status).toBe('compensated');
      expect(released()).toBe(1);
      expect(deferred).toEqual([]);
    });
  });
});
