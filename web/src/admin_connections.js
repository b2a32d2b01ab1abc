// Store connections in the merchant's program settings: connect Stripe, Shopify, WooCommerce or
// Paddle Billing without code. Each connection shows the endpoint URL to register (with a copy
// button), the platform's step-by-step, whether a signing secret is set (the secret is
// write-only: it can be set or replaced, never read back), the last refused delivery and what the
// last accepted deliveries did, and whether it applies live or test events. Everything goes through
// the JSON API with the session.
import { h, api, section, field, formError, flash, act, copyButton, badge, table, dateTime, loadInto } from './common.js';

// Text in backticks is shown as code.
const PLATFORMS = {
  stripe: {
    name: 'Stripe',
    secretHint: 'Stripe shows the signing secret (whsec_…) only after the endpoint is added: leave this empty now and paste it below later.',
    placeholder: 'whsec_…',
    steps: [
      'In the Stripe Dashboard open Developers → Webhooks and click Add destination (Add endpoint in older dashboards); destination type Webhook endpoint.',
      'Paste the endpoint URL above as the endpoint URL.',
      'Select the events `checkout.session.completed`, `checkout.session.async_payment_succeeded`, `invoice.paid`, `invoice_payment.paid` and `charge.refunded`.',
      'Save, reveal the destination’s Signing secret (`whsec_…`) and paste it below.',
      'Stripe’s test mode (or a sandbox) has destinations of its own: connect it as a separate connection in test mode.',
      'Checkouts carry the click id in `client_reference_id` or `metadata.pd_click`: /pd.js adds it to Payment Links, Buy Buttons and Pricing Tables on your pages.',
    ],
  },
  shopify: {
    name: 'Shopify',
    secretHint: 'The secret Shopify shows under its list of webhooks (“Your webhooks will be signed with …”).',
    placeholder: 'the secret shown by Shopify',
    steps: [
      'In your Shopify admin open Settings → Notifications → Webhooks and click Create webhook.',
      'Event Order payment (`orders/paid`), format JSON, the endpoint URL above as URL, webhook API version 2025-07 or later; save.',
      'Create a second webhook the same way for Refund create (`refunds/create`).',
      'Copy the secret Shopify shows below the webhooks list (“Your webhooks will be signed with …”) and paste it below.',
      'Test orders need a separate connection in test mode.',
      'The click id reaches the order as the cart attribute `pd_click`, which /pd.js sets when it is in your theme (`theme.liquid`).',
    ],
  },
  woocommerce: {
    name: 'WooCommerce',
    secretHint: 'You choose this secret: enter the same in WooCommerce’s Secret field.',
    placeholder: 'a long random secret you choose',
    steps: [
      'In WordPress open WooCommerce → Settings → Advanced → Webhooks and click Add webhook.',
      'Status Active, topic Order created, the endpoint URL above as Delivery URL, API version WP REST API Integration v3.',
      'Choose a long random secret, enter it in the Secret field there and paste the same secret here.',
      'Save, then add a second webhook the same way (same URL and secret) with the topic Order updated.',
      'WooCommerce’s order attribution (on by default) carries the click id; orders paid with WooPayments in test mode need a connection in test mode.',
    ],
  },
  paddle: {
    name: 'Paddle Billing',
    secretHint: 'Paddle shows the secret key only after the destination is saved: leave this empty now and paste it below later.',
    placeholder: 'pdl_ntfset_…',
    steps: [
      'In Paddle open Developer tools → Notifications and click New destination.',
      'Type webhook, the endpoint URL above as URL, events `transaction.completed`, `adjustment.created` and `adjustment.updated`; save.',
      'Open the destination, copy its secret key and paste it below.',
      'Open Paddle.js checkout with `customData: {pd_click: partnerd.clickId()}`. Paddle’s sandbox account gets a connection of its own in test mode.',
    ],
  },
};
const platformName = (p) => (PLATFORMS[p] ? PLATFORMS[p].name : p);

function richText(text) {
  return text.split('`').map((part, i) => (i % 2 ? h('code', {}, part) : part));
}

