/**
 * The persistence port of the saga runner. Two implementations: SQL (on the
 * `SqlClient` port: PostgreSQL or PGlite) and in-memory. Every write that
 * advances a saga is fenced by the lease token, so a worker that lost its
 * lease can never record a step.
 */
import type { SqlClient, SqlQueryable } from '../core/sql-client.js';
import type { JoinedWrite } from '../store/types.js';
import type {
  SagaDeadLetter,
  SagaErrorInfo,
  SagaState,
  SagaStatus,
  StepLogEntry,
  StepOutcome,
  StepPhase,
} from './types.js';

/** A saga to create. */
export interface SagaInsert {
  sagaId: string;
  definition: string;
  input: unknown;
  /** When set, the new saga is leased to this worker at once (token 1) for `leaseMs`. */
  owner?: string;
  leaseMs?: number;
}

/** A claimed (leased) saga with what a worker needs to resume it. */
export interface ClaimedSaga {
  state: SagaState;
  /** Fencing token of this lease. */
  token: number;
  /** Completed entries of the step log, in order. */
  completed: StepLogEntry[];
  /**
   * Set when this claim took a lease another holder (or this worker, earlier)
   * let run out, rather than a saga never leased or given back: its holder died,
   * stalled or fenced itself. Optional for stores of your own.
   */
  takenOver?: TakenOverLease;
}

/**
 * The lease a claim took over.
 *
 * @example
 * ```ts
 * const lease: TakenOverLease = { previousOwner: 'host-a:4242:1f2e3d4c', expiredForMs: 180 };
 * ```
 */
export interface TakenOverLease {
  /** Its holder's worker id. */
  previousOwner: string;
  /** How long it had been expired at the claim (database clock), ms. */
  expiredForMs: number;
}

/**
 * One fenced write advancing a saga. A plain step completion only appends to
 * the step log (the saga row is locked, not rewritten: the log is where a
 * resuming worker finds its place); a `transition` also updates the row.
 */
export interface SagaWrite {
  sagaId: string;
  token: number;
  /** Update the saga row (status, cursor, flags, error, finish); false: log entry only. */
  transition: boolean;
  status: SagaStatus;
  cursor: number;
  compensationFailed: boolean;
  /** Set the saga's error (kept when absent). */
  error?: SagaErrorInfo;
  /** A final write: clears the lease and sets `finished_at`. */
  finish: boolean;
  /** The step log entry this write records, if any. */
  log?: {
    name: string;
    stepIndex: number;
    phase: StepPhase;
    outcome: StepOutcome;
    attempts: number;
    output: unknown;
    error: SagaErrorInfo | null;
    startedAt: Date;
  };
  /** A dead letter this write records (a compensation that failed for good). */
  deadLetter?: {
    definition: string;
    step: string;
    compensation: string;
    error: SagaErrorInfo;
    attempts: number;
  };
}

/**
 * Options of {@link SagaStore.claim}.
 *
 * @example
 * ```ts
 * const { sagas, nextExpiryMs } = await sagaStore.claim({
 *   owner: 'host-a:1234', leaseMs: 10_000, limit: 16, definitions: ['order_fulfillment'],
 * });
 * ```
 */
export interface ClaimOptions {
  owner: string;
  leaseMs: number;
  limit: number;
  /** Only sagas of these definitions. */
  definitions: readonly string[];
}

/** What {@link SagaStore.claim} found. */
export interface ClaimResult {
  sagas: ClaimedSaga[];
  /** Ms until the next active lease held by someone else expires, or null when there is none. */
  nextExpiryMs: number | null;
}

/**
 * What {@link SagaStore.heartbeat} did. A renewed lease lasts `leaseMs` from the
 * statement; a busy one keeps the expiry it had, so its holder keeps the
 * self-fencing deadline of its last renewal (nobody else can claim it before
 * that expiry). A store whose renewals never meet a locked row (in memory)
 * reports none busy.
 *
 * @example
 * ```ts
 * const { renewed, busy } = await sagaStore.heartbeat('host-a:1234', ['order-1', 'order-2'], 6_000);
 * // renewed: ['order-1']; busy: ['order-2'] (its step was being recorded): try it again soon
 * ```
 */
