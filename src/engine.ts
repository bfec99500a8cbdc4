/**
 * `createSyncEngine(config)`: wires the library's parts for a host — event
 * store, projections (read models), sagas started from events, extra workers,
 * the realtime hub over the projections' row changes, and the webhook
 * receivers. Thin on purpose: every part stays usable on its own.
 */
import { merge, type Observable } from 'rxjs';
import { createAccessAudit, type AccessAuditStore } from './access/access-audit.js';
import { parseOptions } from './core/parse-options.js';
import { syncEngineConfigSchema } from './engine-options.js';
import { resolveLogger, type Logger } from './core/logger.js';
import type { Row, RowChange } from './core/row-change.js';
import type { SqlClient } from './core/sql-client.js';
import type { AdmissionControl, AdmissionOptions, AdmissionStatus } from './ingest/admission-control.js';
import type { RateLimiter, RateLimiterStatus } from './ingest/rate-limiter.js';
import { engineAdmission, pipelineLagProbe } from './engine-admission.js';
import { createIngestHandler, type WebhookReceiver } from './ingest/webhook-receiver.js';
import type { HttpHandler } from './http/types.js';
import { readProcessorCheckpoint } from './processing/checkpoint-reader.js';
import { sqlDeadLetterQueue } from './processing/dead-letter-queue.js';
import { migrateProcessing } from './processing/migrate-processing.js';
import type { ProjectionDefinition } from './processing/projection/definition.js';
import { createProjection, type Projection } from './processing/projection/projection.js';
import type { ProcessorLag } from './processing/processor-events.js';
import type { ChannelDefinition } from './realtime/channels.js';
import { createRealtimeHub, type RealtimeHub, type RealtimeHubOptions } from './realtime/hub.js';
import { refusePartitionedChannels } from './realtime/partitioned-channels.js';
import { createPgPubSub, migrateRealtime } from './realtime/pg-pubsub.js';
import type { PubSub } from './realtime/pubsub.js';
import { createSqlSnapshot } from './realtime/sql-snapshot.js';
import { watchRebuiltChannels } from './engine-rebuilds.js';
import type { AnySagaDefinition } from './sagas/define-saga.js';
import { createSagaRunner, type SagaRunner } from './sagas/saga-runner.js';
import { createSagaTrigger, type SagaTrigger, type SagaTriggerStart } from './sagas/saga-trigger.js';
import type { LeaseTimingOptions } from './runtime/lease-timing.js';
import { sqlLeases } from './processing/lease.js';
import type { ScheduleDefinition } from './scheduling/schedule-definition.js';
import { createScheduler, type Scheduler } from './scheduling/scheduler.js';
import { SingletonWorkers } from './scheduling/singleton-workers.js';
import { sqlScheduleStorage } from './scheduling/sql-schedule-storage.js';
import { createEventStore } from './store/create-event-store.js';
import { SHARED_HEAD_MAX_AGE_MS } from './store/shared-head.js';
import type { EventOf, UntypedEvents } from './store/define-events.js';
import type { EventStoreConfig } from './store/store-config.js';
import type { EventStore, StoredEvent } from './store/types.js';

/**
 * A running read model the engine starts, stops and streams from: a
 * `Projection`, or a set of tables updated together (a `ProjectionSet` from
 * `@creatorflow/sync/processing`, such as the commerce read models).
 */
export interface EngineReadModel {
  /** Row changes of its tables, after their transaction committed. */
  readonly changes: Observable<RowChange>;
  /**
   * Tables whose `changes` missed a committed transaction (its append's
   * outcome was lost and recovered): the hub reloads the channels they feed.
   */
  readonly changesLost?: Observable<readonly string[]>;
  /** Its tables: `definition.table` of a projection, `definitions[].table` of a set. */
  readonly definition?: { readonly table: string };
  readonly definitions?: readonly { readonly table: string }[];
  /** Its processor when it runs asynchronously; snapshots read that processor's checkpoint. */
  readonly processor?:
    | {
        readonly name: string;
        lag(): Promise<ProcessorLag>;
        /**
         * Lease changes: after a takeover the hub reloads the channels this
         * processor writes; not when this instance `resumed` its own lease.
         */
        on?(event: 'processor:lease_acquired', listener: (info: { resumed?: boolean }) => void): unknown;
      }
    | undefined;
  /**
   * Its processors when it is split into partitions: health reports their
   * slowest partition; a realtime channel on its tables is refused (see
   * `refusePartitionedChannels`).
   */
  readonly partitioned?: { readonly name: string; lag(): Promise<ProcessorLag> } | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
  whenCaughtUp(options?: { timeoutMs?: number }): Promise<void>;
}

