/**
 * Everything an append checks before it reaches a database: arguments,
 * schemas, sizes. A request that fails here never joins a group commit.
 */
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError, PayloadTooLargeError, ValidationError } from '../core/errors.js';
import type { EventTypeRegistry } from './event-registry.js';
import { assertExpectedVersion } from './expected-version.js';
import { formatCheckpoint } from '../core/checkpoint.js';
import { isStorableText, unstorableInJson } from '../core/storable-text.js';
import type {
  AppendOptions,
  EventMetadata,
  ExpectedVersion,
  JoinedWrite,
  NewEvent,
  StoredEvent,
} from './types.js';

/** An event checked and serialised, ready to write. */
export interface PreparedEvent {
  id: string;
  type: string;
  /** JSON text of the payload (serialised once, sent as is). */
  dataJson: string;
  metadataJson: string;
  occurredAt: Date;
}

/** An append checked and ready for the writer. */
export interface PreparedAppend {
  streamId: string;
  aggregateType: string;
  expectedVersion: ExpectedVersion;
  idempotencyKey: string | undefined;
  events: PreparedEvent[];
  /** Committed in the flush's statement, on a store that applies it (see AppendOptions.joined). */
  joined?: JoinedWrite;
}

/** Limits applied to appends. */
export interface AppendLimits {
  maxPayloadBytes: number;
  maxEventsPerAppend: number;
  /** How far a given `occurredAt` may lie from the store's clock (`null`: anywhere). */
  occurredAtWindow: { readonly pastMs: number; readonly futureMs: number } | null;
}

const MAX_NAME_LENGTH = 256;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function requireName(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME_LENGTH) {
    throw new InvalidArgumentError(
      `${what} must be a non-empty string of at most ${MAX_NAME_LENGTH} characters`,
    );
  }
  // PostgreSQL refuses a NUL, and the driver turns a lone surrogate into U+FFFD: two
  // names would name one stream (or one key), and reads would return another name.
  if (!isStorableText(value)) {
    throw new InvalidArgumentError(`${what} must not contain a NUL character or a lone UTF-16 surrogate`);
  }
  return value;
}

function toJson(value: unknown, what: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new ValidationError(`${what} is not serialisable as JSON`, [{ path: '', message: String(err) }], {
      cause: err,
    });
  }
  if (json === undefined) {
    throw new ValidationError(`${what} is not serialisable as JSON`, [{ path: '', message: 'undefined' }]);
  }
  // PostgreSQL jsonb rejects NUL characters and lone surrogates; refuse them here, typed,
  // rather than with the database's error (and the same on every store).
  const unstorable = unstorableInJson(json);
  if (unstorable !== undefined) {
    throw new ValidationError(`${what} contains ${unstorable}, which PostgreSQL cannot store`, [
      { path: '', message: `contains ${unstorable}` },
    ]);
  }
  return json;
}

/** Refuse an `occurredAt` too far from the store's clock: it would pick a partition by a sender's whim. */
function assertInWindow(
  occurredAt: Date,
  now: Date,
  window: AppendLimits['occurredAtWindow'],
  where: string,
): void {
  if (window === null) return;
  const offset = occurredAt.getTime() - now.getTime();
  if (offset >= -window.pastMs && offset <= window.futureMs) return;
  throw new ValidationError(`${where}: occurredAt is outside the store's window`, [
    {
      path: 'occurredAt',
      message:
        `${occurredAt.toISOString()} is more than ${offset < 0 ? `${window.pastMs} ms before` : `${window.futureMs} ms after`} ` +
        `the store's clock (${now.toISOString()}); keep a sender's own time in the payload`,
    },
  ]);
}

/** The append's metadata overlaid with the event's own. */
function mergeMetadata(base: EventMetadata, own: EventMetadata | undefined): EventMetadata {
  if (!own) return base;
  // Object.assign is several times cheaper than a double spread on V8 11, but it
  // would run the __proto__ setter for such a key (from JSON.parse); spread keeps it a plain key.
  return Object.hasOwn(own, '__proto__') || Object.hasOwn(base, '__proto__')
    ? { ...base, ...own }
    : Object.assign({}, base, own);
}

