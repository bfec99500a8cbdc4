/**
 * The projection builder: a read-model table, its key, its migrations and a
 * handler per event type that upserts or deletes rows.
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../../core/errors.js';
import type { Row } from '../../core/row-change.js';
import type { StoredEvent } from '../../store/types.js';
import { MAX_PARTITIONS } from '../partitions/partitioned-options.js';
import { streamPartitionKey, type PartitionKey } from '../partitions/partition-key.js';
import { checkMerge, type MergeSpec, type ProjectionMerge } from './merge-columns.js';

/** Where a projection runs: inside the append transaction, or as a processor. */
export const PROJECTION_MODES = ['async', 'inline'] as const;
/** One of {@link PROJECTION_MODES}. */
export type ProjectionMode = (typeof PROJECTION_MODES)[number];

/**
 * What a handler returns for one row: a row (or the columns to change; merged
 * over the current row and the key) to upsert, `null` to delete, `undefined`
 * to leave it alone.
 */
export type ProjectionResult<R extends Row> = Partial<R> | null | undefined;

/** How one event type changes the read model. */
export interface ProjectionHandler<R extends Row = Row, E extends StoredEvent = StoredEvent> {
  // Method syntax on purpose: it lets a ProjectionDefinition<MyRow> be used where a
  // ProjectionDefinition<Row> is expected (lists of projections, the CLI config).
  /** The key(s) of the row(s) this event touches; `null`/`undefined`/`[]` skips the event. */
  key(event: E): Partial<R> | readonly Partial<R>[] | null | undefined;
  /**
   * Optional: the event touches every row that exists when it is folded and
   * whose columns equal these (e.g. `{ creator_id }`: every row of a tenant),
   * one after another in key order; when it returns a scope, `key` is not
   * asked. For something the event says about a set of rows the event cannot
   * list (a recomputation as of its time). On SQL the table looks the rows
   * up by these columns: index them (a prefix of the primary key is).
   */
  scope?(event: E): Partial<R> | null | undefined;
  /**
   * The new row given the current one (`null` when absent). Pure: it may run
   * again on retry. Give this or `merge`.
   */
  apply?(current: R | null, event: E, key: Partial<R>): ProjectionResult<R>;
  /**
   * Instead of `apply`, for a change that commutes (counters, maxima, the
   * latest status): the event's delta and how each column combines with the
   * row. On SQL an inline batch writes it without reading the row first, so
   * appends on one hot row (a tenant's totals) hold its lock only while their
   * COMMIT runs; the result is the one folding in log order gives. Not with
   * `scope`, and not on a table a later table of a set folds the rows of.
   *
   * @example
   * ```ts
   * 'page.visited': { key: (e) => ({ page: e.data.page }),
   *   merge: { columns: { visits: 'sum', last_at: 'max' }, delta: (e) => ({ visits: 1, last_at: e.occurredAt }) } }
   * ```
   */
  readonly merge?: ProjectionMerge<R, E>;
}

/**
 * The handlers of a projection, by event type. Of a typed event union `E`, each
 * handler sees its own event's `data` typed and only `E`'s types are allowed;
 * untyped, any type with `unknown` data.
 *
 * @example
 * ```ts
 * const handlers: ProjectionHandlers<{ id: string; title: string }, StoredEvent<{ title: string }, 'task.created'>> = {
 *   'task.created': { key: (e) => ({ id: e.aggregateId }), apply: (_row, e) => ({ title: e.data.title }) },
 * };
 * ```
 */
export type ProjectionHandlers<
  R extends Row = Row,
  E extends StoredEvent = StoredEvent,
> = string extends E['type']
  ? Readonly<Record<string, ProjectionHandler<R>>>
  : { readonly [K in E['type']]?: ProjectionHandler<R, Extract<E, { type: K }>> };

/**
 * Input of {@link defineProjection}: `R` is the row, `E` the store's event
 * union (`CatalogEvent<typeof catalog>`), which types the handlers.
 *
 * @example
 * ```ts
 * const input: ProjectionDefinitionInput<{ id: string; n: number }> = {
 *   name: 'counts', key: ['id'], migrations: ['CREATE TABLE :TABLE: (id text PRIMARY KEY, n int NOT NULL)'],
 *   handlers: { 'thing.counted': { key: (e) => ({ id: e.aggregateId }), apply: (row) => ({ n: (row?.n ?? 0) + 1 }) } },
 * };
 * ```
 */
