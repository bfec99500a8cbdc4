/**
 * A processor split into partitions that several hosts share. Partition i of
 * N is an ordinary processor named `${name}#${i}/${N}` — its own checkpoint,
 * lease and dead letters — reading the whole log and handling only the events
 * whose key hashes to i, so per-stream order holds. Instances register as
 * members on a heartbeat; each runs the partitions the fair-share assignment
 * gives it over the live members, releases the ones it loses when a member
 * joins, and takes over a dead member's once their leases expire.
 */
import { EventEmitter } from 'eventemitter3';
import { PollLoop } from '../../runtime/poll-loop.js';
import {
  compareCheckpoints,
  parseCheckpoint,
  START_CHECKPOINT,
  type LogCheckpoint,
} from '../../core/checkpoint.js';
import type { StoredEvent } from '../../store/types.js';
import { SHARED_HEAD_MAX_AGE_MS } from '../../store/shared-head.js';
import type { DeadLetterQueue } from '../dead-letter-queue.js';
import { ProcessorLayoutError, ProcessorRetiredError, ProcessorWaitTimeoutError } from '../errors.js';
import { initialCheckpoint } from '../initial-checkpoint.js';
import { processingStateOf } from '../state/processing-state-of.js';
import { Processor, type RedriveResult } from '../processor.js';
import type { ProcessorEventMap, ProcessorLag } from '../processor-events.js';
import { assignPartitions } from './assign-partitions.js';
import type { PartitionCoordination } from './partition-coordination.js';
import { partitionCoordinationOf } from '../state/processing-state-of.js';
import { partitionOf } from './partition-key.js';
import { partitionNames } from './partition-names.js';
import {
  resolvePartitionedOptions,
  type PartitionedProcessorOptions,
  type ResolvedPartitionedOptions,
} from './partitioned-options.js';

/**
 * Events of a partitioned processor: its partitions' events (each naming its
 * partition in `processor`), and rebalances.
 *
 * @example
 * ```ts
 * totals.on('processor:partitions_assigned', ({ member, partitions, members }) =>
 *   log.info(`${member} runs ${partitions.join(',')} of ${members.length} members`));
 * ```
 */
export interface PartitionedProcessorEventMap extends ProcessorEventMap {
  /** The set of partitions this instance runs changed (after a member joined or left). */
  'processor:partitions_assigned': [
    info: { processor: string; member: string; partitions: readonly number[]; members: readonly string[] },
  ];
}

/**
 * Create a processor split into `partitions` partitions shared by every
 * instance (host) started with the same name; call `start()` to join.
 *
 * @example
 * ```ts
 * const totals = createPartitionedProcessor({
 *   store, name: 'order-totals', partitions: 8,      // the same count on every host
 *   partitionKey: (event) => event.aggregateId,       // the default: per-stream order holds
 *   handle: async (event, { tx }) => { await tx?.query('…', [event.data]); },
 * });
 * totals.on('processor:partitions_assigned', ({ partitions }) => log.info({ partitions }));
 * totals.on('error', (err) => log.error(err));
 * await totals.start();                               // throws ProcessorLayoutError if 8 is not the recorded count
 * ```
 */
export function createPartitionedProcessor<
  E extends StoredEvent = StoredEvent,
  T extends E['type'] = E['type'],
>(options: PartitionedProcessorOptions<E, T>): PartitionedProcessor {
  // Handlers are typed by the store's catalog and `eventTypes`; partitions read any event.
  return new PartitionedProcessor(options as unknown as PartitionedProcessorOptions);
}

/** See {@link createPartitionedProcessor}. */
export class PartitionedProcessor extends EventEmitter<PartitionedProcessorEventMap> {
  readonly name: string;
  readonly partitions: number;
  /** This instance's member id, also the owner of the partition leases it holds. */
  readonly member: string;
  /** Every partition's processor name, in partition order. */
  readonly partitionNames: readonly string[];
  readonly #o: ResolvedPartitionedOptions;
  readonly #coord: PartitionCoordination;
  readonly #dlq: DeadLetterQueue;
  /** The partitions this instance runs, by index. */
  readonly #active = new Map<number, Processor>();
  #members: readonly string[] = [];
  #running = false;
  /** The first share, then (shared state) the rebalancing loop's start. */
  #loop: Promise<void> | undefined;
  /** Heartbeats and rebalances every `heartbeatMs`. */
  #rebalancing: PollLoop | undefined;
  #migrated = false;

  constructor(options: PartitionedProcessorOptions) {
    super();
    this.#o = resolvePartitionedOptions(options);
    this.name = this.#o.resolved.name;
    this.partitions = this.#o.partitions;
    this.member = this.#o.member;
    this.partitionNames = Object.freeze(partitionNames(this.name, this.partitions));
    const { store } = this.#o.resolved;
    this.#coord = partitionCoordinationOf(store);
    this.#dlq = processingStateOf(store).deadLetters;
  }

