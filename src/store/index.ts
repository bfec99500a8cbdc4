export { createEventStore } from './create-event-store.js';
export type { EventStoreConfig } from './store-config.js';
export type * from './types.js';
export {
  START_CHECKPOINT,
  compareCheckpoints,
  formatCheckpoint,
  isCheckpoint,
  parseCheckpoint,
  type CheckpointParts,
  type LogCheckpoint,
} from '../core/checkpoint.js';
export { UnknownEventTypeError } from './event-registry.js';
export { satisfiesExpectedVersion } from './expected-version.js';
