/**
 * Options of the library's factories are checked once, by a zod schema, and
 * frozen: a typo or a wrong type fails at startup with every bad field named,
 * not later as an odd behaviour.
 */
import { z } from 'zod';
import { InvalidOptionsError } from './errors.js';

/**
 * Parse `value` with `schema` and return it frozen (its own fields; nested
 * objects are left as given); throw {@link InvalidOptionsError} naming each
 * bad field by its dotted path.
 *
 * @example
 * ```ts
 * const options = parseOptions('createRealtimeHub', realtimeHubOptionsSchema, input);
 * ```
 */
export function parseOptions<S extends z.ZodType>(
  what: string,
  schema: S,
  value: unknown,
): Readonly<z.output<S>> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidOptionsError(
      what,
      parsed.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.'),
        message:
          issue.code === 'unrecognized_keys' ? `unknown option(s) ${issue.keys.join(', ')}` : issue.message,
      })),
      { cause: parsed.error },
    );
  }
  const data = parsed.data as z.output<S>;
  return typeof data === 'object' && data !== null ? Object.freeze(data) : data;
}

/**
 * A zod check for an object with the given methods (a port given by the host).
 *
 * @example
 * ```ts
 * const pubsub = portSchema('a PubSub', ['publish', 'subscribe']);
 * ```
 */
export function portSchema<T>(what: string, methods: readonly string[]): z.ZodType<T> {
  return zCustom<T>(
    (v) =>
      (typeof v === 'object' || typeof v === 'function') &&
      v !== null &&
      methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
    `expected ${what} (an object with ${methods.join(', ')})`,
  );
}

/**
 * A zod check for a function.
 *
 * @example
 * ```ts
 * z.object({ now: functionSchema<() => number>().optional() })
 * ```
 */
export function functionSchema<T>(): z.ZodType<T> {
  return zCustom<T>((v) => typeof v === 'function', 'expected a function');
}

function zCustom<T>(check: (v: unknown) => boolean, message: string): z.ZodType<T> {
  return z.custom<T>(check, { message });
}
