/**
 * The conflict resolver service: the pure engine plus I/O. It appends outcome
 * events to the entity's stream, writes the audit (PostgreSQL/PGlite through
 * the store's SQL port, memory for the in-memory store), keeps the manual
 * queue and builds reports.
 *
 * Writes happen only after the pure resolution succeeded, so bad input writes
 * nothing. Events are appended first with an idempotency key derived from the
 * conflict id, then the audit row is inserted (ON CONFLICT DO NOTHING): a retry
 * after a crash between the two completes the audit without doubling events.
 */
import { conflictEventSchemas, conflictStreamId } from './event-schemas.js';
import { EventEmitter } from 'eventemitter3';
import { z } from 'zod';
import type { SqlClient } from '../../core/sql-client.js';
import { InvalidArgumentError, StoreClosedError, type ValidationIssue } from '../../core/errors.js';
import type { AppendResult, EventMetadata, EventStore, NewEvent } from '../../store/types.js';
import type { ConflictRecord, ConflictAuditStore, AuditQuery, ManualOverride } from './audit/audit-record.js';
import { MemoryAuditStore } from './audit/memory-audit-store.js';
import { SqlAuditStore } from './audit/sql-audit-store.js';
import { trustingOwnPayloads } from './own-payloads.js';
import { summariseDetected, summariseEscalated, type ConflictEventDetail } from './summary-events.js';
import { encodeResolution } from './audit/audit-codec.js';
import { auditStoreOf } from './audit/audit-store-of.js';
import { policyFor, type ConflictConfigInput } from '../config.js';
import { nameUuid } from '../pipeline/conflict-id.js';
import type { Detection } from '../pipeline/detect.js';
import { ConflictEngine } from '../pipeline/conflict-engine.js';
import { ConflictNotFoundError, ConflictNotPendingError, MalformedConflictInputError } from '../errors.js';
import {
  CONFLICT_ESCALATED_EVENT,
  CONFLICT_RESOLVED_EVENT,
  detectedEvent,
  escalatedEvent,
  resolvedEvent,
  type ConflictEscalatedData,
  type ConflictResolvedData,
} from './events.js';
import { jsonEquals, type JsonObject } from '../json.js';
import { buildConflictReport, REPORT_BUCKETS, type ConflictReport, type ReportBucket } from './reports.js';
import type { ConflictStrategy } from '../pipeline/strategies/strategy.js';
import type { ConflictInput, ContenderInput, DecisionActor, ManualDecision, Resolution } from '../types.js';

/**
 * Options of {@link ConflictResolver}.
 *
 * @example
 * ```ts
 * const resolver = new ConflictResolver({
 *   store,
 *   config: { priorities: { board_app: 10, calendar_sync: 5 } },
 *   strategies: [longestTitle],
 *   streamId: conflictStreamId, // the default: conflicts-<type>-<id>
 * });
 * ```
 */
export interface ConflictResolverOptions {
  store: EventStore;
  /** Audit database; default the store's own (in memory for a memory store). */
  sql?: SqlClient;
  /** Schema of the audit table; default `store.schema`. */
  schema?: string;
  config?: ConflictConfigInput;
  strategies?: readonly ConflictStrategy[];
  /** Physical clock in ms; injectable for tests. */
  now?: () => number;
  /**
   * Stream of an entity's conflict records; default {@link conflictStreamId}
   * (`conflicts-<entityType>-<entityId>`). Keep it apart from the entity's own
   * stream: appending there would move its version under clients' expected versions.
   */
  streamId?: (entityType: string, entityId: string) => string;
  /**
   * How much of a conflict its events carry: `'full'` (default; every contender in the
   * detected event, every marker in the escalated one) or `'summary'` (one contender per
   * source with `contenderCount`, one marker per source and value): the audit record,
   * by `conflictId`, is whole either way. Commerce's `resolve-sync-conflicts` uses `'summary'`.
   */
  eventDetail?: ConflictEventDetail;
  /**
   * What an entity may hold, checked on an admin's decided values before
   * anything is written (the engine checks only their shape and that a
   * contender changed each field): issues refuse the decision with
   * `MalformedConflictInputError` and the conflict stays pending. Without it,
   * a value the entity cannot hold (a negative stock) would be audited as
   * decided and never reach the entity. Default: every JSON value passes.
   */
  validateDecision?: (entityType: string, values: JsonObject) => readonly ValidationIssue[];
}

