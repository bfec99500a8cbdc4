/**
 * Column types of a channel's filterable columns. A filter value is checked
 * against its column's type when the filter is parsed, so `quantity=lt.abc`
 * is a 400 at subscribe time instead of an SQL error (a retried 503) when the
 * snapshot runs. Columns without a declared type take any text.
 */

/** Types a channel may declare for its columns. */
export const COLUMN_TYPES = ['text', 'integer', 'bigint', 'number', 'boolean', 'date', 'timestamp'] as const;
/** One of {@link COLUMN_TYPES}: `integer` is PostgreSQL's 32-bit `integer`, `number` any finite decimal. */
export type ColumnType = (typeof COLUMN_TYPES)[number];

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$/i;

function inRange(value: string, bits: 32 | 64): boolean {
  const n = BigInt(value);
  const max = (1n << BigInt(bits - 1)) - 1n;
  return n >= -max - 1n && n <= max;
}

/**
 * Why `value` is not a valid literal of `type`, or null when it is.
 *
 * @example
 * ```ts
 * columnValueProblem('integer', 'abc') // 'is not an integer'
 * columnValueProblem('integer', '42')  // null
 * ```
 */
export function columnValueProblem(type: ColumnType, value: string): string | null {
  switch (type) {
    case 'text':
      return null;
    case 'integer':
    case 'bigint': {
      const bits = type === 'integer' ? 32 : 64;
      if (!INTEGER.test(value)) return 'is not an integer';
      return inRange(value, bits) ? null : `is out of range for a ${bits}-bit integer`;
    }
    case 'number':
      return DECIMAL.test(value) && Number.isFinite(Number(value)) ? null : 'is not a finite number';
    case 'boolean':
      return value === 'true' || value === 'false' ? null : 'is not true or false';
    case 'date':
      return DATE.test(value) && !Number.isNaN(Date.parse(value)) ? null : 'is not a date (YYYY-MM-DD)';
    case 'timestamp':
      return TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value.replace(' ', 'T')))
        ? null
        : 'is not an ISO 8601 timestamp';
  }
}