/** A saga and the events that start it; `E` is the engine's event union. */
export interface EngineSaga<E extends StoredEvent = StoredEvent> {
  definition: AnySagaDefinition;
  /** Map an event to a start (or null to skip). Deterministic. Typed by the engine's catalog. */
  startOn: (event: E) => SagaTriggerStart | null | undefined;
}

/** What a worker gets when the engine starts it; `E` is the engine's event union. */
export interface EngineContext<E extends StoredEvent = StoredEvent> {
  store: EventStore<E>;
  sql: SqlClient;
  schema: string;
}

/** A background job the engine starts and stops with itself (monitors, pollers). */
export interface EngineWorker<E extends StoredEvent = StoredEvent> {
  readonly name: string;
  start(context: EngineContext<E>): void | Promise<void>;
  stop(): void | Promise<void>;
}

/**
 * Options of {@link createSyncEngine}. `M` is the event map of `store.events`
 * (a `defineEvents` catalog): given one, the engine's store, projections,
 * sagas' `startOn` and workers see a union discriminated by `type`.
 *
 * @example
 * ```ts
 * const config: SyncEngineConfig = {
 *   sql: fromPg(pool),
 *   schema: 'app',
 *   store: { strict: true, eventTypes: { 'task.created': taskCreatedSchema } },
 *   projections: [taskBoard],
 *   channels: [taskBoardChannel],
 *   logger: pino(),
 * };
 * const engine = createSyncEngine(config);
 * ```
 */
