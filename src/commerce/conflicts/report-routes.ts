/**
 * Stock figures and order states from sources other than TikTok's signed
 * webhook, over HTTP (a warehouse, an ERP, a payment or shipping integration,
 * an admin's count): each accepted report is appended as
 * `inventory.stock_reported` / `order.state_reported` and becomes a
 * contender of `resolve-sync-conflicts` with its source's priority.
 * Framework-agnostic routes for `createRouter`.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { actorMetadata, authorizeWrite } from '../../access/acting-principal.js';
import type { AccessAuditStore } from '../../access/access-audit.js';
import { AccessDeniedError, InvalidPrincipalError, MissingPrincipalError } from '../../access/errors.js';
import { ADMIN_ROLE, hasRole, SERVICE_ROLE, type Authorization } from '../../core/authorization.js';
import { errorToProblem, problemOf, problemResponse } from '../../http/problem.js';
import type { Route } from '../../http/router.js';
import {
  headerValue,
  jsonResponse,
  withBodyLimit,
  type HttpRequestHead,
  type HttpResponse,
} from '../../http/types.js';
import type { EventStore } from '../../store/types.js';
import { COMMERCE_ERROR_REGISTRY } from '../error-codes.js';
import { amountSchema, idSchema, instantSchema, quantitySchema } from '../events/common.js';
import { escapeId, inventoryStream, orderStream } from '../inventory/streams.js';
import { ORDER_STATUSES } from '../read-models/commerce-orders.js';
import {
  COMMERCE_SOURCE_PRIORITIES,
  COMMERCE_SOURCES,
  MANUAL_SOURCE,
  TIKTOK_SOURCE,
  type CommerceSource,
} from './commerce-conflict-config.js';
import { orderReportEvent, stockReportEvent } from './report-events.js';

/**
 * Options of {@link syncReportRoutes}.
 *
 * @example
 * ```ts
 * const options: SyncReportRoutesOptions = {
 *   store: engine.store,
 *   audit: commerce.accessAudit,
 *   authorize: async (req) => serviceKeys.verify(bearerOf(req)), // { userId, tenantIds, roles } | null
 * };
 * ```
 */
export interface SyncReportRoutesOptions {
  store: Pick<EventStore, 'append'>;
  /** Where an admin's report for a creator not their own is recorded first (`commerce.accessAudit`). */
  audit: AccessAuditStore;
  authorize: (request: HttpRequestHead) => Authorization | null | Promise<Authorization | null>;
  /** Path prefix. Default `/api/conflicts` (routes `…/reports/stock`, `…/reports/order`). */
  prefix?: string;
  /**
   * Sources a caller may report as. Default every commerce source but
   * `tiktok_webhook`: TikTok's figures arrive on its signed webhook and
   * through the port, and an API key must not claim the highest priority.
   */
  sources?: readonly CommerceSource[];
  /** The priorities the commerce resolves with, echoed in the answer. Default {@link COMMERCE_SOURCE_PRIORITIES}. */
  priorities?: Readonly<Record<string, number>>;
  /** Clock of a report without `reportedAt`, ms. Default `Date.now`. */
  now?: () => number;
}

const MAX_BODY = 16 * 1024;

/** The store's longest idempotency key (`src/store/prepare-append.ts`). */
const MAX_KEY_LENGTH = 256;

/**
 * The store key of a caller's `Idempotency-Key`: `sync-report:<userId>:<key>`
 * when it fits (the user id's `%` and `:` percent-escaped, so user `a:b` with
 * key `c` and user `a` with key `b:c` name two reports), else `sync-report#sha256:<digest of both>` (HTTP sets no
 * length, and a retry must still count once). The two forms cannot meet: the
 * eleventh character is `:` in one and `#` in the other.
 */
function reportIdempotencyKey(userId: string, key: string): string {
  const literal = `sync-report:${escapeId(userId)}:${key}`;
  if (literal.length <= MAX_KEY_LENGTH) return literal;
  return `sync-report#sha256:${createHash('sha256')
    .update(JSON.stringify([userId, key]))
    .digest('base64url')}`;
}

/**
 * Routes taking reports from machine callers (role `service`, within their
 * creators) and admins (any creator):
 * - `POST {prefix}/reports/stock` with `{ creatorId, productId, quantity, source, sku?, sourceId?, reportedAt? }`;
 * - `POST {prefix}/reports/order` with `{ creatorId, orderId, source, status?, totalAmount?, refundedAmount?, sourceId?, reportedAt? }`.
 *
 * 202 with `{ eventId, entityType, entityId, source, priority, duplicate }`;
 * 401 without an identity, 403 without the role or the creator (or
 * `manual_admin` reported by a non-admin), 400 `MALFORMED_JSON` /
 * `CONFLICT_MALFORMED_INPUT` with the issues. An admin's report for a
 * creator not their own is written to the access audit before it is
 * appended; every report's metadata carries its `actor` (`{ kind, id }`) and
 * `userId`. `sourceId` defaults to the
 * caller's id, `reportedAt` to now; an `Idempotency-Key` header makes a
 * retried report count once.
 *
 * @example
 * ```ts
 * const handler = createRouter([
 *   ...manualQueueRoutes({ queue: commerce.conflictQueue!, authorize }),
 *   ...syncReportRoutes({ store: commerce.store, audit: commerce.accessAudit, authorize }),
 * ]);
 * ```
 */
