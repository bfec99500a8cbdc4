/**
 * Runs kept in memory, for the in-memory event store and tests. Schedulers
 * sharing one storage (and one `memoryLeases()`) behave like hosts sharing a
 * database.
 */
import type {
  ClaimDue,
  RequestRun,
  RunOutcome,
  ScheduleRun,
  ScheduleRunError,
  ScheduleStorage,
} from './schedule-run.js';

type MutableRun = { -readonly [K in keyof ScheduleRun]: ScheduleRun[K] };

/**
 * A {@link ScheduleStorage} in memory.
 *
 * @example
 * ```ts
 * const storage = memoryScheduleStorage();
 * const a = createScheduler({ storage, leases, schedules });
 * const b = createScheduler({ storage, leases, schedules }); // a second "host"
 * ```
 */
export function memoryScheduleStorage(): ScheduleStorage {
  const runs = new Map<string, MutableRun>();
  let nextId = 1;
  const copy = (run: MutableRun): ScheduleRun => ({ ...run });
  const add = (run: Omit<MutableRun, 'id' | 'createdAt'>): MutableRun => {
    const row: MutableRun = { ...run, id: String(nextId++), createdAt: new Date() };
    runs.set(row.id, row);
    return row;
  };
  const held = (runId: string, owner: string): MutableRun | undefined => {
    const run = runs.get(runId);
    return run && run.status === 'running' && run.owner === owner ? run : undefined;
  };
  return {
    async migrate() {},
    async lastDue(schedule) {
      let last: number | null = null;
      for (const r of runs.values()) {
        if (r.schedule === schedule && r.trigger === 'schedule')
          last = Math.max(last ?? 0, r.dueAt.getTime());
      }
      return last;
    },
    async claimDue(claim: ClaimDue) {
      for (const r of runs.values()) {
        if (r.schedule === claim.schedule && r.trigger === 'schedule' && r.dueAt.getTime() === claim.dueAt)
          return null;
      }
      const running = claim.status === 'running';
      return copy(
        add({
          schedule: claim.schedule,
          trigger: 'schedule',
          dueAt: new Date(claim.dueAt),
          status: claim.status,
          attempts: running ? 1 : 0,
          skipped: claim.skipped,
          owner: claim.owner,
          key: null,
          requestedBy: null,
          error: null,
          result: null,
          startedAt: running ? new Date() : null,
          finishedAt: running ? null : new Date(),
        }),
      );
    },
    async request(request: RequestRun) {
      if (request.key !== undefined) {
        for (const r of runs.values()) {
          if (r.schedule === request.schedule && r.key === request.key) return copy(r);
        }
      }
      return copy(
        add({
          schedule: request.schedule,
          trigger: 'manual',
          dueAt: new Date(request.at),
          status: 'pending',
          attempts: 0,
          skipped: 0,
          owner: null,
          key: request.key ?? null,
          requestedBy: request.requestedBy ?? null,
          error: null,
          result: null,
          startedAt: null,
          finishedAt: null,
        }),
      );
    },
    async pendingSchedules(schedules) {
      const pending = new Set<string>();
      for (const r of runs.values())
        if (r.status === 'pending' && schedules.includes(r.schedule)) pending.add(r.schedule);
      return [...pending];
    },
    async claimPending(schedule, owner) {
      for (const r of runs.values()) {
        if (r.schedule !== schedule || r.status !== 'pending') continue;
        Object.assign(r, { status: 'running', owner, attempts: 1, startedAt: new Date() });
        return copy(r);
      }
      return null;
    },
    async running(schedules) {
      return [...runs.values()]
        .filter((r) => r.status === 'running' && schedules.includes(r.schedule))
        .map(copy);
    },
    async takeOver(runId, from, owner) {
      const run = runs.get(runId);
      if (!run || run.status !== 'running' || run.owner !== from) return null;
      run.owner = owner;
      return copy(run);
    },
    async recordAttempt(runId, owner, attempts, error: ScheduleRunError | null) {
      const run = held(runId, owner);
      if (!run) return false;
      run.attempts = attempts;
      if (error) run.error = error;
      return true;
    },
    async finish(runId, owner, outcome: RunOutcome) {
      const run = held(runId, owner);
      if (!run) return false;
      Object.assign(run, {
        status: outcome.status,
        attempts: outcome.attempts,
        error: outcome.error ?? null,
        result: jsonCopy(outcome.result),
        finishedAt: new Date(),
      });
      return true;
    },
    async get(runId) {
      const run = runs.get(runId);
      return run ? copy(run) : null;
    },
    async history(schedule, limit) {
      return [...runs.values()]
        .filter((r) => r.schedule === schedule)
        .sort((a, b) => Number(b.id) - Number(a.id))
        .slice(0, limit)
        .map(copy);
    },
    async prune(schedule, keep) {
      const mine = [...runs.values()]
        .filter((r) => r.schedule === schedule)
        .sort((a, b) => Number(b.id) - Number(a.id));
      for (const r of mine.slice(keep)) {
        if (r.status !== 'pending' && r.status !== 'running') runs.delete(r.id);
      }
    },
  };
}

/** What the SQL storage keeps of a result: its JSON (up to 64 KiB), else null. */
function jsonCopy(result: unknown): unknown {
  if (result === undefined) return null;
  try {
    const text = JSON.stringify(result);
    return text === undefined || text.length > 65_536 ? null : (JSON.parse(text) as unknown);
  } catch {
    return null;
  }
}
