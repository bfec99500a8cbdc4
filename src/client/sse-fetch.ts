/**
 * Server-Sent Events over `fetch` streaming (browser, Node ≥ 18): the
 * response's refusal as an error (fatal for a 4xx a retry cannot fix), and
 * its frames as envelopes. Browser-safe.
 */
import { type Envelope, decodeEnvelope } from '../core/envelope.js';
import { parseRetryAfter } from './backoff.js';
import { SseParser } from './sse-parser.js';

/**
 * A refusal a retry cannot fix (4xx other than 408/429): the client stops.
 *
 * @example
 * ```ts
 * if (client.lastError instanceof FatalConnectionError) console.warn(client.lastError.code);
 * ```
 */
export class FatalConnectionError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  constructor(status: number, message: string, code?: string) {
    super(message);
    this.name = 'FatalConnectionError';
    this.status = status;
    this.code = code;
  }
}

/**
 * HTTP / close statuses a retry cannot fix.
 *
 * @example
 * ```ts
 * isFatalStatus(400) // true; isFatalStatus(429) // false
 * ```
 */
export function isFatalStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/**
 * The error for a response that is not 200, and its `Retry-After` in ms.
 *
 * @example
 * ```ts
 * if (!res.ok) { const { error, retryAfterMs } = await refusalOf(res); throw error; }
 * ```
 */
export async function refusalOf(res: Response): Promise<{ error: Error; retryAfterMs: number | null }> {
  const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
  const text = await res.text().catch(() => '');
  let code: string | undefined;
  try {
    // A problem+json body carries `code`; older servers sent `{ error: { code } }`.
    const body = JSON.parse(text) as { code?: unknown; error?: { code?: string } };
    code = typeof body.code === 'string' ? body.code : body.error?.code;
  } catch {
    code = undefined;
  }
  const error = isFatalStatus(res.status)
    ? new FatalConnectionError(res.status, `HTTP ${res.status}: ${text}`, code)
    : new Error(`HTTP ${res.status}`);
  return { error, retryAfterMs };
}

/**
 * Read an event stream to its end, handing every envelope to `onEnvelope`.
 *
 * @example
 * ```ts
 * await readEnvelopes(res.body, (envelope) => receive(envelope));
 * ```
 */
export async function readEnvelopes(
  body: ReadableStream<Uint8Array>,
  onEnvelope: (envelope: Envelope) => void,
): Promise<void> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const event of parser.push(decoder.decode(value, { stream: true }))) {
        if (event.data === '') continue;
        onEnvelope(decodeEnvelope(event.data));
      }
    }
  } finally {
    reader.releaseLock?.();
  }
}
