/**
 * A commerce reader bound to one caller: `commerce.as(principal)` checks the
 * principal once and returns reads that carry it, so a request handler holds
 * an object that can only ever read that caller's creators (an admin's reads
 * beyond their own creators access-audited), with no principal argument to
 * forget or swap. Its writes (`syncInventoryLevels`) are checked and
 * recorded as that caller.
 */
import type { Authorization } from '../core/authorization.js';
import type { Row } from '../core/row-change.js';
import type { ConflictReader } from './conflicts/conflict-queue.js';
import type { InventorySyncResult } from './inventory/sync-inventory-levels.js';
import type { CommerceTable } from './read-models/definitions.js';
import type { CommerceReadOptions } from './read-models/scoped-rows.js';

/**
 * What `commerce.as(principal)` returns.
 *
 * @example
 * ```ts
 * const reader = commerce.as({ userId: 'u1', tenantIds: ['creator-1'], roles: ['creator'] });
 * const alerts = await reader.rows('inventory_alerts', { where: { status: 'active' } });
 * const level = await reader.find('inventory_levels', { creator_id: 'creator-1', product_id: 'p1' });
 * const pending = await reader.conflicts?.pending();
 * await reader.syncInventoryLevels('creator-1'); // as the caller: their creator only
 * ```
 */
export interface CommerceReader {
  /** The caller every read is scoped to (a frozen copy of the one given). */
  readonly principal: Readonly<Authorization>;
  /** `Commerce.rows(table, principal, options)`. */
  rows<R extends Row = Row>(table: CommerceTable, options?: CommerceReadOptions): Promise<R[]>;
  /** `Commerce.find(table, key, principal)`. */
  find<R extends Row = Row>(table: CommerceTable, key: Row): Promise<R | null>;
  /** The conflict audit, queue and reports for this caller (absent unless `conflicts` is set). */
  readonly conflicts: ConflictReader | undefined;
  /** `Commerce.syncInventoryLevels(creatorId, principal, now)`: one of the caller's creators (an admin: any, access-audited). */
  syncInventoryLevels(creatorId: string, now?: Date): Promise<InventorySyncResult>;
}
