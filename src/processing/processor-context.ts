/**
 * What the parts of a processor (loop, lease, delivery, observation) share:
 * its options, its processing state, its event emitter and failure reporting.
 */
import type { EventEmitter } from 'eventemitter3';
import type { LogCheckpoint } from '../core/checkpoint.js';
import type { ProcessorEventMap } from './processor-events.js';
import type { ResolvedProcessorOptions } from './processor-options.js';
import type { ProcessingState } from './state/processing-state.js';

/** A processor as its parts see it. */
export interface ProcessorContext {
  readonly name: string;
  readonly o: ResolvedProcessorOptions;
  readonly state: ProcessingState;
  /** The processor itself, for its typed lifecycle events. */
  readonly events: EventEmitter<ProcessorEventMap>;
  /** True between `start()` and `stop()`. */
  readonly running: boolean;
  /** Aborted by `stop()`: retries waiting on it give up. */
  readonly stopSignal: AbortSignal;
  /** Create the processing tables once. */
  migrate(): Promise<void>;
  /** The checkpoint stored for this processor now (by this instance or another), or null. */
  stored(): Promise<LogCheckpoint | null>;
  /** Report a background failure: logged at `error` and emitted as `'error'`. */
  fail(err: unknown, msg: string, fields?: Record<string, unknown>): void;
}

/**
 * Report a background failure: logged at `error` (so it is seen even with no
 * listener) and emitted as `'error'`. eventemitter3 does not throw on an
 * `'error'` nobody listens to, so the host process never crashes from it;
 * a listener that throws is logged too, and the processor goes on.
 *
 * @example
 * ```ts
 * reportFailure(options, processor, err, 'batch failed');
 * ```
 */
export function reportFailure(
  o: ResolvedProcessorOptions,
  events: EventEmitter<ProcessorEventMap>,
  err: unknown,
  msg: string,
  fields: Record<string, unknown> = {},
): void {
  const component = `processor:${o.name}`;
  o.logger.error({ component, ...fields, err }, msg);
  try {
    events.emit('error', err);
  } catch (thrown) {
    o.logger.error({ component, err: thrown }, "an 'error' listener threw");
  }
}
