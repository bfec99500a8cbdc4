/**
 * What the documentation's examples assume the reader's app already has: a
 * database pool, a store, a logger, an HTTP session and the app's own
 * functions. Declared here so each ```ts block of README.md and docs/
 * compiles as printed (see doc-snippets.test.ts); a block that makes one of
 * these itself shadows it. Kept out of the project's tsconfig: these globals
 * must not leak into the tests.
 */
import type { IncomingMessage } from 'node:http';
import type { Pool } from 'pg';
import type { Redis } from 'ioredis';
import type { Observable } from 'rxjs';
import type { WebSocketServer } from 'ws';
import type { Express } from 'express';
import type {
  EventStore,
  Logger,
  Processor,
  ProjectionDefinition,
  PubSub,
  RealtimeHub,
  RowChange,
  SqlClient,
  StepContext,
  CompensationContext,
  SyncEngine,
} from '@creatorflow/sync';
import type {
  ConflictRecord,
  ConflictResolver,
  ContenderInput,
  JsonObject,
} from '@creatorflow/sync/conflicts';
import type { HttpRequestHead } from '@creatorflow/sync/http';
import type { RateLimiter } from '@creatorflow/sync/ingest';
import type { Commerce, QueueCaller, ShippingProviderConfig } from '@creatorflow/sync/commerce';

declare global {
  // Infrastructure.
  const pool: Pool;
  const sql: SqlClient;
  const store: EventStore;
  const redis: Redis;
  const log: Logger;
  const wss: WebSocketServer;
  const hub: RealtimeHub;
  const orderTotals: ProjectionDefinition;
  const stockLevels: ProjectionDefinition;
  const processor: Processor;
  const rowChanges$: Observable<RowChange>;
  const pubsub: PubSub;
  const rateLimiter: RateLimiter;
  // The host's engine and web server (Express in the docs' examples).
  const engine: SyncEngine;
  const app: Express;
  const commerce: Commerce;
  // Webhook credentials (TikTok Shop app, shipping providers by name).
  const appKey: string;
  const appSecret: string;
  const providers: Record<string, ShippingProviderConfig>;
  // The app's session (realtime authorisation).
  function sessionUser(req: IncomingMessage): string;
  function creatorsOf(req: IncomingMessage): string[];
  // The app's session (admin routes): the caller behind an Authorization header.
  function sessionOf(authorization: HttpRequestHead['headers'][string]): QueueCaller | null;
  // The cache's loaders: the app's own queries.
  const creatorId: string;
  function loadTop(): Promise<JsonObject>;
  function loadDashboard(creatorId: string): Promise<JsonObject>;
  // Conflicts: incoming changes, the current state, an admin notifier.
  const resolver: ConflictResolver;
  const changes: readonly ContenderInput[];
  const readModel: { get(entityType: string, entityId: string): JsonObject | undefined };
  function notifyAdmins(record: ConflictRecord): void;
  // Sagas: the order-fulfillment steps, written by the app.
  type OrderInput = { orderId: string; amount: number };
  function validate(ctx: StepContext<OrderInput>): Promise<void>;
  function allocate(ctx: StepContext<OrderInput>): Promise<{ reservationId: string }>;
  function charge(ctx: StepContext<OrderInput>): Promise<{ chargeId: string }>;
  function buyLabel(ctx: StepContext<OrderInput>): Promise<{ labelId: string }>;
  function notifyTikTok(ctx: StepContext<OrderInput>): Promise<void>;
  function markFailed(ctx: CompensationContext<OrderInput>): Promise<void>;
  function release(ctx: CompensationContext<OrderInput>): Promise<void>;
  function refund(ctx: CompensationContext<OrderInput>): Promise<void>;
  function cancelLabel(ctx: CompensationContext<OrderInput>): Promise<void>;
  // A payment provider's client.
  const payments: {
    charge(amount: number, options: { idempotencyKey: string; signal: AbortSignal }): Promise<{ id: string }>;
    refund(chargeId: string, options: { idempotencyKey: string }): Promise<void>;
    findCharge(query: { idempotencyKey: string }): Promise<{ id: string } | undefined>;
  };
  // A browser page (the realtime client).
  const token: string;
  const statusElement: { textContent: string | null };
  function render(rows: readonly unknown[]): void;
}
