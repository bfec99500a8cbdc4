/**
 * The example hosts' secrets and identity from environment variables. With
 * none of the credential variables set, the demo's values are used and a
 * warning is printed once per process; with some set, every required one
 * must be, so a half-configured host refuses to start instead of running
 * with a demo secret. Parsed once and frozen.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Authorization } from '@creatorflow/sync';
import { DEMO_CREDENTIALS, DEMO_REALTIME_TOKENS, DEMO_SESSION_SECRET } from './demo-credentials.js';

/** App, shop, creator and carrier credentials of one host. */
export interface HostCredentials {
  readonly appKey: string;
  readonly appSecret: string;
  readonly shopId: string;
  readonly creatorId: string;
  readonly accessToken: string;
  readonly shipping: { readonly provider: string; readonly apiKey: string; readonly secret: string };
}

/** Everything {@link readHostConfig} reads. */
export interface HostConfig {
  /** `HOST_ID`, or `host-` and six random hex digits: names this process in logs and leases. */
  readonly hostId: string;
  readonly credentials: HostCredentials;
  /** `REALTIME_TOKENS`: bearer token → identity (with roles: creator, admin, service). */
  readonly tokens: Readonly<Record<string, Authorization>>;
  /** `SESSION_SECRET`: signs anonymous browser cookies (same on every host of a deployment). */
  readonly sessionSecret: string;
  /** `OPEN_ACCESS`: a request without a token gets a per-browser anonymous identity. */
  readonly openAccess: boolean;
  /** True when the demo's credentials are in use. */
  readonly demo: boolean;
}

/** Variable → credential field; all required once any credential variable is set. */
export const CREDENTIAL_VARIABLES = [
  'TIKTOK_APP_KEY',
  'TIKTOK_APP_SECRET',
  'TIKTOK_SHOP_ID',
  'TIKTOK_ACCESS_TOKEN',
  'CREATOR_ID',
  'SHIPPING_PROVIDER',
  'SHIPPING_API_KEY',
  'SHIPPING_WEBHOOK_SECRET',
] as const;

/** Optional secrets: also demo values when no credential variable is set. */
const SECRET_VARIABLES = ['REALTIME_TOKENS', 'SESSION_SECRET'] as const;

type Env = Readonly<Record<string, string | undefined>>;

const tokensSchema = z.record(
  z.string(),
  z.object({
    userId: z.string().min(1),
    tenantIds: z.array(z.string().min(1)),
    // creator, admin or service (see docs/commerce.md, "Tenants and roles").
    roles: z.array(z.string().min(1)).optional(),
  }),
);

let warned = false;

/** Print the demo warning once per process. */
function warnDemo(warn: (message: string) => void): void {
  if (warned) return;
  warned = true;
  warn(
    `WARNING: no credentials in the environment; using the DEMO credentials (public values). ` +
      `Set ${CREDENTIAL_VARIABLES.join(', ')} (and REALTIME_TOKENS, SESSION_SECRET) for anything but a demo.`,
  );
}

const present = (env: Env, name: string): boolean => (env[name] ?? '') !== '';

/**
 * The TikTok, shop and carrier credentials: from the environment, or the
 * demo's (with a one-time warning) when no credential variable is set.
 * The simulator reads the same variables, so it signs what the host checks.
 *
 * @example
 * ```ts
 * const { appKey, appSecret } = readCredentials(process.env);
 * ```
 */
export function readCredentials(
  env: Env = process.env,
  warn: (message: string) => void = console.warn,
): { credentials: HostCredentials; demo: boolean } {
  const any = [...CREDENTIAL_VARIABLES, ...SECRET_VARIABLES].some((name) => present(env, name));
  if (!any) {
    warnDemo(warn);
    return { credentials: DEMO_CREDENTIALS, demo: true };
  }
  const missing = CREDENTIAL_VARIABLES.filter((name) => !present(env, name));
  if (missing.length > 0) {
    throw new Error(`Incomplete host credentials: set ${missing.join(', ')} (or none of them for the demo)`);
  }
  const v = (name: (typeof CREDENTIAL_VARIABLES)[number]) => env[name]!;
  const credentials: HostCredentials = Object.freeze({
    appKey: v('TIKTOK_APP_KEY'),
    appSecret: v('TIKTOK_APP_SECRET'),
    shopId: v('TIKTOK_SHOP_ID'),
    accessToken: v('TIKTOK_ACCESS_TOKEN'),
    creatorId: v('CREATOR_ID'),
    shipping: Object.freeze({
      provider: v('SHIPPING_PROVIDER'),
      apiKey: v('SHIPPING_API_KEY'),
      secret: v('SHIPPING_WEBHOOK_SECRET'),
    }),
  });
  return { credentials, demo: false };
}

function parseTokens(text: string): Record<string, Authorization> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(
      'REALTIME_TOKENS must be JSON: {"<token>": {"userId": "…", "tenantIds": ["…"], "roles": ["creator"]}}',
    );
  }
  const parsed = tokensSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`REALTIME_TOKENS: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`);
  }
  // A guessable token would let anyone read a creator's live data.
  if (Object.keys(parsed.data).some((token) => token.length < 16)) {
    throw new Error('REALTIME_TOKENS: every token must have at least 16 characters');
  }
  return parsed.data;
}

function parseFlag(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new Error(`${name} must be 1 or 0, not ${JSON.stringify(value)}`);
}

/**
 * Read and validate the host's configuration. Throws (before anything
 * starts) on a partial or malformed configuration.
 *
 * @example
 * ```ts
 * const config = readHostConfig(process.env);
 * console.log(config.hostId, config.demo ? '(demo credentials)' : '');
 * ```
 */
export function readHostConfig(
  env: Env = process.env,
  warn: (message: string) => void = console.warn,
): HostConfig {
  const { credentials, demo } = readCredentials(env, warn);
  const openAccess = parseFlag('OPEN_ACCESS', env.OPEN_ACCESS, demo);
  const tokens = present(env, 'REALTIME_TOKENS')
    ? parseTokens(env.REALTIME_TOKENS!)
    : demo
      ? DEMO_REALTIME_TOKENS
      : {};
  let sessionSecret = env.SESSION_SECRET ?? '';
  if (sessionSecret === '') {
    if (!demo && openAccess) throw new Error('OPEN_ACCESS needs SESSION_SECRET (at least 32 characters)');
    // Without open access nothing is signed; a random secret keeps the field total.
    sessionSecret = demo ? DEMO_SESSION_SECRET : randomBytes(32).toString('hex');
  } else if (sessionSecret.length < 32) {
    throw new Error('SESSION_SECRET must have at least 32 characters');
  }
  const hostId = env.HOST_ID || `host-${randomBytes(3).toString('hex')}`;
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(hostId)) {
    throw new Error('HOST_ID: 1-64 characters of letters, digits, ".", "_", ":" or "-"');
  }
  return Object.freeze({
    hostId,
    credentials,
    tokens: Object.freeze({ ...tokens }),
    sessionSecret,
    openAccess,
    demo,
  });
}
