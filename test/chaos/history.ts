/**
 * The history of a chaos run: one JSON object per line, written as things
 * happen (webhook attempts and their answers, faults, host lifecycles, health
 * transitions) and, at the end, what the clients and providers hold. The
 * checker reads this file and the database, never the processes' logs.
 */
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import type { Row } from '../../src/core/row-change.js';
import type { LedgerEntry } from './providers.js';

/** What a webhook receiver answered (the fields the checker needs). */
export interface WebhookAnswer {
  /** `accepted` or `ignored`. */
  status?: string;
  duplicate?: boolean;
  /** Events the append wrote (0 for a duplicate or an ignored notification). */
  events?: number;
}

/** One attempt to deliver a webhook. */
export interface WebhookRecord {
  type: 'webhook';
  /** Start of the attempt, ms since the run began. */
  t: number;
  /** TikTok `tts_notification_id` or the Standard Webhooks `webhook-id`. */
  id: string;
  kind: 'tiktok' | 'shipping';
  host: number;
  attempt: number;
  /** HTTP status; 0 when no answer came (refused, reset, timed out). */
  status: number;
  ms: number;
  answer?: WebhookAnswer;
  error?: string;
}

/** The fault kinds the injector knows. */
export const FAULT_KINDS = [
  'kill_host',
  'restart_postgres',
  'terminate_backends',
  'stop_redis',
  'hold_lock',
] as const;
/** One of {@link FAULT_KINDS}. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** A fault, recorded when it starts and when it is over (the dependency is back). */
export interface FaultRecord {
  type: 'fault';
  t: number;
  phase: 'start' | 'end';
  /** Sequence number within the run, pairs start and end. */
  n: number;
  kind: FaultKind;
  detail: string;
}

/** A host process event. `exit` with `expected: false` is a host that died by itself. */
export interface HostRecord {
  type: 'host';
  t: number;
  host: number;
  event: 'ready' | 'exit' | 'start_failed';
  pid?: number;
  expected?: boolean;
  code?: number | null;
  signal?: string | null;
}

/** A change of what a host's `/healthz` says (`unreachable` when it does not answer). */
export interface HealthRecord {
  type: 'health';
  t: number;
  host: number;
  status: string;
  http: number;
}

/** A realtime client's copy at the end, and the server's rows it is compared with. */
export interface ClientRecord {
  type: 'client';
  t: number;
  name: string;
  host: number;
  transport: 'sse' | 'websocket';
  channel: string;
  filter?: string;
  cursor: string | null;
  state: string;
  rows: Row[];
  /** The server's rows for the same channel, filter and tenant when the copies were compared. */
  serverRows: Row[];
  keyColumns: string[];
  stats: { reconnects: number; resets: number; duplicatesDropped: number };
  /** True when the copy equalled the server's rows within the wait. */
  converged: boolean;
}

/** The providers' ledger at the end. */
export interface LedgerRecord {
  type: 'ledger';
  t: number;
  entries: LedgerEntry[];
}

/** Run parameters, first line of the file. */
export interface RunRecord {
  type: 'run';
  t: number;
  seed: number;
  startedAt: string;
  hosts: number;
  schema: string;
  config: Record<string, unknown>;
}

/** Phases of the run (traffic started, faults over, drained …). */
export interface PhaseRecord {
  type: 'phase';
  t: number;
  phase: 'traffic' | 'faults_over' | 'generation_stopped' | 'drained' | 'quiesced' | 'end';
}

/** Any line of the history. */
export type HistoryRecord =
  | RunRecord
  | PhaseRecord
  | WebhookRecord
  | FaultRecord
  | HostRecord
  | HealthRecord
  | ClientRecord
  | LedgerRecord;

/** Records without their time: the writer stamps them. */
export type Unstamped<R> = R extends HistoryRecord ? Omit<R, 't'> : never;

/**
 * Appends records to a JSON-lines file, stamped with ms since the run began.
 *
 * @example
 * ```ts
 * const history = new HistoryWriter('/tmp/run/history.jsonl');
 * history.record({ type: 'phase', phase: 'traffic' });
 * await history.close();
 * ```
 */
export class HistoryWriter {
  readonly path: string;
  readonly startedAt = Date.now();
  readonly #out: WriteStream;

  constructor(path: string) {
    this.path = path;
    this.#out = createWriteStream(path, { flags: 'w' });
  }

  /** Milliseconds since the run began. */
  now(): number {
    return Date.now() - this.startedAt;
  }

  /** Write a record stamped now, or at `t` when given (e.g. the start of a request). */
  record(record: Unstamped<HistoryRecord> & { t?: number }): void {
    this.#out.write(`${JSON.stringify({ t: this.now(), ...record })}\n`);
  }

  close(): Promise<void> {
    if (this.#out.writableEnded) return Promise.resolve();
    return new Promise((resolve) => this.#out.end(resolve));
  }
}

/**
 * Read a history file back.
 *
 * @example
 * ```ts
 * const records = readHistory('/tmp/run/history.jsonl');
 * ```
 */
export function readHistory(path: string): HistoryRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as HistoryRecord);
}
