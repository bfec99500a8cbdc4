/**
 * Admission control of webhook intake: refuse early, cheaply and with a typed
 * answer when the pipeline behind the receivers is behind, so the webhooks
 * that are accepted keep a bounded webhook→dashboard latency and the refused
 * ones are redelivered by their sender (TikTok retries for up to 72 h; the
 * notification id's idempotency key makes redelivery safe).
 *
 * The decision is taken before anything is read or written: a refused
 * webhook leaves nothing behind. Timer-free: the owner calls `observe` every
 * interval with the signals (the engine does, see `docs/ingestion.md`).
 */
import { EventEmitter } from 'node:events';
import { InvalidArgumentError } from '../core/errors.js';
import { nextAdmissionRate, type AdmissionRateSettings, type PressureSignal } from './admission-rate.js';

/** Why a webhook was refused. */
export type AdmissionRefusalReason = PressureSignal | 'concurrency';

/** Every refusal reason (metric labels, docs). */
export const ADMISSION_REFUSAL_REASONS: readonly AdmissionRefusalReason[] = Object.freeze([
  'pipeline_lag',
  'event_loop_delay',
  'concurrency',
]);

/**
 * Settings of {@link AdmissionControl}; every field has a default.
 *
 * @example
 * ```ts
 * const options: AdmissionOptions = { targetLagMs: 500, maxInFlight: 256 };
 * createSyncEngine({ sql, receivers, admission: options });
 * ```
 */
export interface AdmissionOptions {
  /** Processor lag (webhook → read model) above which intake is cut. Default 1,000 ms. */
  targetLagMs?: number;
  /** Event-loop delay (mean over an interval) above which intake is cut. Default 200 ms. */
  targetEventLoopDelayMs?: number;
  /** The rate is never cut below this, webhooks/s. Default 10. */
  minPerS?: number;
  /** Nor raised above this; also the starting rate. Default 10,000. */
  maxPerS?: number;
  /** Webhooks being handled at once (signature check, append) above which more are refused. Default 512. */
  maxInFlight?: number;
  /** How often the signals are sampled (by the engine). Default 250 ms. */
  sampleIntervalMs?: number;
  /** Health stays `degraded` this long after the last refusal. Default 10,000 ms. */
  degradedForMs?: number;
  /** Clock, ms (tests). Default `performance.now`. */
  now?: () => number;
}

/** What {@link AdmissionControl.observe} is given each interval. */
export interface AdmissionSignals {
  /** How far the slowest processor is behind the log's head, ms. */
  readonly lagMs: number;
  /** This process's event-loop delay over the interval (mean), ms. */
  readonly eventLoopDelayMs: number;
}

/** A webhook let in: call `release` once it is answered. */
export interface Admitted {
  readonly admitted: true;
  release(): void;
}

/** A webhook refused: answer 503 with `Retry-After: retryAfterS`. */
export interface Refused {
  readonly admitted: false;
  readonly reason: AdmissionRefusalReason;
  readonly retryAfterS: number;
}

/** The admission state, for health and metrics. */
export interface AdmissionStatus {
  /** `shedding` from a refusal until `degradedForMs` after the last one. */
  state: 'open' | 'shedding';
  /** Webhooks/s let in now. */
  ratePerS: number;
  /** Last sampled signals. */
  lagMs: number;
  eventLoopDelayMs: number;
  inFlight: number;
  /** Refusals since start, by reason. */
  refused: Record<AdmissionRefusalReason, number>;
}

/** Events of {@link AdmissionControl}. */
export interface AdmissionEvents {
  refused: [reason: AdmissionRefusalReason];
}

/** Resolved {@link AdmissionOptions}. */
export type AdmissionSettings = Required<Omit<AdmissionOptions, 'now'>>;

/**
 * Defaults of {@link AdmissionOptions}.
 *
 * @example
 * ```ts
 * ADMISSION_DEFAULTS.targetLagMs // 1000
 * ```
 */
export const ADMISSION_DEFAULTS: Readonly<AdmissionSettings> = Object.freeze({
  targetLagMs: 1000,
  targetEventLoopDelayMs: 200,
  minPerS: 10,
  maxPerS: 10_000,
  maxInFlight: 512,
  sampleIntervalMs: 250,
  degradedForMs: 10_000,
});

/** A burst of this many ms of the current rate may come in at once… */
const BURST_MS = 250;
/** …and never fewer than this many webhooks (a sender's retries after an outage come together). */
const MIN_BURST = 10;
/** The longest `Retry-After`, s. */
const MAX_RETRY_AFTER_S = 60;