/** The aggregate type of conflict streams. */
const CONFLICT_AGGREGATE_TYPE = 'conflict';

/** A conflict handed to {@link ConflictResolver.resolve}; `detectedAt` defaults to now. */
export type ResolveRequest = Omit<ConflictInput, 'detectedAt'> & { detectedAt?: number };

/**
 * Correlation of the appended events.
 *
 * @example
 * ```ts
 * await resolver.resolve(conflict, { correlationId: 'webhook-7f3a', causationId: event.id });
 * ```
 */
export interface ResolveOptions {
  /** Default: the conflict id. */
  correlationId?: string;
  /** Default: the latest contender's event id. */
  causationId?: string;
  /**
   * The owner the entity belongs to, named on the detected event of every
   * conflict under the configuration's `detectedEvent.ownerKey` (a quantity
   * event needs it) so readers of the log can scope it. Default: the base
   * state's value of that key. Ignored without a `detectedEvent` rule.
   * Commerce passes the creator (`creatorId`).
   */
  ownerId?: string;
  /**
   * The tenant the entity belongs to, kept in the audit (`tenant_id`) so the
   * queue, the audit and the reports can be read per tenant. Commerce passes the creator here too.
   */
  tenantId?: string;
  /**
   * Events that follow from the resolution (e.g. the resolved value as the event
   * the read models fold), appended with the conflict's own events in one append:
   * they commit with the audit row or not at all, and a repeat writes none of them.
   */
  followUp?: (resolution: Resolution) => readonly NewEvent[];
  /**
   * Writes the conflict's events instead of the store's `append` (same
   * arguments and result; the audit row still commits in its transaction):
   * e.g. a collector that writes the conflicts of a pass with one
   * `EventStore.appendMany`, in one transaction. Default: `store.append`.
   */
  append?: EventStore['append'];
}

/** Result of {@link ConflictResolver.process}. */
export interface ProcessResult {
  records: ConflictRecord[];
  /** Changes that conflicted with nothing. */
  unconflicted: ContenderInput[];
}

/**
 * A conflict resolved by {@link ConflictResolver.prepare} and not written yet.
 *
 * @example
 * ```ts
 * const prepared = resolver.prepare(conflict);
 * if (prepared.resolution.status === 'escalated') console.log('will wait for an admin');
 * await resolver.commitPrepared(prepared);
 * ```
 */
export interface PreparedResolution {
  /** The resolution as of `preparedAt`. */
  readonly resolution: Resolution;
  /** When it was resolved, ms. */
  readonly preparedAt: number;
}

/** A resolution's events and audit record, ready to append (its detection time set at the write). */
interface BuiltConflict {
  record: ConflictRecord;
  events: NewEvent[];
}

/** Lifecycle events of the resolver. */
export interface ConflictResolverEvents {
  'conflict:resolved': (record: ConflictRecord) => void;
  /** A conflict waits for an admin: notify someone. */
  'conflict:escalated': (record: ConflictRecord) => void;
  'conflict:decided': (record: ConflictRecord) => void;
}

const reportSchema = z
  .object({ from: z.date(), to: z.date(), bucket: z.enum(REPORT_BUCKETS) })
  .refine((o) => o.to.getTime() > o.from.getTime(), 'to must be after from')
  .refine((o) => (o.to.getTime() - o.from.getTime()) / 3_600_000 <= 24 * 366, 'at most one year');

