/**
 * Drives the simulator's fake shop: its notifications become signed webhooks
 * (the simulator's own builder) spread over the hosts, retried like TikTok
 * retries (same body, same signature, growing delays, another host each time).
 * Every attempt and its answer goes to the history — the checker's only
 * source for what was acknowledged.
 */
import { buildWebhook, type WebhookTarget } from '../../examples/simulator/webhook-sender.js';
import type { FakeShop, Notification } from '../../examples/simulator/fake-shop.js';
import type { HistoryWriter, WebhookAnswer } from './history.js';

/** Options of {@link WebhookDriver}. */
export interface WebhookDriverOptions {
  shop: FakeShop;
  /** Credentials (the `url` field is unused: each attempt picks a host). */
  target: Omit<WebhookTarget, 'url'>;
  hosts: { readonly size: number; url(index: number): string };
  history: HistoryWriter;
  /** Per attempt, ms. Default 10,000. */
  timeoutMs?: number;
  /** Attempts per webhook. Default 10 (about a minute of retries). */
  maxAttempts?: number;
  /** Webhooks (with their retries) in flight before ticks are skipped. Default 400. */
  maxInFlight?: number;
  tickMs?: number;
}

/** Counters of a run. */
export interface DriverStats {
  webhooks: number;
  attempts: number;
  acknowledged: number;
  /** Webhooks given up after the last attempt (or at the drain deadline). */
  abandoned: number;
  /** Ticks skipped because too much was in flight (the rate could not be held). */
  skippedTicks: number;
}

/** Delay before attempt `n + 1`, ms: 0.5, 1, 2, 4, then 8 s. */
const retryDelay = (attempt: number): number => Math.min(500 * 2 ** (attempt - 1), 8000);

/**
 * @example
 * ```ts
 * const driver = new WebhookDriver({ shop, target: DEMO_CREDENTIALS, hosts: cluster, history });
 * driver.start();
 * driver.stopGenerating(); await driver.drain(60_000);
 * ```
 */
export class WebhookDriver {
  readonly stats: DriverStats = { webhooks: 0, attempts: 0, acknowledged: 0, abandoned: 0, skippedTicks: 0 };
  readonly #o: Required<Omit<WebhookDriverOptions, 'shop' | 'target' | 'hosts' | 'history'>> &
    WebhookDriverOptions;
  /** One chain per order, so an order's webhooks arrive in order (retries included). */
  readonly #chains = new Map<string, Promise<void>>();
  readonly #inFlight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | null = null;
  #giveUp = false;

  constructor(options: WebhookDriverOptions) {
    this.#o = { timeoutMs: 10_000, maxAttempts: 10, maxInFlight: 400, tickMs: 100, ...options };
  }

  start(): void {
    this.#timer ??= setInterval(() => this.#tick(), this.#o.tickMs);
  }

  stopGenerating(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Wait for every webhook to be acknowledged or given up; false when the bound cut retries short. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#inFlight.size > 0) {
      if (Date.now() > deadline) {
        this.#giveUp = true;
        await Promise.allSettled([...this.#inFlight]);
        return false;
      }
      await Promise.race([Promise.allSettled([...this.#inFlight]), sleep(1000)]);
    }
    return true;
  }

  #tick(): void {
    const now = Date.now();
    if (this.#inFlight.size >= this.#o.maxInFlight) {
      this.stats.skippedTicks++;
      return this.#o.shop.skipTo(now);
    }
    for (const n of this.#o.shop.tick(now)) this.#enqueue(n, now);
  }

  #enqueue(n: Notification, now: number): void {
    const key = n.kind === 'product_status' ? `p:${n.product.id}` : n.order.id;
    const seq = this.stats.webhooks++;
    const request = buildWebhook({ ...this.#o.target, url: '' }, n, now);
    const next = (this.#chains.get(key) ?? Promise.resolve()).then(() => this.#deliver(seq, n, request));
    this.#chains.set(key, next);
    this.#inFlight.add(next);
    void next.finally(() => {
      this.#inFlight.delete(next);
      if (this.#chains.get(key) === next) this.#chains.delete(key);
    });
  }

  async #deliver(seq: number, n: Notification, request: ReturnType<typeof buildWebhook>): Promise<void> {
    const kind = n.kind === 'tracking' ? 'shipping' : 'tiktok';
    const id =
      kind === 'shipping'
        ? request.headers['webhook-id']!
        : (JSON.parse(request.body) as { tts_notification_id: string }).tts_notification_id;
    for (let attempt = 1; attempt <= this.#o.maxAttempts && !this.#giveUp; attempt++) {
      if (attempt > 1) await sleep(retryDelay(attempt - 1));
      const host = (seq + attempt - 1) % this.#o.hosts.size;
      const t = this.#o.history.now();
      const started = performance.now();
      this.stats.attempts++;
      const result = await post(new URL(request.path, this.#o.hosts.url(host)), request, this.#o.timeoutMs);
      const ms = Math.round(performance.now() - started);
      this.#o.history.record({ type: 'webhook', t, id, kind, host, attempt, ms, ...result });
      if (result.status >= 200 && result.status < 300) {
        this.stats.acknowledged++;
        return;
      }
    }
    this.stats.abandoned++;
  }
}

async function post(
  url: URL,
  request: ReturnType<typeof buildWebhook>,
  timeoutMs: number,
): Promise<{ status: number; answer?: WebhookAnswer; error?: string }> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    const answer = parseAnswer(text);
    return { status: response.status, ...(answer ? { answer } : {}) };
  } catch (err) {
    return { status: 0, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

/** The receiver's answer (`status`, `duplicate`, `events`), or the problem's `code` as status. */
function parseAnswer(text: string): WebhookAnswer | undefined {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const status = typeof body.status === 'string' ? body.status : body.code;
    return {
      ...(typeof status === 'string' ? { status } : {}),
      ...(typeof body.duplicate === 'boolean' ? { duplicate: body.duplicate } : {}),
      ...(typeof body.events === 'number' ? { events: body.events } : {}),
    };
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
