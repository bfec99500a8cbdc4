/**
 * Acknowledging an alert is idempotent: the first acknowledgement of the
 * alert's life wins; a retry (or another operator) records nothing and is
 * answered the first, also when two runtimes race on one log; a resolved
 * alert answers `ALERT_RESOLVED` (with the acknowledgement it had), an
 * unknown one `ALERT_NOT_FOUND`. The book and the read model keep the first
 * of two acknowledgements a log already holds. In memory, on PGlite and on
 * PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProjection, type Projection } from '../../src/processing/index.js';
import type { EventStore } from '../../src/store/types.js';
import {
  AlertNotFoundError,
  AlertResolvedError,
  alertsProjection,
  createAlerting,
  createMetricsRegistry,
  DEFAULT_ALERT_RULES,
  libraryMetrics,
  SPEC_ESCALATION_MATRIX,
  type Alerting,
  type AlertRow,
  type MetricsRegistry,
} from '../../src/monitoring/index.js';
import { storeEngines, type TestStore } from '../processing/support.js';

const MIN = 60_000;
const MONDAY_10 = Date.parse('2026-11-30T09:00:00Z');
const STREAM = 'monitoring-alerts';
const contacts = Object.fromEntries(
  ['team_lead', 'on_call_engineer', 'backup_engineer', 'development_team'].map((role) => [
    role,
    { addresses: { slack: `${role}-hook` } },
  ]),
);

/** A store whose appends wait for `release` once `hold()` was called: a runtime that read the log, then lost the race. */
function gatedStore(store: EventStore) {
  let gate: Promise<void> | undefined;
  let open = () => undefined as void;
  let reached = () => undefined as void;
  const waiting = new Promise<void>((resolve) => (reached = resolve));
  const gated = new Proxy(store, {
    get(target, key) {
      if (key === 'append')
        return async (...args: Parameters<EventStore['append']>) => {
          if (gate) {
            reached();
            await gate;
          }
          return target.append(...args);
        };
      const value = Reflect.get(target, key) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    store: gated,
    hold: () => void (gate = new Promise<void>((resolve) => (open = resolve))),
    /** Resolves once an append is held at the gate (the log was read before it). */
    waiting,
    release: () => open(),
  };
}

describe.each(storeEngines)('acknowledging alerts on $name', (engine) => {
  let t: TestStore;
  let clock = MONDAY_10;
  const running: Alerting[] = [];
  let projection: Projection<AlertRow> | undefined;
  beforeEach(async () => {
    clock = MONDAY_10;
    if (engine.available) t = await engine.open();
  });
  afterEach(async () => {
    for (const a of running.splice(0)) await a.stop();
    await projection?.stop();
    projection = undefined;
    if (engine.available) await t.close();
  });

  const open = async (store: EventStore, registry: MetricsRegistry = createMetricsRegistry()) => {
    const alerting = createAlerting({
      registry,
      rules: DEFAULT_ALERT_RULES.filter((r) => r.name === 'system_down'),
      now: () => clock,
      intervalMs: 0,
      route: { receiver: 'team', groupBy: ['alertname'], groupWaitMs: 0 },
      receivers: {
        team: { timeZone: 'UTC', matrix: SPEC_ESCALATION_MATRIX, escalateAfterMs: 5 * MIN, contacts },
      },
      channels: [{ kind: 'slack', send: async () => undefined }],
    });
    await alerting.start({ store });
    running.push(alerting);
    return alerting;
  };
  /** An evaluator with `system_down` firing; its fingerprint. */
  const firing = async (store: EventStore) => {
    const registry = createMetricsRegistry();
    const evaluator = await open(store, registry);
    libraryMetrics(registry).up.set(undefined, 0);
    await evaluator.tick();
    clock += 2 * MIN;
    await evaluator.tick();
    const alert = evaluator.view().active[0]!;
    expect(alert.state).toBe('firing');
    return { evaluator, registry, fingerprint: alert.fingerprint };
  };
  const acks = async () =>
    (await t.store.readStream(STREAM)).events
      .filter((e) => e.type === 'alert.acknowledged')
      .map((e) => ({ data: e.data as { fingerprint: string; by: string; at: number } }));

  it.skipIf(!engine.available)('the first acknowledgement wins; a retry records nothing', async () => {
    const { evaluator, fingerprint } = await firing(t.store);
    const ackAt = clock;
    expect(await evaluator.acknowledge(fingerprint, 'alice')).toEqual({
      fingerprint,
      by: 'alice',
      at: ackAt,
      duplicate: false,
    });
    clock += MIN;
    const first = { fingerprint, by: 'alice', at: ackAt, duplicate: true };
    expect(await evaluator.acknowledge(fingerprint, 'alice')).toEqual(first); // a retry
    expect(await evaluator.acknowledge(fingerprint, 'bob')).toEqual(first); // someone else, later
    // From another host that never evaluated.
    expect(await (await open(t.store)).acknowledge(fingerprint, 'carol')).toEqual(first);
    expect((await acks()).map((e) => e.data)).toEqual([{ fingerprint, by: 'alice', at: ackAt }]);
    expect(evaluator.view().active[0]!.acknowledged).toEqual({ by: 'alice', at: ackAt });
  });

  it.skipIf(!engine.available)('two runtimes racing on one log record one acknowledgement', async () => {
    const { evaluator, fingerprint } = await firing(t.store);
    const gated = gatedStore(t.store);
    const late = await open(gated.store);
    gated.hold();
    // `late` reads the log (not acknowledged) and is held before its append...
    const lateAnswer = late.acknowledge(fingerprint, 'bob');
    await gated.waiting;
    // ...while the evaluator acknowledges first.
    const ackAt = clock;
    expect(await evaluator.acknowledge(fingerprint, 'alice')).toMatchObject({
      by: 'alice',
      duplicate: false,
    });
    clock += MIN;
    gated.release();
    // The late append is refused (stale version); it re-reads and answers the first.
    expect(await lateAnswer).toEqual({ fingerprint, by: 'alice', at: ackAt, duplicate: true });
    expect((await acks()).map((e) => e.data.by)).toEqual(['alice']);
    expect(late.view().active[0]!.acknowledged).toEqual({ by: 'alice', at: ackAt });
  });

  it.skipIf(!engine.available)(
    'a resolved alert answers ALERT_RESOLVED with its acknowledgement, an unknown one ALERT_NOT_FOUND',
    async () => {
      const { evaluator, registry, fingerprint } = await firing(t.store);
      const ackAt = clock;
      await evaluator.acknowledge(fingerprint, 'alice');
      clock += MIN;
      libraryMetrics(registry).up.set(undefined, 1);
      await evaluator.tick();
      const resolvedAt = clock;
      const other = await open(t.store);
      const refusal = await other.acknowledge(fingerprint, 'alice').catch((err: unknown) => err);
      expect(refusal).toBeInstanceOf(AlertResolvedError);
      expect(refusal).toMatchObject({
        code: 'ALERT_RESOLVED',
        fingerprint,
        resolvedAt,
        acknowledged: { by: 'alice', at: ackAt },
      });
      const unknown = await other.acknowledge('no-such-alert', 'alice').catch((err: unknown) => err);
      expect(unknown).toBeInstanceOf(AlertNotFoundError);
      expect(unknown).toMatchObject({ code: 'ALERT_NOT_FOUND', fingerprint: 'no-such-alert' });
      expect(await acks()).toHaveLength(1);

      // A new life needs a new acknowledgement.
      clock += MIN;
      libraryMetrics(registry).up.set(undefined, 0);
      await evaluator.tick();
      expect(await other.acknowledge(fingerprint, 'bob')).toMatchObject({ by: 'bob', duplicate: false });
    },
  );

  it.skipIf(!engine.available)(
    'the book and the read model keep the first of two acknowledgements already in the log',
    async () => {
      projection = createProjection({ store: t.store, definition: alertsProjection({ scope: 'ops' }) });
      await projection.start();
      const { evaluator, fingerprint } = await firing(t.store);
      // A log written before acknowledging was idempotent: two acknowledgements of one life.
      const { version } = await t.store.readStream(STREAM).then((r) => r.events.at(-1)!);
      const first = { fingerprint, by: 'alice', at: clock };
      const second = { fingerprint, by: 'bob', at: clock + MIN };
      await t.store.append(
        STREAM,
        [
          { type: 'alert.acknowledged', data: first },
          { type: 'alert.acknowledged', data: second },
        ],
        { expectedVersion: version },
      );
      const restarted = await open(t.store);
      expect(restarted.view().active[0]!.acknowledged).toEqual({ by: 'alice', at: first.at });
      await projection.whenCaughtUp({ timeoutMs: 20_000 });
      expect((await projection.rows())[0]).toMatchObject({ state: 'acknowledged', acknowledged_by: 'alice' });
      expect(new Date((await projection.rows())[0]!.acknowledged_at!).getTime()).toBe(first.at);
      expect(await evaluator.acknowledge(fingerprint, 'carol')).toMatchObject({
        by: 'alice',
        duplicate: true,
      });
    },
    60_000,
  );
});
