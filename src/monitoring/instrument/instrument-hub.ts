import type { Observable } from 'rxjs';
import type { RowChange } from '../../core/row-change.js';
import type { RealtimeHub } from '../../realtime/hub-types.js';
import type { MessageSink } from '../../realtime/types.js';
import type { LibraryMetrics } from '../metrics/library-metrics.js';
import type { Metrics } from '../metrics/metrics-port.js';

/** How many recent (table, checkpoint) publish times are kept for delivery latency. */
const PUBLISHED_MEMORY = 10_000;

/**
 * Record realtime delivery latency — from a row change being published after
 * its commit (`changes`, the read models' feed) to the frame carrying it being
 * written to a connection — plus frames, resets, gaps and the hub's
 * subscription and queue gauges. `hub.subscribe` is decorated in place, so the
 * SSE and WebSocket handlers already holding the hub are measured. Returns a
 * function that undoes it.
 *
 * @example
 * ```ts
 * const stop = instrumentRealtimeHub(engine.hub, merge(...engine.readModels.map((r) => r.changes)), registry, m);
 * ```
 */
export function instrumentRealtimeHub(
  hub: RealtimeHub,
  changes: Observable<RowChange>,
  metrics: Metrics,
  m: LibraryMetrics,
): () => void {
  const published = new Map<string, number>();
  const feed = changes.subscribe((change) => {
    const key = `${change.table}\u0000${change.checkpoint}`;
    if (published.has(key)) return;
    published.set(key, performance.now());
    if (published.size > PUBLISHED_MEMORY) published.delete(published.keys().next().value!);
  });
  const original = hub.subscribe;
  const subscribe: RealtimeHub['subscribe'] = (request, auth, sink) => {
    const table = hub.channels.get(request.channel)?.table ?? request.channel;
    const measured: MessageSink = {
      ...sink,
      write(envelope) {
        const ok = sink.write(envelope);
        m.realtimeFrames.inc({ channel: envelope.channel, type: envelope.type });
        if (envelope.type === 'data' && envelope.cursor !== null) {
          const at = published.get(`${table}\u0000${envelope.cursor}`);
          if (at !== undefined) {
            m.realtimeDelivery.observe({ channel: envelope.channel }, (performance.now() - at) / 1000);
          }
        }
        return ok;
      },
    };
    return original.call(hub, request, auth, measured);
  };
  (hub as { subscribe: RealtimeHub['subscribe'] }).subscribe = subscribe;
  const onReset = (info: { reason: string }) => m.realtimeResets.inc({ reason: info.reason });
  const onGap = () => m.realtimeGaps.inc();
  hub.events.on('realtime:reset', onReset);
  hub.events.on('realtime:gap', onGap);
  const stopCollect = metrics.onCollect(() => {
    const s = hub.stats();
    m.realtimeSubscriptions.set(undefined, s.subscriptions);
    m.realtimeQueued.set(undefined, s.queuedMessages);
    m.realtimeBuffered.set(undefined, s.bufferedBatches);
  });
  return () => {
    feed.unsubscribe();
    stopCollect();
    hub.events.off('realtime:reset', onReset);
    hub.events.off('realtime:gap', onGap);
    if (hub.subscribe === subscribe) (hub as { subscribe: RealtimeHub['subscribe'] }).subscribe = original;
  };
}
