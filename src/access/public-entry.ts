/**
 * `@creatorflow/sync/access`: who is asking — roles, read scopes, write
 * checks and the actor they record, system principals for jobs, the audit of
 * cross-tenant reads and writes, and service API keys.
 */
export { ADMIN_ROLE, SERVICE_ROLE, hasRole } from '../core/authorization.js';
export {
  ACCESS_COMPONENT,
  ACCESS_ERROR_CODES,
  AccessDeniedError,
  MemoryAccessAudit,
  ServiceKeys,
  SqlAccessAudit,
  SYSTEM_ROLE,
  actorFromMetadata,
  actorMetadata,
  assertActor,
  isActorRef,
  systemActor,
  actorOf,
  authorizeWrite,
  isSystemPrincipal,
  systemPrincipal,
  UnauthenticatedError,
  auditedRead,
  createAccessAudit,
  inScope,
  migrateAccess,
  readScope,
  requireRole,
} from './index.js';
export type {
  ActorKind,
  ActorRef,
  WriteAccess,
  AccessAuditEntry,
  AccessAuditInput,
  AccessAuditOptions,
  AccessAuditQuery,
  AccessAuditStore,
  AuditedReadOptions,
  ReadScope,
  ServiceKeyGrant,
  ServiceKeyInfo,
  ServiceKeysOptions,
} from './index.js';
