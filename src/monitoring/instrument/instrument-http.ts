import type { HttpHandler } from '../../http/types.js';
import type { LibraryMetrics } from '../metrics/library-metrics.js';

/**
 * Wrap a webhook handler (`engine.ingest`) to record its latency and outcome
 * by status code and route (the path with provider names kept, ids dropped).
 * A handler that throws counts as `500` and the error goes on.
 *
 * @example
 * ```ts
 * app.use(expressAdapter(instrumentHttpHandler(engine.ingest, libraryMetrics(registry))));
 * ```
 */
export function instrumentHttpHandler(handler: HttpHandler, m: LibraryMetrics): HttpHandler {
  const wrapped: HttpHandler = async (req) => {
    const started = performance.now();
    let code = '500';
    try {
      const res = await handler(req);
      code = String(res.status);
      return res;
    } finally {
      const labels = { route: req.path, code };
      m.webhookRequests.inc(labels);
      m.webhookDuration.observe(labels, (performance.now() - started) / 1000);
    }
  };
  if (handler.maxBodyBytes) wrapped.maxBodyBytes = handler.maxBodyBytes;
  return wrapped;
}
