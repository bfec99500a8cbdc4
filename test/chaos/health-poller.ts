/**
 * Polls every host's `/healthz` and records each change of what it says
 * (`ok`, `degraded`, `down`, or `unreachable` when it does not answer), so the
 * checker can tell whether health went degraded during a fault and came back.
 */
import type { HistoryWriter } from './history.js';

/** What one poll saw. */
export interface HealthSample {
  status: string;
  http: number;
}

/**
 * One `/healthz` call; never throws.
 *
 * @example
 * ```ts
 * const { status } = await fetchHealth('http://127.0.0.1:3000');
 * ```
 */
export async function fetchHealth(url: string, timeoutMs = 2000): Promise<HealthSample> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await response.json().catch(() => ({}))) as { status?: unknown };
    return { status: typeof body.status === 'string' ? body.status : 'unknown', http: response.status };
  } catch {
    return { status: 'unreachable', http: 0 };
  }
}

/**
 * @example
 * ```ts
 * const poller = new HealthPoller(cluster, history);
 * poller.start(); … poller.stop();
 * ```
 */
export class HealthPoller {
  readonly #hosts: { readonly size: number; url(index: number): string };
  readonly #history: HistoryWriter;
  readonly #last: (string | undefined)[] = [];
  #timer: NodeJS.Timeout | null = null;
  #polling = false;

  constructor(hosts: { readonly size: number; url(index: number): string }, history: HistoryWriter) {
    this.#hosts = hosts;
    this.#history = history;
  }

  start(intervalMs = 500): void {
    this.#timer ??= setInterval(() => void this.poll(), intervalMs);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Poll every host once (skipped while the previous round runs); returns the statuses. */
  async poll(): Promise<string[]> {
    if (this.#polling) return this.#last.map((s) => s ?? 'unknown');
    this.#polling = true;
    try {
      const samples = await Promise.all(
        Array.from({ length: this.#hosts.size }, (_, i) => fetchHealth(this.#hosts.url(i))),
      );
      samples.forEach((sample, host) => {
        if (this.#last[host] === sample.status) return;
        this.#last[host] = sample.status;
        this.#history.record({ type: 'health', host, ...sample });
      });
      return samples.map((s) => s.status);
    } finally {
      this.#polling = false;
    }
  }
}
