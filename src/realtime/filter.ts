/**
 * Subscription filters in PostgREST style: `col=op.value` terms joined by
 * `AND` (or `&`), ops `eq, neq, lt, lte, gt, gte, in.(a,b)`. Parsing checks
 * every column against the channel's allow-list; the result is data, matched
 * in memory or turned into bound SQL parameters, never spliced into SQL.
 */
import type { Row } from '../core/row-change.js';
import type { ChannelDefinition } from './channels.js';
import { columnValueProblem, type ColumnType } from './column-types.js';
import { InvalidFilterError } from './errors.js';
import { compareDecimalText, isNumericText, orderingDouble } from './decimal.js';
import {
  canonicalValueAs,
  columnComparedAs,
  compareCodePoints,
  compareValuesAs,
  valueText,
} from './values.js';

/** Filter operators. */
export const FILTER_OPERATORS = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in'] as const;
/** One of {@link FILTER_OPERATORS}. */
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

/** One `col=op.value` term; `values` has one entry except for `in`. */
export interface FilterCondition {
  readonly column: string;
  readonly op: FilterOperator;
  /**
   * Canonical values (see `canonicalValueAs`): matched against a row's
   * canonical value on a typed column; the hash index's keys on any column.
   */
  readonly values: readonly string[];
  /** How the column is compared (see `columnComparedAs`); undefined: by content. */
  readonly comparedAs?: ColumnType;
  /**
   * The values as SQL parameters and by-content operands: the canonical ones
   * of a typed column, else the text as written (an undeclared column
   * compares `column::text` with it by content, in SQL and in memory alike).
   */
  readonly literals: readonly string[];
}

/** A parsed filter: all conditions must hold. */
export interface ParsedFilter {
  readonly conditions: readonly FilterCondition[];
  /** The normalised text, e.g. for logs and cache keys. */
  readonly text: string;
}

const TERM = /^([a-z_][a-z0-9_]*)=([a-z]+)\.(.*)$/s;
const MAX_FILTER_LENGTH = 2000;
const MAX_IN_VALUES = 100;

/** Split on ` AND ` (any case) or `&`, outside `in.(…)` parentheses. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && ch === '&') {
      terms.push(text.slice(start, i));
      start = i + 1;
    } else if (depth === 0 && /\s/.test(ch ?? '') && /^\s+and\s+/i.test(text.slice(i))) {
      const m = /^\s+and\s+/i.exec(text.slice(i))!;
      terms.push(text.slice(start, i));
      i += m[0].length - 1;
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms.map((t) => t.trim());
}

/** Values of `in.(a,b,"c,d")`: comma-separated, optionally double-quoted. */
function parseList(filter: string, raw: string): string[] {
  if (!raw.startsWith('(') || !raw.endsWith(')'))
    throw new InvalidFilterError(filter, 'in. needs a list: in.(a,b)');
  const body = raw.slice(1, -1);
  const values: string[] = [];
  let i = 0;
  while (i <= body.length) {
    if (body[i] === '"') {
      const end = body.indexOf('"', i + 1);
      if (end < 0) throw new InvalidFilterError(filter, 'unterminated quote in in.(…)');
      values.push(body.slice(i + 1, end));
      i = end + 1;
      if (i < body.length && body[i] !== ',')
        throw new InvalidFilterError(filter, 'expected "," after quoted value');
      i++;
    } else {
      const end = body.indexOf(',', i);
      const stop = end < 0 ? body.length : end;
      values.push(body.slice(i, stop).trim());
      i = stop + 1;
    }
  }
  if (values.some((v) => v === '')) throw new InvalidFilterError(filter, 'empty value in in.(…)');
  if (values.length > MAX_IN_VALUES)
    throw new InvalidFilterError(filter, `in.(…) takes at most ${MAX_IN_VALUES} values`);
  return values;
}

/**
 * Parse a filter for a channel. An empty or absent filter matches every row
 * (of the subscriber's tenants).
 *
 * @throws InvalidFilterError (code `INVALID_FILTER`) on unknown columns or operators, or bad syntax.
 * @example
 * ```ts
 * parseFilter(inventoryAlerts, 'severity=in.(warning,critical) AND stock=lt.10')
 * ```
 */
