/**
 * An event whose handler fails only because the database went away (a
 * connection terminated, a server shutting down) is not the event's fault:
 * once the retries are spent the processor backs off and reads the page
 * again instead of dead-lettering it, so a database restart never makes a
 * projection skip events.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { createProcessor } from '../../src/processing/index.js';
import { createEventStore } from '../../src/store/create-event-store.js';

describe('a database outage during a handler', () => {
  it('is retried past the retry budget, never dead-lettered', async () => {
    const store = createEventStore();
    await store.append('order-1', [{ type: 'test.happened', data: {} }]);
    let failures = 0;
    const applied: string[] = [];
    const processor = createProcessor({
      store,
      name: 'outage',
      retry: { attempts: 2, minTimeoutMs: 1, maxTimeoutMs: 2, jitter: false },
      errorBackoffMs: 10,
      logger: silentLogger,
      handle: async (event) => {
        // Longer than the retry budget: three rounds of two attempts.
        if (failures < 6) {
          failures++;
          throw Object.assign(new Error('terminating connection due to administrator command'), {
            code: '57P01',
          });
        }
        applied.push(event.id);
      },
    });
    const dead: unknown[] = [];
    processor.on('processor:dead_lettered', (info) => dead.push(info));
    processor.on('error', () => undefined);
    await processor.start();
    await processor.whenCaughtUp({ timeoutMs: 20_000 });
    expect(dead).toEqual([]);
    expect(applied).toHaveLength(1);
    expect(failures).toBe(6);
    await processor.stop();
    await store.close();
  });
});
