/**
 * The run's settings, from the environment, validated once and frozen.
 * `CHAOS_SHORT=1`: about two minutes, every fault kind once (what `npm test`
 * runs under REQUIRE_SERVICES=1). Otherwise the long form: `CHAOS_MINUTES`
 * (default 15) of faults, every kind once per round.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Settings of a chaos run. */
export interface ChaosConfig {
  readonly form: 'short' | 'long';
  readonly seed: number;
  readonly hosts: number;
  /** New orders per second (each order makes about seven webhooks). */
  readonly rate: number;
  /** Traffic without faults before the first one, ms. */
  readonly warmupMs: number;
  /** Faults are planned in whole rounds until one starts after this, ms. */
  readonly faultPhaseMs: number;
  /** Quiet time between faults, ms. */
  readonly gapMs: readonly [number, number];
  /** Traffic without faults after the last one, ms. */
  readonly cooldownMs: number;
  /** Every host but the first runs with this pg `query_timeout` (client side), ms; 0 for none. */
  readonly queryTimeoutMs: number;
  /** Bound on delivering every webhook's retries after traffic stopped, ms. */
  readonly drainMs: number;
  /** Bound on sagas finishing and readers catching up, ms (a killed host's leases last 6 s). */
  readonly quiesceMs: number;
  /** Bound on realtime copies converging, ms. */
  readonly convergeMs: number;
  /** Keep the run directory (history, host logs) even when the run passed. */
  readonly keep: boolean;
  /** The host process's entry module. */
  readonly hostEntry: string;
  /** Framework of each host, round robin (`CHAOS_FRAMEWORKS`, default express,express,fastify). */
  readonly frameworks: readonly ('express' | 'fastify')[];
  /** Hosts run with admission control (`CHAOS_ADMISSION=on`; `ADMISSION=on` in the host). Default off. */
  readonly admission: boolean;
  /** How the hosts' conflict flow cuts windows (`CHAOS_CONFLICT_WINDOWS`; `CONFLICT_WINDOWS` in the host). Default anchored. */
  readonly conflictWindows: 'anchored' | 'staggered';
}

const here = path.dirname(fileURLToPath(import.meta.url));

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return n;
}

function onOff(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = (env[name] ?? '').toLowerCase();
  if (raw === '' || raw === 'off') return false;
  if (raw === 'on') return true;
  throw new Error(`${name} must be on or off, got "${env[name]}"`);
}

function frameworks(raw: string): ('express' | 'fastify')[] {
  const list = raw.split(',').map((s) => s.trim());
  for (const name of list) {
    if (name !== 'express' && name !== 'fastify') {
      throw new Error(`CHAOS_FRAMEWORKS: "${name}" is neither express nor fastify`);
    }
  }
  return list as ('express' | 'fastify')[];
}

function conflictWindows(raw: string): 'anchored' | 'staggered' {
  if (raw !== 'anchored' && raw !== 'staggered')
    throw new Error(`CHAOS_CONFLICT_WINDOWS must be anchored or staggered, got "${raw}"`);
  return raw;
}

/**
 * Read the settings.
 *
 * @example
 * ```ts
 * const config = chaosConfig({ CHAOS_SHORT: '1', CHAOS_SEED: '7' });
 * ```
 */
export function chaosConfig(env: NodeJS.ProcessEnv = process.env): ChaosConfig {
  const short = env.CHAOS_SHORT === '1';
  const minutes = int(env, 'CHAOS_MINUTES', 15);
  const warmupMs = short ? 3000 : 10_000;
  const cooldownMs = short ? 10_000 : 30_000;
  return Object.freeze({
    form: short ? 'short' : 'long',
    seed: int(env, 'CHAOS_SEED', Date.now() % 1_000_000),
    hosts: Math.max(1, int(env, 'CHAOS_HOSTS', 3)),
    rate: int(env, 'CHAOS_RATE', 2),
    warmupMs,
    // The short form plans one round of every kind.
    faultPhaseMs: short ? 0 : Math.max(0, minutes * 60_000 - warmupMs - cooldownMs),
    gapMs: short ? ([5000, 8000] as const) : ([10_000, 30_000] as const),
    cooldownMs,
    queryTimeoutMs: int(env, 'CHAOS_QUERY_TIMEOUT_MS', 2000),
    drainMs: 90_000,
    quiesceMs: short ? 75_000 : 120_000,
    convergeMs: 30_000,
    keep: env.CHAOS_KEEP === '1',
    hostEntry: env.CHAOS_HOST_ENTRY ?? path.join(here, 'host-main.ts'),
    frameworks: frameworks(env.CHAOS_FRAMEWORKS ?? 'express,express,fastify'),
    admission: onOff(env, 'CHAOS_ADMISSION'),
    conflictWindows: conflictWindows(env.CHAOS_CONFLICT_WINDOWS ?? 'anchored'),
  });
}
