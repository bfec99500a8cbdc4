/**
 * The example hosts' webhook admission (docs/ingestion.md, "Overload"), on
 * by default: `ADMISSION=off` turns it off; `ADMISSION_TARGET_LAG_MS`,
 * `ADMISSION_TARGET_LOOP_DELAY_MS`, `ADMISSION_MIN_PER_S` and
 * `ADMISSION_MAX_IN_FLIGHT` move its targets and bounds.
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
 * admissionFromEnv({ ADMISSION_TARGET_LAG_MS: '500' }) // { targetLagMs: 500 }
 * admissionFromEnv({ ADMISSION: 'off' })               // false
 * ```
 */
export function admissionFromEnv(env: Env = process.env): AdmissionOptions | false {
  const flag = env.ADMISSION?.toLowerCase();
  if (flag === 'off' || flag === '0' || flag === 'false') return false;
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
