/**
 * A handler's error whose text PostgreSQL cannot store (a NUL character:
 * `text` and `jsonb` refuse it) is still dead-lettered, so the processor
 * moves past the event instead of failing the same batch forever.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { createProcessor, type Processor } from '../../src/processing/index.js';
import { sqlStoreEngines, visible, type TestStore } from './support.js';

describe.each(sqlStoreEngines)('a dead letter with a NUL in its error on $name', (engine) => {
  let t: TestStore;
  let processor: Processor | undefined;
  beforeEach(async () => {
    if (engine.available) t = await engine.open();
  });
  afterEach(async () => {
    await processor?.stop();
    if (engine.available) await t.close();
  });

  it.skipIf(!engine.available)('is stored and the processor goes on', async () => {
    await t.store.append('poison', [{ type: 'test.happened', data: { n: 1 } }]);
    const { checkpoint } = await t.store.append('fine', [{ type: 'test.happened', data: { n: 2 } }]);
    await visible(t.store, checkpoint);
    const handled: string[] = [];
    processor = createProcessor({
      store: t.store,
      name: 'nul-errors',
      pollIntervalMs: 50,
      retry: { attempts: 1, minTimeoutMs: 1, maxTimeoutMs: 1 },
      logger: silentLogger,
      handle: (event) => {
        if (event.aggregateId === 'poison') throw new Error('upstream said: bad\u0000bytes');
        handled.push(event.aggregateId);
      },
    });
    processor.on('error', () => undefined);
    await processor.start();
    await processor.whenCaughtUp({ timeoutMs: 15_000 });
    expect(handled).toEqual(['fine']);
    const [letter] = await processor.deadLetters.list({ processor: 'nul-errors' });
    expect(letter?.error).toContain('bad\uFFFDbytes');
  });
});
