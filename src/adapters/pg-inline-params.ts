/**
 * A parameterized statement written out with its parameters as literals, so
 * it can travel in one simple-protocol message behind `BEGIN` (pg.ts folds a
 * transaction's first statement into the message that opens it: one round
 * trip fewer per transaction).
 *
 * Each value becomes exactly the text node-postgres would have sent as that
 * parameter (its `prepareValue`), quoted as a string literal: an untyped
 * quoted literal and an untyped parameter are both of type `unknown` to the
 * server, so the statement means the same. Values node-postgres would send
 * another way (bytes, dates, which it formats in the local time zone, objects
 * with `toPostgres`) are not inlined: the caller sends the statement as usual.
 */

/** Why a statement cannot be inlined; the caller sends it with its parameters instead. */
class NotInlinable extends Error {}

/**
 * `text` with `$1`, `$2`, … replaced by literals of `params`, or undefined when
 * some value (or the text's shape) cannot be written out exactly.
 *
 * @example
 * ```ts
 * inlineParams('UPDATE t SET a = $1 WHERE b = $2', ["it's", 3]); // "UPDATE t SET a = 'it''s' WHERE b = '3'"
 * ```
 */
export function inlineParams(text: string, params: readonly unknown[]): string | undefined {
  try {
    const literals = params.map(literal);
    return replaceParams(text, (n) => {
      if (n < 1 || n > literals.length) throw new NotInlinable();
      return literals[n - 1]!;
    });
  } catch (err) {
    if (err instanceof NotInlinable) return undefined;
    throw err;
  }
}

/** A value as a SQL literal: NULL, or the text node-postgres would send, quoted. */
function literal(value: unknown): string {
  const text = paramText(value);
  return text === null ? 'NULL' : quoteLiteral(text);
}

/** node-postgres's `prepareValue`, for the values it writes as text the same way everywhere. */
function paramText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
      // A simple-protocol message is a C string: a NUL would end it early. Sent as a
      // parameter instead, the server refuses the value as it always did.
      if (value.includes('\0')) throw new NotInlinable();
      return value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return value.toString();
    case 'object':
      if (Array.isArray(value)) return arrayText(value);
      if (ArrayBuffer.isView(value) || value instanceof Date || 'toPostgres' in value)
        throw new NotInlinable();
      return JSON.stringify(value);
    default:
      throw new NotInlinable();
  }
}

/** node-postgres's `arrayString`: a PostgreSQL array literal. */
function arrayText(values: readonly unknown[]): string {
  const items = values.map((item) => {
    if (item === null || item === undefined) return 'NULL';
    if (Array.isArray(item)) return arrayText(item);
    if (ArrayBuffer.isView(item)) throw new NotInlinable();
    return `"${paramText(item)!.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  });
  return `{${items.join(',')}}`;
}

/** A string literal whatever `standard_conforming_strings` says (as node-postgres's `escapeLiteral`). */
function quoteLiteral(text: string): string {
  const quoted = `'${text.replace(/'/g, "''")}'`;
  return text.includes('\\') ? ` E${quoted.replace(/\\/g, '\\\\')}` : quoted;
}

/** `$n` (a parameter) or `$tag$` / `$$` (a dollar quote), read at a `$`. */
const PARAM = /\$(\d+)/y;
const DOLLAR_QUOTE = /\$(?:[A-Za-z_]\w*)?\$/y;

/**
 * Replace every parameter reference `$n` outside string literals, quoted
 * identifiers, dollar-quoted bodies and comments.
 */
function replaceParams(text: string, replace: (n: number) => string): string {
  let out = '';
  let i = 0;
  const copyUntil = (end: number) => {
    out += text.slice(i, end);
    i = end;
  };
  while (i < text.length) {
    const c = text[i]!;
    const previous = i > 0 ? text[i - 1]! : ' ';
    if (c === "'" || c === '"') {
      // Backslash escapes (E'\'') never occur in these statements: leave such a text alone.
      if (c === "'" && /\w/.test(previous)) throw new NotInlinable();
      copyUntil(closingQuote(text, i, c));
    } else if (c === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i);
      copyUntil(end === -1 ? text.length : end);
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      // Nested comments do not occur in these statements either.
      if (end === -1 || text.slice(i + 2, end).includes('/*')) throw new NotInlinable();
      copyUntil(end + 2);
    } else if (c === '$' && !/[\w$]/.test(previous)) {
      PARAM.lastIndex = i;
      const param = PARAM.exec(text);
      if (param) {
        out += replace(Number(param[1]));
        i += param[0].length;
        continue;
      }
      DOLLAR_QUOTE.lastIndex = i;
      const tag = DOLLAR_QUOTE.exec(text);
      if (!tag) {
        copyUntil(i + 1);
        continue;
      }
      const end = text.indexOf(tag[0], i + tag[0].length);
      if (end === -1) throw new NotInlinable();
      copyUntil(end + tag[0].length);
    } else copyUntil(i + 1);
  }
  return out;
}

/** The index after the quote that closes the one at `start` (a doubled quote is part of the text). */
function closingQuote(text: string, start: number, quote: string): number {
  let i = start + 1;
  for (;;) {
    const end = text.indexOf(quote, i);
    if (end === -1) throw new NotInlinable();
    if (text[end + 1] !== quote) return end + 1;
    i = end + 2;
  }
}
