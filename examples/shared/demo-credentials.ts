/**
 * Credentials shared by the demo hosts and the simulator. Demo values only:
 * they are used when none of the credential variables is set (see
 * `host-config.ts`), with a warning.
 */

/** The demo's TikTok app, shop, creator and shipping provider. */
export const DEMO_CREDENTIALS = Object.freeze({
  appKey: 'demo-app-key',
  appSecret: 'demo-app-secret-0123456789',
  shopId: '7495512345678901234',
  creatorId: 'creator-demo',
  /** Access token of the TikTok Shop Open API calls (the mock API does not check it). */
  accessToken: 'demo-access-token',
  shipping: Object.freeze({
    provider: 'shippo',
    apiKey: 'demo-shipping-api-key',
    // whsec_ + base64 of 24 bytes.
    secret: 'whsec_ZGVtby1zaGlwcGluZy1zZWNyZXQtMDEyMzQ1',
  }),
});

/** The demo's bearer token for realtime requests (`Authorization: Bearer demo-token`). */
export const DEMO_TOKEN = 'demo-token';

/** The demo's admin token: decides conflicts in the manual queue (`Authorization: Bearer demo-admin-token`). */
export const DEMO_ADMIN_TOKEN = 'demo-admin-token';

/**
 * The demo's tokens: `demo-token` is the demo creator (reads their data and
 * their part of the conflict queue), `demo-admin-token` an admin (reads every
 * creator, access-audited, and decides conflicts).
 */
export const DEMO_REALTIME_TOKENS = Object.freeze({
  [DEMO_TOKEN]: Object.freeze({
    userId: 'demo-user',
    tenantIds: Object.freeze([DEMO_CREDENTIALS.creatorId]),
    roles: Object.freeze(['creator']),
  }),
  [DEMO_ADMIN_TOKEN]: Object.freeze({
    userId: 'demo-admin',
    tenantIds: Object.freeze([DEMO_CREDENTIALS.creatorId]),
    roles: Object.freeze(['admin']),
  }),
});

/** Signs the demo's anonymous browser cookies; the same in every demo host, so any host accepts them. */
export const DEMO_SESSION_SECRET = 'demo-session-secret-not-for-production-0123456789';