export interface SagaLeaseRenewal {
  /** The ids whose lease now runs `leaseMs` from the statement. */
  renewed: string[];
  /** The ids still this owner's, lease unexpired, whose row was locked by a write in flight: not renewed this time. */
  busy: string[];
}

/** Filter of {@link SagaStore.list}. */
export interface SagaListFilter {
  status?: SagaStatus;
  definition?: string;
  /** Default 100. */
  limit?: number;
}

/** Filter of {@link SagaStore.deadLetters}. */
export interface SagaDeadLetterFilter {
  sagaId?: string;
  /** Include resolved dead letters. Default false. */
  includeResolved?: boolean;
  /** Default 100. */
  limit?: number;
}

/**
 * Durable saga state.
 *
 * @example
 * ```ts
 * const store = createSqlSagaStore({ sql, schema: 'creatorflow' });
 * await store.migrate();
 * const [created] = await store.insert([{ sagaId: 'order-1', definition: 'order', input: {} }]);
 * ```
 */
export interface SagaStore {
  migrate(): Promise<void>;
  /** Create sagas; a saga id that exists already is left alone (`false`). */
  insert(sagas: readonly SagaInsert[]): Promise<boolean[]>;
  /**
   * True when this store writes through `sql` (same database, its schema reachable),
   * so {@link SagaStore.insertIn} may join that client's transactions. Optional:
   * without it a saga trigger inserts after its batch, idempotently by saga id.
   */
  isOn?(sql: SqlClient): boolean;
  /**
   * Create sagas inside `tx`, a transaction of the client `isOn` accepted (a
   * saga trigger's batch), so they commit or roll back with its checkpoint;
   * returns the ids created (existing ids are left alone).
   */
  insertIn?(tx: SqlQueryable, sagas: readonly SagaInsert[]): Promise<string[]>;
  /** Lease active sagas nobody holds (or whose lease expired): `FOR UPDATE SKIP LOCKED`. */
  claim(options: ClaimOptions): Promise<ClaimResult>;
  /**
   * Extend the leases `owner` holds on `sagaIds` to `leaseMs` from now, without
   * waiting on a saga's row: a saga whose row a write in flight has locked (its
   * step being recorded) is not renewed this time but reported `busy` while it is
   * still `owner`'s with an unexpired lease. An id in neither list is no longer
   * held (finished, or taken by another worker).
   */
  heartbeat(owner: string, sagaIds: readonly string[], leaseMs: number): Promise<SagaLeaseRenewal>;
  /** Apply fenced writes; `true` for each write whose lease token still matched. */
  record(owner: string, writes: readonly SagaWrite[]): Promise<boolean[]>;
  /**
   * `write` (an action's completion, no dead letter) as a write an append on
   * the same database commits in its own statement (`AppendOptions.joined`),
   * fenced like {@link SagaStore.record}: a lease lost fails the append with a
   * `SagaLeaseLostError` and writes neither. `committed` is called once it
   * committed. Optional: without it every step is recorded on its own.
   */
  joinStep?(owner: string, write: SagaWrite, committed: () => void): JoinedWrite;
  /**
   * Give up leases so another worker may claim the sagas at once. Resolves once
   * every lease asked for is given back (or was not `owner`'s); it may wait for
   * writes in flight on those sagas, but not where renewals would wait behind it.
   */
  release(owner: string, sagaIds: readonly string[]): Promise<void>;
  get(sagaId: string): Promise<SagaState | null>;
  history(sagaId: string): Promise<StepLogEntry[]>;
  list(filter?: SagaListFilter): Promise<SagaState[]>;
  deadLetters(filter?: SagaDeadLetterFilter): Promise<SagaDeadLetter[]>;
  /** How many dead letters wait for a person (unresolved), for health. */
  countDeadLetters(): Promise<number>;
  /** Put a `compensation_failed` saga back to `compensating` and resolve its dead letters. */
  redrive(sagaId: string): Promise<boolean>;
  /** Wake-ups when another process creates unowned sagas (optional: else poll). */
  onWake?(listener: () => void): Promise<() => Promise<void>>;
  close?(): Promise<void>;
}