export interface ProjectionDefinitionInput<R extends Row = Row, E extends StoredEvent = StoredEvent> {
  /** Identifier of the projection (`[a-z_][a-z0-9_]*`); names its processor and migrations. */
  name: string;
  /** Read-model table (default: `name`), in the store's schema. */
  table?: string;
  /** Primary-key columns; the table must have a primary key or unique constraint on exactly these. */
  key: readonly (keyof R & string)[];
  /**
   * The table's own numbered migrations (version = index + 1). Placeholders:
   * `:TABLE:` (quoted, schema-qualified table), `:TABLE_NAME:` (bare name, for
   * index names) and `:SCHEMA:`. A rebuild runs them all against a fresh table.
   */
  migrations: readonly string[];
  /** Handlers per event type; other event types are skipped. */
  handlers: ProjectionHandlers<R, E>;
  /** Default `'async'`. */
  mode?: ProjectionMode;
  /**
   * Split an async projection into this many partitions (default 1), each a
   * processor with its own lease and checkpoint, shared by the hosts running
   * it. Every row must be written by the events of one partition key (see
   * `partitionKey`). Recorded on first start: another count needs a rebuild.
   */
  partitions?: number;
  /**
   * Routes an event to its partition (default: its stream id). The rows an event
   * writes must belong to its key alone — key rows by what you partition by
   * (tenant rows: partition by tenant) — or two partitions would update one row
   * concurrently.
   */
  partitionKey?: PartitionKey;
  /**
   * Stream the table to browsers: `createSyncEngine` serves a realtime channel
   * named after the table, keyed by `key`, with these settings — the one place
   * the table's name and key are written down.
   */
  channel?: ProjectionChannel;
}

/**
 * The realtime channel a projection's table feeds (see `ChannelDefinition`;
 * its name and key columns come from the projection).
 *
 * @example
 * ```ts
 * defineProjection({ name: 'page_visits', key: ['page'], migrations, handlers,
 *   channel: { tenantColumn: 'site_id', filterableColumns: ['visits'], throttleMs: 250 } });
 * ```
 */
export interface ProjectionChannel {
  /** Column holding the tenant; a subscriber only sees its tenants' rows. */
  tenantColumn: string;
  /** Columns a filter may name besides the tenant and key columns. Default none. */
  filterableColumns?: readonly string[];
  /** At most one message per interval per subscription, ms. Default 100. */
  throttleMs?: number;
  /** Types of non-text filterable columns (`'integer'`, `'timestamp'`…). */
  columnTypes?: Readonly<Record<string, string>>;
}

/**
 * A validated, frozen projection definition. `E` is the event union its
 * handlers were written for (`defineProjection`'s second type argument):
 * `createSyncEngine` accepts it only when the engine's catalog has each of
 * its event types with a payload its handler accepts. Left out, it is any
 * union (lists of projections, the CLI config).
 *
 * @example
 * ```ts
 * // A ProjectionDefinition<{ id: string; column: string }, TaskEvent>: fits an engine of the task catalog.
 * const board = defineProjection<{ id: string; column: string }, TaskEvent>({
 *   name: 'board', key: ['id'], migrations: ['CREATE TABLE :TABLE: (id text PRIMARY KEY, "column" text NOT NULL)'],
 *   handlers: { 'task.moved': { key: (e) => ({ id: e.aggregateId }), apply: (_row, e) => ({ column: e.data.column }) } },
 * });
 * console.log(board.table, board.eventTypes); // 'board' [ 'task.moved' ]
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the default accepts a projection of any event union
export interface ProjectionDefinition<R extends Row = Row, E extends StoredEvent = any> {
  readonly name: string;
  readonly table: string;
  readonly key: readonly string[];
  readonly migrations: readonly string[];
  readonly handlers: Readonly<Record<string, ProjectionHandler<R>>>;
  readonly mode: ProjectionMode;
  /** The event types with a handler. */
  readonly eventTypes: readonly string[];
  /** 1 when unpartitioned. */
  readonly partitions: number;
  readonly partitionKey: PartitionKey;
  /** The realtime channel its table feeds, when asked for. */
  readonly channel?: Readonly<ProjectionChannel>;
  /**
   * Type-only, never set: the events its handlers expect, by type. A function
   * of them, so a definition fits an engine whose events are at least as
   * specific (`any` when `E` is left out: fits everywhere).
   *
   * @internal
   */
  readonly '~events'?: 0 extends 1 & E
    ? // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
      any
    : (events: { [K in E['type']]: Extract<E, { type: K }> }) => void;
}

