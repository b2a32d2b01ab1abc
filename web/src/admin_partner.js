// One partner seen by the merchant (/admin/partner?id=ptn_…): its numbers, links (edit the
// destination, disable, delete or archive), coupons (replace the set), commissions, payouts and
// API keys. Everything through the JSON API; the server checks every change.
import {
  h, api, pagedList, section, card, table, badge, money, number, percent, day, dateTime, field,
  formError, flash, act, copyButton, emptyState,
} from './common.js';

// A button that asks once more before it acts.
function twoStep(label, action, fn) {
  const b = h('button', { type: 'button', class: 'small danger', 'data-action': action }, label);
  b.addEventListener('click', () => {
    if (b.dataset.armed !== 'true') { b.dataset.armed = 'true'; b.textContent = `Confirm ${label.toLowerCase()}`; return; }
    fn(b);
  });
  return b;
}

function couponsForm(p, onSaved) {
  const codes = h('input', { name: 'coupons', value: p.coupons.join(', '), placeholder: 'e.g. JANE10, SPRING' });
  const form = h('form', { class: 'inline-form', id: 'coupons-form', novalidate: true },
    field('Coupon codes', codes, 'Comma-separated; a sale using one credits this partner. Empty removes them all.'),
    h('button', { type: 'submit' }, 'Save coupons'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    formError(form, null);
    const b = form.querySelector('button');
    b.disabled = true;
    try {
      const saved = await api('PATCH', `/api/v1/partners/${p.id}`, { coupons: codes.value.split(',').map((s) => s.trim()).filter(Boolean) });
      codes.value = saved.coupons.join(', ');
      flash('Coupons saved.');
      onSaved(saved);
    } catch (e) { formError(form, e); } finally { b.disabled = false; }
  });
  return form;
}

function linkActions(l, reload) {
  if (l.archived) return h('span', { class: 'muted small' }, `archived ${day(l.archived)}`);
  const edit = h('button', { type: 'button', class: 'small secondary', 'data-action': 'edit' }, 'Edit');
  const cell = h('span', { class: 'row-actions' }, edit,
    h('button', { type: 'button', class: 'small secondary', 'data-action': l.disabled ? 'enable' : 'disable',
      onclick: (e) => act(e.target, () => api('PATCH', `/api/v1/links/${l.id}`, { disabled: !l.disabled }), l.disabled ? 'Link enabled.' : 'Link disabled.').then(reload, () => {}) },
    l.disabled ? 'Enable' : 'Disable'),
    l.is_default ? null : twoStep('Delete', 'delete', (b) => act(b, () => api('DELETE', `/api/v1/links/${l.id}`))
      .then((r) => { flash(r.deleted ? 'Link deleted.' : 'The link had clicks or sales: archived, kept for the reports.'); reload(); }, () => {})));
  edit.addEventListener('click', () => {
    const dest = h('input', { name: 'destination', type: 'url', value: l.destination, 'aria-label': 'Destination' });
    const form = h('form', { class: 'inline-form link-edit', novalidate: true }, dest,
      h('button', { type: 'submit', class: 'small', 'data-action': 'save' }, 'Save'),
      h('button', { type: 'button', class: 'small secondary', onclick: reload }, 'Cancel'));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      formError(form, null);
      try {
        await api('PATCH', `/api/v1/links/${l.id}`, { destination: dest.value.trim() });
        flash('Destination saved.');
        reload();
      } catch (e) { formError(form, e); }
    });
    cell.replaceChildren(form);
    dest.focus();
  });
  return cell;
}

function newLinkForm(p, onMade) {
  const dest = h('input', { name: 'destination', type: 'url', required: true, placeholder: 'https://…' });
  const code = h('input', { name: 'code', placeholder: 'optional', pattern: '[A-Za-z0-9_-]{2,64}' });
  const form = h('form', { class: 'grid-form', id: 'partner-new-link', novalidate: true },
    field('Destination', dest, 'A page on one of the program’s allowed hosts.'), field('Code', code, 'The end of the link; random when empty. It never changes.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create link')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    formError(form, null);
    const body = { partner_id: p.id, destination: dest.value.trim() };
    if (code.value.trim()) body.code = code.value.trim();
    const b = form.querySelector('button');
    b.disabled = true;
    try {
      const l = await api('POST', '/api/v1/links', body);
      flash(`Link created: ${l.url}`);
      form.reset();
      onMade();
    } catch (e) { formError(form, e); } finally { b.disabled = false; }
  });
  return form;
}

async function linksBlock(p) {
  const holder = h('div', { id: 'partner-links' });
  const reload = async () => {
    const { data } = await api('GET', `/api/v1/links?partner_id=${p.id}&limit=100`);
    holder.replaceChildren(table([
      { key: 'url', label: 'Link', render: (l) => h('span', { class: 'linkcell' }, h('code', {}, l.url), copyButton(l.url)) },
      { key: 'destination', label: 'Destination', render: (l) => h('span', { class: 'truncate', title: l.destination }, l.destination) },
      { key: 'state', label: 'State', render: (l) => badge(l.archived ? 'archived' : l.disabled ? 'disabled' : 'active') },
      { key: 'actions', label: '', csv: false, render: (l) => linkActions(l, reload) },
    ], data, { empty: ['No links.'] }));
  };
  await reload();
  return [newLinkForm(p, reload), holder];
}

