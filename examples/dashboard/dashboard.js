/* global URLSearchParams, location, document, window, performance, cancelAnimationFrame, requestAnimationFrame, setTimeout */
// The live dashboard: delta-stream subscriptions to the commerce read models
// (system health, order metrics, daily revenue, inventory alerts) and the
// panels in their own files (conflicts-panel.js: the conflict queue), on
// ONE realtime connection (a user's limit counts connections), rendered with
// plain DOM. Nothing else feeds it.
import { connectMultiplexed } from '/dashboard/client.js';
import { formatCents, formatInt, formatMs, formatReading, trend } from '/dashboard/format.js';
import { mountConflictsPanel } from '/dashboard/conflicts-panel.js';
import { alertsPanel } from '/dashboard/alerts-panel.js';
import { mountForecastPanel } from '/dashboard/forecast-panel.js';
import { rowsDigest } from '/dashboard/rows-digest.js';
import { mountAccuracyFigure } from '/dashboard/forecast-accuracy.js';

const params = new URLSearchParams(location.search);
// ?transport=ws: WebSocket; ?transport=eventsource: the browser's EventSource; default SSE over fetch.
const transport =
  params.get('transport') === 'ws'
    ? 'websocket'
    : params.get('transport') === 'eventsource'
      ? 'eventsource'
      : 'sse';
const throttle = params.get('throttle');
// A token comes in the fragment (#token=…), which the browser never sends to
// a server, so it stays out of request lines and logs. Without one the host's
// anonymous per-browser cookie identifies the page (open access).
const token = new URLSearchParams(location.hash.slice(1)).get('token');
const wsOrigin = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
// SSE sends the token in a header; a browser WebSocket cannot, so only it puts it in the query.
const url =
  transport === 'websocket'
    ? `${wsOrigin}/realtime/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`
    : '/realtime/sse';
const headers = token && transport === 'sse' ? { authorization: `Bearer ${token}` } : undefined;

const $ = (id) => document.getElementById(id);

/**
 * Debug counters for tests and curious humans: per channel, every data and
 * reset cursor received in order, duplicates the client dropped, reconnects.
 */
const debug = { transport, channels: {}, states: {} };
window.__cfDebug = debug;

// One connection for every panel.
const connection = connectMultiplexed({
  url,
  transport,
  ...(headers ? { headers } : {}),
  backoff: { initialMs: 250, maxMs: 5000 },
});

function subscribe(channel, options, render) {
  const d = {
    resets: 0,
    data: 0,
    deltas: 0,
    dataCursors: [],
    resetCursors: [],
    duplicatesDropped: 0,
    reconnects: 0,
    // When the last envelope of any type (heartbeats too) arrived, and how many heartbeats:
    // a stream that stopped reaching the page shows here.
    lastAt: 0,
    heartbeats: 0,
    cursor: null,
    rows: [],
    // A digest of the rows after every reset/data message (bounded), to compare with a
    // reference: a digest, not a copy, so the debug state stays small enough to read.
    history: [],
  };
  debug.channels[channel] = d;
  const client = connection.subscribe({
    channel,
    ...options,
    ...(throttle !== null ? { throttleMs: Number(throttle) } : {}),
  });
  client.messages$.subscribe((envelope) => {
    d.lastAt = Date.now();
    if (envelope.type === 'heartbeat') d.heartbeats++;
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
    d.reconnects = connection.stats.reconnects;
    if (envelope.type === 'reset' || envelope.type === 'data') {
      d.rows = client.table.rows();
      d.history.push({ type: envelope.type, cursor: envelope.cursor, digest: rowsDigest(d.rows) });
      if (d.history.length > 2000) d.history.shift();
      render(d.rows);
      $('cursor').textContent = client.cursor ?? '–';
    }
  });
  // A panel is as connected as the connection, once its subscription is live.
  const update = () => {
    const sub = subState[channel];
    debug.states[channel] =
      sub === 'error'
        ? 'error'
        : connectionState === 'connected' && sub !== 'live'
          ? 'connecting'
          : connectionState;
    d.reconnects = connection.stats.reconnects;
    renderConnection();
  };
  client.state$.subscribe((state) => {
    subState[channel] = state;
    update();
  });
  updates.push(update);
  return client;
}

