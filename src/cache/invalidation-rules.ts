/**
 * Tags and cascade rules as data: which tags an event or a read-model row
 * change invalidates, and which tags a tag drags along. Pure functions, so
 * the mapping is property-tested apart from any I/O.
 */
import type { RowChange } from '../core/row-change.js';
import type { StoredEvent } from '../store/types.js';

/**
 * Event types (exact, or a prefix ending in `*`: `'order.*'`) mapped to tag
 * templates. `{field}` is read from the event's data (`{aggregateId}` and
 * `{aggregateType}` from the envelope); a template whose field is missing
 * falls back to its broad tag, the text before the first `:{` (so
 * `'orders:{creatorId}'` becomes `'orders'`).
 *
 * @example
 * ```ts
 * const rule: EventTagRule = { eventTypes: ['order.*'], tags: ['orders:{creatorId}'] };
 * ```
 */
export interface EventTagRule {
  readonly eventTypes: readonly string[];
  readonly tags: readonly string[];
}

/**
 * A read-model table mapped to tag templates; `{column}` is read from the row (new row, else old row).
 *
 * @example
 * ```ts
 * const rule: RowTagRule = { table: 'order_metrics', tags: ['order_metrics:{creator_id}'] };
 * ```
 */
export interface RowTagRule {
  readonly table: string;
  readonly tags: readonly string[];
}

/**
 * Invalidating `from` (or `from:<suffix>`) also invalidates each `to` (with
 * the same suffix). Applied transitively; cycles are harmless.
 *
 * @example
 * ```ts
 * const rule: CascadeRule = { from: 'orders', to: ['order_metrics', 'dashboard_stats'] };
 * ```
 */
export interface CascadeRule {
  readonly from: string;
  readonly to: readonly string[];
}

/**
 * All rules of a cache.
 *
 * @example
 * ```ts
 * const rules: InvalidationRules = { events: [...], rows: [...], cascades: [{ from: 'orders', to: ['dashboard_stats'] }] };
 * ```
 */
export interface InvalidationRules {
  readonly events?: readonly EventTagRule[];
  readonly rows?: readonly RowTagRule[];
  readonly cascades?: readonly CascadeRule[];
}

const FIELD = /\{([A-Za-z0-9_]+)\}/g;

/**
 * Fill a tag template from `fields`; a missing (or non-scalar) field yields
 * the template's broad tag.
 *
 * @example
 * ```ts
 * renderTag('orders:{creatorId}', { creatorId: 'c1' }) // 'orders:c1'
 * renderTag('orders:{creatorId}', {})                  // 'orders'
 * ```
 */
export function renderTag(template: string, fields: Readonly<Record<string, unknown>>): string {
  let missing = false;
  const rendered = template.replace(FIELD, (_, name: string) => {
    const value = fields[name];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint')
      return String(value);
    missing = true;
    return '';
  });
  return missing ? broadTag(template) : rendered;
}

/**
 * The part of a tag before its first `:` (`'orders:c1'` → `'orders'`).
 *
 * @example
 * ```ts
 * broadTag('orders:c1') // 'orders'
 * ```
 */
export function broadTag(tag: string): string {
  const colon = tag.indexOf(':');
  return colon < 0 ? tag : tag.slice(0, colon);
}

/**
 * True when `type` matches a rule's pattern (exact, or prefix with a trailing `*`).
 *
 * @example
 * ```ts
 * matchesEventType('order.*', 'order.shipped') // true
 * ```
 */
export function matchesEventType(pattern: string, type: string): boolean {
  return pattern.endsWith('*') ? type.startsWith(pattern.slice(0, -1)) : pattern === type;
}

/**
 * The tags an event invalidates, cascades applied.
 *
 * @example
 * ```ts
 * tagsForEvent({ events: [{ eventTypes: ['order.*'], tags: ['orders:{creatorId}'] }],
 *   cascades: [{ from: 'orders', to: ['order_metrics'] }] }, event)
 * // Set { 'orders:c1', 'order_metrics:c1' }
 * ```
 */
export function tagsForEvent(
  rules: InvalidationRules,
  event: Pick<StoredEvent, 'type' | 'data' | 'aggregateId' | 'aggregateType'>,
): Set<string> {
  const tags = new Set<string>();
  const data = isRecord(event.data) ? event.data : {};
  const fields = { ...data, aggregateId: event.aggregateId, aggregateType: event.aggregateType };
  for (const rule of rules.events ?? []) {
    if (!rule.eventTypes.some((p) => matchesEventType(p, event.type))) continue;
    for (const template of rule.tags) tags.add(renderTag(template, fields));
  }
  return expandCascades(rules.cascades ?? [], tags);
}

/**
 * The tags a read-model row change invalidates, cascades applied.
 *
 * @example
 * ```ts
 * tagsForRowChange({ rows: [{ table: 'order_metrics', tags: ['order_metrics:{creator_id}'] }] }, change)
 * ```
 */
export function tagsForRowChange(
  rules: InvalidationRules,
  change: Pick<RowChange, 'table' | 'key' | 'newRow' | 'oldRow'>,
): Set<string> {
  const tags = new Set<string>();
  const fields = { ...change.oldRow, ...change.newRow, ...change.key };
  for (const rule of rules.rows ?? []) {
    if (rule.table !== change.table) continue;
    for (const template of rule.tags) tags.add(renderTag(template, fields));
  }
  return expandCascades(rules.cascades ?? [], tags);
}

/**
 * Close a set of tags under the cascade rules: `from[:suffix]` adds
 * `to[:suffix]`, transitively. Returns a new set containing the input.
 *
 * @example
 * ```ts
 * expandCascades([{ from: 'orders', to: ['dashboard_stats'] }], ['orders:c1'])
 * // Set { 'orders:c1', 'dashboard_stats:c1' }
 * ```
 */
export function expandCascades(cascades: readonly CascadeRule[], tags: Iterable<string>): Set<string> {
  const result = new Set(tags);
  if (cascades.length === 0) return result;
  const pending = [...result];
  for (let tag = pending.pop(); tag !== undefined; tag = pending.pop()) {
    const base = broadTag(tag);
    const suffix = tag.slice(base.length);
    for (const rule of cascades) {
      if (rule.from !== base) continue;
      for (const target of rule.to) {
        const next = target + suffix;
        if (!result.has(next)) {
          result.add(next);
          pending.push(next);
        }
      }
    }
  }
  return result;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
