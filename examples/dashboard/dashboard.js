/* global URLSearchParams, structuredClone, location, document, window, performance, cancelAnimationFrame, requestAnimationFrame, setTimeout */
// The live dashboard: three delta-stream subscriptions (system health, order
// metrics, critical stock), rendered with plain DOM. Nothing else feeds it.
import { connectRealtime } from '/dashboard/client.js';
import { formatCents, formatHours, formatInt, formatMs, formatReading, trend } from '/dashboard/format.js';

const params = new URLSearchParams(location.search);
const transport = params.get('transport') === 'ws' ? 'websocket' : 'sse';
const throttle = params.get('throttle');
const token = params.get('token');
const wsOrigin = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
const endpoint = transport === 'websocket' ? `${wsOrigin}/realtime/ws` : '/realtime/sse';
const url = token ? `${endpoint}?token=${encodeURIComponent(token)}` : endpoint;

const $ = (id) => document.getElementById(id);

/**
 * Debug counters for tests and curious humans: per channel, every data and
 * reset cursor received in order, duplicates the client dropped, reconnects.
 */
const debug = { transport, channels: {}, states: {} };
window.__cfDebug = debug;

function subscribe(channel, options, render) {
  const d = {
    resets: 0,
    data: 0,
    deltas: 0,
    dataCursors: [],
    resetCursors: [],
    duplicatesDropped: 0,
    reconnects: 0,
    cursor: null,
    rows: [],
    // The rows after every reset/data message (bounded), to compare with a reference.
    history: [],
  };
  debug.channels[channel] = d;
  const client = connectRealtime({
    url,
    transport,
    channel,
    ...options,
    ...(throttle !== null ? { throttleMs: Number(throttle) } : {}),
    backoff: { initialMs: 250, maxMs: 5000 },
  });
  client.messages$.subscribe((envelope) => {
    if (envelope.type === 'reset') {
      d.resets++;
      d.resetCursors.push(envelope.cursor);
    } else if (envelope.type === 'data') {
      d.data++;
      d.deltas += envelope.deltas?.length ?? 0;
      d.dataCursors.push(envelope.cursor);
    }
    d.cursor = client.cursor;
    d.duplicatesDropped = client.stats.duplicatesDropped;
    d.reconnects = client.stats.reconnects;
    if (envelope.type === 'reset' || envelope.type === 'data') {
      d.rows = client.table.rows();
      d.history.push({ type: envelope.type, cursor: envelope.cursor, rows: structuredClone(d.rows) });
      if (d.history.length > 2000) d.history.shift();
      render(d.rows);
      $('cursor').textContent = client.cursor ?? '–';
    }
  });
  client.state$.subscribe((state) => {
    debug.states[channel] = state;
    d.reconnects = client.stats.reconnects;
    renderConnection();
  });
  return client;
}

function renderConnection() {
  const states = Object.values(debug.states);
  const state = states.every((s) => s === 'connected')
    ? 'connected'
    : states.includes('error')
      ? 'error'
      : states.includes('reconnecting')
        ? 'reconnecting'
        : 'connecting';
  const el = $('connection');
  el.dataset.state = state;
  el.querySelector('.text').textContent = state;
}

// Animated counters: tween from what is shown to the new value.
function animate(el, to, format) {
  const from = Number(el.dataset.shown ?? el.dataset.value ?? 0);
  el.dataset.value = String(to);
  const start = performance.now();
  const duration = 700;
  cancelAnimationFrame(Number(el.dataset.frame ?? 0));
  const step = (t) => {
    const k = Math.min(1, (t - start) / duration);
    const eased = 1 - (1 - k) ** 3;
    const v = from + (to - from) * eased;
    el.dataset.shown = String(v);
    el.textContent = format(v);
    if (k < 1) el.dataset.frame = String(requestAnimationFrame(step));
  };
  el.dataset.frame = String(requestAnimationFrame(step));
  if (to !== from) {
    el.classList.remove('bump');
    void el.offsetWidth;
    el.classList.add('bump');
  }
}

function setTrend(id, current, previous, goodWhenUp, label = '') {
  const t = trend(current, previous, goodWhenUp);
  if (!t.arrow) return;
  const el = $(id);
  el.textContent = `${t.arrow}${label}`;
  el.className = `trend ${t.cls}`;
}

