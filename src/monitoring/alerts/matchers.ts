/**
 * Label matchers, as Alertmanager and PromQL write them: equal, not equal,
 * regular expression (anchored), and its negation.
 */

/** A value to equal, or `{ not }`, `{ re }` (anchored), `{ notRe }`. */
export type Matcher = string | { not: string } | { re: string } | { notRe: string };

/** Matchers by label name; a missing label is the empty string, as in Prometheus. */
export type Matchers = Readonly<Record<string, Matcher>>;

const compiled = new Map<string, RegExp>();
const regex = (source: string) => {
  let r = compiled.get(source);
  if (!r) {
    r = new RegExp(`^(?:${source})$`);
    compiled.set(source, r);
  }
  return r;
};

/**
 * Whether `labels` satisfy every matcher.
 *
 * @example
 * ```ts
 * matchLabels({ code: '503' }, { code: { re: '5..' } }); // true
 * ```
 */
export function matchLabels(
  labels: Readonly<Record<string, string>>,
  matchers: Matchers | undefined,
): boolean {
  if (!matchers) return true;
  for (const [name, m] of Object.entries(matchers)) {
    const value = labels[name] ?? '';
    if (typeof m === 'string') {
      if (value !== m) return false;
    } else if ('not' in m) {
      if (value === m.not) return false;
    } else if ('re' in m) {
      if (!regex(m.re).test(value)) return false;
    } else if (regex(m.notRe).test(value)) return false;
  }
  return true;
}
