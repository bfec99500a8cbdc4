/**
 * Credentials shared by the demo hosts and the simulator. Demo values only:
 * a real host reads its own from the environment (see `host-config.ts`).
 */

/** The demo's TikTok app, shop, creator and shipping provider. */
export const DEMO_CREDENTIALS = Object.freeze({
  appKey: 'demo-app-key',
  appSecret: 'demo-app-secret-0123456789',
  shopId: '7495512345678901234',
  creatorId: 'creator-demo',
  shipping: Object.freeze({
    provider: 'shippo',
    apiKey: 'demo-shipping-api-key',
    // whsec_ + base64 of 24 bytes.
    secret: 'whsec_ZGVtby1zaGlwcGluZy1zZWNyZXQtMDEyMzQ1',
  }),
});
