/* global document, fetch, console */
// The alerts panel: the `monitoring_alerts` read model's live rows (pending,
// firing, acknowledged), their severity and escalation level, and who was
// last notified through which channels. Acknowledging posts to the host's
// route; the row turns `acknowledged` when its event reaches the read model.

const RANK = { critical: 0, warning: 1, info: 2 };
const STATE_RANK = { firing: 0, acknowledged: 1, pending: 2 };

const escape = (s) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

/** "3 min ago" from a timestamp (ISO string). */
function ago(at, now = Date.now()) {
  const s = Math.max(0, Math.round((now - Date.parse(at)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

const words = (s) => String(s).replaceAll('_', ' ');

/**
 * A renderer for the panel in `tbody`; `headers` authorise the acknowledge
 * request (a token), `onError` reports a refused one.
 */
export function alertsPanel(tbody, { headers = {}, onError = (err) => console.error(err) } = {}) {
  tbody.addEventListener('click', (event) => {
    const button = event.target.closest?.('button[data-ack]');
    if (!button) return;
    button.disabled = true;
    fetch(`/alerts/${encodeURIComponent(button.dataset.ack)}/acknowledge`, { method: 'POST', headers })
      .then((res) => {
        if (!res.ok) throw new Error(`acknowledge: HTTP ${res.status}`);
      })
      .catch((err) => {
        button.disabled = false;
        onError(err);
      });
  });

  return function render(rows) {
    const live = [...rows].sort(
      (a, b) =>
        (STATE_RANK[a.state] ?? 3) - (STATE_RANK[b.state] ?? 3) ||
        (RANK[a.severity] ?? 3) - (RANK[b.severity] ?? 3) ||
        String(a.since).localeCompare(String(b.since)),
    );
    if (live.length === 0) {
      tbody.innerHTML = '<tr class="empty"><td colspan="5">No alerts firing.</td></tr>';
      return;
    }
    tbody.replaceChildren(
      ...live.map((r) => {
        const tr = document.createElement('tr');
        tr.dataset.severity = r.severity;
        tr.dataset.state = r.state;
        tr.dataset.rule = r.rule;
        const summary = r.annotations?.summary ?? '';
        const level =
          r.level === null || r.level === undefined
            ? ''
            : `<small>escalation level ${Number(r.level) + 1}</small>`;
        const badge = r.severity === 'critical' ? 'err' : r.severity === 'warning' ? 'warn' : 'ok';
        const state =
          r.state === 'acknowledged' && r.acknowledged_by
            ? `acknowledged<small>by ${escape(r.acknowledged_by)}, ${ago(r.since)}</small>`
            : `${escape(r.state)}<small>${ago(r.since)}</small>`;
        const recipients = Array.isArray(r.recipients) ? r.recipients : [];
        const notified =
          recipients.length === 0
            ? '<span class="muted">not yet</span>'
            : `${recipients.map((x) => escape(words(x))).join(', ')}` +
              `<small>${(r.channels ?? []).map((c) => escape(words(c))).join(' · ')}${
                r.notified_at ? `, ${ago(r.notified_at)}` : ''
              }</small>`;
        const action =
          r.state === 'firing'
            ? `<button type="button" class="ack" data-ack="${escape(r.fingerprint)}">Acknowledge</button>`
            : '';
        const cells = [
          `<strong>${escape(words(r.rule))}</strong><small>${escape(summary)}</small>`,
          `<span class="badge ${badge}">${escape(r.severity)}</span>${level}`,
          `<span class="alert-state">${state}</span>`,
          `<span class="notified">${notified}</span>`,
          action,
        ];
        tr.innerHTML = cells.map((c) => `<td>${c}</td>`).join('');
        return tr;
      }),
    );
  };
}
