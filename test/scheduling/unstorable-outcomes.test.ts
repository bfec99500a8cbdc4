/**
 * A job's result or error that JSON can express but PostgreSQL's jsonb
 * cannot store (a NUL character, `\u0000`, or a lone UTF-16 surrogate, half of
 * an emoji): the result is dropped and the
 * error's text cleaned, never turning a succeeded run into a failed one or
 * leaving a run unfinished.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryAccessAudit } from '../../src/access/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { createRouter } from '../../src/http/router.js';
import { createScheduler, scheduleRoutes, type Scheduler } from '../../src/scheduling/index.js';
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

  // A manual trigger's key the run's row cannot keep as sent: PostgreSQL refused a NUL
  // (the route answered its raw error, a 500, after auditing the trigger), and stored a
  // lone surrogate as U+FFFD (two keys named one run). Refused before anything is written.
  it.skipIf(!engine.available)(
    'a trigger key with a NUL or a lone surrogate is 422 on the route, INVALID_ARGUMENT from trigger(); nothing audited or run',
    async () => {
      const s = await start(() => 'done');
      const audit = new MemoryAccessAudit();
      const http = createRouter(
        scheduleRoutes({ scheduler: s, authorize: () => ({ userId: 'ops', roles: ['admin'] }), audit }),
      );
      for (const key of ['a\u0000b', 'half \ud83d', 'other half \udc00']) {
        const res = await http({
          method: 'POST',
          path: '/api/schedules/job/runs',
          headers: {},
          rawBody: Buffer.from(JSON.stringify({ key })),
          params: {},
        });
        expect(
          { status: res.status, body: JSON.parse(res.body) as unknown },
          JSON.stringify(key),
        ).toMatchObject({
          status: 422,
          body: { code: 'VALIDATION_FAILED', issues: [{ path: 'key' }] },
        });
      }
      for (const options of [
        { key: 'a\u0000b' },
        { key: '\ud83d' },
        { key: '' },
        { requestedBy: 'x\udfff' },
      ]) {
        await expect(s.trigger('job', options), JSON.stringify(options)).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
        });
      }
      expect(await audit.list({})).toEqual([]);
      expect(await s.history('job')).toEqual([]);
    },
  );
});
