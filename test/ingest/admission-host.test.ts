/**
 * Admission control on a running engine behind a real HTTP server: with the
 * pipeline behind it made slow on purpose (a read model whose lag the test
 * sets, or an append that does not return), webhooks are answered 503
 * `OVERLOADED` with `Retry-After` at once instead of queueing, nothing of a
 * refused webhook is written, health says `degraded` while shedding, and
 * intake opens again once the pipeline has caught up.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EMPTY } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncEngine, type EngineReadModel, type SyncEngine } from '../../src/engine.js';
import { jsonResponse, nodeAdapter } from '../../src/http/index.js';
import type { WebhookReceiver } from '../../src/ingest/webhook-receiver.js';
import { START_CHECKPOINT } from '../../src/core/checkpoint.js';
import { sqlEngines, type TestDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

/** A read model that does nothing but report the lag the test gives it. */
function laggingReadModel(lag: { ms: number; events: number }): EngineReadModel {
  return {
    changes: EMPTY,
    processor: {
      name: 'slow-read-model',
      lag: async () => ({
        processor: 'slow-read-model',
        ...lag,
        checkpoint: START_CHECKPOINT,
        head: START_CHECKPOINT,
      }),
    },
    start: async () => undefined,
    stop: async () => undefined,
    whenCaughtUp: async () => undefined,
  };
}

/** `POST /hooks/:id` appends one event to stream `hook-<id>`, after `gate` opens. */
function hookReceiver(calls: { n: number }, gate: { wait: Promise<void> }): WebhookReceiver {
  return {
    path: '/hooks/:id',
    create:
      ({ store }) =>
      async (req) => {
        calls.n++;
        await gate.wait;
        await store.append(`hook-${req.params.id}`, [{ type: 'hook.received', data: {} }]);
        return jsonResponse(200, { ok: true });
      },
  };
}

describe.each(sqlEngines)('webhook admission on $name', (dbEngine) => {
  let db: TestDatabase;
  let engine: SyncEngine | undefined;
  let server: Server | undefined;

  afterEach(async () => {
    if (server) await new Promise((resolve) => server!.close(resolve));
    await engine?.close();
    await db?.close();
    server = engine = undefined;
  });

  /** The event-loop signal is real: made unreachable here, so only the injected slowness decides. */
  const CALM_LOOP = { targetEventLoopDelayMs: 600_000 };

  async function start(admission: Parameters<typeof createSyncEngine>[0]['admission']) {
    db = await dbEngine.open();
    const lag = { ms: 0, events: 0 };
    const calls = { n: 0 };
    const gate = { wait: Promise.resolve() };
    engine = createSyncEngine({
      sql: db.sql,
      schema: db.schema,
      pubsub: null,
      readModels: [laggingReadModel(lag)],
      receivers: [hookReceiver(calls, gate)],
      ...(admission === undefined ? {} : { admission }),
    });
    await engine.start();
    server = createServer(nodeAdapter(engine.ingest));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    let next = 0;
    const post = async () => {
      const id = next++;
      const res = await fetch(`http://127.0.0.1:${port}/hooks/${id}`, { method: 'POST', body: '{}' });
      return { id, status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
    };
    const written = async (id: number) => (await engine!.store.readStream(`hook-${id}`)).events.length;
    return { lag, calls, gate, post, written };
  }

  it.skipIf(!dbEngine.available)(
    'answers 503 OVERLOADED with Retry-After while the processors lag, writes nothing of it, and opens again',
    async () => {
      const h = await start({
        ...CALM_LOOP,
        targetLagMs: 100,
        minPerS: 1,
        sampleIntervalMs: 20,
        degradedForMs: 60_000,
      });
      for (let i = 0; i < 5; i++) expect((await h.post()).status).toBe(200);
      expect((await engine!.health()).admission).toMatchObject({ state: 'open' });

      h.lag.ms = 5000;
      h.lag.events = 500;
      const answers: Awaited<ReturnType<typeof h.post>>[] = [];
      await waitFor(
        async () => {
          answers.push(await h.post());
          return answers.at(-1)!.status === 503;
        },
        { what: 'a refusal', timeoutMs: 30_000, intervalMs: 1 },
      );
      const refused = answers.at(-1)!;
      expect(refused.retryAfter).toBe('5');
      expect(JSON.parse(refused.body)).toMatchObject({ status: 503, code: 'OVERLOADED' });
      // Refused before the receiver ran: nothing read, nothing appended.
      expect(h.calls.n).toBe(5 + answers.length - 1);
      expect(await h.written(refused.id)).toBe(0);
      for (const a of answers.slice(0, -1)) expect(await h.written(a.id)).toBe(1);
      const health = await engine!.health();
      expect(health.status).toBe('degraded');
      expect(health.admission).toMatchObject({ state: 'shedding', lagMs: 5000 });
      expect(health.admission!.refused.pipeline_lag).toBeGreaterThanOrEqual(1);

      // Caught up: intake opens again (the rate grows back from its floor).
      h.lag.ms = 0;
      h.lag.events = 0;
      await waitFor(async () => (await h.post()).status === 200, {
        what: 'intake to open',
        timeoutMs: 30_000,
      });
    },
    120_000,
  );

  it.skipIf(!dbEngine.available)(
    'refuses past maxInFlight while appends do not return, instead of queueing them',
    async () => {
      const h = await start({ ...CALM_LOOP, maxInFlight: 2, sampleIntervalMs: 20 });
      let open!: () => void;
      h.gate.wait = new Promise<void>((resolve) => (open = resolve));
      const stuck = [h.post(), h.post()];
      await waitFor(() => engine!.admission!.status().inFlight === 2, { what: 'two webhooks in flight' });
      const refused = await h.post();
      expect(refused).toMatchObject({ status: 503, retryAfter: '1' });
      expect(JSON.parse(refused.body)).toMatchObject({ code: 'OVERLOADED' });
      expect(refused.body).toContain('concurrency');
      open();
      expect((await Promise.all(stuck)).map((a) => a.status)).toEqual([200, 200]);
      expect(await h.written(refused.id)).toBe(0);
      expect((await h.post()).status).toBe(200);
      expect((await engine!.health()).admission!.refused.concurrency).toBe(1);
    },
  );

  it.skipIf(!dbEngine.available)('is off unless asked for', async () => {
    await start(undefined);
    expect(engine!.admission).toBeUndefined();
    expect((await engine!.health()).admission).toBeUndefined();
  });
});
