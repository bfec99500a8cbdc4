/**
 * The checker: reads the history and the database of a finished run and
 * judges every invariant. Nothing here trusts the hosts' logs or the
 * runner's counters; each verdict is recomputed from recorded facts.
 */
import type { SqlClient } from '../../../src/core/sql-client.js';
import type {
  ClientRecord,
  FaultRecord,
  HealthRecord,
  HistoryRecord,
  HostRecord,
  LedgerRecord,
  PhaseRecord,
  WebhookRecord,
} from '../history.js';
import { checkClients } from './check-clients.js';
import { checkReportsSettledOnce, loadSettledReports } from './check-conflicts.js';
import { checkNoDeadLetters } from './check-dead-letters.js';
import { checkHealthDuringFaults, checkHealthNominalAtEnd, faultWindows, faultsAt } from './check-health.js';
import { checkHostsSurvived } from './check-hosts.js';
import { checkEventIds, checkStreamVersions } from './check-log.js';
import { checkProviders } from './check-providers.js';
import { checkRefusalsWroteNothing } from './check-refusals.js';
import { checkWorkDone } from './check-work.js';
import { checkReadModels } from './check-read-models.js';
import { checkSagas } from './check-sagas.js';
import { checkWebhooksAcknowledged, checkWebhooksInLog } from './check-webhooks.js';
import { groupBy } from './group-by.js';
import type { InvariantResult } from './invariant.js';
import { loadLogData } from './log-data.js';

/** The invariants, in report order. */
export const INVARIANTS = [
  'webhooks_in_log_once',
  'event_ids_unique',
  'stream_versions_contiguous',
  'sagas_finished',
  'provider_effects_once',
  'read_models_match_rebuild',
  'clients_match_server',
  'health_degraded_during_outages',
  'health_nominal_at_end',
  'hosts_survived',
  'webhooks_acknowledged',
  'work_done',
  'refusals_wrote_nothing',
  'no_dead_letters',
  'reports_settled_once',
] as const;
/** One of {@link INVARIANTS}. */
export type InvariantName = (typeof INVARIANTS)[number];

/** What the checker found. */
export interface RunVerdict {
  invariants: Record<InvariantName, InvariantResult>;
  traffic: Record<string, unknown>;
  faults: {
    n: number;
    kind: string;
    startS: number;
    endS: number;
    detail: string;
    answers: Record<string, number>;
  }[];
}

const countBy = <T>(items: readonly T[], keyOf: (item: T) => string | number): Record<string, number> =>
  Object.fromEntries([...groupBy(items, keyOf)].map(([key, list]) => [key, list.length]));

/** `200`, or a failure with its reason: `500 INTERNAL_ERROR`, `0 TimeoutError`. */
const answerKind = (r: WebhookRecord): string =>
  r.status >= 200 && r.status < 300
    ? String(r.status)
    : `${r.status} ${r.answer?.status ?? r.error?.split(':')[0] ?? ''}`.trim();

const ofType = <T extends HistoryRecord['type']>(records: readonly HistoryRecord[], type: T) =>
  records.filter((r): r is Extract<HistoryRecord, { type: T }> => r.type === type);

/**
 * Judge a run.
 *
 * @example
 * ```ts
 * const verdict = await checkRun({ sql, schema: 'chaos', scratchSchema: 'chaos_rebuild', hosts: 3, records });
 * ```
 */
export async function checkRun(options: {
  sql: SqlClient;
  schema: string;
  scratchSchema: string;
  hosts: number;
  records: readonly HistoryRecord[];
}): Promise<RunVerdict> {
  const { records } = options;
  const webhooks: WebhookRecord[] = ofType(records, 'webhook');
  const faults: FaultRecord[] = ofType(records, 'fault');
  const health: HealthRecord[] = ofType(records, 'health');
  const hosts: HostRecord[] = ofType(records, 'host');
  const clients: ClientRecord[] = ofType(records, 'client');
  const ledger = ofType(records, 'ledger').at(-1) as LedgerRecord | undefined;
  const phases: PhaseRecord[] = ofType(records, 'phase');
  const end = phases.find((p) => p.phase === 'quiesced')?.t ?? Infinity;
  const run = ofType(records, 'run')[0];
  const startedAt = run ? Date.parse(run.startedAt) : 0;
  const windows = faultWindows(faults);

  const data = await loadLogData(options.sql, options.schema);
  const readModels = await checkReadModels({
    sql: options.sql,
    schema: options.schema,
    scratchSchema: options.scratchSchema,
  });
  const invariants: Record<InvariantName, InvariantResult> = {
    webhooks_in_log_once: checkWebhooksInLog(webhooks, data.events),
    event_ids_unique: checkEventIds(data.events, (ms) => {
      const t = ms - startedAt;
      return { atS: Math.round(t / 100) / 10, duringFaults: faultsAt(windows, t) };
    }),
    stream_versions_contiguous: checkStreamVersions(data.events, data.streams),
    sagas_finished: checkSagas(data.sagas, data.steps, data.receivedOrders),
    provider_effects_once: ledger
      ? checkProviders(ledger.entries, data.sagas)
      : { ok: false, checked: 0, violations: 1, examples: [{ problem: 'no_ledger_recorded' }] },
    read_models_match_rebuild: readModels,
    clients_match_server: checkClients(clients),
    health_degraded_during_outages: checkHealthDuringFaults(faults, health),
    health_nominal_at_end: checkHealthNominalAtEnd(health, options.hosts, end),
    hosts_survived: checkHostsSurvived(hosts, faults),
    webhooks_acknowledged: checkWebhooksAcknowledged(webhooks),
    work_done: checkWorkDone(data.sagas, ledger?.entries ?? []),
    refusals_wrote_nothing: checkRefusalsWroteNothing(webhooks, data.events),
    no_dead_letters: await checkNoDeadLetters(options.sql, options.schema, data.events.length),
    reports_settled_once: checkReportsSettledOnce(await loadSettledReports(options.sql, options.schema)),
  };
  const sagaStatuses = Object.fromEntries(
    [...groupBy(data.sagas, (s) => s.status)].map(([s, l]) => [s, l.length]),
  );
  const webhookIds = groupBy(webhooks, (w) => w.id);
  return {
    invariants,
    traffic: {
      webhooks: webhookIds.size,
      attempts: webhooks.length,
      acknowledged: [...webhookIds.values()].filter((a) => a.some((r) => r.status >= 200 && r.status < 300))
        .length,
      answers: countBy(webhooks, answerKind),
      events: data.events.length,
      streams: data.streams.length,
      sagas: sagaStatuses,
      providerEffects: ledger?.entries.reduce((n, e) => n + e.acted, 0) ?? 0,
      providerRequests: ledger?.entries.reduce((n, e) => n + e.requested, 0) ?? 0,
      clients: clients.length,
      clientReconnects: clients.reduce((n, c) => n + c.stats.reconnects, 0),
      readModelCheckpoint: readModels.checkpoint,
    },
    faults: windows.map((w) => ({
      n: w.n,
      kind: w.kind,
      startS: w.start / 1000,
      endS: w.end / 1000,
      detail: w.detail,
      // What the senders got while it lasted: refusals and timeouts show up here.
      answers: countBy(
        webhooks.filter((r) => r.t >= w.start && r.t <= w.end),
        answerKind,
      ),
    })),
  };
}