const identifier = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,47}$/, 'lower-case identifier of at most 48 characters');
const fn = () => z.custom<(...args: unknown[]) => unknown>((v) => typeof v === 'function', 'a function');
const handler = z
  .object({
    key: fn(),
    scope: fn().optional(),
    apply: fn().optional(),
    merge: z
      .object({
        columns: z.record(identifier, z.unknown()),
        delta: fn(),
        initial: z.record(z.string(), z.unknown()).optional(),
      })
      .strict()
      .optional(),
  })
  .refine((h) => (h.apply === undefined) !== (h.merge === undefined), 'give apply or merge, not both')
  .refine((h) => h.merge === undefined || h.scope === undefined, 'a merge handler has no scope');
const schema = z.object({
  name: identifier,
  table: identifier.optional(),
  key: z.array(identifier).min(1),
  migrations: z
    .array(z.string().min(1))
    .min(1)
    .refine((m) => m[0]?.includes(':TABLE:') ?? true, 'the first migration must create :TABLE:'),
  handlers: z.record(z.string().min(1), handler),
  mode: z.enum(PROJECTION_MODES).optional(),
  partitions: z.number().int().min(1).max(MAX_PARTITIONS).optional(),
  partitionKey: z.custom<PartitionKey>((v) => typeof v === 'function', 'a function').optional(),
  channel: z
    .object({
      tenantColumn: identifier,
      filterableColumns: z.array(identifier).optional(),
      throttleMs: z.number().int().min(0).optional(),
      columnTypes: z.record(identifier, z.string()).optional(),
    })
    .strict()
    .optional(),
});

/**
 * Declare a projection (validated once, frozen). Throws {@link InvalidArgumentError}
 * on a bad definition.
 *
 * @example
 * ```ts
 * const orderTotals = defineProjection<{ creator_id: string; orders: number }>({
 *   name: 'order_totals',
 *   key: ['creator_id'],
 *   migrations: ['CREATE TABLE :TABLE: (creator_id text PRIMARY KEY, orders int NOT NULL)'],
 *   handlers: {
 *     'order.received_from_tiktok': {
 *       key: (e) => ({ creator_id: (e.data as { creatorId: string }).creatorId }),
 *       apply: (row) => ({ orders: (row?.orders ?? 0) + 1 }),
 *     },
 *   },
 * });
 *
 * // Typed by a catalog: each handler sees its event's data (no casts).
 * const taskEvents = defineEvents({ 'task.created': z.object({ title: z.string() }) });
 * const titles = defineProjection<{ id: string; title: string }, CatalogEvent<typeof taskEvents>>({
 *   name: 'task_titles', key: ['id'],
 *   migrations: ['CREATE TABLE :TABLE: (id text PRIMARY KEY, title text NOT NULL)'],
 *   handlers: { 'task.created': { key: (e) => ({ id: e.aggregateId }), apply: (_row, e) => ({ title: e.data.title }) } },
 * });
 *
 * // Shared by several hosts: 8 partitions by creator, rows keyed by creator.
 * const creatorTotals = defineProjection({ ...orderTotalsInput, partitions: 8,
 *   partitionKey: tenantPartitionKey('creatorId') });
 * ```
 */
export function defineProjection<R extends Row = Row, E extends StoredEvent = StoredEvent>(
  input: ProjectionDefinitionInput<R, E>,
): ProjectionDefinition<R, E> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new InvalidArgumentError(
      `invalid projection "${String((input as { name?: unknown }).name)}": ${z.prettifyError(parsed.error)}`,
    );
  }
  if (new Set(input.key).size !== input.key.length) {
    throw new InvalidArgumentError(`projection "${input.name}" lists a key column twice`);
  }
  for (const [type, h] of Object.entries(input.handlers as Record<string, ProjectionHandler<R>>)) {
    if (h.merge) checkMerge(input.name, input.key, type, h.merge as unknown as MergeSpec);
  }
  const partitions = input.partitions ?? 1;
  if (partitions > 1 && input.mode === 'inline') {
    // Inline projections run in the append's transaction: there is no processor to split.
    throw new InvalidArgumentError(
      `projection "${input.name}" is inline: only async projections have partitions`,
    );
  }
  return Object.freeze({
    name: input.name,
    table: input.table ?? input.name,
    key: Object.freeze([...input.key]),
    migrations: Object.freeze([...input.migrations]),
    // A null prototype: an event type such as "constructor" must not find a handler.
    handlers: Object.freeze(
      // Typed handlers are ProjectionHandler<R, a narrower event>; method parameters accept that.
      Object.assign(Object.create(null) as Record<string, ProjectionHandler<R>>, input.handlers),
    ),
    mode: input.mode ?? 'async',
    eventTypes: Object.freeze(Object.keys(input.handlers)),
    partitions,
    partitionKey: input.partitionKey ?? streamPartitionKey,
    ...(input.channel ? { channel: Object.freeze({ ...input.channel }) } : {}),
  });
}
