/**
 * Realtime clients of a chaos run (the library's client, over SSE and
 * WebSocket, spread over the hosts), and the end-of-run comparison of each
 * copy with the server's rows. The copies must converge: a delta lost across a
 * restart or a reconnect would leave a copy different for good.
 */
import WebSocket from 'ws';
import {
  connectRealtime,
  type ClientWebSocketConstructor,
  type RealtimeClient,
} from '../../src/client/index.js';
import type { Row } from '../../src/core/row-change.js';
import { COMMERCE_CHANNELS } from '../../src/commerce/channels.js';
import { diffRows, sameRows } from './checker/diff-rows.js';
import type { ClientRecord } from './history.js';

/** One client to run. */
export interface ObserverSpec {
  name: string;
  host: number;
  transport: 'sse' | 'websocket';
  channel: string;
  filter?: string;
}

/** The server's rows of a channel (for the demo creator), as a snapshot reads them. */
export type ServerRows = (channel: string, filter: string | undefined) => Promise<Row[]>;

const CHANNEL_PLAN: readonly { channel: string; filter?: string }[] = [
  { channel: 'order_metrics' },
  { channel: 'inventory_alerts', filter: 'status=eq.active' },
  { channel: 'daily_revenue_metrics' },
  { channel: 'sync_operations' },
  { channel: 'system_health_metrics' },
  { channel: 'inventory_alerts', filter: 'severity=in.(warning,critical)' },
];

/**
 * Two clients per host (SSE and WebSocket), channels rotated so every channel is watched.
 *
 * @example
 * ```ts
 * const specs = observerPlan(3); // 6 clients
 * ```
 */
export function observerPlan(hosts: number): ObserverSpec[] {
  const specs: ObserverSpec[] = [];
  for (let i = 0; i < hosts * 2; i++) {
    const plan = CHANNEL_PLAN[i % CHANNEL_PLAN.length]!;
    const transport = i % 2 === 0 ? 'sse' : 'websocket';
    specs.push({
      name: `${transport}-${i}-${plan.channel}`,
      host: Math.floor(i / 2) % hosts,
      transport,
      ...plan,
    });
  }
  return specs;
}

/** Running clients. */
export class RealtimeObservers {
  readonly #clients: { spec: ObserverSpec; client: RealtimeClient }[];

  constructor(specs: readonly ObserverSpec[], url: (host: number) => string) {
    this.#clients = specs.map((spec) => {
      const base = url(spec.host);
      const endpoint =
        spec.transport === 'sse' ? `${base}/realtime/sse` : `${base.replace(/^http/, 'ws')}/realtime/ws`;
      const client = connectRealtime({
        url: endpoint,
        channel: spec.channel,
        ...(spec.filter ? { filter: spec.filter } : {}),
        // Hosts come back within seconds: do not let backoff outgrow the run.
        backoff: { initialMs: 250, maxMs: 3000 },
        WebSocket: WebSocket as unknown as ClientWebSocketConstructor,
      });
      return { spec, client };
    });
  }

  /**
   * Compare every copy with the server's rows until all are equal or `timeoutMs`
   * passed (deltas are throttled per channel, up to 5 s); one record per client.
   */
  async compare(serverRows: ServerRows, timeoutMs: number, t: () => number): Promise<ClientRecord[]> {
    const deadline = Date.now() + timeoutMs;
    const pending = new Map(this.#clients.map((c) => [c.spec.name, c]));
    const records = new Map<string, ClientRecord>();
    for (;;) {
      for (const [name, { spec, client }] of pending) {
        const source = await serverRows(spec.channel, spec.filter);
        const keyColumns = keyColumnsOf(spec.channel);
        const rows = client.table.rows();
        const converged = sameRows(diffRows(rows, source, keyColumns));
        records.set(name, {
          type: 'client',
          t: t(),
          ...spec,
          cursor: client.cursor,
          state: stateOf(client),
          rows,
          serverRows: source,
          keyColumns,
          stats: { ...client.stats },
          converged,
        });
        if (converged) pending.delete(name);
      }
      if (pending.size === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    return [...records.values()];
  }

  close(): void {
    for (const { client } of this.#clients) client.close();
  }
}

function keyColumnsOf(channel: string): string[] {
  const def = COMMERCE_CHANNELS.find((c) => c.name === channel);
  if (!def) throw new Error(`unknown channel ${channel}`);
  return [...def.keyColumns];
}

function stateOf(client: RealtimeClient): string {
  let state = 'unknown';
  client.state$.subscribe((s) => (state = s)).unsubscribe();
  return state;
}
