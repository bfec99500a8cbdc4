/**
 * The fake providers' record of every side effect, for checkers: per
 * provider, operation and idempotency key, how many times it was requested
 * and how many times it acted. A repeated key returns the first result and
 * does not act again; a request that arrives while the first one with its
 * key is still running waits for it instead of acting in parallel.
 */

/** One idempotency key's history. */
export interface LedgerEntry {
  provider: string;
  operation: string;
  idempotencyKey: string;
  /** What the side effect was about (`orderId`, `creatorId`, amounts). */
  subject: Record<string, unknown>;
  /** Requests that carried this key. */
  requested: number;
  /** Times the side effect happened (1 when all is well; 0 when every attempt failed). */
  acted: number;
  firstRequestedAt: string;
}

/** The same key came with a different request: refused, as real providers do. */
export class IdempotencyKeyReusedError extends Error {
  constructor(key: string) {
    super(`idempotency key ${key} was used with a different request`);
    this.name = 'IdempotencyKeyReusedError';
  }
}

interface Slot {
  entry: LedgerEntry;
  fingerprint: string;
  result?: unknown;
  inFlight?: Promise<unknown> | undefined;
}

/**
 * Idempotent execution and the ledger.
 *
 * @example
 * ```ts
 * const ledger = new ProviderLedger();
 * const payment = await ledger.once('payment', 'charge', key, { orderId }, () => charge());
 * ledger.entries(); // [{ provider: 'payment', operation: 'charge', requested: 1, acted: 1, … }]
 * ```
 */
export class ProviderLedger {
  readonly #slots = new Map<string, Slot>();

  /**
   * Run `act` once per (provider, operation, key): the first success is kept
   * and returned to every later request; a failure (nothing happened) lets
   * the next request try again.
   */
  async once<T>(
    provider: string,
    operation: string,
    idempotencyKey: string,
    subject: Record<string, unknown>,
    act: () => Promise<T>,
  ): Promise<T> {
    const id = JSON.stringify([provider, operation, idempotencyKey]);
    // Compared as parameters, as real providers do: not by the JSON text's key order.
    const fingerprint = canonicalJson(subject);
    let slot = this.#slots.get(id);
    if (!slot) {
      slot = {
        fingerprint,
        entry: {
          provider,
          operation,
          idempotencyKey,
          subject,
          requested: 0,
          acted: 0,
          firstRequestedAt: new Date().toISOString(),
        },
      };
      this.#slots.set(id, slot);
    }
    slot.entry.requested++;
    if (slot.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError(idempotencyKey);
    for (;;) {
      if (slot.entry.acted > 0) return slot.result as T;
      if (!slot.inFlight) break;
      await slot.inFlight.catch(() => undefined);
    }
    const attempt = act();
    slot.inFlight = attempt;
    try {
      const result = await attempt;
      slot.result = result;
      slot.entry.acted++;
      return result;
    } finally {
      slot.inFlight = undefined;
    }
  }

  /** The kept result of a key that acted, or undefined when it never did. */
  result(provider: string, operation: string, idempotencyKey: string): unknown {
    const slot = this.#slots.get(JSON.stringify([provider, operation, idempotencyKey]));
    return slot && slot.entry.acted > 0 ? slot.result : undefined;
  }

  /** Every key seen, in first-request order (copies). */
  entries(): LedgerEntry[] {
    return [...this.#slots.values()].map((s) => ({ ...s.entry, subject: { ...s.entry.subject } }));
  }
}

/** JSON with every object's keys sorted, so two equal requests compare equal. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}
