// Webhook endpoints: add one (URL, the events it receives, a note), see its signing secret once
// (partnerd keeps it to sign, the list never shows it again), delete it, and read its recent
// deliveries with their status, attempts and the endpoint's last answer.
import {
  h, api, section, field, formError, act, copyButton, table, pagedList, dateTime, loadInto, emptyState,
} from './common.js';

const EVENTS = [
  ['conversion.created', 'a conversion is recorded'], ['commission.created', 'a commission is earned'],
  ['commission.approved', 'a commission is approved'], ['commission.reversed', 'a commission is reversed (refund or rejection)'],
  ['payout.created', 'a payout batch is created'], ['payout.paid', 'a payout batch is paid'],
  ['click.created', 'every click (many events)'],
];

function createForm(onCreated) {
  const url = h('input', { name: 'url', type: 'url', required: true, placeholder: 'https://example.com/partnerd-events' });
  const description = h('input', { name: 'description', maxlength: 500, placeholder: 'optional, e.g. CRM sync' });
  const boxes = EVENTS.map(([e, what]) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', name: 'events', value: e, checked: e !== 'click.created' }),
    h('span', {}, h('code', {}, e), ' ', h('span', { class: 'muted small' }, what))));
  const shown = h('div', { id: 'new-webhook', hidden: true });
  const form = h('form', { class: 'grid-form', id: 'create-webhook', novalidate: true },
    field('Endpoint URL', url, 'partnerd POSTs each event as JSON, signed in the Partnerd-Signature header.'),
    field('Description', description),
    h('fieldset', { class: 'field wide events' }, h('legend', { class: 'label' }, 'Events'), ...boxes),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add endpoint')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    formError(form, null);
    const events = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
    if (!url.value.trim()) { formError(form, { param: 'url', message: 'Enter the URL partnerd sends events to.' }); return; }
    if (!events.length) { formError(form, { param: 'events', message: 'Choose at least one event.' }); return; }
    const body = { url: url.value.trim(), events };
    if (description.value.trim()) body.description = description.value.trim();
    const b = form.querySelector('button[type=submit]');
    b.disabled = true;
    try {
      const w = await api('POST', '/api/v1/webhooks', body);
      shown.replaceChildren(h('div', { class: 'notice ok' },
        h('p', {}, h('strong', {}, 'Endpoint added.'), ' Copy its signing secret now: it is shown only this once. Check each event’s Partnerd-Signature with it.'),
        h('div', { class: 'linkbox' }, h('code', { class: 'secret', id: 'webhook-secret' }, w.secret), copyButton(w.secret, 'Copy secret'))));
      shown.hidden = false;
      url.value = '';
      description.value = '';
      onCreated(w);
    } catch (e) { formError(form, e); } finally { b.disabled = false; }
  });
  return [form, shown];
}

// The deliveries of one endpoint, newest first, with a status filter.
function deliveries(w) {
  const status = h('select', { name: 'delivery-status', 'aria-label': 'Delivery status' },
    ['all', 'pending', 'delivered', 'failed'].map((s) => h('option', { value: s }, s)));
  const list = pagedList(`/api/v1/webhooks/${w.id}/deliveries`, [
    { key: 'created', label: 'Queued', nowrap: true, render: (d) => dateTime(d.created) },
    { key: 'event_type', label: 'Event', render: (d) => h('code', {}, d.event_type) },
    { key: 'status', label: 'Status', render: (d) => h('span', { class: `badge ${{ delivered: 'approved', failed: 'rejected' }[d.status] || 'pending'}` }, d.status) },
    { key: 'attempts', label: 'Attempts', num: true },
    { key: 'last_status', label: 'Answer', render: (d) => (d.last_status ? `HTTP ${d.last_status}` : '—') },
    { key: 'last_error', label: 'Last error', render: (d) => (d.last_error ? h('span', { class: 'explain' }, d.last_error) : '') },
    { key: 'next_attempt', label: 'Next attempt', nowrap: true, render: (d) => (d.next_attempt ? dateTime(d.next_attempt) : '—') },
  ], {
    id: 'deliveries', what: 'deliveries', csvName: `${w.id}-deliveries.csv`, pageSize: 20,
    query: () => ({ status: status.value === 'all' ? '' : status.value }),
    empty: ['No deliveries yet.', 'Each event this endpoint subscribes to is delivered here, retried with backoff for three days.'],
  });
  status.addEventListener('change', () => list.reset());
  list.reset();
  return section(`Deliveries to ${w.url}`, h('div', { class: 'filters' }, field('Status', status),
    h('button', { type: 'button', class: 'small secondary', 'data-action': 'refresh', onclick: () => list.reload() }, 'Refresh')), list.el);
}

export async function webhooksPage() {
  const holder = h('div', { id: 'webhooks' });
  const detail = h('div', { id: 'webhook-deliveries' });
  const reload = () => loadInto(holder, 'the endpoints', async () => {
    const { data } = await api('GET', '/api/v1/webhooks?limit=100');
    if (!data.length) return emptyState('No webhook endpoints.', 'Add one above to receive conversions, commissions and payouts as they happen.');
    return table([
      { key: 'url', label: 'URL', render: (w) => h('span', {}, h('code', { class: 'truncate' }, w.url), w.description ? h('div', { class: 'muted small' }, w.description) : null) },
      { key: 'events', label: 'Events', render: (w) => h('span', { class: 'event-list' }, w.events.map((e) => h('code', {}, e))), csv: (w) => w.events.join(' ') },
      { key: 'created', label: 'Added', nowrap: true, render: (w) => dateTime(w.created) },
      { key: 'actions', label: '', csv: false, render: (w) => h('span', { class: 'row-actions' },
        h('button', { type: 'button', class: 'small secondary', 'data-action': 'deliveries', onclick: () => { detail.replaceChildren(deliveries(w)); detail.scrollIntoView({ block: 'start' }); } }, 'Deliveries'),
        h('button', { type: 'button', class: 'small danger', 'data-action': 'delete', onclick: (e) => {
          const cell = e.target.closest('td');
          cell.replaceChildren(h('span', { class: 'row-actions' }, h('span', { class: 'small' }, 'Delete? Undelivered events are dropped.'),
            h('button', { type: 'button', class: 'small danger', 'data-action': 'delete-confirm', onclick: (ev) => act(ev.target, () => api('DELETE', `/api/v1/webhooks/${w.id}`), 'Endpoint deleted.')
              .then(() => { detail.replaceChildren(); reload(); }, () => {}) }, 'Delete'),
            h('button', { type: 'button', class: 'small secondary', onclick: () => reload() }, 'Keep')));
        } }, 'Delete')) },
    ], data, { csvName: 'webhooks.csv' });
  });
  reload();
  return [section('Add a webhook endpoint', createForm(() => reload())), section('Endpoints', holder), detail];
}
