/**
 * The hosts' configuration from the environment: demo values (with one
 * warning) only when no credential is set, all-or-nothing otherwise, and
 * malformed values refused before anything starts.
 */
import { describe, expect, it } from 'vitest';
import { DEMO_ADMIN_TOKEN, DEMO_CREDENTIALS, DEMO_TOKEN } from '../../examples/shared/demo-credentials.js';
import { CREDENTIAL_VARIABLES, readHostConfig } from '../../examples/shared/host-config.js';

const FULL = {
  TIKTOK_APP_KEY: 'key',
  TIKTOK_APP_SECRET: 'secret',
  TIKTOK_SHOP_ID: 'shop-1',
  TIKTOK_ACCESS_TOKEN: 'access',
  CREATOR_ID: 'creator-1',
  SHIPPING_PROVIDER: 'easypost',
  SHIPPING_API_KEY: 'ship-key',
  SHIPPING_WEBHOOK_SECRET: 'whsec_c2VjcmV0',
};

describe('readHostConfig', () => {
  it('uses the demo credentials when none is set, and warns once per process', () => {
    const warnings: string[] = [];
    const a = readHostConfig({}, (m) => warnings.push(m));
    const b = readHostConfig({}, (m) => warnings.push(m));
    expect(a.demo).toBe(true);
    expect(a.credentials).toEqual(DEMO_CREDENTIALS);
    expect(a.openAccess).toBe(true);
    expect(Object.keys(a.tokens)).toEqual([DEMO_TOKEN, DEMO_ADMIN_TOKEN]);
    expect(a.tokens[DEMO_ADMIN_TOKEN]!.roles).toEqual(['admin']);
    expect(b.demo).toBe(true);
    // Another module may have warned first in this worker: at most once, never twice.
    expect(warnings.length).toBeLessThanOrEqual(1);
    for (const w of warnings) expect(w).toMatch(/DEMO credentials/);
  });

  it('refuses a partial set of credentials, naming what is missing', () => {
    expect(() => readHostConfig({ TIKTOK_APP_KEY: 'k', TIKTOK_APP_SECRET: 's' }, () => undefined)).toThrow(
      /TIKTOK_SHOP_ID, TIKTOK_ACCESS_TOKEN, CREATOR_ID, SHIPPING_PROVIDER/,
    );
    // A secret alone is a real deployment's configuration too: the credentials must come with it.
    expect(() => readHostConfig({ SESSION_SECRET: 'x'.repeat(40) }, () => undefined)).toThrow(
      /Incomplete host credentials/,
    );
  });

  it('reads every credential and secret from the environment', () => {
    const tokens = {
      'a-long-enough-token-1': { userId: 'u1', tenantIds: ['creator-1'] },
      'a-long-enough-token-2': { userId: 'ops', tenantIds: [], roles: ['admin'] },
    };
    const config = readHostConfig(
      { ...FULL, REALTIME_TOKENS: JSON.stringify(tokens), HOST_ID: 'web-2' },
      () => undefined,
    );
    expect(config).toMatchObject({
      demo: false,
      hostId: 'web-2',
      openAccess: false,
      tokens,
      credentials: {
        appKey: 'key',
        appSecret: 'secret',
        shopId: 'shop-1',
        accessToken: 'access',
        creatorId: 'creator-1',
        shipping: { provider: 'easypost', apiKey: 'ship-key', secret: 'whsec_c2VjcmV0' },
      },
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(CREDENTIAL_VARIABLES).toHaveLength(8);
  });

  it('refuses malformed secrets and flags', () => {
    const quiet = () => undefined;
    expect(() => readHostConfig({ ...FULL, REALTIME_TOKENS: 'nope' }, quiet)).toThrow(/must be JSON/);
    expect(() =>
      readHostConfig({ ...FULL, REALTIME_TOKENS: '{"short":{"userId":"u","tenantIds":[]}}' }, quiet),
    ).toThrow(/16 characters/);
    expect(() => readHostConfig({ ...FULL, OPEN_ACCESS: '1' }, quiet)).toThrow(/needs SESSION_SECRET/);
    expect(() => readHostConfig({ ...FULL, OPEN_ACCESS: '1', SESSION_SECRET: 'short' }, quiet)).toThrow(
      /at least 32/,
    );
    expect(() => readHostConfig({ ...FULL, OPEN_ACCESS: 'maybe' }, quiet)).toThrow(/OPEN_ACCESS/);
    expect(() => readHostConfig({ HOST_ID: 'a b' }, quiet)).toThrow(/HOST_ID/);
  });

  it('gives each process a random host id unless HOST_ID names it', () => {
    const a = readHostConfig({}, () => undefined).hostId;
    const b = readHostConfig({}, () => undefined).hostId;
    expect(a).toMatch(/^host-[0-9a-f]{6}$/);
    expect(a).not.toBe(b);
  });
});
