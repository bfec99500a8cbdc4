/** Helpers of the realtime tests: a model, a hub fed window by window, clients that keep tables. */
import { LiveTable } from '../../src/client/live-table.js';
import type { Row, RowChange } from '../../src/core/row-change.js';
import { compareCheckpoints } from '../../src/core/checkpoint.js';
import { type ChannelDefinition, defineChannels } from '../../src/realtime/channels.js';
import type { Envelope } from '../../src/core/envelope.js';
import { matchesFilter, parseFilter } from '../../src/realtime/filter.js';
import { foldChanges } from '../../src/realtime/fold.js';
import { type RealtimeHub, type RealtimeHubOptions, createRealtimeHub } from '../../src/realtime/hub.js';
import { MemoryReadModel } from '../../src/realtime/memory-read-model.js';
import type { Authorization, Snapshot, SnapshotPort, SubscriptionRequest } from '../../src/realtime/types.js';

export const CHANNELS: readonly ChannelDefinition[] = [
  {
    name: 'inventory_alerts',
    keyColumns: ['creator_id', 'sku'],
    tenantColumn: 'creator_id',
    filterableColumns: ['severity', 'stock'],
    throttleMs: 0,
  },
];
export const inventory = defineChannels(CHANNELS).get('inventory_alerts')!;

/** One unthrottled channel keyed by creator, for the transport tests. */
export const ORDER_METRICS: readonly ChannelDefinition[] = [
  {
    name: 'order_metrics',
    keyColumns: ['creator_id'],
    tenantColumn: 'creator_id',
    filterableColumns: [],
    throttleMs: 0,
  },
];

/** A hub without a live feed: the test decides when a window closes (`flush`). */
export function harness(
  all: Partial<RealtimeHubOptions> & { holdSnapshots?: boolean; positionReader?: boolean } = {},
) {
  // The hub refuses options it does not know: the harness's own stay here.
  const { holdSnapshots, positionReader, ...options } = all;
  const model = new MemoryReadModel(CHANNELS);
  let window: RowChange[] = [];
  model.changes.subscribe((c) => window.push(c));
  const held: (() => void)[] = [];
  const take: SnapshotPort = (channel, filter, tenantIds) =>
    holdSnapshots
      ? new Promise<Snapshot>((resolve) =>
          held.push(() => resolve(model.snapshot(channel, filter, tenantIds))),
        )
      : model.snapshot(channel, filter, tenantIds);
  const hub: RealtimeHub = createRealtimeHub({
    channels: CHANNELS,
    heartbeatMs: 0,
    snapshot: positionReader ? Object.assign(take, { position: model.snapshot.position }) : take,
    ...options,
  });
  /** Fold what changed since the last flush without fanning it out (a batch another process publishes). */
  const takeBatch = () => {
    const changes = window;
    window = [];
    return foldChanges(inventory, changes);
  };
  return {
    model,
    hub,
    /** Close the current window: fold and fan out what changed since the last flush. */
    flush() {
      const batch = takeBatch();
      if (batch) hub.ingest(batch);
    },
    takeBatch,
    /** Let the held snapshots be taken now. */
    releaseSnapshots() {
      for (const release of held.splice(0)) release();
    },
  };
}

/** A client that keeps a table and checks it never receives a duplicate or goes back. */
export class TestClient {
  readonly table = new LiveTable();
  readonly received: Envelope[] = [];
  handle: { close(): void; drained(): void } | null = null;
  writable = true;
  violations: string[] = [];
  #last: string | null = null;

  constructor(
    readonly hub: RealtimeHub,
    readonly auth: Authorization,
    readonly request: Omit<SubscriptionRequest, 'cursor'>,
  ) {}

  connect(): void {
    this.#last = this.table.cursor;
    this.handle = this.hub.subscribe({ ...this.request, cursor: this.table.cursor }, this.auth, {
      write: (envelope) => {
        this.received.push(envelope);
        if (envelope.type === 'data') {
          if (this.#last !== null && compareCheckpoints(envelope.cursor!, this.#last) <= 0) {
            this.violations.push(`duplicate ${envelope.cursor} after ${this.#last}`);
          }
          this.#last = envelope.cursor;
        } else if (envelope.type === 'reset') this.#last = envelope.cursor;
        this.table.apply(envelope);
        return this.writable;
      },
    });
  }

  disconnect(): void {
    this.handle?.close();
    this.handle = null;
  }

  /** What the table should hold: the model's rows this client may see. */
  expected(model: MemoryReadModel): Row[] {
    const filter = parseFilter(inventory, this.request.filter);
    return model
      .rows('inventory_alerts')
      .filter((r) => this.auth.tenantIds.includes(String(r.creator_id)) && matchesFilter(filter, r));
  }
}

/** Rows sorted for comparison. */
export function sorted(rows: Row[]): Row[] {
  return [...rows].sort((a, b) =>
    JSON.stringify([a.creator_id, a.sku]).localeCompare(JSON.stringify([b.creator_id, b.sku])),
  );
}

/** Let promise callbacks (snapshots) run. */
export const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
