/**
 * `@creatorflow/sync/access`: who is asking — roles, read scopes, the audit
 * of cross-tenant reads, and service API keys.
 */
export { ADMIN_ROLE, SERVICE_ROLE, hasRole } from '../core/authorization.js';
export {
  ACCESS_COMPONENT,
  ACCESS_ERROR_CODES,
  AccessDeniedError,
  MemoryAccessAudit,
  ServiceKeys,
  SqlAccessAudit,
  UnauthenticatedError,
  auditedRead,
  createAccessAudit,
  inScope,
  migrateAccess,
  readScope,
  requireRole,
} from './index.js';
export type {
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
