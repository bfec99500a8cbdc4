import { InvalidMetricError } from '../errors.js';
import type { Labels } from './metrics-port.js';

/**
 * The series key of `labels` over `labelNames`, in declaration order. A label
 * that is missing or undeclared is a programming error: it is refused rather
 * than silently creating a stray series.
 */
export function labelKey(metric: string, labelNames: readonly string[], labels: Labels | undefined): string {
  if (labelNames.length === 0) {
    if (labels && Object.keys(labels).length > 0) {
      throw new InvalidMetricError(
        `metric ${metric} has no labels but got ${Object.keys(labels).join(', ')}`,
      );
    }
    return '';
  }
  if (!labels) throw new InvalidMetricError(`metric ${metric} needs labels ${labelNames.join(', ')}`);
  let key = '';
  for (const name of labelNames) {
    const value = labels[name];
    if (value === undefined) throw new InvalidMetricError(`metric ${metric} is missing label ${name}`);
    key += key === '' ? value : `\u0000${value}`;
  }
  return key;
}

/** The labels of a series key made by {@link labelKey}. */
export function labelsOf(labelNames: readonly string[], key: string): Record<string, string> {
  if (labelNames.length === 0) return {};
  const values = key.split('\u0000');
  const labels: Record<string, string> = {};
  labelNames.forEach((name, i) => (labels[name] = values[i] ?? ''));
  return labels;
}
