/**
 * The chaos checker on synthetic histories and log rows: a clean run passes,
 * and each kind of violation (a doubled event id, a version gap or repeat, an
 * acknowledged webhook missing or written twice, a refused webhook that wrote,
 * a stuck saga, a provider effect twice or left in place, a client copy that
 * drifted, an outage health did not report, a host that died) is reported
 * with its evidence.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../examples/simulator/random.js';
import { SHIPPING_WEBHOOK_SOURCE } from '../../src/commerce/ingest/shipping/webhook-handler.js';
import { TIKTOK_WEBHOOK_SOURCE } from '../../src/commerce/ingest/tiktok/webhook-handler.js';
import { checkClients } from './checker/check-clients.js';
import { checkReportsSettledOnce } from './checker/check-conflicts.js';
import { checkHealthDuringFaults, checkHealthNominalAtEnd } from './checker/check-health.js';
import { checkHostsSurvived } from './checker/check-hosts.js';
import { checkEventIds, checkStreamVersions } from './checker/check-log.js';
import { checkProviders } from './checker/check-providers.js';
import { checkRefusalsWroteNothing } from './checker/check-refusals.js';
import { checkWorkDone } from './checker/check-work.js';
import { checkSagas } from './checker/check-sagas.js';
import { checkWebhooksAcknowledged, checkWebhooksInLog } from './checker/check-webhooks.js';
import type { LogEvent, SagaRow } from './checker/log-data.js';
import { planFaults } from './fault-schedule.js';
import {
  FAULT_KINDS,
  type ClientRecord,
  type FaultRecord,
  type HealthRecord,
  type HostRecord,
  type WebhookRecord,
} from './history.js';
import type { LedgerEntry } from './providers.js';

let position = 0;
function event(stream: string, version: number, more: Partial<LogEvent> = {}): LogEvent {
  position++;
  return {
    id: `e-${position}`,
    streamId: stream,
    version,
    type: 'order.status_changed',
    correlationId: null,
    source: null,
    transactionId: String(1000 + position),
    position,
    processedMs: 1_000_000 + position * 100,
    ...more,
  };
}

function webhook(id: string, status: number, more: Partial<WebhookRecord> = {}): WebhookRecord {
  const accepted = status === 200 ? { answer: { status: 'accepted', duplicate: false, events: 1 } } : {};
  return {
    type: 'webhook',
    t: 1000,
    id,
    kind: 'tiktok',
    host: 0,
    attempt: 1,
    status,
    ms: 5,
    ...accepted,
    ...more,
  };
}

const problems = (r: { examples: unknown[] }) => r.examples.map((e) => (e as { problem: string }).problem);

describe('the log', () => {
  it('passes distinct ids and versions 1..n', () => {
    const events = [event('a', 1), event('a', 2), event('b', 1)];
    expect(checkEventIds(events).ok).toBe(true);
    expect(
      checkStreamVersions(events, [
        { streamId: 'a', version: 2 },
        { streamId: 'b', version: 1 },
      ]).ok,
    ).toBe(true);
  });

  it('reports an event id stored twice, with both copies', () => {
    const first = event('order-1', 1);
    const again = event('order-1', 2, { id: first.id });
    const locate = (ms: number) => ({
      atS: (ms - 1_000_000) / 1000,
      duringFaults: ms > first.processedMs ? ['3:hold_lock'] : [],
    });
    const result = checkEventIds([first, again, event('order-2', 1)], locate);
    expect(result.ok).toBe(false);
    expect(result.examples[0]).toMatchObject({
      copies: [{ duringFaults: [] }, { duringFaults: ['3:hold_lock'] }],
    });
    expect(result.examples).toEqual([
      expect.objectContaining({
        problem: 'event_id_twice',
        id: first.id,
        copies: expect.arrayContaining([expect.objectContaining({ version: 2 })]),
      }),
    ]);
  });

  it('reports a gap, a repeated version and a stream row that disagrees', () => {
    const events = [
      event('gap', 1),
      event('gap', 2),
      event('gap', 4),
      event('rep', 1),
      event('rep', 2),
      event('rep', 2),
    ];
    const result = checkStreamVersions(events, [
      { streamId: 'gap', version: 4 },
      { streamId: 'rep', version: 3 },
      { streamId: 'ghost', version: 2 },
    ]);
    expect(result.examples).toEqual(
      expect.arrayContaining([
        { problem: 'version_gap', stream: 'gap', missing: [3] },
        { problem: 'version_repeated', stream: 'rep', versions: [2] },
        { problem: 'head_mismatch', stream: 'rep', streamsVersion: 3, lastEvent: 2 },
        { problem: 'head_without_events', stream: 'ghost', streamsVersion: 2 },
      ]),
    );
  });
  it("reports a stream whose versions the log holds out of order (a flush's older transaction id)", () => {
    const events = [event('order-9', 1), event('order-9', 3), event('order-9', 2), event('order-8', 1)];
    const result = checkStreamVersions(events, [
      { streamId: 'order-9', version: 3 },
      { streamId: 'order-8', version: 1 },
    ]);
    expect(result.ok).toBe(false);
    expect(result.examples).toEqual([
      { problem: 'version_out_of_log_order', stream: 'order-9', logOrder: [1, 3, 2] },
    ]);
  });
});

describe('conflict reports', () => {
  it('passes when each report is settled once, by a conflict or alone, or not at all', () => {
    const result = checkReportsSettledOnce({
      reports: ['r1', 'r2', 'r3', 'r4'],
      audited: [
        { conflictId: 'k1', eventId: 'r1' },
        { conflictId: 'k1', eventId: 'r2' },
        { conflictId: 'k1', eventId: 'other' },
      ],
      lone: [{ eventId: 'e9', causationId: 'r3' }],
    });
    expect(result).toMatchObject({ ok: true, checked: 4, violations: 0 });
  });

  it('names a report audited twice, or audited and applied alone', () => {
    const result = checkReportsSettledOnce({
      reports: ['r1', 'r2', 'r3'],
      audited: [
        { conflictId: 'k1', eventId: 'r1' },
        { conflictId: 'k2', eventId: 'r1' },
        { conflictId: 'k2', eventId: 'r2' },
      ],
      lone: [
        { eventId: 'e8', causationId: 'r2' },
        { eventId: 'e9', causationId: 'r3' },
      ],
    });
    expect(result.ok).toBe(false);
    expect(result.violations).toBe(2);
    expect(result.examples).toEqual([
      { problem: 'report_settled_twice', reportId: 'r1', by: ['conflict k1', 'conflict k2'] },
      { problem: 'report_settled_twice', reportId: 'r2', by: ['conflict k2', 'lone outcome e8'] },
    ]);
  });
});

describe('webhooks', () => {
  const logged = (id: string, more: Partial<LogEvent> = {}) =>
    event(`order-${id}`, 1, { correlationId: id, source: TIKTOK_WEBHOOK_SOURCE, ...more });

  it('passes a webhook acknowledged after a failed attempt and written once', () => {
    const records = [webhook('n1', 503, { attempt: 1 }), webhook('n1', 200, { attempt: 2 })];
    expect(checkWebhooksInLog(records, [logged('n1')]).ok).toBe(true);
    expect(checkWebhooksAcknowledged(records).ok).toBe(true);
  });

  it('reports an acknowledged webhook whose events are not in the log', () => {
    const result = checkWebhooksInLog([webhook('n1', 200)], [logged('other')]);
    expect(problems(result)).toEqual(['acknowledged_but_missing']);
  });

  it('reports a webhook written by two appends, or with more events than the receiver wrote', () => {
    const shipping = (id: string, tx: string) =>
      event(`order-${id}`, 1, { correlationId: id, source: SHIPPING_WEBHOOK_SOURCE, transactionId: tx });
    const twice = checkWebhooksInLog(
      [webhook('s1', 200, { kind: 'shipping' })],
      [shipping('s1', '7'), shipping('s1', '9')],
    );
    expect(problems(twice)).toEqual(['written_twice']);
    const more = checkWebhooksInLog(
      [webhook('n2', 200)],
      [logged('n2', { transactionId: '5' }), logged('n2', { transactionId: '5' })],
    );
    expect(problems(more)).toEqual(['written_twice']);
  });

  it('does not count events of other sources, and accepts an ignored notification with none', () => {
    const ignored = webhook('n3', 200, { answer: { status: 'ignored' } });
    expect(checkWebhooksInLog([ignored], [logged('n3', { source: 'fulfillment_saga' })]).ok).toBe(true);
  });

  it('reports a webhook the sender gave up on', () => {
    const result = checkWebhooksAcknowledged([
      webhook('n4', 500),
      webhook('n4', 0, { attempt: 2, error: 'fetch failed' }),
    ]);
    expect(result.examples).toEqual([expect.objectContaining({ problem: 'never_acknowledged', id: 'n4' })]);
  });
});

describe('admission refusals', () => {
  const logged = (id: string) =>
    event(`order-${id}`, 1, { correlationId: id, source: TIKTOK_WEBHOOK_SOURCE });
  const overloaded = (id: string, attempt: number) =>
    webhook(id, 503, { attempt, answer: { status: 'OVERLOADED' } });

  it('passes refusals that wrote nothing: never written, or acknowledged later as new', () => {
    const records = [
      overloaded('r1', 1),
      overloaded('r1', 2),
      overloaded('r2', 1),
      webhook('r2', 200, { attempt: 2 }),
    ];
    const result = checkRefusalsWroteNothing(records, [logged('r2')]);
    expect(result).toMatchObject({ ok: true, checked: 2 });
  });

  it('reports a refused webhook found in the log, and a refusal followed by a duplicate answer', () => {
    const records = [
      overloaded('r3', 1),
      overloaded('r4', 1),
      webhook('r4', 200, { attempt: 2, answer: { status: 'accepted', duplicate: true } }),
    ];
    const result = checkRefusalsWroteNothing(records, [logged('r3'), logged('r4')]);
    expect(result.examples).toEqual([
      expect.objectContaining({ problem: 'refused_but_written', id: 'r3' }),
      expect.objectContaining({ problem: 'refused_then_duplicate', id: 'r4' }),
    ]);
  });

  it('leaves webhooks with an ambiguous failure before the refusal to the log check', () => {
    const records = [webhook('r5', 0, { attempt: 1, error: 'TimeoutError' }), overloaded('r5', 2)];
    expect(checkRefusalsWroteNothing(records, [logged('r5')])).toMatchObject({ ok: true, checked: 0 });
    expect(checkRefusalsWroteNothing([webhook('r6', 503)], [])).toMatchObject({ checked: 0 });
  });
});

describe('sagas and providers', () => {
  const saga = (orderId: string, status: string): SagaRow => ({
    sagaId: `order-fulfillment:c1:${orderId}`,
    definition: 'commerce_order_fulfillment',
    status,
    error: null,
  });
  const entry = (operation: string, key: string, acted = 1): LedgerEntry => ({
    provider: operation.includes('label') ? 'shipping' : 'payment',
    operation,
    key,
    orderId: key.split(':')[2] ?? '',
    requested: acted,
    acted,
  });
  const effects = (s: SagaRow) => [
    entry('charge', `${s.sagaId}:process_payment`),
    entry('create_label', `${s.sagaId}:generate_shipping_label`),
  ];

  it('passes finished sagas whose effects happened once', () => {
    const done = saga('o1', 'completed');
    const undone = saga('o2', 'compensated');
    const orders = [
      { creatorId: 'c1', orderId: 'o1' },
      { creatorId: 'c1', orderId: 'o2' },
    ];
    expect(checkSagas([done, undone], [], orders).ok).toBe(true);
    const ledger = [
      ...effects(done),
      entry('charge', `${undone.sagaId}:process_payment`),
      entry('refund', `${undone.sagaId}:refund_payment`),
    ];
    expect(checkProviders(ledger, [done, undone]).ok).toBe(true);
  });

  it('reports a run whose sagas mostly failed or whose providers never acted', () => {
    const done = saga('o1', 'completed');
    const failed = [saga('o2', 'compensated'), saga('o3', 'compensated')];
    expect(problems(checkWorkDone([done, ...failed], effects(done)))).toEqual(['few_sagas_completed']);
    expect(problems(checkWorkDone([done], []))).toEqual(['providers_never_acted']);
    expect(problems(checkWorkDone([], []))).toEqual(['few_sagas_completed', 'providers_never_acted']);
    expect(checkWorkDone([done, saga('o4', 'completed'), failed[0]!], effects(done)).ok).toBe(true);
  });

  it('reports a saga compensated for a fault of ours rather than a refusal', () => {
    const refused = { ...saga('o1', 'compensated'), error: { name: 'TerminalError', message: 'cancelled' } };
    const outage = {
      ...saga('o2', 'compensated'),
      error: { name: 'Error', message: 'connect ECONNREFUSED', code: 'ECONNREFUSED' },
    };
    const orders = [
      { creatorId: 'c1', orderId: 'o1' },
      { creatorId: 'c1', orderId: 'o2' },
    ];
    expect(checkSagas([refused], [], orders.slice(0, 1)).ok).toBe(true);
    expect(problems(checkSagas([refused, outage], [], orders))).toEqual(['compensated_without_refusal']);
  });

  it('reports a stuck saga, one never started and a step recorded twice', () => {
    const result = checkSagas(
      [saga('o1', 'running'), saga('o2', 'compensating'), saga('o3', 'compensation_failed')],
      [{ sagaId: 'order-fulfillment:c1:o1', step: 'process_payment', phase: 'action', completed: 2 }],
      [{ creatorId: 'c1', orderId: 'o4' }],
    );
    expect(problems(result).sort()).toEqual([
      'never_started',
      'not_finished',
      'not_finished',
      'not_finished',
      'step_recorded_twice',
    ]);
  });

  it('reports an effect twice, a missing one, one not undone, an order under two keys and an orphan', () => {
    const done = saga('o1', 'completed');
    const undone = saga('o2', 'compensated');
    const result = checkProviders(
      [
        entry('charge', `${done.sagaId}:process_payment`, 2),
        entry('charge', `${undone.sagaId}:process_payment`),
        entry('charge', `order-fulfillment:c1:o2-retry:process_payment`),
      ],
      [done, undone],
    );
    expect(problems(result).sort()).toEqual([
      'acted_twice',
      'compensated_but_effect_stays',
      'completed_without_effect',
      'effect_without_saga',
    ]);
    const twoKeys = checkProviders(
      [
        entry('charge', `${done.sagaId}:process_payment`),
        { ...entry('charge', `${done.sagaId}:process_payment_again`), orderId: 'o1' },
      ],
      [done],
    );
    expect(problems(twoKeys)).toContain('order_effect_under_two_keys');
  });

  it('takes a per-order refund as the compensation of its order, or the cancellation of a completed one', () => {
    const refund = (orderId: string) => entry('refund', `order-refund:c1:${orderId}:pay_${orderId}`);
    const completed = saga('o1', 'completed');
    const cancelled: SagaRow = { ...completed, sagaId: 'order-cancellation:c1:o1', definition: 'x' };
    const compensated = saga('o2', 'compensated');
    const charges = [
      entry('charge', `${completed.sagaId}:process_payment`),
      entry('charge', `${compensated.sagaId}:process_payment`),
      entry('create_label', `${completed.sagaId}:generate_shipping_label`),
    ];
    const fine = checkProviders(
      [...charges, refund('o1'), refund('o2')],
      [completed, cancelled, compensated],
    );
    expect(problems(fine)).toEqual([]);
    // Refunded without a cancellation, or for an order no saga knows: both reported.
    const bad = checkProviders(
      [...charges, refund('o1'), refund('o2'), refund('o9')],
      [completed, compensated],
    );
    expect(problems(bad).sort()).toEqual(['completed_but_undone', 'effect_without_saga']);
  });
});

describe('realtime copies', () => {
  const client = (rows: ClientRecord['rows'], serverRows: ClientRecord['serverRows']): ClientRecord => ({
    type: 'client',
    t: 0,
    name: 'sse-0-order_metrics',
    host: 0,
    transport: 'sse',
    channel: 'order_metrics',
    cursor: '10:20',
    state: 'connected',
    rows,
    serverRows,
    keyColumns: ['creator_id'],
    stats: { reconnects: 1, resets: 1, duplicatesDropped: 0 },
    converged: false,
  });

  it('passes a copy equal up to number formatting and jsonb key order', () => {
    const result = checkClients([
      client(
        [{ creator_id: 'c1', revenue: 12.5, details: { b: 1, a: [1, { y: 2, x: 1 }] } }],
        [{ creator_id: 'c1', revenue: '12.50', details: { a: [1, { x: 1, y: 2 }], b: 1 } }],
      ),
    ]);
    expect(result.ok).toBe(true);
  });

  it('reports a copy that drifted: a stale value, a missing row, a row too many', () => {
    const result = checkClients([
      client(
        [
          { creator_id: 'c1', active_orders: 3 },
          { creator_id: 'c3', active_orders: 1 },
        ],
        [
          { creator_id: 'c1', active_orders: 4 },
          { creator_id: 'c2', active_orders: 1 },
        ],
      ),
    ]);
    expect(result.examples).toEqual([
      expect.objectContaining({
        problem: 'copy_differs',
        missing: ['["c2"]'],
        extra: ['["c3"]'],
        different: [{ key: '["c1"]', column: 'active_orders', copy: '3', source: '4' }],
      }),
    ]);
  });
});

describe('health and hosts', () => {
  const fault = (n: number, kind: FaultRecord['kind'], start: number, end: number): FaultRecord[] => [
    { type: 'fault', t: start, n, kind, phase: 'start', detail: '' },
    { type: 'fault', t: end, n, kind, phase: 'end', detail: 'done' },
  ];
  const health = (t: number, host: number, status: string): HealthRecord => ({
    type: 'health',
    t,
    host,
    status,
    http: status === 'ok' ? 200 : 503,
  });

  it('passes an outage some host reported, and hosts back to ok at the end', () => {
    const records = [
      health(0, 0, 'ok'),
      health(0, 1, 'ok'),
      health(1500, 1, 'degraded'),
      health(6000, 1, 'ok'),
    ];
    expect(checkHealthDuringFaults(fault(0, 'stop_redis', 1000, 5000), records).ok).toBe(true);
    expect(checkHealthNominalAtEnd(records, 2, 10_000).ok).toBe(true);
  });

  it('reports an outage every host called ok or could not answer, and a host not ok at the end', () => {
    const faults = [
      ...fault(0, 'stop_redis', 1000, 5000),
      ...fault(1, 'restart_postgres', 7000, 9000),
      ...fault(2, 'kill_host', 10_000, 11_000),
    ];
    const records = [
      health(0, 0, 'ok'),
      health(7100, 0, 'unreachable'),
      health(9500, 0, 'ok'),
      health(13_000, 0, 'degraded'),
    ];
    const during = checkHealthDuringFaults(faults, records);
    expect(during.checked).toBe(2);
    expect(during.examples).toEqual([
      expect.objectContaining({ problem: 'outage_not_reported', kind: 'stop_redis' }),
      expect.objectContaining({ problem: 'outage_not_reported', kind: 'restart_postgres' }),
    ]);
    expect(problems(checkHealthNominalAtEnd(records, 2, 20_000))).toEqual([
      'not_nominal_at_end',
      'not_nominal_at_end',
    ]);
  });

  it('reports a host that exited by itself, not one the injector killed', () => {
    const hosts: HostRecord[] = [
      { type: 'host', t: 100, host: 0, event: 'ready', pid: 1 },
      {
        type: 'host',
        t: 2000,
        host: 0,
        event: 'exit',
        pid: 1,
        expected: true,
        code: null,
        signal: 'SIGKILL',
      },
      { type: 'host', t: 8000, host: 1, event: 'exit', pid: 2, expected: false, code: 1, signal: null },
    ];
    const result = checkHostsSurvived(hosts, fault(0, 'restart_postgres', 7000, 9000));
    expect(result.examples).toEqual([
      expect.objectContaining({ problem: 'host_died', host: 1, duringFaults: ['0:restart_postgres'] }),
    ]);
  });
});

describe('the fault schedule', () => {
  it('is the same for the same seed and covers every kind in one round', () => {
    const plan = (seed: number) =>
      planFaults({ random: seededRandom(seed), phaseMs: 0, hosts: 3, gapMs: [5000, 8000] });
    expect(plan(7)).toEqual(plan(7));
    expect(
      plan(7)
        .map((f) => f.kind)
        .sort(),
    ).toEqual([...FAULT_KINDS].sort());
    expect(plan(7)).not.toEqual(plan(8));
  });

  it('plans whole rounds until the phase is filled', () => {
    const long = planFaults({
      random: seededRandom(1),
      phaseMs: 10 * 60_000,
      hosts: 3,
      gapMs: [10_000, 30_000],
    });
    expect(long.length % FAULT_KINDS.length).toBe(0);
    expect(long.reduce((ms, f) => ms + f.gapMs + f.durationMs, 0)).toBeGreaterThanOrEqual(10 * 60_000);
  });
});
