/* global document */
// The forecast panel's live-accuracy figure, from `creator_performance_analytics`
// (the analytics updater scores every kept forecast once its 30 days have
// passed): the share of 30-day totals within 20 % of what sold against the
// specification's 85 % target, the share of days inside the 10–90 % interval
// against its 80 % (a calibrated interval covers about 80 %), and how many
// forecasts were scored. The same figures are the metrics
// creatorflow_forecast_within_20pct_ratio, creatorflow_forecast_coverage_80_ratio
// and creatorflow_forecasts_scored.
import { formatInt } from '/dashboard/format.js';

const SVG = 'http://www.w3.org/2000/svg';
const W = 420;
const ROW = 26;
const LABEL = 150;
const BAR = W - LABEL - 56;
/** The specification's target: 85 % of forecasts within 20 % of what sold. */
export const WITHIN_TARGET = 0.85;
/** A calibrated 10–90 % interval covers about 80 % of days (0.75–0.85 is on target). */
export const COVERAGE_TARGET = 0.8;

function el(name, attributes = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Pool the creators' rows: ratios weighted by forecasts scored. */
export function pooledAccuracy(rows) {
  let scored = 0;
  let within = 0;
  let coverage = 0;
  for (const r of rows) {
    const n = Number(r.forecasts_scored) || 0;
    if (n === 0 || r.accuracy_within_20pct === null || r.accuracy_coverage_80 === null) continue;
    scored += n;
    within += Number(r.accuracy_within_20pct) * n;
    coverage += Number(r.accuracy_coverage_80) * n;
  }
  return scored === 0 ? { scored } : { scored, within: within / scored, coverage: coverage / scored };
}

const pct = (v) => `${Math.round(v * 100)} %`;

/** One bar: the measured share, a tick at the target, the figure in words. */
function bar(svg, i, { label, value, target, klass, onTarget }) {
  const y = 4 + i * ROW;
  svg.append(el('text', { class: 'acc-label', x: 0, y: y + 13 }, label));
  svg.append(el('rect', { class: 'acc-track', x: LABEL, y, width: BAR, height: 16, rx: 3 }));
  svg.append(
    el('rect', {
      class: `acc-value ${klass} ${onTarget ? 'on-target' : 'off-target'}`,
      x: LABEL,
      y,
      width: Math.max(1, BAR * Math.min(1, value)),
      height: 16,
      rx: 3,
      'data-value': value.toFixed(3),
    }),
  );
  const tx = LABEL + BAR * target;
  svg.append(
    el('line', { class: 'acc-target', x1: tx, x2: tx, y1: y - 3, y2: y + 19, 'data-target': target }),
  );
  svg.append(el('text', { class: 'acc-figure', x: LABEL + BAR + 6, y: y + 13 }, pct(value)));
}

/** The figure for pooled figures (see {@link pooledAccuracy}). */
export function accuracyFigure(figures) {
  const figure = document.createElement('figure');
  figure.className = 'forecast-accuracy';
  figure.dataset.testid = 'forecast-accuracy';
  figure.dataset.scored = String(figures.scored);
  if (figures.scored === 0) {
    const empty = document.createElement('p');
    empty.className = 'empty';
    empty.textContent =
      'Live accuracy: not enough scored forecasts yet (a forecast is scored once its 30 days have passed).';
    figure.append(empty);
    return figure;
  }
  figure.dataset.within = figures.within.toFixed(3);
  figure.dataset.coverage = figures.coverage.toFixed(3);
  const svg = el('svg', {
    viewBox: `0 0 ${W} ${2 * ROW + 4}`,
    class: 'accuracy-chart',
    role: 'img',
    'aria-label': `${pct(figures.within)} of forecasts within 20 % (target 85 %), ${pct(figures.coverage)} of days inside the 80 % interval`,
  });
  bar(svg, 0, {
    label: 'within 20 % of sales',
    value: figures.within,
    target: WITHIN_TARGET,
    klass: 'within',
    onTarget: figures.within >= WITHIN_TARGET,
  });
  bar(svg, 1, {
    label: '80 % interval coverage',
    value: figures.coverage,
    target: COVERAGE_TARGET,
    klass: 'coverage',
    onTarget: Math.abs(figures.coverage - COVERAGE_TARGET) <= 0.05,
  });
  const caption = document.createElement('figcaption');
  caption.textContent = `Live accuracy of ${formatInt(figures.scored)} scored forecast${figures.scored === 1 ? '' : 's'} · target 85 % within 20 %, interval covering ~80 %`;
  figure.append(caption, svg);
  return figure;
}

/** Mount the figure in `container` with the dashboard's `subscribe`. */
export function mountAccuracyFigure(subscribe, container) {
  subscribe('creator_performance_analytics', {}, (rows) => {
    container.replaceChildren(accuracyFigure(pooledAccuracy(rows)));
  });
}
