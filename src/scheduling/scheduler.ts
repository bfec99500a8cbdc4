/**
 * `createScheduler`: named schedules run on exactly one host of many. Hosts
 * bid for one lease (`scheduler:<name>`); the holder runs every schedule. A
 * due time is claimed by recording it (unique per schedule), so it runs once
 * across all hosts even if leases ever overlapped; runs of one schedule never
 * overlap. A run left `running` by a host that died is taken over by the next
 * holder and tried again (its attempts count on), so jobs must be idempotent:
 * execution is at least once, the recorded run exactly once per due time.
 */
import { EventEmitter } from 'eventemitter3';
import { InvalidArgumentError } from '../core/errors.js';
import { resolveLogger, type Logger } from '../core/logger.js';
import { storableText } from '../core/storable-text.js';
import type { SqlClient } from '../core/sql-client.js';
import { LeaseLostError } from '../runtime/errors.js';
import type { LeasePort } from '../runtime/lease-keeper.js';
import type { LeaseTimingOptions } from '../runtime/lease-timing.js';
import { PollLoop, type PollWait } from '../runtime/poll-loop.js';
import { WakeableSleep } from '../runtime/wakeable-sleep.js';
import { withRetry } from '../runtime/with-retry.js';
import { dueBetween } from './due-times.js';
import { ScheduleNotFoundError } from './errors.js';
import { assertTriggerTexts } from './trigger-options.js';
import { Leadership } from './leadership.js';
import { resolveSchedule, type ResolvedSchedule, type ScheduleDefinition } from './schedule-definition.js';
import {
  isFinished,
  type RunOutcome,
  type ScheduleRun,
  type ScheduleRunError,
  type ScheduleStorage,
} from './schedule-run.js';
import type { SchedulerEventMap } from './scheduler-events.js';
import { schedulerPortsOf } from './scheduler-ports-of.js';

/**
 * Options of {@link createScheduler}. Give `storage` and `leases` (the
 * engine passes its own), or `sql` as a shorthand for
 * `sqlScheduleStorage(sql, schema)` and `sqlLeases(sql, schema)`; with none
 * of them everything is kept in memory (one process).
 *
 * @example
 * ```ts
 * const options: SchedulerOptions = {
 *   sql: fromPg(pool),
 *   schema: 'app',
 *   schedules: [{ name: 'nightly-report', cron: '0 2 * * *', timeZone: 'Europe/Berlin', run: sendReport }],
 * };
 * const scheduler = createScheduler(options);
 * ```
 */
export interface SchedulerOptions {
  schedules: readonly ScheduleDefinition[];
  /** Shorthand for SQL ports: runs in `schema.schedule_runs`, the lease in `schema.leases`. */
  sql?: SqlClient | undefined;
  /** Default `'creatorflow'`. */
  schema?: string | undefined;
  /** Where runs are kept, instead of `sql`'s table (e.g. a shared `memoryScheduleStorage()` in tests). */
  storage?: ScheduleStorage | undefined;
  /** Where the lease is kept, instead of `sql`'s table. */
  leases?: LeasePort | undefined;
  /** Lease `scheduler:<name>`: schedulers of different names lead independently. Default `'default'`. */
  name?: string | undefined;
  /** This process's id in the lease and the runs. Default host, pid and a random suffix. */
  owner?: string | undefined;
  /** Lease timing: default 6 s, renewed every 2 s, a standby trying every 1.5 s (takeover within 10 s). */
  lease?: LeaseTimingOptions | undefined;
  /** How often the leader looks for manual runs asked on other hosts. Default 1 000 ms. */
  pollIntervalMs?: number | undefined;
  /** Finished runs kept per schedule. Default 1 000. */
  keepRuns?: number | undefined;
  logger?: Logger | undefined;
  /** The clock due times are read on (ms since the epoch). Default `Date.now`; tests pass their own. */
  now?: (() => number) | undefined;
}

/**
 * Options of {@link Scheduler.trigger}.
 *
 * @example
 * ```ts
 * const options: TriggerOptions = { key: `sync:${requestId}`, requestedBy: admin.userId };
 * await scheduler.trigger('sync-inventory-levels', options);
 * ```
 */
