/**
 * The demo's health monitor: every interval, measures the host's moving parts
 * and appends one `system.health_check_completed` per component, which the
 * commerce `system_health_metrics` read model folds (merging measurements and
 * judging them by its thresholds). The library measures what it owns (the
 * inventory sync run, TikTok API errors, sync failures); webhook latency,
 * read-model lag and saga outcomes are host signals, so the host reports them.
 * Only changes (status, or the headline moving by more than 10 %) are
 * written, plus a refresh every 15 s, so a quiet system writes little.
 */
import { commerceEvent, type HealthComponent } from '@creatorflow/sync/commerce';
import { componentHealth, type ComponentHealth } from '@creatorflow/sync/commerce';
import type { EngineWorker } from '@creatorflow/sync';

/** Counters the host feeds. */
export class HostSignals {
  /** Moving averages of webhook latency and of the share of failed webhooks. */
  webhooks = { latencyMs: 0, failureRate: 0, seen: 0 };
  inventoryPoll = { lastOkAt: 0 };
  sagas = { completed: 0, failed: 0 };

  /** Record a webhook response (a refused signature counts as a failure). */
  webhook(status: number, ms: number): void {
    const failed = status >= 500 || status === 401 || status === 0 ? 1 : 0;
    const w = this.webhooks;
    // Exponential moving averages: recent webhooks count most, and failures fade out.
    w.latencyMs = w.seen === 0 ? ms : w.latencyMs * 0.9 + ms * 0.1;
    w.failureRate = w.seen === 0 ? failed : w.failureRate * 0.9 + failed * 0.1;
    w.seen++;
  }
}

/** One component's reading, graded by the commerce thresholds. */
export interface Reading extends ComponentHealth {
  component: HealthComponent;
  /** The headline measurement first (the dashboard shows it). */
  measurements: Record<string, number>;
}

/** What the host measures besides {@link HostSignals}. */
export interface EngineReadings {
  /** Largest read-model lag, ms. */
  lagMs: number;
  /** Events the read models still have to apply plus sagas running. */
  queueDepth: number;
}

const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Measure and grade every component (pure, exported for tests).
 *
 * @example
 * ```ts
 * readHealth(signals, { lagMs: 120, queueDepth: 3 }, Date.now());
 * ```
 */
export function readHealth(signals: HostSignals, engine: EngineReadings, now: number): Reading[] {
  const w = signals.webhooks;
  const s = signals.sagas;
  const lastPoll = signals.inventoryPoll.lastOkAt;
  const measured: [HealthComponent, Record<string, number>][] = [
    [
      'tiktok_api',
      { webhook_latency_ms: round(w.latencyMs), connection_health: round(1 - w.failureRate, 4) },
    ],
    ['order_processing', { processing_latency_ms: round(engine.lagMs), queue_depth: engine.queueDepth }],
    ['inventory_sync', { sync_delay_ms: lastPoll === 0 ? 0 : Math.max(0, now - lastPoll) }],
    [
      'automation_health',
      { success_rate: s.completed + s.failed === 0 ? 1 : round(s.completed / (s.completed + s.failed), 4) },
    ],
  ];
  return measured.map(([component, measurements]) => ({
    component,
    measurements,
    ...componentHealth(component, measurements),
  }));
}

/** Options of {@link healthMonitorWorker}. */
export interface HealthMonitorOptions {
  signals: HostSignals;
  creatorIds: readonly string[];
  engine: () => Promise<EngineReadings>;
  /** Default 1,000 ms. */
  intervalMs?: number;
}

/**
 * Create the worker.
 *
 * @example
 * ```ts
 * healthMonitorWorker({ signals, creatorIds: ['c1'], engine: async () => ({ lagMs: 0, queueDepth: 0 }) });
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
        const readings = readHealth(options.signals, await options.engine(), now);
        const events = [];
        for (const creatorId of options.creatorIds) {
          for (const r of readings) {
            const value = Object.values(r.measurements)[0] ?? 0;
            const key = `${creatorId}:${r.component}`;
            const prev = last.get(key);
            // Fractions (rates, shares) move in hundredths, counts and durations in units.
            const floor = Math.abs(value) <= 1 ? 0.005 : 1;
            const moved =
              prev === undefined ||
              Math.abs(value - prev.value) > Math.max(floor, Math.abs(prev.value) * 0.1);
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
