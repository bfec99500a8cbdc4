/**
 * The CreatorFlow commerce domain: event catalog, pure metrics, read models,
 * ports and fakes, inventory handling, the order-fulfillment saga and
 * `createCommerce()`.
 */
export * from './events/index.js';
export * from './errors.js';
export * from './error-codes.js';
export * from './metrics/index.js';
export * from './read-models/index.js';
export * from './ports/index.js';
export * from './inventory/index.js';
export * from './fulfillment/index.js';
export * from './create-commerce.js';
export * from './commerce-reader.js';
export * from './channels.js';
export * from './ingest/index.js';
export * from './engine-config.js';
export * from './conflicts/commerce-conflict-config.js';
export * from './forecasting/index.js';
export * from './cache-rules.js';
export * from './monitoring/health-signals.js';
export * from './monitoring/instrument-analytics.js';
export * from './conflicts/index.js';
export * from './commerce-schedules.js';
export * from './roles.js';
// The principal checks of the scoped reads (the access module's; the root entry is at its name budget).
export { InvalidPrincipalError, MissingPrincipalError } from '../access/errors.js';
export { assertPrincipal } from '../access/principal.js';
