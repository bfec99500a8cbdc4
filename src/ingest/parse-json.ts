/**
 * Body parsing shared by the receivers: size limit, JSON, then a zod schema.
 */
import type { ZodType } from 'zod';
import { IngestError } from './errors.js';

// Fatal: invalid UTF-8 is an error, not silently replaced (the signature covered the bytes).
// ignoreBOM keeps a byte-order mark in the text, so the text is exactly what was signed.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reject a body over `maxBytes` with `PAYLOAD_TOO_LARGE`.
 *
 * @example
 * ```ts
 * assertBodySize(req.rawBody, 256 * 1024);
 * ```
 */
export function assertBodySize(rawBody: Buffer, maxBytes: number): void {
  if (rawBody.length > maxBytes) {
    throw new IngestError(
      'PAYLOAD_TOO_LARGE',
      `Body is ${rawBody.length} bytes, over the limit of ${maxBytes}`,
    );
  }
}

/**
 * The body as text, character for character what was signed
 * (`MALFORMED_JSON` when it is not UTF-8).
 *
 * @example
 * ```ts
 * const text = decodeBody(req.rawBody);
 * ```
 */
export function decodeBody(rawBody: Buffer): string {
  try {
    return UTF8.decode(rawBody);
  } catch (cause) {
    throw new IngestError('MALFORMED_JSON', 'Body is not valid UTF-8', { cause });
  }
}

/**
 * Parse JSON text (`MALFORMED_JSON` when it is not); a leading byte-order mark is skipped.
 *
 * @example
 * ```ts
 * const value = parseJsonText('{"a":1}');
 * ```
 */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown;
  } catch (cause) {
    throw new IngestError('MALFORMED_JSON', 'Body is not valid JSON', { cause });
  }
}

/**
 * Parse UTF-8 JSON (`MALFORMED_JSON` when it is not).
 *
 * @example
 * ```ts
 * const value = parseJsonBody(Buffer.from('{"a":1}'));
 * ```
 */
export function parseJsonBody(rawBody: Buffer): unknown {
  return parseJsonText(decodeBody(rawBody));
}

/**
 * Validate `value` with `schema` (`SCHEMA_VIOLATION` listing every issue).
 *
 * @example
 * ```ts
 * const envelope = parseWith(envelopeSchema, json, 'TikTok envelope');
 * ```
 */
export function parseWith<T>(schema: ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  const detail = issues
    .slice(0, 5)
    .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
    .join('; ');
  throw new IngestError('SCHEMA_VIOLATION', `${what} is invalid: ${detail}`, { issues });
}