  /** The dead letters of every processor on this store (list one partition with `{ processor: partitionNames[i] }`). */
  get deadLetters(): DeadLetterQueue {
    return this.#dlq;
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#running;
  }

  /** The partitions this instance runs now: holding their lease, or waiting for the previous holder's. */
  get assigned(): number[] {
    return [...this.#active.keys()].sort((a, b) => a - b);
  }

  /** The partitions whose lease this instance holds now. */
  get held(): number[] {
    return this.assigned.filter((i) => this.#active.get(i)!.leaseHeld);
  }

  /** The live members as of the last heartbeat, sorted. */
  get members(): readonly string[] {
    return this.#members;
  }

  /**
   * The partition an event belongs to.
   *
   * @example
   * ```ts
   * processor.partitionOf(event) // 3
   * ```
   */
  partitionOf(event: StoredEvent): number {
    return partitionOf(this.#o.partitionKey(event), this.partitions);
  }

  /** Create the processing tables (done by `start()` too). */
  async migrate(): Promise<void> {
    if (!this.#migrated) await processingStateOf(this.#o.resolved.store).migrate();
    this.#migrated = true;
  }

  /**
   * Record or check the layout, join as a member and start this instance's
   * share of the partitions; rebalancing then runs in the background.
   * Throws {@link ProcessorLayoutError} when another partition count is recorded.
   */
  async start(): Promise<void> {
    if (this.#running) return;
    await this.migrate();
    const { store, startFrom } = this.#o.resolved;
    await this.#coord.claimLayout(this.name, this.partitions, await initialCheckpoint(store, startFrom));
    this.#running = true;
    // The first share is taken before start() returns; stop() waits for it through #loop.
    const first = this.#rebalance().catch((err: unknown) => this.#fail(err, 'rebalance failed'));
    // Without leases there are no members to follow: this instance runs every partition.
    this.#loop = this.#o.shared ? first.then(() => this.#followMembers()) : first;
    await first;
  }

  /** Stop this instance's partitions (releasing their leases, so others take over at once) and leave. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    await this.#loop;
    await this.#rebalancing?.stop();
    this.#rebalancing = undefined;
    await Promise.all(this.assigned.map((i) => this.#release(i)));
    if (this.#o.shared) {
      await this.#coord
        .leave(this.name, this.member)
        .catch((err: unknown) => this.#fail(err, 'leave failed'));
    }
    this.#members = [];
  }

  /**
   * Resolve once every partition — run here or by another host — has processed
   * every event committed before the call (`store.committedCheckpoint()`), or up to `to`.
   *
   * @example
   * ```ts
   * await processor.whenCaughtUp({ timeoutMs: 10_000 });
   * ```
   */
  async whenCaughtUp(options: { timeoutMs?: number; to?: LogCheckpoint } = {}): Promise<void> {
    const target = options.to ?? (await this.#o.resolved.store.committedCheckpoint());
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    for (;;) {
      const stored = await this.#coord.checkpoints(this.partitionNames);
      const behind = this.partitionNames.some((n) => {
        const cp = stored.get(n);
        return cp === undefined || compareCheckpoints(cp, target) < 0;
      });
      if (!behind) return;
      if (Date.now() >= deadline) {
        throw new ProcessorWaitTimeoutError(this.name, target, options.timeoutMs!, 'Partitioned processor');
      }
      await this.#progress(Math.min(this.#o.resolved.pollIntervalMs, deadline - Date.now()));
    }
  }

  /**
   * How far the slowest partition is behind the head: `events` and `checkpoint`
   * over every partition, `ms` over the partitions this instance runs (each
   * host reports its own).
   *
   * @example
   * ```ts
   * const { events, ms } = await processor.lag();
   * ```
   */
  async lag(): Promise<ProcessorLag> {
    const head = await this.#o.resolved.store.committedCheckpoint({ maxAgeMs: SHARED_HEAD_MAX_AGE_MS });
    const stored = await this.#coord.checkpoints(this.partitionNames);
    let slowest = head;
    for (const n of this.partitionNames) {
      const cp = stored.get(n) ?? START_CHECKPOINT;
      if (compareCheckpoints(cp, slowest) < 0) slowest = cp;
    }
    const behind = compareCheckpoints(slowest, head) < 0;
    const events = behind
      ? Math.max(1, parseCheckpoint(head).globalPosition - parseCheckpoint(slowest).globalPosition)
      : 0;
    const local = await Promise.all([...this.#active.values()].map((p) => p.lag()));
    const ms = behind ? Math.max(0, ...local.map((l) => l.ms)) : 0;
    return { processor: this.name, events, ms, checkpoint: slowest, head };
  }

  /**
   * Run the dead letters of every partition (or those with `ids`) through the
   * handler again; see `Processor.redrive`.
   *
   * @example
   * ```ts
   * const { redriven, failed } = await processor.redrive();
   * ```
   */
  async redrive(options: { ids?: readonly string[] } = {}): Promise<RedriveResult> {
    const result: RedriveResult = { redriven: [], failed: [] };
    for (let i = 0; i < this.partitions; i++) {
      const one = await (this.#active.get(i) ?? this.#partition(i)).redrive(options);
      result.redriven.push(...one.redriven);
      result.failed.push(...one.failed);
    }
    return result;
  }

  // ---- membership and rebalancing ----

  /** Rebalance every heartbeat, one heartbeat after the first share was taken. */
  #followMembers(): void {
    if (!this.#running) return;
    const beat = { ms: this.#o.heartbeatMs, wakeable: false };
    const loop = new PollLoop({
      turn: async () => {
        await this.#rebalance();
        return beat;
      },
      onError: (err) => {
        this.#fail(err, 'rebalance failed');
        if (!(err instanceof ProcessorLayoutError)) return beat;
        void this.stop(); // a rebuild changed the layout: this instance's partitions are retired
        return 'stop';
      },
    });
    this.#rebalancing = loop;
    loop.start({ first: beat });
  }

  /** Heartbeat, then stop the partitions no longer ours and start the ones newly ours. */
  async #rebalance(): Promise<void> {
    const members = this.#o.shared
      ? await this.#coord.heartbeat(this.name, this.member, this.#o.ttlMs)
      : [this.member];
    const stored = await this.#coord.layout(this.name);
    if (stored !== null && stored !== this.partitions) {
      throw new ProcessorLayoutError(this.name, this.partitions, stored);
    }
    this.#members = Object.freeze(members);
    const before = this.assigned.join();
    const mine = new Set(assignPartitions(this.partitions, members).get(this.member) ?? []);
    // Release first, so the members they now belong to can take them while ours start.
    await Promise.all(this.assigned.filter((i) => !mine.has(i)).map((i) => this.#release(i)));
    for (const i of [...mine].sort((a, b) => a - b)) {
      if (!this.#running || this.#active.has(i)) continue;
      // In memory: the previous owner has not let go yet; the next heartbeat tries again.
      if (!this.#coord.claim(this.partitionNames[i]!, this.member)) continue;
      const processor = this.#partition(i);
      this.#active.set(i, processor);
      try {
        await processor.start();
      } catch (err) {
        // Not running (its migration failed, the database is down): forget it,
        // so the next heartbeat starts it again rather than leave it assigned here and idle.
        await this.#release(i).catch(() => undefined);
        this.#fail(err, `partition ${i} failed to start`);
      }
    }
    if (this.assigned.join() !== before) {
      this.emit('processor:partitions_assigned', {
        processor: this.name,
        member: this.member,
        partitions: this.assigned,
        members,
      });
    }
  }

  async #release(i: number): Promise<void> {
    const processor = this.#active.get(i);
    this.#active.delete(i);
    await processor?.stop(); // finishes its batch and releases the lease
    this.#coord.release(this.partitionNames[i]!, this.member);
  }

  /** The processor of partition `i`: the shared options, its own name, its events only. */
  #partition(i: number): Processor {
    const o = this.#o;
    const { partitions, partitionKey } = o;
    const only = o.processor.filter;
    const processor = new Processor({
      ...o.processor,
      name: this.partitionNames[i]!,
      ...(partitions === 1
        ? {}
        : {
            filter: (e: StoredEvent) => partitionOf(partitionKey(e), partitions) === i && (!only || only(e)),
          }),
      requireCheckpoint: true, // stored with the layout; gone means a rebuild retired this layout
      // Members judge progress and hand partitions over by the stored checkpoints: store every page.
      skippedCheckpointMs: o.processor.skippedCheckpointMs ?? 0,
      lease: o.processor.lease === false ? false : { ...o.processor.lease, owner: this.member },
    });
    processor.on('processor:caught_up', (info) => this.emit('processor:caught_up', info));
    processor.on('processor:lag', (lag) => this.emit('processor:lag', lag));
    processor.on('processor:dead_lettered', (info) => this.emit('processor:dead_lettered', info));
    processor.on('processor:batch', (info) => this.emit('processor:batch', info));
    processor.on('processor:lease_acquired', (info) => this.emit('processor:lease_acquired', info));
    processor.on('processor:lease_lost', (info) => this.emit('processor:lease_lost', info));
    processor.on('processor:retry', (info) => this.emit('processor:retry', info));
    processor.on('processor:commit_recovered', (info) => this.emit('processor:commit_recovered', info));
    processor.on('error', (err) => {
      this.emit('error', err); // the partition logged it already
      if (err instanceof ProcessorRetiredError) void this.stop();
    });
    return processor;
  }

  /** Log (at `error`) and emit a failure of this instance's own (membership) work. */
  #fail(err: unknown, msg: string): void {
    this.#o.resolved.logger.error({ component: `processor:${this.name}`, err }, msg);
    this.emit('error', err);
  }

  /** Wait until one of this instance's partitions commits a batch, or `ms`. */
  #progress(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.off('processor:batch', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.on('processor:batch', done);
    });
  }
}