// System health: colour-coded icons; pulse when nominal, alert overlay otherwise.
const LABELS = {
  tiktok_api: 'TikTok API',
  order_processing: 'Order processing',
  inventory_sync: 'Inventory sync',
  automation_health: 'Automation',
};
function renderHealth(rows) {
  const alerts = [];
  for (const row of rows) {
    const el = document.querySelector(`.component[data-metric="${row.metric}"]`);
    if (!el) continue;
    el.dataset.status = row.status;
    el.querySelector('.reading').textContent = formatReading(row.value, String(row.unit ?? ''));
    el.title = `${LABELS[row.metric] ?? row.metric}: ${row.status}`;
    if (row.status !== 'nominal') alerts.push(row);
  }
  const overlay = $('alert-overlay');
  if (alerts.length === 0) {
    overlay.hidden = true;
    return;
  }
  const worst = alerts.some((a) => a.status === 'critical') ? 'critical' : 'warning';
  overlay.hidden = false;
  overlay.dataset.level = worst;
  $('alert-text').textContent = alerts.map((a) => `${LABELS[a.metric] ?? a.metric}: ${a.status}`).join(' · ');
}

// Orders and revenue.
let previousOrders = null;
function renderOrders(rows) {
  const row = rows[0];
  if (!row) return;
  $('creator').textContent = row.creator_id;
  const p = previousOrders;
  animate($('active-orders'), Number(row.active_orders), formatInt);
  animate($('orders-today'), Number(row.orders_today), formatInt);
  animate($('automation'), Number(row.automation_health), (v) => `${v.toFixed(1)}%`);
  animate($('processing'), Number(row.avg_processing_ms), formatMs);
  animate($('revenue'), Number(row.revenue_cents), formatCents);
  $('fulfilled').textContent = formatInt(row.fulfilled);
  $('delivered-badge').textContent = `${formatInt(row.delivered)} delivered`;
  $('cancelled-badge').textContent = `${formatInt(row.cancelled)} cancelled`;
  $('failed-badge').textContent = `${formatInt(row.failed)} failed`;
  if (p) {
    setTrend('active-trend', Number(row.active_orders), Number(p.active_orders), true);
    setTrend('today-trend', Number(row.orders_today), Number(p.orders_today), true);
    setTrend('automation-trend', Number(row.automation_health), Number(p.automation_health), true);
    const change =
      Number(p.avg_processing_ms) > 0
        ? ((Number(row.avg_processing_ms) - Number(p.avg_processing_ms)) / Number(p.avg_processing_ms)) * 100
        : 0;
    setTrend(
      'processing-trend',
      Number(row.avg_processing_ms),
      Number(p.avg_processing_ms),
      false,
      ` ${Math.abs(change).toFixed(0)}%`,
    );
    const gained = Number(row.revenue_cents) - Number(p.revenue_cents);
    if (gained > 0) sparkle(`+${formatCents(gained)}`);
  }
  previousOrders = row;
}

function sparkle(text) {
  const host = $('revenue-sparkle');
  const particle = document.createElement('span');
  particle.className = 'particle';
  particle.textContent = text;
  particle.style.left = `${55 + Math.random() * 30}%`;
  host.append(particle);
  setTimeout(() => particle.remove(), 1600);
}

// Critical stock: rows the server already filtered to warning/critical.
function renderStock(rows) {
  const body = $('stock-rows');
  const sorted = [...rows].sort(
    (a, b) => (a.hours_to_stockout ?? Infinity) - (b.hours_to_stockout ?? Infinity) || a.stock - b.stock,
  );
  if (sorted.length === 0) {
    body.innerHTML = '<tr class="empty"><td colspan="5">All products are well stocked.</td></tr>';
    return;
  }
  body.replaceChildren(
    ...sorted.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.severity = r.severity;
      tr.dataset.sku = r.sku;
      const cells = [
        `<strong>${escape(r.product_name ?? r.sku)}</strong><small>${escape(r.sku)}</small>`,
        `${formatInt(r.stock)}<small>min ${formatInt(r.threshold)}</small>`,
        formatInt(r.velocity_per_hour),
        formatHours(r.hours_to_stockout),
        `<span class="badge ${r.severity === 'critical' ? 'err' : 'warn'}">${r.severity}</span>`,
      ];
      tr.innerHTML = cells.map((c) => `<td>${c}</td>`).join('');
      return tr;
    }),
  );
}

const escape = (s) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

$('transport').textContent = transport === 'websocket' ? 'WebSocket' : 'Server-Sent Events';
subscribe('system_health_metrics', {}, renderHealth);
subscribe('order_metrics', {}, renderOrders);
subscribe('inventory_alerts', { filter: 'severity=in.(warning,critical)' }, renderStock);
