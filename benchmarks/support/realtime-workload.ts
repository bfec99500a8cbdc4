/**
 * The realtime benchmarks' workload: four dashboard channels, one user's ten
 * subscriptions, and a deterministic stream of row changes stamped with their
 * commit time (so a client can measure commit-to-client latency).
 */
import type { ChannelDefinition } from '../../src/realtime/channels.js';
import type { MemoryReadModel } from '../../src/realtime/memory-read-model.js';
import { nowMs } from './stats.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The dashboard's channels, throttles off so the coalescing window is what is measured. */
export const CHANNELS: ChannelDefinition[] = [
  {
    name: 'order_metrics',
    keyColumns: ['creator_id'],
    tenantColumn: 'creator_id',
    filterableColumns: ['active_orders'],
    throttleMs: 0,
  },
  {
    name: 'inventory_alerts',
    keyColumns: ['creator_id', 'sku'],
    tenantColumn: 'creator_id',
    filterableColumns: ['severity', 'stock'],
    throttleMs: 0,
  },
  {
    name: 'system_health_metrics',
    keyColumns: ['creator_id', 'metric'],
    tenantColumn: 'creator_id',
    filterableColumns: ['metric', 'status'],
    throttleMs: 0,
  },
  {
    name: 'sync_operations',
    keyColumns: ['creator_id', 'operation_id'],
    tenantColumn: 'creator_id',
    filterableColumns: ['status'],
    throttleMs: 0,
  },
];

/** Ten subscriptions of one dashboard user. */
export const SUBSCRIPTIONS: { channel: string; filter?: string }[] = [
  { channel: 'order_metrics' },
  { channel: 'inventory_alerts' },
  { channel: 'inventory_alerts', filter: 'severity=eq.critical' },
  { channel: 'inventory_alerts', filter: 'stock=lt.10' },
  { channel: 'inventory_alerts', filter: 'sku=in.(S1,S2)' },
  { channel: 'system_health_metrics' },
  { channel: 'system_health_metrics', filter: 'status=neq.ok' },
  { channel: 'system_health_metrics', filter: 'metric=eq.cpu' },
  { channel: 'sync_operations' },
  { channel: 'sync_operations', filter: 'status=eq.failed' },
];

/** One random row change for creator `c`, stamped with its commit time. */
export function randomChange(model: MemoryReadModel, random: () => number, c: string, opSeq: number): void {
  const t = nowMs();
  const pick = random();
  if (pick < 0.25) {
    model.upsert('order_metrics', { creator_id: c, active_orders: Math.floor(random() * 50), t });
  } else if (pick < 0.5) {
    const stock = Math.floor(random() * 40);
    model.upsert('inventory_alerts', {
      creator_id: c,
      sku: `S${Math.floor(random() * 8)}`,
      stock,
      severity: stock < 5 ? 'critical' : stock < 15 ? 'warning' : 'ok',
      t,
    });
  } else if (pick < 0.75) {
    model.upsert('system_health_metrics', {
      creator_id: c,
      metric: ['cpu', 'lag', 'errors'][Math.floor(random() * 3)]!,
      status: random() < 0.8 ? 'ok' : 'warning',
      value: Math.round(random() * 1000),
      t,
    });
  } else {
    model.upsert('sync_operations', {
      creator_id: c,
      operation_id: `op${opSeq % 20}`,
      status: random() < 0.1 ? 'failed' : 'done',
      t,
    });
  }
}

/** Write `rate` changes per second until `until` returns true (catching up on timer drift). */
export async function drive(rate: number, seconds: number, step: (i: number) => void): Promise<number> {
  const start = nowMs();
  let done = 0;
  while (nowMs() - start < seconds * 1000) {
    const due = Math.floor(((nowMs() - start) / 1000) * rate);
    while (done < due) step(done++);
    await sleep(5);
  }
  return done;
}
