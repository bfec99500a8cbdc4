/**
 * A job's result or error that JSON can express but PostgreSQL's jsonb
 * cannot store (a NUL character, `\u0000`, or a lone UTF-16 surrogate, half of
 * an emoji): the result is dropped and the
 * error's text cleaned, never turning a succeeded run into a failed one or
 * leaving a run unfinished.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { createScheduler, type Scheduler } from '../../src/scheduling/index.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

const NO_DELAY = { minTimeoutMs: 1, maxTimeoutMs: 1, jitter: false };

describe.each(sqlEngines)('outcomes jsonb cannot store, on $name', (engine) => {
  let db: TestDatabase | undefined;
  let scheduler: Scheduler | undefined;
  afterEach(async () => {
    await scheduler?.stop();
    await db?.close();
    scheduler = undefined;
    db = undefined;
  });

  async function start(run: () => unknown): Promise<Scheduler> {
    db = await engine.open();
    scheduler = createScheduler({
      sql: db.sql,
      schema: db.schema,
      schedules: [{ name: 'job', every: 3_600_000, retry: { attempts: 1, ...NO_DELAY }, run }],
      lease: { ttlMs: 3_000, renewIntervalMs: 500, acquireIntervalMs: 100 },
      pollIntervalMs: 20,
      logger: silentLogger,
    });
    scheduler.on('error', () => undefined);
    await scheduler.start();
    return scheduler;
  }

  it.skipIf(!engine.available)('a result with a NUL character is dropped; the run succeeds', async () => {
    const s = await start(() => ({ note: 'a\u0000b' }));
    const asked = await s.trigger('job');
    await waitFor(
      async () => {
        const status = (await s.run(asked.id))?.status;
        return status !== undefined && status !== 'running' && status !== 'pending';
      },
      {
        what: 'the run to finish',
        timeoutMs: 15_000,
      },
    );
    expect(await s.run(asked.id)).toMatchObject({ status: 'succeeded', result: null, error: null });
  });

  it.skipIf(!engine.available)('an error message with a NUL character is kept without it', async () => {
    const s = await start(() => {
      throw new Error('bad\u0000input');
    });
    const asked = await s.trigger('job');
    await waitFor(async () => (await s.run(asked.id))?.status === 'failed', {
      what: 'the run to be recorded failed',
      timeoutMs: 15_000,
    });
    expect((await s.run(asked.id))?.error).toEqual({ message: 'bad\uFFFDinput' });
  });

  it.skipIf(!engine.available)('a result with a lone surrogate is dropped; the run succeeds', async () => {
    const s = await start(() => ({ note: 'half an emoji: \ud83d' }));
    const asked = await s.trigger('job');
    // One read: two could see 'pending' and then 'running', and pass while the run is still going.
    await waitFor(
      async () => {
        const status = (await s.run(asked.id))?.status;
        return status !== undefined && status !== 'running' && status !== 'pending';
      },
      { what: 'the run to finish', timeoutMs: 15_000 },
    );
    expect(await s.run(asked.id)).toMatchObject({ status: 'succeeded', result: null, error: null });
  });

  it.skipIf(!engine.available)('an error message cut inside an emoji is kept with U+FFFD', async () => {
    // The message is cut to 2,000 characters: here between the two halves of the emoji.
    const s = await start(() => {
      throw new Error(`${'x'.repeat(1_999)}\u{1F600} and more`);
    });
    const asked = await s.trigger('job');
    await waitFor(async () => (await s.run(asked.id))?.status === 'failed', {
      what: 'the run to be recorded failed',
      timeoutMs: 15_000,
    });
    expect((await s.run(asked.id))?.error).toEqual({ message: `${'x'.repeat(1_999)}\uFFFD` });
  });
});
