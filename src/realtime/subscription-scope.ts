/**
 * Which tenants' rows a realtime subscription may receive. Without the admin
 * role: the caller's own tenants, whatever the filter says (the filter only
 * narrows further). With it: every tenant, unless the filter's tenant
 * condition keeps the subscription inside the admin's own tenants. Such a
 * cross-tenant subscription is written to the access audit once, before its
 * first row is sent; a hub without an access audit never widens a scope.
 */
import { readScope } from '../access/read-scope.js';
import type { Authorization } from '../core/authorization.js';
import type { ChannelDefinition } from './channels.js';
import type { ParsedFilter } from './filter.js';

/**
 * The tenants of one subscription.
 *
 * @example
 * ```ts
 * const scope = subscriptionScope(channel, parseFilter(channel, 'creator_id=eq.c2'), admin, true);
 * // { tenantIds: null, crossTenant: true, auditTenantIds: ['c2'] }
 * ```
 */
export interface SubscriptionScope {
  /** Tenants whose rows it may receive (compared exactly); `null`: every tenant. */
  tenantIds: readonly string[] | null;
  /** It may receive rows of tenants outside the caller's own: access-audited. */
  crossTenant: boolean;
  /** For the audit: the tenants outside the caller's own its filter names; `null`: every tenant. */
  auditTenantIds: readonly string[] | null;
}

/**
 * The scope of a subscription by `auth` with `filter`. `canAudit`: the hub
 * has an access audit; without one an admin is scoped like anyone else.
 *
 * @example
 * ```ts
 * subscriptionScope(channel, filter, { userId: 'u', tenantIds: ['c1'], roles: ['creator'] }, true);
 * // { tenantIds: ['c1'], crossTenant: false, auditTenantIds: [] }
 * ```
 */
export function subscriptionScope(
  channel: ChannelDefinition,
  filter: ParsedFilter,
  auth: Authorization,
  canAudit: boolean,
): SubscriptionScope {
  const own = [...new Set(auth.tenantIds)];
  const scoped: SubscriptionScope = { tenantIds: own, crossTenant: false, auditTenantIds: [] };
  if (!canAudit) return scoped;
  const scope = readScope(auth, requestedTenants(channel, filter));
  if (!scope.crossTenant) return scoped;
  const mine = new Set(own);
  return {
    // The filter (already part of the subscription) narrows to the tenants it names.
    tenantIds: null,
    crossTenant: true,
    auditTenantIds: scope.tenantIds === null ? null : scope.tenantIds.filter((t) => !mine.has(t)),
  };
}

/**
 * The tenants the filter's `eq`/`in` conditions on the tenant column allow
 * (conditions are ANDed: their intersection); undefined when it has none.
 */
function requestedTenants(channel: ChannelDefinition, filter: ParsedFilter): string[] | undefined {
  let allowed: Set<string> | undefined;
  for (const c of filter.conditions) {
    if (c.column !== channel.tenantColumn || (c.op !== 'eq' && c.op !== 'in')) continue;
    const values = new Set(c.values);
    allowed = allowed === undefined ? values : new Set([...allowed].filter((v) => values.has(v)));
  }
  return allowed === undefined ? undefined : [...allowed].sort();
}
