import type { ZodType } from 'zod';
import { SyncError, ValidationError } from '../core/errors.js';

/**
 * An append used an event type the strict store does not know.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof UnknownEventTypeError) console.log(err.eventType); }
 * ```
 */
export class UnknownEventTypeError extends SyncError {
  readonly eventType: string;
  constructor(eventType: string) {
    super('UNKNOWN_EVENT_TYPE', `Event type "${eventType}" is not registered and the store is strict`);
    this.eventType = eventType;
  }
}

/** Event types and their zod schemas; validates payloads before anything is written. */
export class EventTypeRegistry {
  readonly #schemas = new Map<string, ZodType>();
  readonly #strict: boolean;

  constructor(strict: boolean) {
    this.#strict = strict;
  }

  register(type: string, schema: ZodType): void {
    this.#schemas.set(type, schema);
  }

  /** Throws {@link ValidationError} or {@link UnknownEventTypeError}; returns nothing on success. */
  validate(type: string, data: unknown, where: string): void {
    const schema = this.#schemas.get(type);
    if (!schema) {
      if (this.#strict) throw new UnknownEventTypeError(type);
      return;
    }
    const parsed = schema.safeParse(data);
    if (parsed.success) return;
    throw new ValidationError(
      `${where} (${type}) does not match its schema`,
      parsed.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.'),
        message: issue.message,
      })),
      { cause: parsed.error },
    );
  }
}
