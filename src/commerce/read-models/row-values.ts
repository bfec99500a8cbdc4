/**
 * Reading read-model values back, whichever engine stored them: PostgreSQL
 * returns timestamptz as Date and jsonb parsed; the in-memory table keeps
 * what the handler wrote (ISO strings).
 */

/** Milliseconds since the epoch of a stored instant, or null. */
export function toMs(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

/** A stored instant as an ISO string, or null. */
export function toIso(value: unknown): string | null {
  const ms = toMs(value);
  return ms === null ? null : new Date(ms).toISOString();
}

/** A stored number (numeric columns may come back as strings), or `fallback`. */
export function toNumber(value: unknown, fallback = 0): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    if (Number.isFinite(n)) return n;
  }
  return fallback;
}

/** A stored number or null. */
export function toNumberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : toNumber(value, Number.NaN);
}

/** A stored jsonb array of numbers. */
export function toNumberArray(value: unknown): number[] {
  return Array.isArray(value) ? value.filter((v): v is number => typeof v === 'number') : [];
}

/** A stored jsonb object of numbers. */
export function toMeasurements(value: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}

/** The event's time as ISO. */
export function eventTime(event: { occurredAt: Date }): string {
  return event.occurredAt.toISOString();
}

/** Creator id of rows about the whole system rather than one creator. */
export const SYSTEM_CREATOR_ID = '*';
