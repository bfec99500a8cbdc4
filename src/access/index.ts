export {
  ACCESS_ERROR_CODES,
  AccessDeniedError,
  InvalidPrincipalError,
  MissingPrincipalError,
  UnauthenticatedError,
} from './errors.js';
export { assertPrincipal, frozenPrincipal } from './principal.js';
export { inScope, readScope } from './read-scope.js';
export type { ReadScope } from './read-scope.js';
export { auditedRead, requireRole } from './audited-read.js';
export {
  actorMetadata,
  actorOf,
  authorizeWrite,
  isSystemPrincipal,
  SYSTEM_ROLE,
  systemActor,
  systemPrincipal,
} from './acting-principal.js';
export { actorFromMetadata, assertActor, isActorRef } from './actor-check.js';
export type { ActorKind, ActorRef, WriteAccess } from './acting-principal.js';
export type { AuditedReadOptions } from './audited-read.js';
export { createAccessAudit, MemoryAccessAudit, SqlAccessAudit } from './access-audit.js';
export type {
  AccessAuditEntry,
  AccessAuditInput,
  AccessAuditOptions,
  AccessAuditQuery,
  AccessAuditStore,
} from './access-audit.js';
export { ServiceKeys } from './service-keys.js';
export type { ServiceKeyGrant, ServiceKeyInfo, ServiceKeysOptions } from './service-keys.js';
export { ACCESS_COMPONENT, migrateAccess } from './migrate-access.js';