export interface SyncEngineConfig<M = UntypedEvents> {
  /** The database (`fromPg(pool)` or `fromPglite(db)`). */
  sql: SqlClient;
  /** Schema of every table. Default `'creatorflow'`. */
  schema?: string;
  /** More event-store settings (the `events` catalog, limits). */
  store?: Omit<EventStoreConfig<M>, 'sql' | 'schema'>;
  /**
   * Projections to run (one table each); a table named like a channel feeds that
   * channel, and a projection declared with `channel` gets its channel here
   * without listing it in `channels` — except a partitioned projection's: a
   * channel on it is refused (`INVALID_ARGUMENT`) because the hub cannot follow
   * it in cursor order. On a typed engine, a projection typed by another
   * catalog (a type the engine lacks, or another payload) does not compile.
   */
  projections?: readonly ProjectionDefinition<Row, EventOf<M>>[];
  /**
   * Read models built by the host (e.g. a commerce `ReadModelSet`), or a
   * function building them on the engine's store. Run them asynchronously so
   * snapshots carry their processor's checkpoint.
   */
  readModels?: readonly EngineReadModel[] | ((store: EventStore<EventOf<M>>) => readonly EngineReadModel[]);
  /**
   * Realtime channels (read-model tables clients may subscribe to). None by
   * default; commerce hosts pass `commerceEngineConfig()`'s.
   */
  channels?: readonly ChannelDefinition[];
  /** Sagas, or a function building them on the engine's store. */
  sagas?:
    | readonly EngineSaga<EventOf<M>>[]
    | ((store: EventStore<EventOf<M>>) => readonly EngineSaga<EventOf<M>>[]);
  /** Saga worker concurrency. Default 16. */
  sagaConcurrency?: number;
  /** Background jobs started on every host. */
  workers?: readonly EngineWorker<EventOf<M>>[];
  /**
   * Jobs that run on one host of many at a time (pollers, monitors), by a
   * lease in the database (`singletons:default`): started after everything
   * else on the host that holds it, moved within 10 s when that host dies;
   * or a function building them on the engine's context (called after `readModels`).
   */
  singletons?:
    | readonly EngineWorker<EventOf<M>>[]
    | ((context: EngineContext<EventOf<M>>) => readonly EngineWorker<EventOf<M>>[]);
  /**
   * Named schedules (an interval or a cron expression in a time zone), run
   * once per due time across hosts by the engine's scheduler
   * (`engine.scheduler`, see `docs/scheduling.md`); or a function building
   * them on the engine's context.
   */
  schedules?:
    readonly ScheduleDefinition[] | ((context: EngineContext<EventOf<M>>) => readonly ScheduleDefinition[]);
  /** This host's id in the leases of the scheduler and the singletons. Default host, pid and a random suffix. */
  hostId?: string;
  /** Lease timing of the scheduler and the singletons. Default a 6 s lease renewed every 2 s. */
  lease?: LeaseTimingOptions;
  /**
   * How often each host compares its projections' generations with the
   * database's, in ms: the backstop that reloads a channel after a rebuild run
   * elsewhere (the CLI, another host) when the rebuild's notification did not
   * reach this host (LISTEN down, no LISTEN). Default 5,000.
   */
  rebuildPollIntervalMs?: number;
  /**
   * Cross-process fan-out of deltas. Default: PostgreSQL notifications on a
   * server database, none on PGlite (a single process). Pass Redis for many hosts.
   */
  pubsub?: PubSub | null;
  /** Shared limiter of the webhook receivers (e.g. Redis); in-memory per receiver by default. */
  rateLimiter?: RateLimiter;
  /**
   * Webhook receivers served by `engine.ingest`, built on the engine's store
   * and `rateLimiter` (commerce's: `commerceReceivers()`). None by default.
   */
  receivers?: readonly WebhookReceiver[];
  /**
   * Admission control in front of `engine.ingest` (docs/ingestion.md,
   * "Overload"): while the processors lag behind the log by more than
   * `targetLagMs` or this process's event loop is late by more than
   * `targetEventLoopDelayMs`, the rate of webhooks let in is cut and the rest
   * are refused with 503 `OVERLOADED` and `Retry-After`, before anything is
   * written. `{}` turns it on with the defaults; off by default.
   */
  admission?: AdmissionOptions | false;
  /** Hub settings (window, heartbeats, limits). */
  realtime?: Omit<RealtimeHubOptions, 'channels' | 'changes' | 'snapshot' | 'pubsub' | 'accessAudit'>;
  /**
   * Where admins' reads across tenants are recorded, realtime subscriptions
   * included (`engine.accessAudit`). Default the `access_audit` table of
   * `schema` (the table `createCommerce` writes too), migrated by `start()`.
   */
  accessAudit?: AccessAuditStore;
  /**
   * Where the projections and the saga runner log dead letters and background
   * errors (at `error`); a pino logger fits. Default: one line per record on
   * stderr (`defaultLogger`). Pass `silentLogger` only when the host watches
   * the `'error'` events and `health()` itself. Read models the host builds
   * (`readModels`) take their own.
   */
  logger?: Logger;
}

/** Health of the engine's moving parts. */
export interface SyncEngineHealth {
  status: 'ok' | 'degraded';
  /** Events each asynchronous read model (by processor name) still has to apply. */
  readModels: Record<string, { lagEvents: number; lagMs: number }>;
  /** Events held back by open transactions. */
  heldBackEvents: number;
  /**
   * Dead letters waiting per processor name, for every processor in the schema
   * whichever host ran it (processors with none are absent): events that failed
   * every retry. Any makes the status `degraded` until redriven or removed.
   */
  deadLetters: Record<string, number>;
  /** Sagas running here, and compensations dead-lettered for a person (any means `degraded`). */
  sagas: { active: number; deadLetters: number };
  realtime: ReturnType<RealtimeHub['stats']>;
  /**
   * The webhook rate limiter's backend, when it has one (Redis): `degraded`
   * while it is unreachable and the limiter's policy decides instead.
   */
  rateLimiter?: RateLimiterStatus;
  /** Webhook admission, when on: `degraded` while it sheds load. */
  admission?: AdmissionStatus;
}

