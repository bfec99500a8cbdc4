/* global document */
// The forecast panel: one chart per product, drawn as inline SVG from two
// channels on the dashboard's one connection. `product_trend_analysis` (the
// analytics updater's rows: the 30-day forecast distribution, stock-out dates,
// the reorder plan and the weekly adjustment) and `product_daily_sales` (the
// history). Each chart shows the last weeks sold, the median forecast, the
// 10–90 % band and the predicted stock-out (median date, with its 10–90 %
// range); under it, the reorder suggestion and what the weekly pattern adds.
import { formatInt } from '/dashboard/format.js';

const SVG = 'http://www.w3.org/2000/svg';
/** Days of history drawn before the forecast. */
const HISTORY_DAYS = 42;
const W = 420;
const H = 150;
const PAD = { left: 30, right: 8, top: 10, bottom: 18 };
const DAY_MS = 86_400_000;
const WEEKDAY_NAMES = { sun: 'Sun', mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat' };

const escape = (s) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
const dayMs = (date) => Date.parse(`${date}T00:00:00Z`);
const addDays = (date, n) => new Date(dayMs(date) + n * DAY_MS).toISOString().slice(0, 10);
/** "Fri 11 Dec" */
const friendly = (date) =>
  new Date(dayMs(date)).toLocaleDateString('en-GB', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  });

function el(name, attributes = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const points = (xy) => xy.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');

/** The chart of one product: history, band, median, today and the stock-out. */
export function forecastChart(trend, sales) {
  const forecast = Array.isArray(trend.forecast) ? trend.forecast : [];
  const first = trend.first_date;
  const from = addDays(first, -HISTORY_DAYS);
  const history = Array.from({ length: HISTORY_DAYS }, (_, i) => {
    const day = addDays(from, i);
    return { day, units: Number(sales.get(day) ?? 0) };
  });
  const days = HISTORY_DAYS + forecast.length;
  const top = Math.max(1, ...history.map((h) => h.units), ...forecast.map((d) => Number(d.p90))) * 1.1;
  const x = (i) => PAD.left + ((W - PAD.left - PAD.right) * i) / Math.max(1, days - 1);
  const y = (v) => H - PAD.bottom - ((H - PAD.top - PAD.bottom) * v) / top;
  const at = (date) => HISTORY_DAYS + (dayMs(date) - dayMs(first)) / DAY_MS;

  const svg = el('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'forecast-chart',
    role: 'img',
    'aria-label': `Sales of ${trend.product_id} and its 30-day forecast`,
  });
  // Axis: zero line and the top value.
  svg.append(el('line', { class: 'axis', x1: PAD.left, x2: W - PAD.right, y1: y(0), y2: y(0) }));
  svg.append(
    el(
      'text',
      { class: 'tick', x: PAD.left - 4, y: y(top / 1.1) + 4, 'text-anchor': 'end' },
      formatInt(top / 1.1),
    ),
  );
  svg.append(el('text', { class: 'tick', x: PAD.left - 4, y: y(0), 'text-anchor': 'end' }, '0'));

  // The predicted stock-out: its 10–90 % range shaded, the median date as a line.
  const lo = trend.stockout_p10_date;
  const mid = trend.stockout_median_date;
  const hi = trend.stockout_p90_date;
  if (lo) {
    const x0 = x(Math.min(days - 1, at(lo)));
    const x1 = x(Math.min(days - 1, hi ? at(hi) : days - 1));
    svg.append(
      el('rect', {
        class: 'stockout-range',
        x: x0,
        y: PAD.top,
        width: Math.max(1, x1 - x0),
        height: H - PAD.top - PAD.bottom,
      }),
    );
  }
  if (mid) {
    const sx = x(at(mid));
    svg.append(el('line', { class: 'stockout', x1: sx, x2: sx, y1: PAD.top, y2: y(0), 'data-date': mid }));
    svg.append(
      el(
        'text',
        { class: 'stockout-label', x: sx - 3, y: PAD.top + 9, 'text-anchor': 'end' },
        `out ~${friendly(mid)}`,
      ),
    );
  }

  if (forecast.length > 0) {
    const upper = forecast.map((d, i) => [x(HISTORY_DAYS + i), y(Number(d.p90))]);
    const lower = forecast.map((d, i) => [x(HISTORY_DAYS + i), y(Number(d.p10))]).reverse();
    svg.append(el('polygon', { class: 'band', points: points([...upper, ...lower]) }));
  }
  // Sales history, then the median continuing from the last day sold.
  svg.append(el('polyline', { class: 'history', points: points(history.map((h, i) => [x(i), y(h.units)])) }));
  if (forecast.length > 0) {
    const last = history.at(-1);
    const median = forecast.map((d, i) => [x(HISTORY_DAYS + i), y(Number(d.p50))]);
    svg.append(
      el('polyline', { class: 'median', points: points([[x(HISTORY_DAYS - 1), y(last.units)], ...median]) }),
    );
  }
  const today = x(HISTORY_DAYS - 0.5);
  svg.append(el('line', { class: 'today', x1: today, x2: today, y1: PAD.top, y2: y(0) }));
  svg.append(el('text', { class: 'tick', x: PAD.left, y: H - 4 }, friendly(from)));
  svg.append(el('text', { class: 'tick', x: today, y: H - 4, 'text-anchor': 'middle' }, 'today'));
  svg.append(
    el(
      'text',
      { class: 'tick', x: W - PAD.right, y: H - 4, 'text-anchor': 'end' },
      friendly(addDays(first, forecast.length - 1)),
    ),
  );
  return svg;
}

