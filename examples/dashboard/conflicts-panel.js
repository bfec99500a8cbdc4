/* global document, setInterval */
// The conflicts panel: the `conflict_queue` channel (one row per conflict
// resolve-sync-conflicts audited: stock figures, and orders whose status,
// amount or refund the sources disagree on) on the dashboard's one connection.
// It shows the manual queue (pending conflicts), how the queue moved over the
// last minutes, and the latest automatic resolutions. Everything is derived
// from the rows: a conflict was waiting at time t when it was detected by t
// and not resolved by t.
import { formatInt } from '/dashboard/format.js';
import { listedConflicts } from '/dashboard/conflict-rows.js';

const $ = (id) => document.getElementById(id);
const TREND_POINTS = 24;
const TREND_STEP_MS = 5_000;
const SOURCES = {
  tiktok_webhook: 'TikTok',
  manual_admin: 'Admin',
  automated_system: 'Warehouse',
  scheduled_sync: 'ERP sync',
  payment_processor: 'Payments',
  shipping_provider: 'Shipping',
};

const ms = (v) => (v === null || v === undefined ? null : new Date(v).getTime());
const escape = (s) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

/** Queue size at each of the last TREND_POINTS steps, oldest first. */
export function queueTrend(rows, now) {
  const points = [];
  for (let i = TREND_POINTS - 1; i >= 0; i--) {
    const t = now - i * TREND_STEP_MS;
    points.push(
      rows.filter((r) => ms(r.detected_at) <= t && (r.status === 'pending' || ms(r.resolved_at) > t)).length,
    );
  }
  return points;
}

function sparkline(points) {
  const max = Math.max(1, ...points);
  const w = 120;
  const h = 28;
  const step = w / Math.max(1, points.length - 1);
  const path = points.map((p, i) => `${(i * step).toFixed(1)},${(h - (p / max) * (h - 2) - 1).toFixed(1)}`);
  return `<svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" aria-hidden="true"><polyline points="${path.join(' ')}" /></svg>`;
}

function sourcesOf(row) {
  return String(row.sources ?? '')
    .split(',')
    .filter(Boolean)
    .map((s) => SOURCES[s] ?? s)
    .join(' · ');
}

/** Stock: ours → theirs, and the settled count once resolved. */
function stockFigures(r) {
  if (r.local_quantity === null) return '–';
  return (
    `${formatInt(r.local_quantity)} → ${formatInt(r.remote_quantity)}` +
    (r.status === 'pending' ? '' : ` <small>settled ${formatInt(r.resolved_quantity ?? 0)}</small>`)
  );
}

/** Orders: what the sources disagree on (status, amount, refund), and what was settled. */
function orderFigures(r) {
  const disputed = r.disputed
    ? String(r.disputed)
        .split('; ')
        .map((field) => escape(field.replace(/\(([a-z_]+)\)/g, (_, s) => `(${SOURCES[s] ?? s})`)))
        .join('<br />')
    : '–';
  return (
    disputed + (r.settled && r.status !== 'pending' ? ` <small>settled ${escape(r.settled)}</small>` : '')
  );
}

let latest = [];
function render(rows) {
  latest = rows;
  const pending = rows.filter((r) => r.status === 'pending');
  const auto = rows.filter((r) => r.status === 'resolved');
  const manual = rows.filter((r) => r.status === 'manually_resolved');
  $('conflicts-pending').textContent = formatInt(pending.length);
  $('conflicts-pending').dataset.value = String(pending.length);
  $('conflicts-resolved').textContent = formatInt(auto.length);
  $('conflicts-resolved').dataset.value = String(auto.length);
  $('conflicts-decided').textContent = formatInt(manual.length);
  const points = queueTrend(rows, Date.now());
  const first = points[0];
  const last = points[points.length - 1];
  const trend = $('conflicts-trend');
  trend.innerHTML = sparkline(points);
  trend.dataset.direction = last > first ? 'up' : last < first ? 'down' : 'flat';
  trend.title = `Manual queue over the last ${(TREND_POINTS * TREND_STEP_MS) / 60_000} minutes`;
  const listed = listedConflicts(rows);
  const body = $('conflict-rows');
  if (listed.length === 0) {
    body.innerHTML = '<tr class="empty"><td colspan="4">No conflicting figures yet.</td></tr>';
    return;
  }
  body.replaceChildren(
    ...listed.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.status = r.status;
      tr.dataset.conflict = r.conflict_id;
      tr.dataset.entityType = r.entity_type;
      const figures = r.entity_type === 'inventory' ? stockFigures(r) : orderFigures(r);
      const label =
        r.status === 'pending'
          ? '<span class="badge warn">manual queue</span>'
          : r.status === 'manually_resolved'
            ? `<span class="badge ok">decided${r.decided_by ? ` by ${escape(r.decided_by)}` : ''}</span>`
            : '<span class="badge ok">resolved</span>';
      const why = r.reasons ? `<small>${escape(String(r.reasons).replace(/_/g, ' '))}</small>` : '';
      const cells = [
        `<strong>${r.entity_type === 'order' ? 'Order ' : ''}${escape(r.entity_id)}</strong><small>${escape(String(r.kind).replace(/_/g, ' '))}</small>`,
        figures,
        `${escape(sourcesOf(r))}${why}`,
        label,
      ];
      tr.innerHTML = cells.map((c) => `<td>${c}</td>`).join('');
      return tr;
    }),
  );
}

/**
 * Subscribe the panel with the dashboard's `subscribe(channel, options, render)`.
 *
 * @example
 * mountConflictsPanel(subscribe);
 */
export function mountConflictsPanel(subscribe) {
  subscribe('conflict_queue', {}, render);
  // The trend moves with time even when no row changes.
  setInterval(() => latest.length > 0 && render(latest), TREND_STEP_MS);
}