/**
 * The conflict resolver.
 *
 * @example
 * ```ts
 * const store = createEventStore({ sql: fromPglite(new PGlite()) });
 * await store.migrate();
 * const resolver = new ConflictResolver({ store, config: { priorities: { shop: 2, admin: 1 } } });
 * await resolver.migrate();
 * resolver.on('conflict:escalated', (r) => notifyAdmins(r.conflictId));
 * const { records } = await resolver.process(changes, { base: (type, id) => readModel.get(type, id) });
 * const [first] = await resolver.listPending();
 * if (first) await resolver.resolveManually(first.conflictId, { values: { quantity: 7 }, adminId: 'admin-1' });
 * ```
 */
export class ConflictResolver extends EventEmitter<ConflictResolverEvents> {
  readonly engine: ConflictEngine;
  readonly #store: EventStore;
  readonly #audit: ConflictAuditStore;
  readonly #now: () => number;
  readonly #streamId: (entityType: string, entityId: string) => string;
  readonly #summary: boolean;
  readonly #validateDecision: ConflictResolverOptions['validateDecision'];
  /** Records waiting for their append, by outcome event id (shared by concurrent callers of one conflict). */
  readonly #staged = new Map<string, { record: ConflictRecord; written: boolean; users: number }>();
  readonly #removeHook: () => void;
  /** What a {@link prepare}d conflict needs to be written (kept off the caller's object). */
  readonly #prepared = new WeakMap<
    PreparedResolution,
    { built: BuiltConflict; request: ResolveRequest; options: ResolveOptions }
  >();
  #closed = false;