/** "reorder 140 units by Fri 11 Dec (lead time 5 days) to keep a 95 % chance of not stocking out; …". */
export function reorderText(trend) {
  const message = trend.reorder_message;
  if (!message)
    return trend.available === null
      ? 'No stock level known yet.'
      : 'Stock covers the forecast: no reorder needed.';
  return message.replace(/\d{4}-\d{2}-\d{2}/, (date) => friendly(date));
}

/** What the weekly pattern adds to the covered demand, and the strongest days. */
export function seasonalText(trend) {
  const byDay = Object.entries(trend.seasonal_adjustment ?? {}).map(([d, v]) => [d, Number(v)]);
  if (byDay.every(([, v]) => Math.abs(v) < 0.05)) return 'No weekly pattern in this product’s sales.';
  byDay.sort((a, b) => b[1] - a[1]);
  const fmt = ([d, v]) => `${WEEKDAY_NAMES[d] ?? d} ${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(1)}/day`;
  const units = Number(trend.seasonal_adjustment_units ?? 0);
  const sign = units >= 0 ? '+' : '−';
  return `Seasonal adjustment ${sign}${formatInt(Math.abs(units))} units in the reorder (${[byDay[0], byDay[1], byDay.at(-1)].map(fmt).join(', ')})`;
}

const RISK = (t) => (t.stockout_median_date ? dayMs(t.stockout_median_date) : Infinity);

/**
 * Mount the panel in `container` with the dashboard's `subscribe`
 * (one connection for every panel).
 */
export function mountForecastPanel(subscribe, container) {
  let trends = [];
  const sales = new Map(); // product → (day → units)
  const render = () => {
    if (trends.length === 0) return;
    const sorted = [...trends].sort(
      (a, b) => RISK(a) - RISK(b) || String(a.product_id).localeCompare(String(b.product_id)),
    );
    container.replaceChildren(
      ...sorted.map((t) => {
        const card = document.createElement('figure');
        card.className = 'forecast';
        card.dataset.product = t.product_id;
        card.dataset.method = t.method;
        if (t.stockout_median_date) card.dataset.stockout = t.stockout_median_date;
        const spike = t.spike_state === 'confirmed' || t.spike_state === 'flagged';
        const badge = spike
          ? `<span class="badge ${t.spike_state === 'confirmed' ? 'err' : 'warn'}">spike ${Math.round(Number(t.spike_confidence) * 100)} %</span>`
          : '';
        const head = document.createElement('figcaption');
        head.innerHTML = `<strong>${escape(t.product_id)}</strong> <small>${escape(t.method)} · 30 days ≈ ${formatInt(t.total_p50)} (${formatInt(t.total_p10)}–${formatInt(t.total_p90)})</small> ${badge}`;
        const reorder = document.createElement('p');
        reorder.className = `reorder${Number(t.reorder_quantity) > 0 ? ' due' : ''}`;
        reorder.textContent = reorderText(t);
        const seasonal = document.createElement('p');
        seasonal.className = 'seasonal';
        seasonal.textContent = seasonalText(t);
        card.append(head, forecastChart(t, sales.get(t.product_id) ?? new Map()), reorder, seasonal);
        return card;
      }),
    );
  };
  subscribe('product_trend_analysis', {}, (rows) => {
    trends = rows;
    render();
  });
  subscribe('product_daily_sales', {}, (rows) => {
    sales.clear();
    for (const r of rows) {
      if (!sales.has(r.product_id)) sales.set(r.product_id, new Map());
      sales.get(r.product_id).set(r.day, Number(r.units));
    }
    render();
  });
}
