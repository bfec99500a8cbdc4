/**
 * What the host-process tests ask a running host.
 */
import type { HostHealth } from '../../examples/shared/host-health.js';

/**
 * `GET /healthz` of a host: HTTP status and typed body (30 s bound: a health
 * answer must never hang, whatever is down).
 *
 * @example
 * ```ts
 * const { code, body } = await fetchHealth(host.url);
 * ```
 */
export async function fetchHealth(url: string): Promise<{ code: number; body: HostHealth }> {
  const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(30_000) });
  return { code: res.status, body: (await res.json()) as HostHealth };
}
