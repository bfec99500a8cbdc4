export * from './errors.js';
export * from './principal.js';
export * from './read-scope.js';
export * from './audited-read.js';
export * from './access-audit.js';
export * from './service-keys.js';
export * from './migrate-access.js';
