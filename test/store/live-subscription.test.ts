/**
 * followLog (store.subscribe) against a scripted log source: an unreachable
 * database delays the stream, a definite error ends it.
 */
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { formatCheckpoint, START_CHECKPOINT, type LogCheckpoint } from '../../src/core/checkpoint.js';
import { followLog, type LogSource } from '../../src/store/live-subscription.js';
import type { ReadAllResult, StoredEvent } from '../../src/store/types.js';
import { waitFor } from '../support/wait.js';

function event(n: number): StoredEvent {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    aggregateId: 's',
    aggregateType: 't',
    type: 't',
    data: { n },
    metadata: {},
    version: n,
    globalPosition: n,
    occurredAt: new Date(0),
    processedAt: new Date(0),
    checkpoint: formatCheckpoint(n, n),
  };
}

/** A log of `count` events whose reads fail with `failures` first, one per read. */
function scriptedLog(count: number, failures: Error[]): LogSource & { wake: Subject<void>; reads: number } {
  const events = Array.from({ length: count }, (_, i) => event(i + 1));
  const wake = new Subject<void>();
  const source = {
    wake,
    wakeups: wake.asObservable(),
    reads: 0,
    async headCheckpoint(): Promise<LogCheckpoint> {
      return START_CHECKPOINT;
    },
    async readAll({ after }: { after: LogCheckpoint; limit: number }): Promise<ReadAllResult> {
      source.reads++;
      const failure = failures.shift();
      if (failure) throw failure;
      const from = after === START_CHECKPOINT ? 0 : Number(after.split(':')[1]);
      const page = events.slice(from);
      return { events: page, checkpoint: page.at(-1)?.checkpoint ?? after };
    },
  };
  return source;
}

describe('followLog', () => {
  it('keeps the stream open while the database is unreachable and resumes at its checkpoint', async () => {
    const dropped = Object.assign(new Error('Connection terminated unexpectedly'), {});
    const shutdown = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
    });
    const source = scriptedLog(3, [dropped, shutdown]);
    const seen: number[] = [];
    let failed: unknown;
    const sub = followLog(source, { after: 'start', pollIntervalMs: 10 }, 10).subscribe({
      next: (e) => seen.push((e.data as { n: number }).n),
      error: (err: unknown) => (failed = err),
    });
    await waitFor(() => seen.length === 3, { what: 'the three events after two failed reads' });
    sub.unsubscribe();
    expect(seen).toEqual([1, 2, 3]);
    expect(failed).toBeUndefined();
    expect(source.reads).toBeGreaterThanOrEqual(3);
  });

  it('ends the stream on an error the database answered', async () => {
    const missing = Object.assign(new Error('relation "events" does not exist'), { code: '42P01' });
    const source = scriptedLog(1, [missing]);
    const failed = await new Promise((resolve) => {
      followLog(source, { after: 'start', pollIntervalMs: 10 }, 10).subscribe({ error: resolve });
    });
    expect(failed).toBe(missing);
  });
});