export interface TriggerOptions {
  /** Idempotency key: a second trigger with the same key returns the first run. */
  key?: string | undefined;
  /** Who asked (an admin's id), kept in the history. */
  requestedBy?: string | undefined;
}

/** A schedule as the scheduler sees it now. */
export interface ScheduleStatus {
  name: string;
  /** `'every 300000 ms'`, `'cron 0 3 1 * * (UTC)'`. */
  describe: string;
  /** The next due time after now. */
  next: Date | null;
  /** A run of it is in progress on this host. */
  running: boolean;
}

/** How long stopping waits for running jobs to honour their aborted signal. */
const STOP_GRACE_MS = 5_000;

/**
 * Named schedules, one run per due time across hosts. Build with {@link createScheduler}.
 *
 * @example
 * ```ts
 * const scheduler = createScheduler({ sql, schedules: [{ name: 'sync', every: 300_000, run: sync }] });
 * await scheduler.start();
 * const run = await scheduler.trigger('sync', { requestedBy: 'admin-1' });
 * await scheduler.waitForRun(run.id);
 * ```
 */
export class Scheduler extends EventEmitter<SchedulerEventMap> {
  readonly #schedules: ReadonlyMap<string, ResolvedSchedule>;
  readonly #storage: ScheduleStorage;
  readonly #leadership: Leadership;
  readonly #leaseName: string;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #pollIntervalMs: number;
  readonly #keepRuns: number;
  /** Runs in progress here, by schedule. */
  readonly #busy = new Map<string, Promise<void>>();
  /** Last due time handled per schedule, in this tenure. */
  #watermarks = new Map<string, number>();
  #tenure: AbortController | undefined;
  /** The tenure's loop: one turn starts what is due or requested. */
  #loop: PollLoop | undefined;
  #started: Promise<void> | undefined;
  /**
   * A read or write of the runs failed: a claim may have committed unseen, or
   * an outcome not been recorded, leaving a run `running` that nothing here
   * runs. The next turn looks for such runs and takes them over again.
   */
  #recheckInterrupted = false;