/**
 * Check and serialise one append. Throws a typed error and has no side effects.
 */
export function prepareAppend(
  streamId: unknown,
  events: readonly NewEvent[] | unknown,
  options: AppendOptions | undefined,
  registry: EventTypeRegistry,
  limits: AppendLimits,
  now: () => Date,
): PreparedAppend {
  const id = requireName(streamId, 'streamId');
  if (!Array.isArray(events) || events.length === 0) {
    throw new InvalidArgumentError(`append to "${id}" needs at least one event`);
  }
  if (events.length > limits.maxEventsPerAppend) {
    throw new InvalidArgumentError(
      `append to "${id}" has ${events.length} events, over the limit of ${limits.maxEventsPerAppend}`,
    );
  }
  const opts = options ?? {};
  const expectedVersion = opts.expectedVersion ?? 'any';
  assertExpectedVersion(expectedVersion);
  const aggregateType =
    opts.aggregateType === undefined ? 'unknown' : requireName(opts.aggregateType, 'aggregateType');
  const idempotencyKey =
    opts.idempotencyKey === undefined ? undefined : requireName(opts.idempotencyKey, 'idempotencyKey');
  const baseMetadata: EventMetadata = opts.metadata ?? {};
  const timestamp = now();
  const seen = new Set<string>();

  const prepared = (events as readonly NewEvent[]).map((event, index): PreparedEvent => {
    const where = `event ${index} of "${id}"`;
    if (typeof event !== 'object' || event === null)
      throw new InvalidArgumentError(`${where} must be an object`);
    const type = requireName(event.type, `${where}: type`);
    if (event.data === undefined) throw new InvalidArgumentError(`${where} (${type}) has no data`);
    registry.validate(type, event.data, `${where} payload`);
    const eventId = event.id ?? randomUUID();
    if (!UUID.test(eventId)) throw new InvalidArgumentError(`${where}: id must be a uuid`);
    if (seen.has(eventId))
      throw new InvalidArgumentError(`${where}: id ${eventId} is repeated in the append`);
    seen.add(eventId);
    const occurredAt = event.occurredAt ?? timestamp;
    if (!(occurredAt instanceof Date) || Number.isNaN(occurredAt.getTime())) {
      throw new InvalidArgumentError(`${where}: occurredAt must be a valid Date`);
    }
    if (event.occurredAt !== undefined) assertInWindow(occurredAt, timestamp, limits.occurredAtWindow, where);
    const dataJson = toJson(event.data, `${where} payload`);
    const metadataJson = toJson(mergeMetadata(baseMetadata, event.metadata), `${where} metadata`);
    const size = Buffer.byteLength(dataJson) + Buffer.byteLength(metadataJson);
    if (size > limits.maxPayloadBytes) {
      throw new PayloadTooLargeError(`${where} (${type})`, size, limits.maxPayloadBytes);
    }
    return { id: eventId, type, dataJson, metadataJson, occurredAt };
  });

  return {
    streamId: id,
    aggregateType,
    expectedVersion,
    idempotencyKey,
    events: prepared,
    ...(opts.joined === undefined ? {} : { joined: opts.joined }),
  };
}

/** Where a prepared event landed: what the store assigned when writing it. */
export interface EventPlacement {
  version: number;
  globalPosition: number;
  transactionId: string | number | bigint;
  processedAt: Date;
}

/** The {@link StoredEvent} a prepared event became once written (payloads parsed back into fresh objects). */
export function storedEventOf(req: PreparedAppend, event: PreparedEvent, at: EventPlacement): StoredEvent {
  return {
    id: event.id,
    aggregateId: req.streamId,
    aggregateType: req.aggregateType,
    type: event.type,
    data: JSON.parse(event.dataJson) as unknown,
    metadata: JSON.parse(event.metadataJson) as EventMetadata,
    version: at.version,
    globalPosition: at.globalPosition,
    occurredAt: event.occurredAt,
    processedAt: at.processedAt,
    checkpoint: formatCheckpoint(at.transactionId, at.globalPosition),
  };
}
