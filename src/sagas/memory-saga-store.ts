/**
 * The in-memory saga store: same semantics as the SQL store (leases, fencing
 * tokens, step log, dead letters), for tests and single-process hosts that
 * need no durability. Leases use the local clock.
 */
import type {
  ClaimOptions,
  ClaimResult,
  SagaDeadLetterFilter,
  SagaInsert,
  SagaLeaseRenewal,
  SagaListFilter,
  SagaStore,
  SagaWrite,
  TakenOverLease,
} from './saga-store.js';
import type { SagaDeadLetter, SagaState, StepLogEntry } from './types.js';

interface Row {
  state: SagaState;
  token: number;
}

/**
 * A {@link SagaStore} in process memory (nothing survives a restart).
 *
 * @example
 * ```ts
 * const runner = createSagaRunner({ store: createMemorySagaStore() });
 * ```
 */
export function createMemorySagaStore(): SagaStore {
  return new MemorySagaStore();
}

class MemorySagaStore implements SagaStore {
  readonly #sagas = new Map<string, Row>();
  readonly #steps = new Map<string, StepLogEntry[]>();
  readonly #deadLetters: SagaDeadLetter[] = [];
  readonly #listeners = new Set<() => void>();

  async migrate(): Promise<void> {}

  async insert(sagas: readonly SagaInsert[]): Promise<boolean[]> {
    const created = sagas.map((s) => this.#insertOne(s));
    if (sagas.some((s, i) => created[i] && s.owner === undefined)) this.#wake();
    return created;
  }

  async claim(options: ClaimOptions): Promise<ClaimResult> {
    const now = Date.now();
    const candidates = [...this.#sagas.values()]
      .filter(
        (r) =>
          isActive(r) &&
          options.definitions.includes(r.state.definition) &&
          (r.state.leaseExpiresAt === null || r.state.leaseExpiresAt.getTime() < now),
      )
      // Expired leases first (oldest expiry first), then sagas never leased.
      .sort(
        (a, b) =>
          (a.state.leaseExpiresAt?.getTime() ?? Infinity) - (b.state.leaseExpiresAt?.getTime() ?? Infinity),
      )
      .slice(0, options.limit);
    const takenOver = new Map<string, TakenOverLease>();
    for (const row of candidates) {
      const { leaseOwner, leaseExpiresAt } = row.state;
      if (leaseOwner !== null && leaseExpiresAt !== null) {
        takenOver.set(row.state.sagaId, {
          previousOwner: leaseOwner,
          expiredForMs: now - leaseExpiresAt.getTime(),
        });
      }
      row.token += 1;
      row.state = {
        ...row.state,
        leaseOwner: options.owner,
        leaseExpiresAt: new Date(now + options.leaseMs),
        updatedAt: new Date(now),
      };
    }
    let nextExpiryMs: number | null = null;
    if (candidates.length < options.limit) {
      for (const r of this.#sagas.values()) {
        if (
          !isActive(r) ||
          r.state.leaseExpiresAt === null ||
          !options.definitions.includes(r.state.definition)
        )
          continue;
        const ms = Math.max(0, r.state.leaseExpiresAt.getTime() - now);
        nextExpiryMs = nextExpiryMs === null ? ms : Math.min(nextExpiryMs, ms);
      }
    }
    return {
      sagas: candidates.map((r) => ({
        state: { ...r.state },
        token: r.token,
        completed: (this.#steps.get(r.state.sagaId) ?? []).filter((e) => e.outcome === 'completed'),
        ...(takenOver.has(r.state.sagaId) ? { takenOver: takenOver.get(r.state.sagaId)! } : {}),
      })),
      nextExpiryMs,
    };
  }

  async heartbeat(owner: string, sagaIds: readonly string[], leaseMs: number): Promise<SagaLeaseRenewal> {
    const renewed: string[] = [];
    for (const id of sagaIds) {
      const row = this.#sagas.get(id);
      if (!row || row.state.leaseOwner !== owner || !isActive(row)) continue;
      row.state = { ...row.state, leaseExpiresAt: new Date(Date.now() + leaseMs) };
      renewed.push(id);
    }
    // No row locks here: a write never holds a renewal up, so none is busy.
    return { renewed, busy: [] };
  }

  async record(owner: string, writes: readonly SagaWrite[]): Promise<boolean[]> {
    return writes.map((w) => {
      const row = this.#sagas.get(w.sagaId);
      if (!row || row.token !== w.token || row.state.leaseOwner !== owner) return false;
      const now = new Date();
      if (w.transition) {
        row.state = {
          ...row.state,
          status: w.status,
          cursor: w.cursor,
          compensationFailed: w.compensationFailed,
          error: w.error ?? row.state.error,
          updatedAt: now,
          leaseOwner: w.finish ? null : row.state.leaseOwner,
          leaseExpiresAt: w.finish ? null : row.state.leaseExpiresAt,
          finishedAt: w.finish ? now : null,
        };
      }
      if (w.log) {
        const list = this.#steps.get(w.sagaId) ?? [];
        // Mirror of the SQL unique index: a step is recorded done at most once.
        if (
          w.log.outcome === 'completed' &&
          list.some(
            (e) => e.outcome === 'completed' && e.phase === w.log?.phase && e.stepIndex === w.log.stepIndex,
          )
        ) {
          throw new Error(`step ${w.log.name} of saga ${w.sagaId} is already recorded as completed`);
        }
        list.push({
          sagaId: w.sagaId,
          name: w.log.name,
          stepIndex: w.log.stepIndex,
          phase: w.log.phase,
          outcome: w.log.outcome,
          attempts: w.log.attempts,
          output: w.log.output === undefined ? null : structuredClone(w.log.output),
          error: w.log.error,
          workerId: owner,
          startedAt: w.log.startedAt,
          finishedAt: now,
        });
        this.#steps.set(w.sagaId, list);
      }
      if (w.deadLetter) {
        this.#deadLetters.push({
          id: this.#deadLetters.length + 1,
          sagaId: w.sagaId,
          definition: w.deadLetter.definition,
          step: w.deadLetter.step,
          compensation: w.deadLetter.compensation,
          error: w.deadLetter.error,
          attempts: w.deadLetter.attempts,
          createdAt: now,
          resolvedAt: null,
        });
      }
      return true;
    });
  }

  async release(owner: string, sagaIds: readonly string[]): Promise<void> {
    for (const id of sagaIds) {
      const row = this.#sagas.get(id);
      if (row && row.state.leaseOwner === owner) {
        row.state = { ...row.state, leaseOwner: null, leaseExpiresAt: null, updatedAt: new Date() };
      }
    }
    this.#wake();
  }

  async get(sagaId: string): Promise<SagaState | null> {
    const row = this.#sagas.get(sagaId);
    return row ? { ...row.state } : null;
  }

  async history(sagaId: string): Promise<StepLogEntry[]> {
    return [...(this.#steps.get(sagaId) ?? [])];
  }

  async list(filter: SagaListFilter = {}): Promise<SagaState[]> {
    return [...this.#sagas.values()]
      .map((r) => r.state)
      .filter(
        (s) =>
          (filter.status === undefined || s.status === filter.status) &&
          (filter.definition === undefined || s.definition === filter.definition),
      )
      .slice(0, filter.limit ?? 100)
      .map((s) => ({ ...s }));
  }

  async deadLetters(filter: SagaDeadLetterFilter = {}): Promise<SagaDeadLetter[]> {
    return this.#deadLetters
      .filter(
        (d) =>
          (filter.sagaId === undefined || d.sagaId === filter.sagaId) &&
          (filter.includeResolved || d.resolvedAt === null),
      )
      .slice(0, filter.limit ?? 100)
      .map((d) => ({ ...d }));
  }

  async countDeadLetters(): Promise<number> {
    return this.#deadLetters.filter((d) => d.resolvedAt === null).length;
  }

  async redrive(sagaId: string): Promise<boolean> {
    const row = this.#sagas.get(sagaId);
    if (!row || row.state.status !== 'compensation_failed') return false;
    // From the last action that completed or may have acted (see the SQL store).
    const actions = (this.#steps.get(sagaId) ?? []).filter(
      (e) => e.phase === 'action' && (e.outcome === 'completed' || e.error?.effect === 'unknown'),
    );
    const now = new Date();
    row.state = {
      ...row.state,
      status: 'compensating',
      compensationFailed: false,
      cursor: Math.max(-1, ...actions.map((e) => e.stepIndex)),
      leaseOwner: null,
      leaseExpiresAt: null,
      finishedAt: null,
      updatedAt: now,
    };
    for (const d of this.#deadLetters) if (d.sagaId === sagaId && d.resolvedAt === null) d.resolvedAt = now;
    this.#wake();
    return true;
  }

  async onWake(listener: () => void): Promise<() => Promise<void>> {
    this.#listeners.add(listener);
    return async () => {
      this.#listeners.delete(listener);
    };
  }

  #insertOne(s: SagaInsert): boolean {
    if (this.#sagas.has(s.sagaId)) return false;
    const now = new Date();
    const owned = s.owner !== undefined;
    this.#sagas.set(s.sagaId, {
      token: owned ? 1 : 0,
      state: {
        sagaId: s.sagaId,
        definition: s.definition,
        input: s.input === undefined ? null : structuredClone(s.input),
        status: 'running',
        cursor: 0,
        compensationFailed: false,
        error: null,
        leaseOwner: s.owner ?? null,
        leaseExpiresAt: owned ? new Date(now.getTime() + (s.leaseMs ?? 0)) : null,
        createdAt: now,
        updatedAt: now,
        finishedAt: null,
      },
    });
    return true;
  }

  #wake(): void {
    // Asynchronous, like a NOTIFY: listeners never run inside the caller's write.
    if (this.#listeners.size > 0) queueMicrotask(() => this.#listeners.forEach((l) => l()));
  }
}

function isActive(row: Row): boolean {
  return row.state.status === 'running' || row.state.status === 'compensating';
}