/** A wired engine; `E` is its event union (typed by `store.events`). */
export interface SyncEngine<E extends StoredEvent = StoredEvent> {
  readonly store: EventStore<E>;
  readonly hub: RealtimeHub;
  /** Admins' cross-tenant reads and subscriptions (see `config.accessAudit`). */
  readonly accessAudit: AccessAuditStore;
  /** The projections created from `config.projections`, by table. */
  readonly projections: ReadonlyMap<string, Projection>;
  /** Every read model: the projections, then `config.readModels`. */
  readonly readModels: readonly EngineReadModel[];
  readonly sagas: SagaRunner;
  /** Runs `config.schedules` on one host of many; trigger a run by hand with `scheduler.trigger(name)`. */
  readonly scheduler: Scheduler;
  /** Runs `config.singletons` on one host of many; `singletons.leading` is true on that host. */
  readonly singletons: SingletonWorkers<EngineContext<E>>;
  /** The webhook receivers as one framework-agnostic handler. */
  readonly ingest: HttpHandler;
  /** The admission control in front of `ingest` (`config.admission`); undefined when off. */
  readonly admission: AdmissionControl | undefined;
  /** Migrate, then start projections, sagas and workers. */
  start(): Promise<void>;
  /** Resolves when every projection has applied the log as of now. */
  whenCaughtUp(options?: { timeoutMs?: number }): Promise<void>;
  health(): Promise<SyncEngineHealth>;
  /** Stop everything and close the store (not the database). */
  close(): Promise<void>;
}

/**
 * Lag of an asynchronous read model above which health reports `degraded`.
 *
 * @example
 * ```ts
 * const lagging = Object.values(health.readModels).some((r) => r.lagMs > READ_MODEL_DEGRADED_LAG_MS);
 * ```
 */
export const READ_MODEL_DEGRADED_LAG_MS = 30_000;

/**
 * Wire an engine for a host.
 *
 * @example
 * ```ts
 * import { PGlite } from '@electric-sql/pglite';
 * import { fromPglite } from '@creatorflow/sync/pglite';
 *
 * const engine = createSyncEngine({
 *   sql: fromPglite(new PGlite()),
 *   projections: [orderMetrics],
 *   ...commerceEngineConfig({ tiktok: { appKey, appSecret } }), // from '@creatorflow/sync/commerce'
 *   logger: pino(), // optional: failures go to stderr by default
 * });
 * await engine.start();
 * app.use(expressAdapter(engine.ingest));
 * app.get('/realtime/sse', createSseHandler(engine.hub, { authorize }));
 * ```
 */
