/**
 * Which subscribers may care about a row, found by hashing: each subscriber is
 * filed under one column and its allowed values (its most selective equality
 * or `in` term, or its tenant ids), so a change only visits the subscribers
 * whose indexed value it carries, not every subscriber of the channel.
 */
import type { Row } from '../core/row-change.js';
import { canonicalValue } from './values.js';

/** The column and values a subscriber is filed under. */
export interface IndexTerm {
  column: string;
  values: readonly string[];
}

/**
 * A hash index of subscribers by column value.
 *
 * @example
 * ```ts
 * index.add(sub, { column: 'creator_id', values: ['c1'] });
 * for (const s of index.candidates(change.oldRow, change.newRow)) s.offer(change);
 * ```
 */
export class SubscriberIndex<S> {
  readonly #byColumn = new Map<string, Map<string, Set<S>>>();
  readonly #terms = new Map<S, IndexTerm | null>();
  /** Subscribers with no hashable term (an admin's every-tenant subscription): offered every change. */
  readonly #everyChange = new Set<S>();
  readonly #canonical: (column: string, value: unknown) => string | null;

  /**
   * `canonical`: a row value's canonical text, as the filter's values were
   * made (a channel's typed columns: `canonicalValueAs`); default `canonicalValue`.
   */
  constructor(canonical: (column: string, value: unknown) => string | null = (_, v) => canonicalValue(v)) {
    this.#canonical = canonical;
  }

  /** Number of subscribers filed. */
  get size(): number {
    return this.#terms.size;
  }

  /** File a subscriber under one term; `null`: it is a candidate for every change. */
  add(subscriber: S, term: IndexTerm | null): void {
    this.remove(subscriber);
    this.#terms.set(subscriber, term);
    if (term === null) {
      this.#everyChange.add(subscriber);
      return;
    }
    let byValue = this.#byColumn.get(term.column);
    if (!byValue) this.#byColumn.set(term.column, (byValue = new Map()));
    for (const value of term.values) {
      let set = byValue.get(value);
      if (!set) byValue.set(value, (set = new Set()));
      set.add(subscriber);
    }
  }

  /** Remove a subscriber. */
  remove(subscriber: S): void {
    if (!this.#terms.has(subscriber)) return;
    const term = this.#terms.get(subscriber);
    this.#terms.delete(subscriber);
    this.#everyChange.delete(subscriber);
    if (!term) return;
    const byValue = this.#byColumn.get(term.column);
    if (!byValue) return;
    for (const value of term.values) {
      const set = byValue.get(value);
      set?.delete(subscriber);
      if (set?.size === 0) byValue.delete(value);
    }
    if (byValue.size === 0) this.#byColumn.delete(term.column);
  }

  /** Subscribers filed under a value either row version carries. */
  candidates(oldRow: Row | null, newRow: Row | null): Set<S> {
    const out = new Set<S>(this.#everyChange);
    for (const [column, byValue] of this.#byColumn) {
      for (const row of [oldRow, newRow]) {
        if (!row) continue;
        const value = this.#canonical(column, row[column]);
        if (value === null) continue;
        const set = byValue.get(value);
        if (set) for (const s of set) out.add(s);
      }
    }
    return out;
  }

  /** Every subscriber. */
  all(): IterableIterator<S> {
    return this.#terms.keys();
  }
}