// What an accepted delivery did, in words.
function outcomeText(e) {
  const order = e.order_id ? ` of order ${e.order_id}` : '';
  switch (e.outcome) {
    case 'conversion': return `Recorded conversion${e.conversion_id ? ` ${e.conversion_id}` : ''}${order}`;
    case 'refund': return `Refunded${order}${e.refund_id ? ` (${e.refund_id})` : ''}`;
    case 'pending': return `Refund${order} kept until its order arrives`;
    case 'bound': return 'Bound the customer to a partner (subscription checkout)';
    case 'linked': return `Linked invoice${order} to its payment`;
    case 'ignored': return `Ignored: ${e.reason || 'not an event partnerd uses'}`;
    default: return e.reason || e.outcome;
  }
}

function eventsTable(box, c) {
  return loadInto(box, 'the last events', async () => {
    const page = await api('GET', `/api/v1/connections/${encodeURIComponent(c.id)}/events?limit=10`);
    const block = table([
      { key: 'created', label: 'Received', nowrap: true, render: (e) => dateTime(e.created) },
      { key: 'event_type', label: 'Event', render: (e) => h('span', {}, h('code', {}, e.event_type || '—'), h('br'), h('span', { class: 'muted small' }, e.event_id)) },
      { key: 'outcome', label: 'Outcome', render: (e) => badge(e.outcome) },
      { key: 'did', label: 'What partnerd did', render: (e) => h('span', { class: 'explain' }, outcomeText(e)) },
    ], page.data, { empty: ['No delivery accepted yet.', 'Once the platform sends a signed event to the URL above, it is listed here with what partnerd did.'] });
    const n = page.data.length;
    block.querySelector('.count').textContent = n ? `${page.has_more ? 'the last ' : ''}${n} ${n === 1 ? 'event' : 'events'}, newest first` : '';
    return block;
  });
}

function secretForm(c, reload) {
  const input = h('input', { name: 'signing_secret', type: 'password', autocomplete: 'off', spellcheck: 'false',
    placeholder: (PLATFORMS[c.platform] || {}).placeholder || 'signing secret' });
  const form = h('form', { class: 'inline-form secret-form', novalidate: true },
    field(c.has_signing_secret ? 'Replace the signing secret' : 'Signing secret', input),
    h('button', { type: 'submit' }, c.has_signing_secret ? 'Replace secret' : 'Set secret'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    formError(form, null);
    if (!input.value.trim()) { formError(form, { message: 'Paste the signing secret the platform shows.', param: 'signing_secret' }); return; }
    const b = form.querySelector('button');
    b.disabled = true;
    try {
      await api('PATCH', `/api/v1/connections/${encodeURIComponent(c.id)}`, { signing_secret: input.value.trim() });
      flash(`Signing secret ${c.has_signing_secret ? 'replaced' : 'set'} for ${platformName(c.platform)}.`);
      reload();
    } catch (e) { formError(form, e); } finally { b.disabled = false; }
  });
  return form;
}

// Remove asks once more in place (no browser dialog).
function removeControl(c, reload) {
  const box = h('span', { class: 'row-actions' });
  const ask = () => box.replaceChildren(h('span', { class: 'small' }, 'Remove? Its URL stops accepting deliveries.'),
    h('button', { type: 'button', class: 'small danger', 'data-action': 'confirm-delete', onclick: (e) => act(e.target,
      () => api('DELETE', `/api/v1/connections/${encodeURIComponent(c.id)}`), `${platformName(c.platform)} connection removed.`).then(reload, () => {}) }, 'Remove'),
    h('button', { type: 'button', class: 'small secondary', onclick: () => initial() }, 'Cancel'));
  const initial = () => box.replaceChildren(h('button', { type: 'button', class: 'small danger', 'data-action': 'delete', onclick: ask }, 'Remove'));
  initial();
  return box;
}

// A connection applies either live or test events; the other mode's are listed as ignored.
function modeSwitch(c, reload) {
  const other = c.mode === 'live' ? 'test' : 'live';
  return h('button', { type: 'button', class: 'small secondary', 'data-action': 'mode', onclick: (e) => act(e.target,
    () => api('PATCH', `/api/v1/connections/${encodeURIComponent(c.id)}`, { mode: other }),
    `${platformName(c.platform)} now applies ${other} events only.`).then(reload, () => {}) }, `Switch to ${other}`);
}

