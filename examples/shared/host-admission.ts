/**
 * The example hosts' webhook admission (docs/ingestion.md, "Overload"), off
 * by default: `ADMISSION=on` turns it on; `ADMISSION_TARGET_LAG_MS`,
 * `ADMISSION_TARGET_LOOP_DELAY_MS`, `ADMISSION_MIN_PER_S` and
 * `ADMISSION_MAX_IN_FLIGHT` move its targets and bounds. Off because, measured
 * at 500 webhooks/s on two cores, it cut the accepted rate (152 → 39/s) without
 * bounding the accepted webhooks' latency: they queue before the handler.
 */
import type { AdmissionOptions } from '@creatorflow/sync/ingest';

type Env = Readonly<Record<string, string | undefined>>;

const NUMBERS = {
  ADMISSION_TARGET_LAG_MS: 'targetLagMs',
  ADMISSION_TARGET_LOOP_DELAY_MS: 'targetEventLoopDelayMs',
  ADMISSION_MIN_PER_S: 'minPerS',
  ADMISSION_MAX_IN_FLIGHT: 'maxInFlight',
} as const satisfies Record<string, keyof AdmissionOptions>;

/**
 * The engine's `admission` option from the environment; throws on a value
 * that is not a positive number.
 *
 * @example
 * ```ts
 * admissionFromEnv({ ADMISSION: 'on', ADMISSION_TARGET_LAG_MS: '500' }) // { targetLagMs: 500 }
 * admissionFromEnv({})                                                // false
 * ```
 */
export function admissionFromEnv(env: Env = process.env): AdmissionOptions | false {
  const flag = env.ADMISSION?.toLowerCase();
  if (flag !== 'on' && flag !== '1' && flag !== 'true') return false;
  const options: Record<string, number> = {};
  for (const [name, key] of Object.entries(NUMBERS)) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    const value = Number(text);
    if (!(Number.isFinite(value) && value > 0)) throw new Error(`${name} must be a positive number`);
    options[key] = value;
  }
  return options as AdmissionOptions;
}
