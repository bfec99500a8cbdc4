export type * from './payment-gateway.js';
export type * from './shipping-provider.js';
export * from './tiktok-shop-client.js';
export * from './fakes/index.js';