const subState = {};
const updates = [];
let connectionState = 'connecting';
connection.state$.subscribe((state) => {
  connectionState = state;
  for (const update of updates) update();
});

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
// The measurement each component shows (`measurements` is merged from every check).
const HEADLINE = {
  tiktok_api: 'webhook_latency_ms',
  order_processing: 'processing_latency_ms',
  inventory_sync: 'sync_delay_ms',
  automation_health: 'success_rate',
};
function renderHealth(rows) {
  const alerts = [];
  for (const row of rows) {
    const el = document.querySelector(`.component[data-component="${row.component}"]`);
    if (!el) continue;
    el.dataset.status = row.status;
    const unit = HEADLINE[row.component];
    const value = row.measurements?.[unit];
    el.querySelector('.reading').textContent = value === undefined ? '–' : formatReading(value, unit);
    const breaches =
      Array.isArray(row.breaches) && row.breaches.length ? ` (${row.breaches.join(', ')})` : '';
    el.title = `${LABELS[row.component] ?? row.component}: ${row.status}${breaches}`;
    if (row.status !== 'nominal') alerts.push({ ...row, breaches });
  }
  const overlay = $('alert-overlay');
  if (alerts.length === 0) {
    overlay.hidden = true;
    return;
  }
  const worst = alerts.some((a) => a.status === 'critical') ? 'critical' : 'warning';
  overlay.hidden = false;
  overlay.dataset.level = worst;
  $('alert-text').textContent = alerts
    .map((a) => `${LABELS[a.component] ?? a.component}: ${a.status}${a.breaches}`)
    .join(' · ');
}

// Order metrics: counters, automation health, processing time and its trend (computed server-side).
let previousOrders = null;
function renderOrders(rows) {
  const row = rows[0];
  if (!row) return;
  $('creator').textContent = row.creator_id;
  const p = previousOrders;
  const automation = row.automation_health_pct === null ? null : Number(row.automation_health_pct);
  animate($('active-orders'), Number(row.active_orders), formatInt);
  animate($('orders-received'), Number(row.received_orders), formatInt);
  if (automation === null) $('automation').textContent = '–';
  else animate($('automation'), automation, (v) => `${v.toFixed(1)}%`);
  if (row.avg_processing_ms === null) $('processing').textContent = '–';
  else animate($('processing'), Number(row.avg_processing_ms), formatMs);
  $('shipped').textContent = formatInt(row.shipped_orders);
  $('failed-badge').textContent = `${formatInt(row.failed_orders)} failed`;
  const processing = $('processing-trend');
  const change = row.processing_change_pct === null ? null : Number(row.processing_change_pct);
  if (row.trend_direction === 'flat' || change === null) {
    processing.textContent = change === null ? '' : '▬';
    processing.className = 'trend';
  } else {
    // Processing time going down is good.
    processing.textContent = `${row.trend_direction === 'up' ? '▲' : '▼'} ${Math.abs(change).toFixed(0)}%`;
    processing.className = `trend ${row.trend_direction === 'down' ? 'good' : 'bad'}`;
  }
  if (p) {
    setTrend('active-trend', Number(row.active_orders), Number(p.active_orders), true);
    setTrend('received-trend', Number(row.received_orders), Number(p.received_orders), true);
    if (automation !== null && p.automation_health_pct !== null)
      setTrend('automation-trend', automation, Number(p.automation_health_pct), true);
  }
  previousOrders = row;
}