export function syncReportRoutes(options: SyncReportRoutesOptions): Route[] {
  const prefix = options.prefix ?? '/api/conflicts';
  const now = options.now ?? Date.now;
  const priorities = options.priorities ?? COMMERCE_SOURCE_PRIORITIES;
  const allowed = (options.sources ?? COMMERCE_SOURCES.filter((s) => s !== TIKTOK_SOURCE)) as [
    CommerceSource,
    ...CommerceSource[],
  ];
  const common = {
    creatorId: idSchema,
    source: z.enum(allowed),
    sourceId: idSchema.optional(),
    reportedAt: instantSchema.optional(),
  };
  const stockBody = z.strictObject({
    ...common,
    productId: idSchema,
    sku: idSchema.optional(),
    quantity: quantitySchema,
  });
  const orderBody = z
    .strictObject({
      ...common,
      orderId: idSchema,
      status: z.enum(ORDER_STATUSES).optional(),
      totalAmount: amountSchema.optional(),
      refundedAmount: amountSchema.optional(),
    })
    .refine(
      (d) => d.status !== undefined || d.totalAmount !== undefined || d.refundedAmount !== undefined,
      'status, totalAmount or refundedAmount is required',
    );

  const route = <S extends z.ZodType<z.infer<typeof stockBody> | z.infer<typeof orderBody>>>(
    kind: 'stock' | 'order',
    schema: S,
  ): Route => ({
    method: 'POST',
    path: `${prefix}/reports/${kind}`,
    handler: withBodyLimit(async (req): Promise<HttpResponse> => {
      const caller = await options.authorize(req);
      if (!caller) return problemResponse({ status: 401, code: 'UNAUTHENTICATED', message: 'Sign in first' });
      try {
        const admin = hasRole(caller, ADMIN_ROLE);
        // Refuse a caller without the role before reading the body.
        if (!admin && !hasRole(caller, SERVICE_ROLE))
          throw new AccessDeniedError(caller.userId, [SERVICE_ROLE, ADMIN_ROLE], 'Reporting to the sync');
        let json: unknown;
        try {
          json = JSON.parse(req.rawBody.toString('utf8'));
        } catch {
          return problemResponse({ status: 400, code: 'MALFORMED_JSON', message: 'The body is not JSON' });
        }
        const parsed = schema.safeParse(json);
        if (!parsed.success) {
          return problemResponse({
            status: 400,
            code: 'CONFLICT_MALFORMED_INPUT',
            message: `Invalid ${kind} report`,
            issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
          });
        }
        const body = parsed.data;
        // An admin's count outranks every automated source: only an admin reports it.
        if (body.source === MANUAL_SOURCE && !admin)
          throw new AccessDeniedError(caller.userId, [ADMIN_ROLE], `Reporting as ${MANUAL_SOURCE}`);
        const entity = 'productId' in body ? body.productId : body.orderId;
        const stream =
          kind === 'stock' ? inventoryStream(body.creatorId, entity) : orderStream(body.creatorId, entity);
        // Scoped as reads are: the caller's creators, or an admin anywhere (audited beyond their own).
        const actor = await authorizeWrite({
          audit: options.audit,
          auth: caller,
          roles: [SERVICE_ROLE, ADMIN_ROLE],
          action: `conflicts.report_${kind}`,
          resource: stream,
          tenantId: body.creatorId,
        });
        const base = {
          creatorId: body.creatorId,
          source: body.source as CommerceSource,
          sourceId: body.sourceId ?? caller.userId,
          reportedAt: body.reportedAt ?? new Date(now()).toISOString(),
        };
        const idempotencyKey = headerValue(req.headers, 'idempotency-key') || undefined;
        const append = { metadata: { source: body.source, ...actorMetadata(actor) } };
        let event;
        let entityId: string;
        if ('productId' in body) {
          entityId = body.productId;
          event = stockReportEvent({
            ...base,
            productId: body.productId,
            quantity: body.quantity,
            ...(body.sku === undefined ? {} : { sku: body.sku }),
          });
        } else {
          entityId = body.orderId;
          event = orderReportEvent({
            ...base,
            orderId: body.orderId,
            ...(body.status === undefined ? {} : { status: body.status }),
            ...(body.totalAmount === undefined ? {} : { totalAmount: body.totalAmount }),
            ...(body.refundedAmount === undefined ? {} : { refundedAmount: body.refundedAmount }),
          });
        }
        const result = await options.store.append(stream, [event], {
          aggregateType: kind === 'stock' ? 'inventory' : 'order',
          ...append,
          ...(idempotencyKey === undefined
            ? {}
            : { idempotencyKey: reportIdempotencyKey(caller.userId, idempotencyKey) }),
        });
        return jsonResponse(202, {
          // A replayed report answers the first one's outcome; its id is not this request's.
          eventId: result.duplicate ? null : event.id,
          entityType: kind === 'stock' ? 'inventory' : 'order',
          entityId,
          source: body.source,
          priority: priorities[body.source] ?? null,
          duplicate: result.duplicate,
        });
      } catch (err) {
        if (
          err instanceof AccessDeniedError ||
          err instanceof InvalidPrincipalError ||
          err instanceof MissingPrincipalError
        )
          return errorToProblem(err, COMMERCE_ERROR_REGISTRY);
        // What the store refuses (a key reused for another entity, 409) or cannot
        // reach (503) is the caller's to know; only a 500 is the adapter's to answer.
        const problem = problemOf(err, COMMERCE_ERROR_REGISTRY);
        if (problem.status !== 500) return problemResponse(problem);
        throw err;
      }
    }, MAX_BODY),
  });
  return [route('stock', stockBody), route('order', orderBody)];
}