  constructor(options: ConflictResolverOptions) {
    super();
    this.engine = new ConflictEngine(
      options.config,
      options.strategies ? { strategies: options.strategies } : {},
    );
    this.#store = options.store;
    const { audit, onStoreDatabase } = auditStoreOf(options.store, options.sql, options.schema);
    this.#audit = audit;
    this.#now = options.now ?? Date.now;
    this.#streamId = options.streamId ?? conflictStreamId;
    this.#summary = options.eventDetail === 'summary';
    this.#validateDecision = options.validateDecision;
    // A strict store must accept the resolver's own events; the payloads it built pass unchecked.
    for (const [type, schema] of Object.entries(conflictEventSchemas))
      this.#store.registerEventType(type, trustingOwnPayloads(schema));
    // The audit row commits with the outcome events, or not at all.
    const auditOnSameDatabase = onStoreDatabase;
    const memoryAudit = this.#audit instanceof MemoryAuditStore;
    this.#removeHook = this.#store.addInlineHook({
      name: 'conflicts.audit',
      // The audited events are the outcomes of resolve(): other batches skip the hook.
      eventTypes: new Set([CONFLICT_RESOLVED_EVENT, CONFLICT_ESCALATED_EVENT]),
      apply: async ({ tx, events }) => {
        const mine = events.flatMap((e) => {
          const entry = this.#staged.get(e.id);
          return entry ? [entry] : [];
        });
        if (mine.length === 0) return;
        const at = this.#now();
        for (const entry of mine) this.#stamp(entry.record, at);
        // Inserts are ON CONFLICT DO NOTHING, so a batch retried after a rollback may run this again.
        if (tx && auditOnSameDatabase) {
          await this.#audit.insertMany(
            mine.map((entry) => entry.record),
            tx,
          );
          return () => mine.forEach((entry) => (entry.written = true));
        }
        if (memoryAudit) {
          // In-memory store: record right after the commit (a Map write, it cannot fail).
          return () => {
            for (const entry of mine) {
              entry.written = true;
              void this.#audit.insert(entry.record);
            }
          };
        }
        // Audit in another database: resolve() writes it after the append.
        return undefined;
      },
    });
  }

  /** Stop: remove the audit hook from the store. The store itself stays open (it is the host's). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#removeHook();
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreClosedError('Conflict resolver');
  }

  #stage(
    outcomeId: string,
    record: ConflictRecord,
  ): { record: ConflictRecord; written: boolean; users: number } {
    const existing = this.#staged.get(outcomeId);
    if (existing) {
      existing.users += 1;
      return existing;
    }
    const entry = { record, written: false, users: 1 };
    this.#staged.set(outcomeId, entry);
    return entry;
  }

  #unstage(outcomeId: string): void {
    const entry = this.#staged.get(outcomeId);
    if (entry && --entry.users === 0) this.#staged.delete(outcomeId);
  }

  #stamp(record: ConflictRecord, at: number): void {
    if (record.status !== 'resolved') return;
    record.resolvedAt = new Date(at).toISOString();
    record.resolutionMs = Math.max(0, at - Date.parse(record.detectedAt));
  }

  /** Create or upgrade the audit table (component `conflicts`). */
  async migrate(): Promise<void> {
    await this.#audit.migrate();
  }

  /** Group changes into conflicts (pure). */
  detect(changes: readonly ContenderInput[], options: { detectedAt?: number } = {}): Detection {
    return this.engine.detect(changes, { detectedAt: options.detectedAt ?? this.#now() });
  }

  /**
   * Resolve one conflict: append its events, audit it. Resolving the same
   * conflict again returns the first record and writes nothing.
   */
  async resolve(request: ResolveRequest, options: ResolveOptions = {}): Promise<ConflictRecord> {
    this.#assertOpen();
    const detectedAt = request.detectedAt ?? this.#now();
    const built = this.#build(this.engine.resolve({ ...request, detectedAt }), options);
    return this.#commit(built, detectedAt, options.append);
  }

  /**
   * Resolve a conflict now and write it later with {@link commitPrepared}: the
   * pure work (the engine, the events, the audit record) done ahead, say while
   * a detection window's grace runs, so that committing is only the write.
   * Nothing is written; bad input throws here as it would in `resolve`.
   *
   * @example
   * ```ts
   * const prepared = resolver.prepare({ entityType: 'inventory', entityId: 'sku-1', contenders, base });
   * // … later, if no contender joined and the base did not move:
   * const record = await resolver.commitPrepared(prepared);
   * ```
   */
  prepare(request: ResolveRequest, options: ResolveOptions = {}): PreparedResolution {
    this.#assertOpen();
    const preparedAt = request.detectedAt ?? this.#now();
    const resolution = this.engine.resolve({ ...request, detectedAt: preparedAt });
    const prepared: PreparedResolution = Object.freeze({ resolution, preparedAt });
    this.#prepared.set(prepared, { built: this.#build(resolution, options), request, options });
    // The audit row's JSON too, so that the write only adds the times around it.
    if (this.#audit instanceof SqlAuditStore) encodeResolution(resolution);
    return prepared;
  }

  /**
   * Write a {@link prepare}d conflict as `resolve` would now: detected now, and
   * resolved afresh when the time of detection would change the result (a
   * contender whose clock was ahead at preparation is trusted by now). The
   * caller owns the rest of the check: same contenders, same base. `append`
   * as in {@link ResolveOptions.append}.
   */
  async commitPrepared(
    prepared: PreparedResolution,
    options: Pick<ResolveOptions, 'append'> = {},
  ): Promise<ConflictRecord> {
    this.#assertOpen();
    const inner = this.#prepared.get(prepared);
    if (!inner) throw new InvalidArgumentError('commitPrepared takes a conflict prepared by this resolver');
    const detectedAt = this.#now();
    // Trust only grows with the time of detection (a clock ahead by more than the drift is
    // trusted once we catch up): a result with every contender trusted stands.
    const stands =
      detectedAt >= prepared.preparedAt && prepared.resolution.contenders.every((c) => c.trusted);
    const append = options.append ?? inner.options.append;
    if (!stands)
      return this.resolve(
        { ...inner.request, detectedAt },
        {
          ...inner.options,
          ...(append === undefined ? {} : { append }),
        },
      );
    return this.#commit(inner.built, detectedAt, append);
  }

  /** The events and the audit record of a pure resolution (nothing written). */
  #build(resolution: Resolution, options: ResolveOptions): BuiltConflict {
    const { conflictId } = resolution;
    const escalated = resolution.status === 'escalated';
    const ids = {
      detected: nameUuid(`${conflictId}:detected`),
      outcome: nameUuid(`${conflictId}:${escalated ? 'escalated' : 'resolved'}`),
    };
    let latest = resolution.contenders[0]!;
    for (const c of resolution.contenders)
      if (
        c.hlc.wallMs > latest.hlc.wallMs ||
        (c.hlc.wallMs === latest.hlc.wallMs && c.hlc.logical > latest.hlc.logical)
      )
        latest = c;
    const correlationId = options.correlationId ?? conflictId;
    const { config } = this.engine;
    const quantityField = policyFor(config, resolution.entityType).minimumFields[0];
    const detected = detectedEvent(resolution, ids.detected, {
      rule: config.detectedEvent,
      ...(quantityField === undefined ? {} : { quantityField }),
      ...(options.ownerId === undefined ? {} : { ownerId: options.ownerId }),
    });
    detected.metadata = { causationId: options.causationId ?? latest.eventId };
    const outcome = escalated
      ? escalatedEvent(resolution, ids.outcome)
      : resolvedEvent(resolution, ids.outcome, { manual: false });
    if (this.#summary) {
      detected.data = summariseDetected(detected.data);
      if (escalated) outcome.data = summariseEscalated(outcome.data as ConflictEscalatedData);
    }
    outcome.metadata = { causationId: ids.detected };
    const followUp = (options.followUp?.(resolution) ?? []).map((e) => ({
      ...e,
      metadata: { causationId: ids.outcome, ...e.metadata },
    }));
    const record: ConflictRecord = {
      conflictId,
      tenantId: options.tenantId ?? null,
      status: escalated ? 'pending' : 'resolved',
      resolution,
      manualOverride: null,
      detectedAt: '',
      resolvedAt: null,
      resolutionMs: null,
      correlationId,
      events: { ...ids, manual: null },
    };
    return { record, events: [detected, outcome, ...followUp] };
  }

  /** Append a built resolution's events and audit it (in the append's transaction). */
  async #commit(
    built: BuiltConflict,
    detectedAt: number,
    append: EventStore['append'] = (...args) => this.#store.append(...args),
  ): Promise<ConflictRecord> {
    const { resolution, conflictId, events } = built.record;
    const record: ConflictRecord = { ...built.record, detectedAt: new Date(detectedAt).toISOString() };
    const escalated = record.status === 'pending';
    // The audit row is written by the inline hook, in the append's transaction.
    const staged = this.#stage(events.outcome, record);
    let appended: AppendResult;
    try {
      appended = await append(this.#streamId(resolution.entityType, resolution.entityId), built.events, {
        aggregateType: CONFLICT_AGGREGATE_TYPE,
        idempotencyKey: `conflict:${conflictId}`,
        metadata: {
          correlationId: record.correlationId,
          source: 'conflict_resolver',
        } satisfies EventMetadata,
      });
    } finally {
      this.#unstage(events.outcome);
    }
    if (appended.duplicate || !staged.written) {
      // Resolved before (or by a concurrent caller), or audited in another database.
      const existing = await this.#audit.get(conflictId);
      if (existing) return existing;
      // Events without an audit row (written before the hook existed): complete the audit now.
      this.#stamp(staged.record, this.#now());
      if (!(await this.#audit.insert(staged.record))) return (await this.#audit.get(conflictId))!;
    }
    this.emit(escalated ? 'conflict:escalated' : 'conflict:resolved', staged.record);
    return staged.record;
  }

  /**
   * Detect conflicts among changes and resolve each. `base` supplies an
   * entity's current state (needed to fold deltas and guard terminal states).
   */
  async process(
    changes: readonly ContenderInput[],
    options: {
      base?: (
        entityType: string,
        entityId: string,
      ) => JsonObject | undefined | Promise<JsonObject | undefined>;
    } & ResolveOptions = {},
  ): Promise<ProcessResult> {
    this.#assertOpen();
    const detectedAt = this.#now();
    const detection = this.engine.detect(changes, { detectedAt });
    const requests = await Promise.all(
      detection.conflicts.map(async (c): Promise<ConflictInput> => {
        const base = await options.base?.(c.entityType, c.entityId);
        return {
          entityType: c.entityType,
          entityId: c.entityId,
          contenders: c.contenders,
          detectedAt,
          ...(base ? { base } : {}),
        };
      }),
    );
    // Resolve (and so validate) every conflict before writing any: one bad conflict writes nothing.
    const resolutions = requests.map((r) => this.engine.resolve(r));
    const { base: _base, ...correlation } = options;
    const records = await Promise.all(
      resolutions.map((r) => this.#commit(this.#build(r, correlation), detectedAt, correlation.append)),
    );
    return { records, unconflicted: detection.unconflicted };
  }

  /** One audit record. */
  async get(conflictId: string): Promise<ConflictRecord | undefined> {
    return this.#audit.get(conflictId);
  }

  /** Audit records by detection time. */
  async list(query: AuditQuery = {}): Promise<ConflictRecord[]> {
    return this.#audit.list(query);
  }

  /** Conflicts waiting for an admin, oldest first. */
  async listPending(query: Omit<AuditQuery, 'status'> = {}): Promise<ConflictRecord[]> {
    return this.#audit.list({ ...query, status: 'pending' });
  }

  /**
   * Decide a pending conflict: the admin's values are applied as a
   * `conflict.resolved` event and audited. Only one decision wins; a second
   * one gets `ConflictNotPendingError` (repeating the winning one returns it).
   */
  async resolveManually(conflictId: string, decision: ManualDecision): Promise<ConflictRecord> {
    this.#assertOpen();
    const record = await this.#audit.get(conflictId);
    if (!record) throw new ConflictNotFoundError(conflictId);
    if (record.status !== 'pending') {
      if (record.manualOverride && sameDecision(record.manualOverride, decision)) return record;
      throw new ConflictNotPendingError(conflictId, record.status);
    }
    const decided = this.engine.decide(record.resolution, decision);
    const issues = this.#validateDecision?.(decided.entityType, decided.set) ?? [];
    if (issues.length > 0) throw new MalformedConflictInputError('Invalid manual decision', issues);
    const decidedAt = this.#now();
    const actor = decision.actor && copyActor(decision.actor);
    const inEvent = {
      adminId: decision.adminId,
      decidedAt: new Date(decidedAt).toISOString(),
      ...(decision.note === undefined ? {} : { note: decision.note }),
    };
    const inData = { ...inEvent, values: decided.set };
    const override: ManualOverride = { ...inData, ...(actor ? { actor } : {}) };
    const manualId = nameUuid(`${conflictId}:manual`);
    const { entityType, entityId } = decided;
    const streamId = this.#streamId(entityType, entityId);
    const event = resolvedEvent(decided, manualId, { manual: true, ...inData });
    // Who decided goes where every other write records its actor: the event's metadata.
    event.metadata = {
      causationId: record.events.outcome,
      userId: decision.adminId,
      ...(actor ? { actor: { ...actor } } : {}),
    };
    const appended = await this.#store.append(streamId, [event], {
      aggregateType: CONFLICT_AGGREGATE_TYPE,
      idempotencyKey: `conflict:${conflictId}:manual`,
      metadata: { correlationId: record.correlationId, source: 'manual_admin' },
    });
    let final: ConflictRecord = {
      ...record,
      status: 'manually_resolved',
      resolution: decided,
      manualOverride: override,
      resolvedAt: override.decidedAt,
      resolutionMs: Math.max(0, decidedAt - Date.parse(record.detectedAt)),
      events: { ...record.events, manual: manualId },
    };
    if (appended.duplicate) {
      // Another decision was appended first (or we crashed after appending): the log is the truth.
      final = await this.#fromLoggedDecision(record, streamId, manualId);
      await this.#audit.completePending(final);
      if (sameDecision(final.manualOverride!, decision)) return final;
      throw new ConflictNotPendingError(conflictId, 'manually_resolved');
    }
    if (!(await this.#audit.completePending(final))) {
      // A racing caller may have completed the audit from our logged decision first.
      const current = await this.#audit.get(conflictId);
      if (current?.manualOverride && sameDecision(current.manualOverride, decision)) return current;
      throw new ConflictNotPendingError(conflictId, current?.status ?? 'unknown');
    }
    this.emit('conflict:decided', final);
    return final;
  }

  /**
   * Conflicts per hour or day with trend, automatic vs manual rate, business
   * impact; of the given tenants only when `tenantIds` is set.
   */
  async report(options: {
    from: Date;
    to: Date;
    bucket: ReportBucket;
    tenantIds?: readonly string[];
  }): Promise<ConflictReport> {
    const parsed = reportSchema.safeParse(options);
    if (!parsed.success) {
      throw new MalformedConflictInputError(
        'Invalid report request',
        parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      );
    }
    const { tenantIds } = options;
    const records = await this.#audit.list({
      from: options.from,
      to: options.to,
      ...(tenantIds === undefined ? {} : { tenantIds }),
    });
    return buildConflictReport(records, {
      ...options,
      impactFigures: Object.keys(this.engine.config.impact),
      kinds: this.engine.config.kinds,
    });
  }

  async #fromLoggedDecision(
    record: ConflictRecord,
    streamId: string,
    manualId: string,
  ): Promise<ConflictRecord> {
    const { events } = await this.#store.readStream(streamId);
    const logged = events.find((e) => e.id === manualId && e.type === CONFLICT_RESOLVED_EVENT);
    if (!logged) throw new ConflictNotPendingError(record.conflictId, 'being decided');
    const data = logged.data as ConflictResolvedData;
    const decision: ManualDecision = { values: data.set, adminId: data.adminId ?? 'unknown' };
    if (data.note !== undefined) decision.note = data.note;
    const actor = loggedActor(logged.metadata['actor']);
    if (actor?.id === decision.adminId) decision.actor = actor;
    const decided = this.engine.decide(record.resolution, decision);
    const decidedAt = data.decidedAt ?? logged.occurredAt.toISOString();
    return {
      ...record,
      status: 'manually_resolved',
      resolution: decided,
      manualOverride: { ...decision, values: decided.set, decidedAt },
      resolvedAt: decidedAt,
      resolutionMs: Math.max(0, Date.parse(decidedAt) - Date.parse(record.detectedAt)),
      events: { ...record.events, manual: manualId },
    };
  }
}

function copyActor(actor: DecisionActor): DecisionActor {
  return {
    kind: actor.kind,
    id: actor.id,
    ...(actor.requestedBy === undefined ? {} : { requestedBy: actor.requestedBy }),
  };
}

/** The actor a logged decision recorded in its metadata, if a well-formed one. */
function loggedActor(value: unknown): DecisionActor | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { kind, id, requestedBy } = value as Record<string, unknown>;
  if (typeof kind !== 'string' || typeof id !== 'string') return undefined;
  return copyActor({ kind, id, ...(typeof requestedBy === 'string' ? { requestedBy } : {}) });
}

function sameDecision(override: ManualOverride, decision: ManualDecision): boolean {
  return (
    override.adminId === decision.adminId &&
    jsonEquals(override.values, decision.values) &&
    (override.note ?? null) === (decision.note ?? null)
  );
}