export function parseFilter(channel: ChannelDefinition, text: string | undefined | null): ParsedFilter {
  const source = (text ?? '').trim();
  if (source === '') return { conditions: [], text: '' };
  if (source.length > MAX_FILTER_LENGTH)
    throw new InvalidFilterError(source.slice(0, 40), 'filter is too long');
  const conditions: FilterCondition[] = [];
  for (const term of splitTerms(source)) {
    const match = TERM.exec(term);
    if (!match) throw new InvalidFilterError(source, `malformed term "${term}" (expected col=op.value)`);
    const [, column = '', op = '', raw = ''] = match;
    if (!channel.filterableColumns.includes(column)) {
      throw new InvalidFilterError(
        source,
        `column "${column}" is not filterable on channel "${channel.name}"`,
      );
    }
    if (!(FILTER_OPERATORS as readonly string[]).includes(op)) {
      throw new InvalidFilterError(source, `unknown operator "${op}" (use ${FILTER_OPERATORS.join(', ')})`);
    }
    const values = op === 'in' ? parseList(source, raw) : [raw];
    if (op !== 'in' && raw === '') throw new InvalidFilterError(source, `missing value in "${term}"`);
    const type = channel.columnTypes?.[column];
    for (const value of type ? values : []) {
      const problem = columnValueProblem(type!, value);
      if (problem) throw new InvalidFilterError(source, `"${value}" for ${column} ${problem}`);
    }
    const comparedAs = columnComparedAs(channel, column);
    const canonical = values.map((v) => canonicalValueAs(comparedAs, v) ?? '');
    conditions.push({
      column,
      op: op as FilterOperator,
      values: canonical,
      ...(comparedAs ? { comparedAs } : {}),
      literals: comparedAs ? canonical : values,
    });
  }
  const text2 = conditions
    .map(
      (c) =>
        `${c.column}=${c.op}.${c.op === 'in' ? `(${c.values.map((v) => JSON.stringify(v)).join(',')})` : c.values[0]}`,
    )
    .join(' AND ');
  return { conditions, text: text2 };
}

/** A literal of a by-content condition, read once per filter rather than once per row. */
interface ContentLiteral {
  text: string;
  numeric: boolean;
  /** See `orderingDouble`: a number row value compares with it directly. */
  double: number | null;
}

const contentLiterals = new WeakMap<FilterCondition, readonly ContentLiteral[]>();

function literalsOf(condition: FilterCondition): readonly ContentLiteral[] {
  let literals = contentLiterals.get(condition);
  if (!literals) {
    literals = condition.literals.map((text) => ({
      text,
      numeric: isNumericText(text),
      double: orderingDouble(text),
    }));
    contentLiterals.set(condition, literals);
  }
  return literals;
}

/** `compareValues` of a row value's text and a literal, without the text for a finite number. */
function compareContent(value: unknown, literal: ContentLiteral): number {
  if (typeof value === 'number' && Number.isFinite(value) && literal.double !== null)
    return value < literal.double ? -1 : value > literal.double ? 1 : 0;
  const text = valueText(value) ?? '';
  return literal.numeric && isNumericText(text)
    ? compareDecimalText(text, literal.text)
    : compareCodePoints(text, literal.text);
}

/**
 * True when a condition on an undeclared column holds: the row value's text
 * and the literal as written compare by content (`compareValues`), as
 * the SQL filter compares `column::text` (see `filterToSql`).
 */
function holdsByContent(condition: FilterCondition, value: unknown): boolean {
  if (value === null || value === undefined) return false;
  const literals = literalsOf(condition);
  if (condition.op === 'in') return literals.some((l) => compareContent(value, l) === 0);
  const sign = compareContent(value, literals[0]!);
  switch (condition.op) {
    case 'eq':
      return sign === 0;
    case 'neq':
      return sign !== 0;
    case 'lt':
      return sign < 0;
    case 'lte':
      return sign <= 0;
    case 'gt':
      return sign > 0;
    case 'gte':
      return sign >= 0;
  }
}

/** True when one condition holds for a row value. */
function holds(condition: FilterCondition, value: unknown): boolean {
  const type = condition.comparedAs;
  if (type === undefined) return holdsByContent(condition, value);
  const v = canonicalValueAs(type, value);
  // SQL semantics: a comparison with NULL is never true.
  if (v === null) return false;
  const first = condition.values[0] ?? '';
  switch (condition.op) {
    case 'eq':
      return v === first;
    case 'neq':
      return v !== first;
    case 'in':
      return condition.values.includes(v);
    case 'lt':
      return compareValuesAs(type, v, first) < 0;
    case 'lte':
      return compareValuesAs(type, v, first) <= 0;
    case 'gt':
      return compareValuesAs(type, v, first) > 0;
    case 'gte':
      return compareValuesAs(type, v, first) >= 0;
  }
}

/**
 * True when a row satisfies every condition of the filter.
 *
 * @example
 * ```ts
 * matchesFilter(parseFilter(ch, 'stock=lt.10'), { stock: 3 }) // true
 * ```
 */
export function matchesFilter(filter: ParsedFilter, row: Row): boolean {
  for (const c of filter.conditions) if (!holds(c, row[c.column])) return false;
  return true;
}
