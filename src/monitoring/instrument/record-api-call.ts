import type { HttpHeaders } from '../../http/types.js';
import type { LibraryMetrics } from '../metrics/library-metrics.js';

const header = (headers: HttpHeaders | Headers, name: string): string | undefined => {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const v = (headers as HttpHeaders)[name];
  return Array.isArray(v) ? v[0] : (v as string | undefined);
};

/**
 * Record one external API call (TikTok, a carrier): latency and outcome by
 * code, and the rate-limit headroom its response headers announce
 * (`x-ratelimit-remaining` / `x-ratelimit-limit`). `status` 0 is a network failure.
 *
 * @example
 * ```ts
 * const started = performance.now();
 * const res = await fetch(url);
 * recordApiCall(instruments, { api: 'tiktok', status: res.status, durationMs: performance.now() - started, headers: res.headers });
 * ```
 */
export function recordApiCall(
  m: LibraryMetrics,
  call: { api: string; status: number; durationMs: number; headers?: HttpHeaders | Headers },
): void {
  const labels = { api: call.api, code: call.status === 0 ? 'network' : String(call.status) };
  m.apiRequests.inc(labels);
  m.apiDuration.observe(labels, call.durationMs / 1000);
  if (!call.headers) return;
  const remaining = Number(header(call.headers, 'x-ratelimit-remaining'));
  const limit = Number(header(call.headers, 'x-ratelimit-limit'));
  if (Number.isFinite(remaining) && Number.isFinite(limit) && limit > 0) {
    m.apiRateLimitHeadroom.set({ api: call.api }, Math.max(0, Math.min(1, remaining / limit)));
  }
}
