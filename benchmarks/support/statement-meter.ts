/**
 * Statements and round trips per order, by kind, for `e2e-cost`
 * (BENCH_COST_STATEMENTS=1): each host runs with `count-queries.mjs`
 * preloaded, which counts what it sends to PostgreSQL by statement text; on
 * SIGUSR2 it writes a snapshot, so the benchmark reads the counters at the
 * moments it samples its other meters. Unlike CPU or latency, these counts
 * do not move with the machine's load.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One host's counters at one moment. */
interface HostCounts {
  t: number;
  counts: Record<string, number>;
  trips: Record<string, number>;
  roundTrips: number;
  /** Writes to the PostgreSQL sockets (absent in counts from before it was added). */
  flushes?: number;
}

/** Every host's counters at one moment. */
export interface StatementSample {
  atMs: number;
  hosts: Record<string, HostCounts>;
}

/** Growth of the counters between two samples, summed over the hosts. */
export interface StatementDelta {
  seconds: number;
  /** Statements by text. */
  statements: Map<string, number>;
  /** Round trips by the text of the statement that opened them. */
  trips: Map<string, number>;
  /** Writes to the PostgreSQL sockets (system calls). */
  flushes: number;
}

const KINDS: readonly [string, RegExp][] = [
  ['append', /append_batch\(/],
  ['append_recovery', /stored_event_runs|append_fence/],
  ['log_read', /read_log\(|read_head\(|log_horizon\(/],
  ['checkpoint_with_write', /^WITH checkpoint_advanced/],
  ['checkpoint', /processor_checkpoints/],
  ['lease', /\bleases\b/],
  ['transaction', /^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b/i],
  ['saga', /saga/i],
  ['dead_letter', /dead_letters/],
  ['advisory_lock', /pg_advisory/],
  // Projection tables are quoted identifiers (the schema is removed by the preload).
  ['read_model', /"[a-z0-9_]+"/],
  ['notify', /^(LISTEN|UNLISTEN)\b|pg_notify/i],
  ['idempotency', /idempotency_keys/],
  ['stream_read', /\bevents\b/],
  ['other_write', /^(WITH\b.*)?(INSERT|UPDATE|DELETE)\b/is],
  ['other_read', /^(WITH|SELECT)\b/i],
];

/** The kind of a statement, by its (normalised) text. */
export function statementKind(text: string): string {
  for (const [kind, pattern] of KINDS) if (pattern.test(text)) return kind;
  return 'other';
}

/** Node.js flags that make a host count its statements, and the folder the counts go to. */
export function statementCounting(): { dir: string; nodeArgs: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cf-statements-'));
  const preload = join(dirname(fileURLToPath(import.meta.url)), 'count-queries.mjs');
  return { dir, nodeArgs: `--import ${preload}` };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The complete snapshot lines of `file`. The host appends a snapshot while
 * this may read: a line without its newline is still being written and does
 * not count yet (reading it once crashed a run on a half-written line).
 */
function lastLine(file: string): { lines: number; last: HostCounts | undefined } {
  if (!existsSync(file)) return { lines: 0, last: undefined };
  const text = readFileSync(file, 'utf8');
  const lines = text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter(Boolean);
  return { lines: lines.length, last: lines.length ? (JSON.parse(lines.at(-1)!) as HostCounts) : undefined };
}

/**
 * The counters of each host now: signals each (SIGUSR2) and waits for its
 * snapshot (at most 10 s).
 *
 * @example
 * ```ts
 * const s1 = await sampleStatements(dir, { host_a: a.child.pid! });
 * ```
 */
export async function sampleStatements(
  dir: string,
  hosts: Readonly<Record<string, number>>,
): Promise<StatementSample> {
  const out: Record<string, HostCounts> = {};
  const atMs = performance.now();
  for (const [name, pid] of Object.entries(hosts)) {
    const snap = readdirSync(dir).find((f) => f.endsWith(`-${pid}.snap.jsonl`)) ?? `host-${pid}.snap.jsonl`;
    const before = lastLine(join(dir, snap)).lines;
    process.kill(pid, 'SIGUSR2');
    const deadline = performance.now() + 10_000;
    for (;;) {
      const file = readdirSync(dir).find((f) => f.endsWith(`-${pid}.snap.jsonl`));
      const now = file ? lastLine(join(dir, file)) : { lines: 0, last: undefined };
      if (now.lines > before && now.last) {
        out[name] = now.last;
        break;
      }
      if (performance.now() > deadline) throw new Error(`no statement snapshot from ${name} (pid ${pid})`);
      await sleep(20);
    }
  }
  return { atMs, hosts: out };
}

/**
 * What the hosts sent between two samples.
 *
 * @example
 * ```ts
 * const load = statementsBetween(s1, s2); // load.statements: text → count
 * ```
 */
export function statementsBetween(a: StatementSample, b: StatementSample): StatementDelta {
  const statements = new Map<string, number>();
  const trips = new Map<string, number>();
  const add = (into: Map<string, number>, from: Record<string, number>, base: Record<string, number>) => {
    for (const [text, n] of Object.entries(from)) {
      const d = n - (base[text] ?? 0);
      if (d !== 0) into.set(text, (into.get(text) ?? 0) + d);
    }
  };
  let flushes = 0;
  for (const [name, counts] of Object.entries(b.hosts)) {
    const base = a.hosts[name];
    add(statements, counts.counts, base?.counts ?? {});
    add(trips, counts.trips, base?.trips ?? {});
    flushes += (counts.flushes ?? 0) - (base?.flushes ?? 0);
  }
  return { seconds: (b.atMs - a.atMs) / 1000, statements, trips, flushes };
}

/**
 * Per order by kind, net of the idle rate over the same time, with totals and
 * the ten statements that cost the most per order.
 *
 * @example
 * ```ts
 * emit({ ...statementsPerOrder(statementsBetween(s1, s2), statementsBetween(s0, s1), orders) });
 * ```
 */
export function statementsPerOrder(load: StatementDelta, idle: StatementDelta, orders: number) {
  const round = (x: number) => Math.round(x * 100) / 100;
  const idleScale = load.seconds / Math.max(idle.seconds, 1e-9);
  const net = (during: Map<string, number>, quiet: Map<string, number>) => {
    const out = new Map(during);
    for (const [text, n] of quiet) out.set(text, (out.get(text) ?? 0) - n * idleScale);
    return out;
  };
  const byKind = (perText: Map<string, number>) => {
    const kinds: Record<string, number> = {};
    let total = 0;
    for (const [text, n] of perText) {
      const kind = statementKind(text);
      kinds[kind] = (kinds[kind] ?? 0) + n / orders;
      total += n / orders;
    }
    const sorted = Object.entries(kinds)
      .sort((x, y) => y[1] - x[1])
      .map(([k, v]) => [k, round(v)] as const);
    return { kinds: Object.fromEntries(sorted), total: round(total) };
  };
  const statements = net(load.statements, idle.statements);
  const trips = net(load.trips, idle.trips);
  const s = byKind(statements);
  const t = byKind(trips);
  const raw = byKind(load.statements);
  const rawTrips = byKind(load.trips);
  const top = [...statements]
    .sort((x, y) => y[1] - x[1])
    .slice(0, 10)
    .map(([text, n]) => ({
      per_order: round(n / orders),
      kind: statementKind(text),
      text: text.slice(0, 120),
    }));
  return {
    statements_per_order: s.total,
    statements_per_order_by_kind: s.kinds,
    round_trips_per_order: t.total,
    round_trips_per_order_by_kind: t.kinds,
    // Without the idle subtraction: a long window (a loaded machine) adds idle work, never removes order work.
    statements_per_order_raw: raw.total,
    statements_per_order_raw_by_kind: raw.kinds,
    round_trips_per_order_raw: rawTrips.total,
    // One system call each, however many statements it carried (pipelined ones share).
    pg_socket_writes_per_order: round((load.flushes - idle.flushes * idleScale) / orders),
    pg_socket_writes_per_order_raw: round(load.flushes / orders),
    top_statements_per_order: top,
  };
}

/**
 * Write every statement text of `load` with its count per order (raw), costliest
 * first, one JSON line each: the full breakdown behind the top ten.
 *
 * @example
 * ```ts
 * writeStatementList('/tmp/statements.jsonl', statementsBetween(s1, s2), orders);
 * ```
 */
export function writeStatementList(file: string, load: StatementDelta, orders: number): void {
  const lines = [...load.statements]
    .sort((x, y) => y[1] - x[1])
    .map(([text, n]) =>
      JSON.stringify({ per_order: Math.round((n / orders) * 1000) / 1000, kind: statementKind(text), text }),
    );
  writeFileSync(file, `${lines.join('\n')}\n`);
}