function connectionCard(c, reload) {
  const p = PLATFORMS[c.platform] || { name: c.platform, steps: [] };
  const events = h('div', { class: 'connection-events' });
  eventsTable(events, c);
  const refused = c.last_refused_at
    ? h('p', { class: 'notice warn refused' }, h('strong', {}, 'Last refused delivery: '), dateTime(c.last_refused_at), ' — ', c.last_refused_reason || 'refused')
    : h('p', { class: 'muted small refused' }, 'No delivery refused.');
  return h('article', { class: 'connection', 'data-id': c.id, 'data-platform': c.platform },
    h('div', { class: 'connection-head' },
      h('h3', {}, p.name),
      h('span', { class: `badge mode-${c.mode}`, 'data-field': 'mode', title: 'the events this connection applies' }, c.mode),
      h('span', { class: `badge ${c.has_signing_secret ? 'active' : 'pending'}`, 'data-field': 'secret' },
        c.has_signing_secret ? 'secret set' : 'no secret yet'),
      h('span', { class: 'muted small' }, `since ${dateTime(c.created)}`),
      modeSwitch(c, reload), removeControl(c, reload)),
    h('div', { class: 'field' }, h('span', { class: 'label' }, 'Endpoint URL'),
      h('div', { class: 'linkbox' }, h('code', { class: 'endpoint-url' }, c.endpoint_url), copyButton(c.endpoint_url, 'Copy URL'))),
    h('details', { class: 'steps', open: !c.has_signing_secret },
      h('summary', {}, `How to connect ${p.name}`), h('ol', {}, p.steps.map((s) => h('li', {}, richText(s))))),
    h('p', { class: 'small secret-state' }, c.has_signing_secret
      ? 'A signing secret is set; it is never shown. Replace it if you rotate it on the platform.'
      : 'No signing secret yet: deliveries are refused (401) until you paste it here.'),
    secretForm(c, reload),
    refused,
    h('div', { class: 'connection-events-head' }, h('h4', {}, 'Last events'),
      h('button', { type: 'button', class: 'small secondary', 'data-action': 'refresh', onclick: () => reload() }, 'Refresh')),
    events);
}

function createForm(programId, onCreated) {
  const platform = h('select', { name: 'platform' }, Object.entries(PLATFORMS).map(([k, v]) => h('option', { value: k }, v.name)));
  const secret = h('input', { name: 'signing_secret', type: 'password', autocomplete: 'off', spellcheck: 'false' });
  const hint = h('span', { class: 'hint' });
  const mode = h('select', { name: 'mode' }, h('option', { value: 'live' }, 'live'), h('option', { value: 'test' }, 'test'));
  const sync = () => { hint.textContent = `Optional. ${PLATFORMS[platform.value].secretHint}`; secret.placeholder = PLATFORMS[platform.value].placeholder; };
  platform.addEventListener('change', sync);
  sync();
  const form = h('form', { class: 'grid-form', id: 'new-connection', novalidate: true },
    field('Platform', platform),
    h('label', { class: 'field' }, h('span', { class: 'label' }, 'Signing secret'), secret, hint),
    field('Mode', mode, 'live: only real orders count; test: only the platform’s test-mode orders (the others are listed as ignored).'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Connect store')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    formError(form, null);
    const body = { platform: platform.value };
    if (secret.value.trim()) body.signing_secret = secret.value.trim();
    body.mode = mode.value;
    const b = form.querySelector('button[type=submit]');
    b.disabled = true;
    try {
      const c = await api('POST', `/api/v1/programs/${encodeURIComponent(programId)}/connections`, body);
      flash(`${platformName(c.platform)} connected: register its endpoint URL in ${platformName(c.platform)}.`);
      secret.value = '';
      onCreated();
    } catch (e) { formError(form, e); } finally { b.disabled = false; }
  });
  return form;
}

// The settings page's section: the form to connect a store, then each connection.
export function connectionsSection(programId) {
  const list = h('div', { id: 'connections', class: 'connections' });
  const reload = () => loadInto(list, 'the store connections', async () => {
    const page = await api('GET', `/api/v1/programs/${encodeURIComponent(programId)}/connections?limit=100`);
    if (!page.data.length) {
      return h('div', { class: 'state empty' }, h('strong', {}, 'No store connected.'),
        h('p', {}, 'Pick your store’s platform above: partnerd gives you a URL for its webhook settings, and paid orders and refunds arrive by themselves.'));
    }
    return page.data.map((c) => connectionCard(c, reload));
  });
  reload();
  return section('Store connections',
    h('p', { class: 'muted' }, 'Connect your shop without code: register one URL in its webhook settings and give partnerd the signing secret. Paid orders become conversions and refunds reverse commissions.'),
    createForm(programId, reload), list);
}