async function keysBlock(p) {
  const holder = h('div', { id: 'partner-keys' });
  const shown = h('div', { hidden: true, id: 'partner-new-key' });
  const reload = async () => {
    const { data } = await api('GET', `/api/v1/partners/${p.id}/keys`);
    holder.replaceChildren(table([
      { key: 'hint', label: 'Key', render: (k) => h('code', {}, k.hint || k.id) },
      { key: 'created', label: 'Created', render: (k) => dateTime(k.created) },
      { key: 'actions', label: '', csv: false, render: (k) => twoStep('Revoke', 'revoke',
        (b) => act(b, () => api('DELETE', `/api/v1/partners/${p.id}/keys/${k.id}`), 'Key revoked.').then(reload, () => {})) },
    ], data, { empty: ['No API key.', 'Partners who call the API themselves need one.'] }));
  };
  const create = h('button', { type: 'button', class: 'secondary small', 'data-action': 'save' }, 'Create a key for this partner');
  create.addEventListener('click', () => act(create, () => api('POST', `/api/v1/partners/${p.id}/keys`)).then((k) => {
    shown.replaceChildren(h('p', { class: 'notice' }, 'Hand this key to the partner now: it is shown only once.'),
      h('div', { class: 'linkbox' }, h('code', { class: 'secret' }, k.key), copyButton(k.key, 'Copy key')));
    shown.hidden = false;
    reload();
  }, () => {}));
  await reload();
  return [create, shown, holder];
}

// The partner's lines in the program's latest payout batches.
async function payoutsBlock(p) {
  const batches = (await api('GET', `/api/v1/payouts?program_id=${p.program_id}&limit=12`)).data;
  const full = await Promise.all(batches.map((b) => api('GET', `/api/v1/payouts/${b.id}`)));
  const rows = full.flatMap((b) => (b.items || []).filter((i) => i.partner_id === p.id)
    .map((i) => ({ id: b.id, period: b.period, status: b.status, amount: i.amount, currency: i.currency })));
  return table([
    { key: 'period', label: 'Period' },
    { key: 'status', label: 'Status', render: (r) => badge(r.status) },
    { key: 'amount', label: 'Amount', num: true, render: (r) => money(r.amount, r.currency) },
  ], rows, { empty: ['No payout in the latest batches.'] });
}

export async function partnerPage() {
  const id = new URLSearchParams(location.search).get('id') || '';
  if (!/^ptn_[A-Za-z0-9]+$/.test(id)) return emptyState('No partner chosen.', 'Open a partner from the Partners page.');
  const p = await api('GET', `/api/v1/partners/${id}`);
  const report = await api('GET', `/api/v1/reports?program_id=${p.program_id}&partner_id=${id}&group_by=day`);
  document.title = `${p.name} — merchant dashboard — partnerd`;
  const b = p.balance;
  const t = report.totals;
  const commissions = pagedList('/api/v1/commissions', [
    { key: 'created', label: 'Date', nowrap: true, render: (c) => day(c.created) },
    { key: 'status', label: 'Status', render: (c) => badge(c.status) },
    { key: 'net', label: 'Amount', num: true, render: (c) => money(c.net, c.currency) },
    { key: 'explanation', label: 'Explanation', render: (c) => h('span', { class: 'explain' }, c.explanation) },
  ], { id: 'partner-commissions', what: 'commissions', query: () => ({ partner_id: id }), empty: ['No commissions yet.'] });
  commissions.reset();
  let couponList;
  const showCoupons = (x) => couponList.replaceChildren(...(x.coupons.length ? x.coupons.map((c) => h('li', {}, h('code', {}, c))) : [h('li', { class: 'muted' }, 'none')]));
  couponList = h('ul', { class: 'coupons', id: 'partner-coupons' });
  showCoupons(p);
  return [
    section(p.name, h('dl', { class: 'facts' },
      h('dt', {}, 'Email'), h('dd', {}, p.email), h('dt', {}, 'Status'), h('dd', {}, badge(p.status)),
      h('dt', {}, 'Joined'), h('dd', {}, day(p.created))),
      h('div', { class: 'linkbox' }, h('code', {}, p.default_link.url), copyButton(p.default_link.url, 'Copy referral link'))),
    section('Numbers', h('div', { class: 'cards', id: 'partner-numbers' },
      card('Pending', money(b.pending, b.currency)), card('Approved', money(b.approved, b.currency)), card('Paid', money(b.paid, b.currency)),
      card('Clicks', number(t.clicks), 'last 30 days'), card('Conversions', number(t.conversions), 'last 30 days'),
      card('Conversion rate', percent(t.conversion_rate), 'last 30 days'))),
    section('Coupons', couponList, couponsForm(p, showCoupons)),
    section('Links', ...(await linksBlock(p))),
    section('Commissions', commissions.el),
    section('Payouts', await payoutsBlock(p)),
    section('API keys', ...(await keysBlock(p))),
  ];
}