/**
 * An adaptive admission limit: a token bucket whose rate follows the
 * pipeline's lag and the event loop's delay ({@link nextAdmissionRate}), and
 * a cap on webhooks in flight.
 *
 * @example
 * ```ts
 * const admission = new AdmissionControl({ targetLagMs: 1000 });
 * setInterval(() => admission.observe({ lagMs, eventLoopDelayMs }), 250);
 * const ticket = admission.admit();
 * if (!ticket.admitted) return refuse(503, ticket.retryAfterS);
 * try { await handle(); } finally { ticket.release(); }
 * ```
 */
export class AdmissionControl {
  readonly settings: Readonly<AdmissionSettings>;
  readonly events = new EventEmitter<AdmissionEvents>();
  readonly #now: () => number;
  readonly #rate: AdmissionRateSettings;
  #perS: number;
  #tokens: number;
  #refilledAt: number;
  #over: AdmissionRefusalReason = 'pipeline_lag';
  #signals: AdmissionSignals = { lagMs: 0, eventLoopDelayMs: 0 };
  #inFlight = 0;
  #admittedSinceSample = 0;
  #sampledAt: number;
  #lastRefusalAt = -Infinity;
  readonly #refused: Record<AdmissionRefusalReason, number> = {
    pipeline_lag: 0,
    event_loop_delay: 0,
    concurrency: 0,
  };

  constructor(options: AdmissionOptions = {}) {
    const { now, ...rest } = options;
    const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    this.settings = Object.freeze({ ...ADMISSION_DEFAULTS, ...defined });
    const s = this.settings;
    if (!(s.minPerS > 0 && s.maxPerS >= s.minPerS && s.targetLagMs > 0 && s.targetEventLoopDelayMs > 0)) {
      throw new InvalidArgumentError('admission: need 0 < minPerS ≤ maxPerS and positive targets');
    }
    this.#now = now ?? (() => performance.now());
    this.#rate = s;
    this.#perS = s.maxPerS;
    this.#tokens = this.#capacity();
    this.#refilledAt = this.#sampledAt = this.#now();
  }

  /** Let one webhook in, or say why not. Costs no I/O. */
  admit(): Admitted | Refused {
    if (this.#inFlight >= this.settings.maxInFlight) return this.#refuse('concurrency');
    this.#refill();
    if (this.#tokens < 1) return this.#refuse(this.#over);
    this.#tokens -= 1;
    this.#inFlight++;
    this.#admittedSinceSample++;
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        this.#inFlight--;
      },
    };
  }

  /** Feed one interval's signals: moves the rate (see {@link nextAdmissionRate}). */
  observe(signals: AdmissionSignals): void {
    const now = this.#now();
    const seconds = Math.max(1e-3, (now - this.#sampledAt) / 1000);
    const step = nextAdmissionRate(
      this.#perS,
      { ...signals, admittedPerS: this.#admittedSinceSample / seconds },
      this.#rate,
    );
    this.#refill();
    this.#perS = step.perS;
    this.#tokens = Math.min(this.#tokens, this.#capacity());
    if (step.over) this.#over = step.over;
    this.#signals = signals;
    this.#admittedSinceSample = 0;
    this.#sampledAt = now;
  }

  /** The state for health and metrics. */
  status(): AdmissionStatus {
    const shedding = this.#now() - this.#lastRefusalAt < this.settings.degradedForMs;
    return {
      state: shedding ? 'shedding' : 'open',
      ratePerS: Math.round(this.#perS * 10) / 10,
      lagMs: this.#signals.lagMs,
      eventLoopDelayMs: this.#signals.eventLoopDelayMs,
      inFlight: this.#inFlight,
      refused: { ...this.#refused },
    };
  }

  #capacity(): number {
    return Math.max(MIN_BURST, (this.#perS * BURST_MS) / 1000);
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.#capacity(), this.#tokens + ((now - this.#refilledAt) / 1000) * this.#perS);
    this.#refilledAt = now;
  }

  #refuse(reason: AdmissionRefusalReason): Refused {
    this.#refused[reason]++;
    this.#lastRefusalAt = this.#now();
    this.events.emit('refused', reason);
    // Long enough for the lag to drain at the current pace; at least a second.
    const lagS = reason === 'pipeline_lag' ? Math.ceil(this.#signals.lagMs / 1000) : 1;
    return { admitted: false, reason, retryAfterS: Math.min(MAX_RETRY_AFTER_S, Math.max(1, lagS)) };
  }
}