// Revenue: today's (UTC) row of daily_revenue_metrics — completed orders' amounts.
let previousRevenue = null;
function renderRevenue(rows) {
  const today = [...rows].sort((a, b) => String(b.day).localeCompare(String(a.day)))[0];
  if (!today) return;
  const cents = Math.round(Number(today.revenue) * 100);
  animate($('revenue'), cents, formatCents);
  $('revenue-day').textContent = today.day;
  $('aov').textContent =
    today.avg_order_value === null ? '–' : formatCents(Number(today.avg_order_value) * 100);
  $('conversion').textContent =
    today.conversion_rate === null ? '–' : `${Number(today.conversion_rate).toFixed(0)}%`;
  $('delivered-badge').textContent = `${formatInt(today.orders_completed)} delivered`;
  $('cancelled-badge').textContent = `${formatInt(today.orders_cancelled)} cancelled`;
  if (previousRevenue && previousRevenue.day === today.day) {
    const gained = cents - Math.round(Number(previousRevenue.revenue) * 100);
    if (gained > 0) sparkle(`+${formatCents(gained)}`);
  }
  previousRevenue = today;
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

// Inventory alerts: active ones the server already filtered to warning/critical.
const ALERT_TYPES = {
  low_stock: 'Low stock',
  reorder: 'Reorder',
  velocity_anomaly: 'Demand spike',
  sync_conflict: 'Sync conflict',
};
const RANK = { critical: 0, warning: 1 };
function renderStock(rows) {
  const body = $('stock-rows');
  const sorted = [...rows].sort(
    (a, b) =>
      (RANK[a.severity] ?? 2) - (RANK[b.severity] ?? 2) ||
      Number(a.quantity ?? Infinity) - Number(b.quantity ?? Infinity) ||
      String(a.product_id).localeCompare(String(b.product_id)),
  );
  if (sorted.length === 0) {
    body.innerHTML = '<tr class="empty"><td colspan="4">All products are well stocked.</td></tr>';
    return;
  }
  body.replaceChildren(
    ...sorted.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.severity = r.severity;
      tr.dataset.product = r.product_id;
      tr.dataset.alert = r.alert_type;
      // The message starts with the product id, shown in its own column.
      let message = String(r.message ?? '').replace(`${r.product_id}: `, '');
      const recent = r.details?.recent_velocity_per_hour;
      if (r.alert_type === 'velocity_anomaly' && recent !== undefined)
        message += ` · ${formatInt(recent)} sold / h`;
      // Only a low-stock alert follows the stock level; others keep the level they were raised at.
      const threshold = r.threshold === null ? '' : `<small>min ${formatInt(r.threshold)}</small>`;
      const stock =
        r.alert_type === 'low_stock' && r.quantity !== null ? `${formatInt(r.quantity)}${threshold}` : '–';
      const cells = [
        `<strong>${escape(ALERT_TYPES[r.alert_type] ?? r.alert_type)}</strong><small>${escape(r.product_id)}</small>`,
        stock,
        escape(message),
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

$('transport').textContent =
  transport === 'websocket'
    ? 'WebSocket'
    : transport === 'eventsource'
      ? 'EventSource'
      : 'Server-Sent Events';
subscribe('system_health_metrics', {}, renderHealth);
subscribe('order_metrics', {}, renderOrders);
subscribe('daily_revenue_metrics', {}, renderRevenue);
subscribe('inventory_alerts', { filter: 'status=eq.active AND severity=in.(warning,critical)' }, renderStock);
// Panels in files of their own get the same subscribe (one connection for all).
mountConflictsPanel(subscribe);
subscribe(
  'monitoring_alerts',
  { filter: 'state=in.(pending,firing,acknowledged)' },
  alertsPanel($('alert-rows'), { headers: token ? { authorization: `Bearer ${token}` } : {} }),
);
mountForecastPanel(subscribe, $('forecast-charts'));
mountAccuracyFigure(subscribe, $('forecast-accuracy'));