export function createSyncEngine<M extends UntypedEvents = UntypedEvents>(
  input: SyncEngineConfig<M>,
): SyncEngine<EventOf<M>> {
  type E = EventOf<M>;
  const config = parseOptions('createSyncEngine', syncEngineConfigSchema, input) as SyncEngineConfig<M>;
  const schema = config.schema ?? 'creatorflow';
  const { sql } = config;
  const logger = resolveLogger(config.logger, 'createSyncEngine');
  const store: EventStore<E> = createEventStore<M>({ ...config.store, sql, schema });
  const projections = new Map<string, Projection>();
  for (const definition of config.projections ?? []) {
    projections.set(definition.table, createProjection({ store, definition, logger }));
  }
  const hostModels =
    typeof config.readModels === 'function' ? config.readModels(store) : (config.readModels ?? []);
  const readModels: EngineReadModel[] = [...projections.values(), ...hostModels];
  const changes: Observable<RowChange> = merge(...readModels.map((m) => m.changes));
  const owner = new Map<string, string>();
  const partitioned = new Map<string, string>();
  for (const m of readModels) {
    const tables = m.definitions ?? (m.definition ? [m.definition] : []);
    for (const { table } of tables) {
      if (m.processor) owner.set(table, m.processor.name);
      if (m.partitioned) partitioned.set(table, m.partitioned.name);
    }
  }
  const channels = [...(config.channels ?? []), ...(config.projections ?? []).flatMap(projectionChannel)];
  refusePartitionedChannels(channels, partitioned);
  const processorOf = (channel: ChannelDefinition): string =>
    owner.get(channel.table ?? channel.name) ?? `projection:${channel.name}`;
  const pubsub =
    config.pubsub !== undefined
      ? config.pubsub
      : sql.dialect !== 'pglite' && sql.listen
        ? createPgPubSub(sql, { schema })
        : null;
  const accessAudit = config.accessAudit ?? createAccessAudit({ sql, schema });
  // Known once started (the store migrated): cursors handed out before then carry none,
  // and resume afterwards with a snapshot at worst.
  let logIdentity: string | undefined;
  const hub = createRealtimeHub({
    logIdentity: () => logIdentity,
    ...config.realtime,
    channels,
    changes,
    accessAudit,
    snapshot: createSqlSnapshot(sql, {
      schema,
      checkpoint: readProcessorCheckpoint(schema, processorOf),
      // A table no processor builds changes in its writers' transactions (inline): its
      // rows hold the log up to the head read before the snapshot. Without that they
      // claimed the log's start, which a replay buffer cleared by a reload (or past its
      // first evicted batch) no longer covers: every resync failed as stale.
      positionBefore: (channel) =>
        owner.has(channel.table ?? channel.name) ? undefined : store.headCheckpoint(),
    }),
    ...(pubsub ? { pubsub } : {}),
  });
  // A host that died between committing a projection's rows and publishing
  // them leaves every hub without those rows until the channel's next batch:
  // whoever takes the projection over makes all hubs reload its channels.
  // A lease that lapsed and came back to this instance with nobody committing
  // meanwhile (`resumed`) is no takeover: this process published all it
  // committed, and a reload would only cost every subscriber a snapshot.
  const rebuilds = watchRebuiltChannels(config, sql, schema, hub, readModels, logger);
  for (const m of readModels) {
    const name = m.processor?.name;
    if (name === undefined || !m.processor?.on) continue;
    const owned = [...hub.channels.values()].filter((c) => processorOf(c) === name).map((c) => c.name);
    if (owned.length === 0) continue;
    m.processor.on('processor:lease_acquired', (info) => {
      if (info.resumed === true) return;
      for (const channel of owned) hub.invalidate(channel);
    });
  }
  // Changes a recovered append never published: every host's subscribers reload those channels.
  const lostFeeds = readModels.flatMap((m) =>
    m.changesLost
      ? [
          m.changesLost.subscribe((tables) => {
            for (const c of hub.channels.values())
              if (tables.includes(c.table ?? c.name)) hub.invalidate(c.name);
          }),
        ]
      : [],
  );
  const sagaList = typeof config.sagas === 'function' ? config.sagas(store) : (config.sagas ?? []);
  const sagas = createSagaRunner({
    sql,
    schema,
    definitions: sagaList.map((s) => s.definition),
    concurrency: config.sagaConcurrency ?? 16,
    logger,
  });
  const deadLetters = sqlDeadLetterQueue(sql, schema);
  const triggers: SagaTrigger[] = sagaList.map((s) =>
    createSagaTrigger({
      name: `${s.definition.name}:trigger`,
      runner: sagas,
      events: store,
      definition: s.definition,
      map: s.startOn,
    }),
  );
  const limiter = config.rateLimiter === undefined ? {} : { rateLimiter: config.rateLimiter };
  const admission = config.admission
    ? engineAdmission(
        config.admission,
        pipelineLagProbe([
          ...readModels.flatMap((m) => {
            const runner = m.processor ?? m.partitioned;
            return runner ? [runner] : [];
          }),
          ...triggers.map((t) => t.processor),
        ]),
        (err) => logger.warn({ component: 'admission', err }, 'reading the pipeline lag failed'),
      )
    : undefined;
  const ingest = createIngestHandler(config.receivers ?? [], {
    store,
    logger,
    ...limiter,
    ...(admission ? { admission: admission.control } : {}),
  });
  const workers = config.workers ?? [];
  const context: EngineContext<E> = { store, sql, schema };
  const leaseOptions = { owner: config.hostId, lease: config.lease, logger };
  // The engine's database holds the scheduler's runs and every lease: its ports, handed over.
  const leases = sqlLeases(sql, schema);
  const schedules =
    typeof config.schedules === 'function' ? config.schedules(context) : (config.schedules ?? []);
  const scheduler = createScheduler({
    storage: sqlScheduleStorage(sql, schema),
    leases,
    schedules,
    ...leaseOptions,
  });
  const singletonJobs =
    typeof config.singletons === 'function' ? config.singletons(context) : (config.singletons ?? []);
  const singletons = new SingletonWorkers<EngineContext<E>>({
    leases,
    name: 'singletons:default',
    jobs: singletonJobs,
    context,
    ...leaseOptions,
  });
  let started = false;

  return {
    store,
    hub,
    accessAudit,
    projections,
    readModels,
    sagas,
    scheduler,
    singletons,
    ingest,
    admission: admission?.control,
    async start() {
      if (started) return;
      started = true;
      await store.migrate();
      logIdentity = await store.logIdentity();
      await migrateProcessing(sql, schema); // health counts dead letters even with no processor
      // The generations the hub's snapshots are read from: a later one is a rebuild to reload for.
      await rebuilds?.start();
      await accessAudit.migrate();
      if (pubsub && config.pubsub === undefined) await migrateRealtime(sql, schema);
      for (const m of readModels) await m.start();
      await sagas.migrate();
      sagas.startWorker();
      for (const t of triggers) await t.start();
      for (const w of workers) await w.start(context);
      // Last: the jobs of one host of many read what the rest has built.
      if (schedules.length > 0) await scheduler.start();
      if (singletonJobs.length > 0) await singletons.start();
      admission?.start();
      await hub.ready;
    },
    async whenCaughtUp(options = {}) {
      await Promise.all(readModels.map((m) => m.whenCaughtUp(options)));
    },
    async health() {
      const lags = await Promise.all(
        readModels
          .flatMap((m) => {
            const runner = m.processor ?? m.partitioned;
            return runner ? [runner] : [];
          })
          .map(async (p) => [p.name, await p.lag()] as const),
      );
      const [reader, letters, sagaLetters] = await Promise.all([
        // A report: a read under a second old serves while no wake-up came since.
        store.readerLag({ maxAgeMs: SHARED_HEAD_MAX_AGE_MS }),
        deadLetters.countByProcessor(),
        sagas.deadLetterCount(),
      ]);
      const result: SyncEngineHealth = {
        status: 'ok',
        readModels: {},
        heldBackEvents: reader.heldBackEvents,
        deadLetters: letters,
        sagas: { active: sagas.activeCount, deadLetters: sagaLetters },
        realtime: hub.stats(),
      };
      // A dead letter is an event some read model or saga never applied: the
      // data is wrong until a person redrives it, however healthy the rest is.
      if (sagaLetters > 0 || Object.values(letters).some((n) => n > 0)) result.status = 'degraded';
      const limiter = config.rateLimiter?.status?.();
      if (limiter) result.rateLimiter = limiter;
      // Redis down: intake and realtime go on with per-process limits, but the
      // host is not whole until it is back.
      if (limiter?.state === 'degraded' || result.realtime.limiterDegraded) result.status = 'degraded';
      // Realtime's pub/sub never held since start: live changes wait for it (the hub keeps trying).
      if (result.realtime.pubsubDown) result.status = 'degraded';
      // Shedding: some webhooks are being refused (and will be redelivered), so the host is not whole.
      if (admission) {
        result.admission = admission.control.status();
        if (result.admission.state === 'shedding') result.status = 'degraded';
      }
      for (const [name, lag] of lags) {
        result.readModels[name] = { lagEvents: lag?.events ?? 0, lagMs: lag?.ms ?? 0 };
        if ((lag?.ms ?? 0) > READ_MODEL_DEGRADED_LAG_MS) result.status = 'degraded';
      }
      return result;
    },
    async close() {
      await admission?.stop();
      // Released at once, so another host takes over without waiting out the lease.
      await singletons.stop();
      await scheduler.stop();
      for (const w of [...workers].reverse()) await w.stop();
      await Promise.all(triggers.map((t) => t.stop()));
      await sagas.stop();
      await rebuilds?.stop();
      for (const feed of lostFeeds) feed.unsubscribe();
      await hub.close();
      for (const m of readModels) await m.stop();
      await pubsub?.close?.();
      await store.close();
    },
  };
}

/** The channel a projection declared with `channel` feeds: named after its table, keyed by its key. */
function projectionChannel(definition: ProjectionDefinition): ChannelDefinition[] {
  const c = definition.channel;
  if (c === undefined) return [];
  return [
    {
      name: definition.table,
      keyColumns: definition.key,
      tenantColumn: c.tenantColumn,
      filterableColumns: c.filterableColumns ?? [],
      throttleMs: c.throttleMs ?? 100,
      ...(c.columnTypes ? { columnTypes: c.columnTypes as ChannelDefinition['columnTypes'] & object } : {}),
    },
  ];
}
