export { createEventStore } from './create-event-store.js';
export type { EventStoreConfig } from './store-config.js';
export type {
  AppendOptions,
  JoinedWrite,
  JoinedWriter,
  AppendRequest,
  AppendResult,
  ArchiveOptions,
  EventMetadata,
  EventStore,
  ExpectedVersion,
  InlineHook,
  NewEvent,
  ReadAllOptions,
  ReadAllResult,
  ReaderLag,
  ReadStreamOptions,
  ReadStreamResult,
  StoredEvent,
  SubscribeOptions,
} from './types.js';
export {
  START_CHECKPOINT,
  compareCheckpoints,
  formatCheckpoint,
  isCheckpoint,
  parseCheckpoint,
  type CheckpointParts,
  type LogCheckpoint,
} from '../core/checkpoint.js';
export {
  defineEvents,
  type CatalogEvent,
  type EventCatalog,
  type EventOfType,
  type NewEventFor,
  type EventMapOf,
  type EventMapOfSchemas,
  type EventOf,
  type NewEventOf,
  type UntypedEvents,
} from './define-events.js';
export { UnknownEventTypeError } from './event-registry.js';
export { satisfiesExpectedVersion } from './expected-version.js';
