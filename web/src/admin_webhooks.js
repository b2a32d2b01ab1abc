// Webhooks and the postback token, without the API: add an endpoint (its signing secret shown
// once), see each endpoint's deliveries and their outcome, remove one; turn the program's postback
// URL on or off and copy it.
import { h, api, pagedList, section, table, badge, dateTime, field, formError, act, copyButton } from './common.js';

const EVENTS = ['conversion.created', 'commission.created', 'commission.approved', 'commission.reversed', 'payout.created', 'payout.paid', 'click.created'];

function addForm(onAdded) {
  const url = h('input', { name: 'url', type: 'url', required: true, placeholder: 'https://hooks.example.com/partnerd' });
  const description = h('input', { name: 'description', maxlength: 500, placeholder: 'optional' });
  const boxes = EVENTS.map((e) => h('input', { type: 'checkbox', name: 'events', value: e, checked: e !== 'click.created' }));
  const shown = h('div', { id: 'webhook-secret', hidden: true });
  const form = h('form', { class: 'grid-form', id: 'add-webhook', novalidate: true },
    field('URL', url, 'HTTPS, on a public address.'), field('Description', description),
    h('div', { class: 'field wide' }, h('span', { class: 'label' }, 'Events'),
      h('div', { class: 'checks' }, boxes.map((b) => h('label', { class: 'check' }, b, ` ${b.value}`))),
      h('span', { class: 'hint' }, 'click.created is one delivery per click: only for low traffic.')),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add endpoint')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    formError(form, null);
    const body = { url: url.value.trim(), events: boxes.filter((b) => b.checked).map((b) => b.value) };
    if (description.value.trim()) body.description = description.value.trim();
    const b = form.querySelector('button[type=submit]');
    b.disabled = true;
    try {
      const w = await api('POST', '/api/v1/webhooks', body);
      shown.replaceChildren(h('p', { class: 'notice' }, 'The signing secret, shown once: your endpoint checks Partnerd-Signature with it.'),
        h('div', { class: 'linkbox' }, h('code', { class: 'secret' }, w.secret), copyButton(w.secret, 'Copy secret')));
      shown.hidden = false;
      url.value = '';
      description.value = '';
      onAdded();
    } catch (e) { formError(form, e); } finally { b.disabled = false; }
  });
  return [form, shown];
}

function deliveries(w) {
  const status = h('select', { name: 'status', 'aria-label': 'Delivery status' }, ['all', 'pending', 'delivered', 'failed'].map((s) => h('option', { value: s }, s)));
  const list = pagedList(`/api/v1/webhooks/${w.id}/deliveries`, [
    { key: 'created', label: 'Created', nowrap: true, render: (d) => dateTime(d.created) },
    { key: 'event_type', label: 'Event' },
    { key: 'status', label: 'Status', render: (d) => badge(d.status) },
    { key: 'attempts', label: 'Attempts', num: true },
    { key: 'last_status', label: 'Last answer', render: (d) => (d.last_status ? `HTTP ${d.last_status}` : d.last_error || '—') },
    { key: 'next_attempt', label: 'Next try', nowrap: true, render: (d) => (d.next_attempt ? dateTime(d.next_attempt) : '—') },
  ], { id: 'deliveries', what: 'deliveries', query: () => ({ status: status.value === 'all' ? '' : status.value }),
    empty: ['No deliveries yet.', 'Each event the endpoint subscribes to is delivered here, retried with backoff for 3 days.'] });
  status.addEventListener('change', () => list.reset());
  list.reset();
  return section(`Deliveries to ${w.url}`, h('div', { class: 'filters' }, field('Status', status)), list.el);
}

async function postback(program) {
  const box = h('div', { id: 'postback' });
  const show = (p) => {
    const on = Boolean(p.postback_token);
    const url = on ? `${location.origin}/postback?token=${p.postback_token}&click_id={click_id}&order_id={order_id}&amount={amount}&currency=${p.currency}` : '';
    const toggle = h('button', { type: 'button', class: on ? 'small danger' : 'small', 'data-action': on ? 'disable' : 'enable' }, on ? 'Turn off' : 'Turn on');
    toggle.addEventListener('click', () => act(toggle, () => api('PATCH', `/api/v1/programs/${p.id}`, { postback_enabled: !on }),
      on ? 'Postback turned off: its URL no longer works.' : 'Postback turned on.').then(show, () => {}));
    box.replaceChildren(
      h('p', {}, on ? 'Carts that can only call a URL after a sale report conversions here; replace the {…} placeholders with the cart’s own.'
        : 'Off. Turn it on to get a URL a cart (or an ad network) calls after a sale.'),
      on ? h('div', { class: 'linkbox' }, h('code', { class: 'secret' }, url), copyButton(url, 'Copy URL')) : null, toggle);
  };
  show(await api('GET', `/api/v1/programs/${program.id}`));
  return box;
}

export async function webhooksPage(program) {
  const holder = h('div', { id: 'webhooks' });
  const detail = h('div', { id: 'webhook-detail' });
  const reload = async () => {
    const { data } = await api('GET', '/api/v1/webhooks?limit=100');
    holder.replaceChildren(table([
      { key: 'url', label: 'URL', render: (w) => h('code', {}, w.url) },
      { key: 'events', label: 'Events', render: (w) => w.events.join(', ') },
      { key: 'description', label: 'Description', render: (w) => w.description || '—' },
      { key: 'created', label: 'Added', nowrap: true, render: (w) => dateTime(w.created) },
      { key: 'actions', label: '', csv: false, render: (w) => {
        const del = h('button', { type: 'button', class: 'small danger', 'data-action': 'delete' }, 'Remove');
        del.addEventListener('click', () => {
          if (del.dataset.armed !== 'true') { del.dataset.armed = 'true'; del.textContent = 'Confirm remove'; return; }
          act(del, () => api('DELETE', `/api/v1/webhooks/${w.id}`), 'Endpoint removed.').then(() => { detail.replaceChildren(); reload(); }, () => {});
        });
        return h('span', { class: 'row-actions' },
          h('button', { type: 'button', class: 'small secondary', onclick: () => detail.replaceChildren(deliveries(w)) }, 'Deliveries'), del);
      } },
    ], data, { empty: ['No endpoint yet.', 'Add one above to be told of conversions, commissions and payouts as they happen.'] }));
  };
  await reload();
  return [section('Add a webhook endpoint', ...addForm(reload)), section('Endpoints', holder), detail,
    section('Postback URL', await postback(program))];
}