  constructor(options: SchedulerOptions) {
    super();
    const schedules = new Map<string, ResolvedSchedule>();
    for (const definition of options.schedules) {
      const s = resolveSchedule(definition);
      if (schedules.has(s.name)) throw new InvalidArgumentError(`Two schedules are named "${s.name}"`);
      schedules.set(s.name, s);
    }
    this.#schedules = schedules;
    const { storage, leases } = schedulerPortsOf(options);
    this.#storage = storage;
    this.#logger = resolveLogger(options.logger, 'scheduler');
    this.#now = options.now ?? Date.now;
    this.#pollIntervalMs = positive('pollIntervalMs', options.pollIntervalMs ?? 1_000);
    this.#keepRuns = positive('keepRuns', options.keepRuns ?? 1_000);
    this.#leaseName = `scheduler:${options.name ?? 'default'}`;
    this.#leadership = new Leadership({
      leases,
      name: this.#leaseName,
      owner: options.owner,
      lease: options.lease,
      begin: async (signal) => this.#begin(signal),
      end: () => this.#end(),
      onAcquired: () => this.emit('scheduler:lease_acquired', { owner: this.owner }),
      onLost: (reason) => {
        this.#logger.warn(
          { component: 'scheduler', reason },
          'scheduler lease lost; another host takes over',
        );
        this.emit('scheduler:lease_lost', { owner: this.owner, reason });
      },
      onError: (err, what) => this.#fail(err, `scheduler: ${what} failed`),
    });
  }

  /** This process's id in the lease and the runs it starts. */
  get owner(): string {
    return this.#leadership.owner;
  }

  /** True while this host holds the lease and runs the schedules. */
  get leading(): boolean {
    return this.#leadership.leading;
  }

  /** The names of the schedules. */
  get names(): readonly string[] {
    return [...this.#schedules.keys()];
  }

  /** Create the tables, then bid for the lease; resolves after the first bid. */
  start(): Promise<void> {
    this.#started ??= (async () => {
      await this.#storage.migrate();
      await this.#leadership.start();
    })();
    return this.#started;
  }

  /**
   * Stop running schedules (running jobs' signals abort; the runs are left
   * for the next holder) and give up the lease. With `release: false` the
   * lease is left to expire, as if the host had died.
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    await this.#started?.catch(() => undefined);
    await this.#leadership.stop(options);
  }

  /**
   * Ask for a run now; whichever host leads runs it, after the schedule's
   * run in progress if any. Throws {@link ScheduleNotFoundError} for an unknown name,
   * and `INVALID_ARGUMENT` (nothing asked for) for a `key` or `requestedBy` that is
   * empty or holds a NUL character or a lone UTF-16 surrogate.
   */
  async trigger(name: string, options: TriggerOptions = {}): Promise<ScheduleRun> {
    this.#schedule(name);
    assertTriggerTexts(options);
    const run = await this.#storage.request({
      schedule: name,
      at: this.#now(),
      key: options.key,
      requestedBy: options.requestedBy,
    });
    this.#loop?.wake();
    return run;
  }

  /** A run by id, or null. */
  run(runId: string): Promise<ScheduleRun | null> {
    return this.#storage.get(runId);
  }

  /**
   * Resolve with the run once it has finished, or with its state when
   * `timeoutMs` (default 30 000) passes first.
   */
  async waitForRun(runId: string, options: { timeoutMs?: number } = {}): Promise<ScheduleRun> {
    const deadline = performance.now() + (options.timeoutMs ?? 30_000);
    const pause = new WakeableSleep();
    for (;;) {
      const run = await this.#storage.get(runId);
      if (!run) throw new ScheduleNotFoundError('?', `No run with id ${runId}`);
      if (isFinished(run) || performance.now() >= deadline) return run;
      await pause.sleep(Math.min(100, Math.max(0, deadline - performance.now())));
    }
  }

  /** A schedule's runs, newest first. Throws {@link ScheduleNotFoundError} for an unknown name. */
  async history(name: string, options: { limit?: number } = {}): Promise<ScheduleRun[]> {
    this.#schedule(name);
    return this.#storage.history(name, Math.min(1_000, Math.max(1, options.limit ?? 50)));
  }

  /** Every schedule with its next due time. */
  status(): ScheduleStatus[] {
    const now = this.#now();
    return [...this.#schedules.values()].map((s) => {
      const next = s.due.next(now);
      return {
        name: s.name,
        describe: s.describe,
        next: next === null ? null : new Date(next),
        running: this.#busy.has(s.name),
      };
    });
  }

  #schedule(name: string): ResolvedSchedule {
    const s = this.#schedules.get(name);
    if (!s) throw new ScheduleNotFoundError(name);
    return s;
  }

  async #begin(leaseSignal: AbortSignal): Promise<void> {
    const tenure = new AbortController();
    leaseSignal.addEventListener('abort', () => tenure.abort(leaseSignal.reason), { once: true });
    this.#tenure = tenure;
    this.#watermarks = new Map();
    this.#logger.info(
      { component: 'scheduler', owner: this.owner },
      'scheduler lease taken; running schedules',
    );
    await this.#takeOverInterrupted(tenure.signal).catch((err: unknown) => {
      this.#recheckInterrupted = true;
      this.#fail(err, 'scheduler: reading interrupted runs failed');
    });
    const loop = new PollLoop({
      turn: () => this.#turn(tenure.signal),
      onError: (err) => {
        this.#recheckInterrupted = true;
        this.#fail(err, 'scheduler: reading or claiming due runs failed');
        return { ms: this.#pollIntervalMs };
      },
    });
    this.#loop = loop;
    loop.start();
  }

  async #end(): Promise<void> {
    this.#tenure?.abort(new LeaseLostError(this.#leaseName, this.owner, 'released'));
    await this.#loop?.stop();
    this.#loop = undefined;
    // A job that ignores its signal is not waited for forever: its run stays
    // `running` (the next holder takes it over) and this host's #busy keeps
    // the schedule from starting it again here meanwhile.
    const pause = new WakeableSleep();
    await Promise.race([Promise.all(this.#busy.values()), pause.sleep(STOP_GRACE_MS)]);
    pause.stop();
  }

  /**
   * One turn of the tenure's loop: start what is due and what was requested,
   * then wait until the next due time or the poll interval, whichever is first
   * (a trigger or a finished run wakes it sooner).
   */
  async #turn(signal: AbortSignal): Promise<PollWait | 'stop'> {
    if (this.#recheckInterrupted) {
      this.#recheckInterrupted = false;
      await this.#takeOverInterrupted(signal).catch((err: unknown) => {
        this.#recheckInterrupted = true;
        throw err;
      });
    }
    for (const s of this.#schedules.values()) {
      if (signal.aborted) return 'stop';
      if (!this.#busy.has(s.name)) await this.#runDue(s, signal);
    }
    await this.#runRequested(signal);
    if (signal.aborted) return 'stop';
    let wait = this.#pollIntervalMs;
    const now = this.#now();
    for (const s of this.#schedules.values()) {
      const mark = this.#watermarks.get(s.name);
      const next = mark === undefined || this.#busy.has(s.name) ? null : s.due.next(mark);
      if (next !== null) wait = Math.min(wait, Math.max(0, next - now));
    }
    return { ms: wait };
  }

  /** Claim and start a schedule's due run, if one is due (or record the due times it skips). */
  async #runDue(s: ResolvedSchedule, signal: AbortSignal): Promise<void> {
    const now = this.#now();
    let mark = this.#watermarks.get(s.name);
    if (mark === undefined) {
      // No history: start from now (a first deployment does not count as downtime).
      mark = (await this.#storage.lastDue(s.name)) ?? now;
      this.#watermarks.set(s.name, mark);
    }
    const window = dueBetween(s.due, mark, now, s.missed === 'catch_up' ? s.maxCatchUp : 1);
    const newest = window.latest.at(-1);
    if (newest === undefined) return;
    let dueAt = newest;
    let skipped = window.total - 1;
    let status: 'running' | 'skipped' = 'running';
    if (s.missed === 'catch_up') {
      dueAt = window.latest[0]!;
      skipped = window.total - window.latest.length;
    } else if (s.missed === 'skip' && now - newest > s.graceMs) {
      status = 'skipped';
      skipped = window.total;
    }
    if (signal.aborted) return;
    const run = await this.#storage.claimDue({ schedule: s.name, dueAt, owner: this.owner, skipped, status });
    this.#watermarks.set(s.name, dueAt);
    if (!run) return; // recorded already: run (or skipped) by another holder
    if (skipped > 0) {
      const through = new Date(status === 'skipped' ? dueAt : (window.latest.at(-2) ?? dueAt));
      this.emit('schedule:skipped', { schedule: s.name, count: skipped, through });
    }
    if (status === 'running') this.#execute(s, run, 0, signal);
  }

  /** Start the oldest manual run of each idle schedule that has some. */
  async #runRequested(signal: AbortSignal): Promise<void> {
    const idle = [...this.#schedules.keys()].filter((n) => !this.#busy.has(n));
    if (idle.length === 0) return;
    for (const name of await this.#storage.pendingSchedules(idle)) {
      if (signal.aborted || this.#busy.has(name)) continue;
      const run = await this.#storage.claimPending(name, this.owner);
      if (run) this.#execute(this.#schedule(name), run, 0, signal);
    }
  }

  /**
   * Runs left `running` and not running here — by an earlier holder, or by
   * this host when a write failed midway: take each over and try it again,
   * attempts counting on.
   */
  async #takeOverInterrupted(signal: AbortSignal): Promise<void> {
    const runs = await this.#storage.running([...this.#schedules.keys()]);
    for (const stale of runs) {
      if (signal.aborted) return;
      if (this.#busy.has(stale.schedule)) continue;
      const run = await this.#storage.takeOver(stale.id, stale.owner, this.owner);
      if (!run) continue;
      this.#logger.warn(
        { component: 'scheduler', schedule: run.schedule, runId: run.id, previousOwner: stale.owner },
        'taking over a run its host left unfinished',
      );
      this.#execute(this.#schedule(run.schedule), run, run.attempts, signal);
    }
  }

  /** Run a claimed run in the background (tracked in #busy); `before` attempts were made elsewhere. */
  #execute(s: ResolvedSchedule, run: ScheduleRun, before: number, signal: AbortSignal): void {
    const started = performance.now();
    const work = this.#attempts(s, run, before, signal, started)
      .catch((err: unknown) => {
        this.#recheckInterrupted = true; // its outcome may be unrecorded: run it again
        this.#fail(err, `scheduler: recording run ${run.id} of ${s.name} failed`);
      })
      .finally(() => {
        this.#busy.delete(s.name);
        this.#loop?.wake();
      });
    this.#busy.set(s.name, work);
  }

  async #attempts(
    s: ResolvedSchedule,
    run: ScheduleRun,
    before: number,
    signal: AbortSignal,
    started: number,
  ): Promise<void> {
    const remaining = s.retry.attempts - before;
    if (remaining < 1) {
      const error = { code: 'INTERRUPTED', message: `Interrupted after ${before} attempts; none left` };
      await this.#storage.finish(run.id, this.owner, { status: 'failed', attempts: before, error });
      this.emit('schedule:run_failed', { run, error, attempts: before, durationMs: 0 });
      return;
    }
    this.emit('schedule:run_started', { run });
    let attempts = before;
    let lastError: ScheduleRunError | null = null;
    let outcome: RunOutcome;
    let failure: unknown;
    try {
      const result = await withRetry(
        async (n, context) => {
          attempts = before + n;
          // A fresh claim recorded its first attempt already.
          if (attempts > 1 && !(await this.#storage.recordAttempt(run.id, this.owner, attempts, lastError))) {
            throw new LeaseLostError(`run ${run.id} of ${s.name}`, this.owner, 'taken');
          }
          return s.run({
            schedule: s.name,
            runId: run.id,
            dueAt: run.dueAt,
            trigger: run.trigger,
            requestedBy: run.requestedBy,
            attempt: attempts,
            signal: context.signal,
          });
        },
        { ...s.retry, attempts: remaining },
        {
          signal,
          attemptTimeoutMs: s.timeoutMs,
          shouldRetry: (err) => !(err instanceof LeaseLostError),
          onFailedAttempt: ({ error, attempt, willRetry }) => {
            lastError = describeError(error);
            if (willRetry) this.emit('schedule:retry', { run, error, attempt: before + attempt });
          },
        },
      );
      outcome = { status: 'succeeded', attempts, result };
    } catch (error) {
      // Lease lost or stopping: the run stays `running` for the next holder to take over.
      if (signal.aborted || error instanceof LeaseLostError) return;
      failure = error;
      outcome = { status: 'failed', attempts, error: describeError(error) };
    }
    // Recording is not part of the job: a failure here is not the job's, and
    // propagates (the run stays `running`; #execute has it run again).
    const durationMs = performance.now() - started;
    if (await this.#storage.finish(run.id, this.owner, outcome)) {
      if (outcome.status === 'succeeded') {
        this.emit('schedule:run_succeeded', { run, result: outcome.result, attempts, durationMs });
      } else {
        this.#logger.error(
          { component: 'scheduler', schedule: s.name, runId: run.id, attempts, err: failure },
          'scheduled run failed every attempt',
        );
        this.emit('schedule:run_failed', { run, error: failure, attempts, durationMs });
      }
    }
    if (Number(run.id) % 50 === 0) await this.#storage.prune(s.name, this.#keepRuns);
  }

  /** A background failure: logged, and emitted as `'error'` (never thrown). */
  #fail(err: unknown, msg: string): void {
    this.#logger.error({ component: 'scheduler', err }, msg);
    try {
      this.emit('error', err);
    } catch (thrown) {
      this.#logger.error({ component: 'scheduler', err: thrown }, "an 'error' listener threw");
    }
  }
}

/**
 * Build a {@link Scheduler}; throws `InvalidScheduleError` on a bad schedule
 * (bad cron expression or time zone, both or neither of `every` and `cron`).
 *
 * @example
 * ```ts
 * const scheduler = createScheduler({
 *   sql,
 *   schema: 'app',
 *   schedules: [
 *     { name: 'sync-inventory-levels', every: 5 * 60_000, run: () => syncAll() },
 *     { name: 'archive-log', cron: '0 3 1 * *', timeZone: 'UTC', missed: 'latest', run: () => store.archive() },
 *   ],
 * });
 * await scheduler.start();
 * ```
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  return new Scheduler(options);
}

function describeError(error: unknown): ScheduleRunError {
  const message = storableText((error instanceof Error ? error.message : String(error)).slice(0, 2_000));
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? { message, code: storableText(code) } : { message };
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`scheduler ${name} must be a positive number, got ${value}`);
  }
  return value;
}
