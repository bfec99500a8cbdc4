/**
 * The health monitor worker: every interval, measures the host's moving
 * parts and appends one `system.health_check_completed` per component and
 * creator, which the `system_health_metrics` read model folds. Only changes
 * (status, or a value moving by more than 10 %) are written, plus a refresh
 * every 15 s, so a quiet system writes little.
 */
import {
  commerceEvent,
  type HealthComponent,
  type HealthStatus,
} from '../../../src/commerce/events/index.js';
import type { EngineWorker } from '../../../src/engine.js';

/** Counters the host feeds. */
export class HostSignals {
  webhooks = { ok: 0, failed: 0, latencyMs: 0 };
  inventorySync = { lastOkAt: 0, failures: 0 };
  sagas = { completed: 0, failed: 0 };

  /** Record a webhook response. */
  webhook(status: number, ms: number): void {
    if (status >= 500 || status === 401 || status === 0) this.webhooks.failed++;
    else this.webhooks.ok++;
    // Exponential moving average of latency.
    this.webhooks.latencyMs = this.webhooks.latencyMs === 0 ? ms : this.webhooks.latencyMs * 0.9 + ms * 0.1;
  }
}

/** One component's reading. */
export interface Reading {
  component: HealthComponent;
  status: HealthStatus;
  /** The headline measurement first. */
  measurements: Record<string, number>;
}

const grade = (value: number, warning: number, critical: number, higherIsWorse = true): HealthStatus => {
  const bad = (limit: number) => (higherIsWorse ? value >= limit : value <= limit);
  return bad(critical) ? 'critical' : bad(warning) ? 'warning' : 'nominal';
};

/**
 * Grade the signals (pure, exported for tests).
 *
 * @example
 * ```ts
 * readHealth(signals, { lagMs: 120 }, Date.now());
 * ```
 */
export function readHealth(signals: HostSignals, engine: { lagMs: number }, now: number): Reading[] {
  const w = signals.webhooks;
  const failurePct = w.ok + w.failed === 0 ? 0 : (w.failed / (w.ok + w.failed)) * 100;
  const syncAgeMs = signals.inventorySync.lastOkAt === 0 ? 0 : now - signals.inventorySync.lastOkAt;
  const s = signals.sagas;
  const successPct = s.completed + s.failed === 0 ? 100 : (s.completed / (s.completed + s.failed)) * 100;
  const worst = (a: HealthStatus, b: HealthStatus): HealthStatus =>
    a === 'critical' || b === 'critical'
      ? 'critical'
      : a === 'warning' || b === 'warning'
        ? 'warning'
        : 'nominal';
  return [
    {
      component: 'tiktok_api',
      status: worst(grade(w.latencyMs, 500, 2000), grade(failurePct, 5, 20)),
      measurements: {
        webhook_latency_ms: Math.round(w.latencyMs),
        failure_pct: Math.round(failurePct * 10) / 10,
      },
    },
    {
      component: 'order_processing',
      status: grade(engine.lagMs, 2000, 10_000),
      measurements: { lag_ms: Math.round(engine.lagMs) },
    },
    {
      component: 'inventory_sync',
      status: grade(syncAgeMs, 10_000, 30_000),
      measurements: { sync_age_ms: Math.round(syncAgeMs) },
    },
    {
      component: 'automation_health',
      status: grade(successPct, 95, 80, false),
      measurements: { success_pct: Math.round(successPct * 10) / 10 },
    },
  ];
}

/** Options of {@link healthMonitorWorker}. */
export interface HealthMonitorOptions {
  signals: HostSignals;
  creatorIds: readonly string[];
  /** The largest read-model lag, ms. */
  lagMs: () => Promise<number>;
  /** Default 1,000 ms. */
  intervalMs?: number;
}

/**
 * Create the worker.
 *
 * @example
 * ```ts
 * healthMonitorWorker({ signals, creatorIds: ['c1'], lagMs: async () => 0 });
 * ```
 */
export function healthMonitorWorker(options: HealthMonitorOptions): EngineWorker {
  const last = new Map<string, { status: string; value: number; at: number }>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  return {
    name: 'health_monitor',
    start({ store }) {
      const check = async () => {
        const now = Date.now();
        const readings = readHealth(options.signals, { lagMs: await options.lagMs() }, now);
        const events = [];
        for (const creatorId of options.creatorIds) {
          for (const r of readings) {
            const value = Object.values(r.measurements)[0] ?? 0;
            const key = `${creatorId}:${r.component}`;
            const prev = last.get(key);
            const moved =
              prev === undefined || Math.abs(value - prev.value) > Math.max(1, Math.abs(prev.value) * 0.1);
            if (prev && prev.status === r.status && !moved && now - prev.at < 15_000) continue;
            last.set(key, { status: r.status, value, at: now });
            events.push(
              commerceEvent('system.health_check_completed', {
                component: r.component,
                status: r.status,
                measurements: r.measurements,
                checkedAt: new Date(now).toISOString(),
                creatorId,
              }),
            );
          }
        }
        if (events.length > 0) {
          await store.append('system-health', events, {
            aggregateType: 'system',
            metadata: { source: 'health_monitor' },
          });
        }
      };
      const loop = () => {
        running = check()
          .catch(() => undefined)
          .finally(() => {
            running = null;
            if (timer !== null) timer = setTimeout(loop, options.intervalMs ?? 1000);
          });
      };
      timer = setTimeout(loop, 0);
    },
    async stop() {
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}
