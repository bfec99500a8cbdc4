/**
 * An event whose handler fails only because the database went away (a
 * connection terminated, a server shutting down) or aborted the transaction
 * for its own reasons (a deadlock, a lock or statement timeout, memory) is
 * not the event's fault: once the retries are spent the processor backs off
 * and reads the page again instead of dead-lettering it, so a database
 * restart or a held lock never makes a projection skip events.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { createProcessor } from '../../src/processing/index.js';
import { createEventStore } from '../../src/store/create-event-store.js';
import type { EventStore, StoredEvent } from '../../src/store/types.js';
import { postgresEngine, postgresUrl, uniqueSchema } from '../support/databases.js';

/** A driver error as node-postgres raises it. */
function pgError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * A processor with a small retry budget (two attempts) and a short backoff,
 * recording its dead letters and the codes of the errors it reports.
 */
function watchedProcessor(store: EventStore, name: string, handle: (event: StoredEvent) => Promise<void>) {
  const processor = createProcessor({
    store,
    name,
    retry: { attempts: 2, minTimeoutMs: 1, maxTimeoutMs: 2, jitter: false },
    errorBackoffMs: 10,
    logger: silentLogger,
    handle,
  });
  const dead: unknown[] = [];
  const errorCodes: string[] = [];
  processor.on('processor:dead_lettered', (info) => dead.push(info));
  processor.on('error', (err: unknown) => {
    const cause = (err as { cause?: { code?: string } }).cause ?? err;
    errorCodes.push(String((cause as { code?: string }).code));
  });
  return { processor, dead, errorCodes };
}

describe('a database outage during a handler', () => {
  it.each<[string, () => unknown]>([
    [
      'an administrator shutdown',
      () => pgError('terminating connection due to administrator command', '57P01'),
    ],
    ['a statement timeout', () => pgError('canceling statement due to statement timeout', '57014')],
    ['a lock timeout', () => pgError('canceling statement due to lock timeout', '55P03')],
    ['a deadlock', () => pgError('deadlock detected', '40P01')],
    ['the server out of memory', () => pgError('out of memory', '53200')],
    [
      'the store unavailable',
      () =>
        new StoreUnavailableError(
          'The database is unreachable; nothing was written',
          pgError('x', 'ECONNREFUSED'),
        ),
    ],
  ])('%s is retried past the retry budget, never dead-lettered', async (_, failure) => {
    const store = createEventStore();
    await store.append('order-1', [{ type: 'test.happened', data: {} }]);
    let failures = 0;
    const applied: string[] = [];
    const { processor, dead } = watchedProcessor(store, 'outage', async (event) => {
      // Longer than the retry budget: three rounds of two attempts.
      if (failures < 6) {
        failures++;
        throw failure();
      }
      applied.push(event.id);
    });
    await processor.start();
    await processor.whenCaughtUp({ timeoutMs: 20_000 });
    expect(dead).toEqual([]);
    expect(applied).toHaveLength(1);
    expect(failures).toBe(6);
    await processor.stop();
    await store.close();
  });

  it('a bug in the handler is still dead-lettered once its retries are spent', async () => {
    const store = createEventStore();
    await store.append('order-1', [{ type: 'test.happened', data: {} }]);
    const { processor, dead } = watchedProcessor(store, 'bug', async () => {
      throw pgError('duplicate key value violates unique constraint', '23505');
    });
    await processor.start();
    await processor.whenCaughtUp({ timeoutMs: 20_000 });
    expect(dead).toHaveLength(1);
    await processor.stop();
    await store.close();
  });
});

describe.skipIf(!postgresEngine.available)('a lock held on a read model row, on PostgreSQL', () => {
  it('waits for the lock through lock timeouts and applies the event, no dead letter', async () => {
    const url = postgresUrl()!;
    const schema = uniqueSchema('locked');
    // The handler's connections give up on a lock after 50 ms, as a host with lock_timeout set would.
    const handlerPool = new pg.Pool({ connectionString: url, max: 2, options: '-c lock_timeout=50' });
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    const store = createEventStore();
    try {
      await handlerPool.query(`CREATE SCHEMA "${schema}"`);
      await handlerPool.query(`CREATE TABLE "${schema}".counts (id int PRIMARY KEY, n int NOT NULL)`);
      await handlerPool.query(`INSERT INTO "${schema}".counts VALUES (1, 0)`);
      await holder.query('BEGIN');
      await holder.query(`SELECT n FROM "${schema}".counts WHERE id = 1 FOR UPDATE`);
      await store.append('order-1', [{ type: 'test.happened', data: {} }]);

      const { processor, dead, errorCodes } = watchedProcessor(store, 'locked-row', async () => {
        await handlerPool.query(`UPDATE "${schema}".counts SET n = n + 1 WHERE id = 1`);
      });
      await processor.start();
      // Past the retry budget more than once: the old processor dead-lettered the event here.
      await expect
        .poll(() => errorCodes.filter((code) => code === '55P03').length, { timeout: 20_000 })
        .toBeGreaterThanOrEqual(2);
      await holder.query('ROLLBACK');
      await processor.whenCaughtUp({ timeoutMs: 20_000 });
      const { rows } = await handlerPool.query(`SELECT n FROM "${schema}".counts WHERE id = 1`);
      expect(rows[0].n).toBe(1);
      expect(dead).toEqual([]);
      await processor.stop();
    } finally {
      await holder.end().catch(() => undefined);
      await handlerPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await handlerPool.end();
      await store.close();
    }
  });
});
