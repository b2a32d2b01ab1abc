// The partner dashboard: everything comes from /api/v1/me/*, so a partner's pages can only ever
// show that partner's own data (the server decides whose, from the session).
import {
  h, $, api, pagedList, loadSession, session, frame, section, card, table, badge, money,
  number, percent, day, dateTime, loadInto, copyButton, field, formError, flash, emptyState, act,
} from './common.js';
import { dailyChart } from './chart.js';
import { rangePicker, rangeQuery } from './range.js';
import { digestForm } from './partner_email.js';
import { explainMoney } from './explain.js';
import { couponsSection } from './partner_coupons.js';
import { underReview, passwordSection } from './partner_account.js';
import { openStatement } from './statement.js';
import { payoutSteps } from './payout_steps.js';

const sections = [['', 'Overview'], ['links', 'Links'], ['commissions', 'Commissions'], ['payouts', 'Payouts'], ['keys', 'API keys'], ['settings', 'Settings']];
const main = $('#main');

function balanceCards(me) {
  const b = me.balance;
  return h('div', { class: 'cards', id: 'balance' },
    card('Pending', money(b.pending, b.currency), 'in the hold period; becomes approved'),
    card('Approved', money(b.approved, b.currency), 'paid in the next payout'),
    card('Paid', money(b.paid, b.currency), 'paid out so far'));
}

function statusNote(me) {
  if (me.status === 'pending')
    return h('p', { class: 'notice' }, 'Your account is waiting for the program manager’s approval. Your links already work; commissions count once you are approved.');
  return null;
}

// The partner's numbers for a chosen period (range.js), as /api/v1/me/report counts them.
async function periodReport(range) {
  const report = await api('GET', `/api/v1/me/report?group_by=day&${rangeQuery(range)}`);
  const t = report.totals;
  const cur = report.currency;
  return section(`${report.from} to ${report.to} · ${range.label}`,
    h('div', { class: 'cards', id: 'totals' },
      card('Clicks', number(t.clicks)),
      card('Conversions', number(t.conversions)),
      card('Commission', money(t.commission, cur)),
      card('Conversion rate', percent(t.conversion_rate)),
      card('EPC', money(t.epc, cur), 'earnings per click')),
    dailyChart(report, cur));
}

async function overview() {
  const me = await api('GET', '/api/v1/me');
  const body = h('div', { id: 'period-report' });
  const picker = rangePicker((r) => loadInto(body, 'the report', () => periodReport(r)));
  await loadInto(body, 'the report', () => periodReport(picker.get()));
  return [
    statusNote(me),
    section('Balance', balanceCards(me)),
    picker.el, body,
    section('Your link',
      h('p', {}, 'Share this link; every click and sale through it is credited to you.'),
      h('div', { class: 'linkbox' }, h('code', { id: 'default-link' }, me.default_link.url), copyButton(me.default_link.url, 'Copy link'))),
    couponsSection(me),
  ];
}

function linkForm(onCreated) {
  const prog = session.program;
  const dest = h('input', { name: 'destination', type: 'url', required: true, placeholder: prog.default_url, value: prog.default_url });
  const code = h('input', { name: 'code', placeholder: 'optional, e.g. summer-sale', pattern: '[A-Za-z0-9_-]{2,64}' });
  const subs = [1, 2, 3, 4, 5].map((i) => h('input', { name: `sub${i}`, placeholder: `sub${i}`, 'aria-label': `sub${i}` }));
  const form = h('form', { class: 'grid-form', id: 'new-link', novalidate: true },
    field('Destination', dest, `A page on ${prog.allowed_hosts.join(', ')}.`),
    field('Code', code, 'The end of the link; leave empty for a random one.'),
    h('div', { class: 'field wide' }, h('span', { class: 'label' }, 'Sub-ids'), h('div', { class: 'subs' }, subs),
      h('span', { class: 'hint' }, 'Optional labels you get back in reports and postbacks (campaign, placement…).')),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create link')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    formError(form, null);
    const body = { destination: dest.value.trim() };
    if (code.value.trim()) body.code = code.value.trim();
    subs.forEach((s, i) => { if (s.value.trim()) body[`sub${i + 1}`] = s.value.trim(); });
    const b = form.querySelector('button');
    b.disabled = true;
    try {
      const link = await api('POST', '/api/v1/me/links', body);
      flash(`Link created: ${link.url}`);
      code.value = '';
      subs.forEach((s) => { s.value = ''; });
      onCreated();
    } catch (e) { formError(form, e); } finally { b.disabled = false; }
  });
  return form;
}

async function links() {
  const list = pagedList('/api/v1/me/links', [
    { key: 'url', label: 'Link', render: (r) => h('span', { class: 'linkcell' }, h('code', {}, r.url), copyButton(r.url)) },
    { key: 'destination', label: 'Destination', render: (r) => h('span', { class: 'truncate', title: r.destination }, r.destination) },
    { key: 'subs', label: 'Sub-ids', render: (r) => [r.sub1, r.sub2, r.sub3, r.sub4, r.sub5].filter(Boolean).join(' · ') || '—',
      csv: (r) => [r.sub1, r.sub2, r.sub3, r.sub4, r.sub5].filter(Boolean).join(' ') },
    { key: 'is_default', label: 'Default', render: (r) => (r.is_default ? 'yes' : '') },
    { key: 'created', label: 'Created', nowrap: true, render: (r) => day(r.created) },
  ], { id: 'links', what: 'your links', csvName: 'links.csv', empty: ['You have no links yet.', 'Create one above for any page of the shop.'] });
  list.reset();
  return [section('Create a link', linkForm(() => list.reset())), section('Your links', list.el)];
}

async function commissions() {
  const filter = h('select', { name: 'status', 'aria-label': 'Status' },
    ['all', 'pending', 'approved', 'paid', 'reversed', 'rejected'].map((s) => h('option', { value: s }, s)));
  const list = pagedList('/api/v1/me/commissions', [
    { key: 'created', label: 'Date', nowrap: true, render: (r) => day(r.created) },
    { key: 'status', label: 'Status', render: (r) => badge(r.status) },
    { key: 'net', label: 'Commission', num: true, render: (r) => money(r.net, r.currency) },
    { key: 'base', label: 'Sale', num: true, render: (r) => money(r.base, r.currency) },
    { key: 'explanation', label: 'How it was computed', render: (r) => h('span', { class: 'explain' }, explainMoney(r)), csv: explainMoney },
    { key: 'hold_until', label: 'Approved after', nowrap: true, render: (r) => (r.status === 'pending' ? day(r.hold_until) : '—') },
    { key: 'currency', label: 'Currency', csv: (r) => r.currency, render: (r) => r.currency },
  ], {
    id: 'commissions', what: 'your commissions', csvName: 'commissions.csv',
    query: () => ({ status: filter.value === 'all' ? '' : filter.value }),
    empty: ['No commissions yet.', 'A commission appears here as soon as a sale through one of your links is recorded.'],
  });
  filter.addEventListener('change', () => list.reset());
  list.reset();
  return section('Commissions', h('div', { class: 'filters' }, field('Status', filter)), list.el);
}

async function payouts() {
  const me = await api('GET', '/api/v1/me');
  const list = pagedList('/api/v1/me/payouts', [
    { key: 'period', label: 'Period' },
    { key: 'status', label: 'Status', render: (r) => badge(r.status) },
    { key: 'amount', label: 'Amount', num: true, render: (r) => money(r.amount, r.currency) },
    { key: 'reference', label: 'Reference' },
    { key: 'steps', label: 'Pending → sent → paid', render: payoutSteps, csv: (r) => r.paid_at || r.failed_at || r.sent_at || r.created },
    { key: 'statement', label: '', csv: false, render: (r) => (r.status === 'paid' ? h('button', { type: 'button', class: 'small secondary', 'data-action': 'statement', onclick: () => openStatement(`/api/v1/me/payouts/${r.payout_id}/statement`) }, 'Statement') : null) },
  ], {
    id: 'payouts', what: 'your payouts', csvName: 'payouts.csv', cursor: (r) => r.payout_id,
    empty: ['No payouts yet.', 'Approved commissions are paid in the program’s monthly payout once they reach its minimum.'],
  });
  list.reset();
  return [section('Balance', balanceCards(me)), section('Payout history', list.el)];
}

function payoutForm(me) {
  const pm = me.payout_method || {};
  const type = h('select', { name: 'type' }, h('option', { value: 'paypal' }, 'PayPal'), h('option', { value: 'iban' }, 'Bank transfer (IBAN)'));
  type.value = pm.type || 'paypal';
  const email = h('input', { name: 'email', type: 'email', value: pm.email || '', placeholder: 'you@example.com' });
  const iban = h('input', { name: 'iban', value: pm.iban || '', placeholder: 'DE89 3704 0044 0532 0130 00' });
  const holder = h('input', { name: 'holder', value: pm.holder || '', placeholder: 'Account holder' });
  const paypal = field('PayPal email', email);
  const bank = h('div', { class: 'field-group' }, field('IBAN', iban), field('Account holder', holder));
  const show = () => { paypal.hidden = type.value !== 'paypal'; bank.hidden = type.value !== 'iban'; };
  type.addEventListener('change', show);
  show();
  const form = h('form', { id: 'payout-method', novalidate: true },
    field('Method', type), paypal, bank,
    h('p', { class: 'muted small' }, pm.type ? `Current: ${pm.type === 'paypal' ? 'PayPal ' + pm.email : 'IBAN ' + pm.iban}` : 'No payout method yet: payouts wait until you set one.'),
    h('button', { type: 'submit' }, 'Save payout method'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    formError(form, null);
    const method = type.value === 'paypal' ? { type: 'paypal', email: email.value.trim() } : { type: 'iban', iban: iban.value.trim(), holder: holder.value.trim() };
    const b = form.querySelector('button[type=submit]');
    b.disabled = true;
    try {
      await api('PATCH', '/api/v1/me', { payout_method: method });
      flash('Payout method saved.');
    } catch (e) {
      if (e.param) e.param = e.param.replace(/^payout_method\./, '');
      formError(form, e);
    } finally { b.disabled = false; }
  });
  return form;
}

function postbackForm(me) {
  const url = h('input', { name: 'postback_url', type: 'url', value: me.postback_url || '', placeholder: 'https://tracker.example/postback?click={click_id}&payout={commission}' });
  const form = h('form', { id: 'postback', novalidate: true },
    field('Postback URL', url, 'Called on every sale credited to you. Placeholders: {click_id}, {sub1}…{sub5}, {commission}, {order_id}. Leave empty for none.'),
    h('button', { type: 'submit' }, 'Save postback URL'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    formError(form, null);
    const b = form.querySelector('button');
    b.disabled = true;
    try {
      await api('PATCH', '/api/v1/me', { postback_url: url.value.trim() || null });
      flash(url.value.trim() ? 'Postback URL saved.' : 'Postback URL removed.');
    } catch (e) { formError(form, e); } finally { b.disabled = false; }
  });
  return form;
}

async function settings() {
  const me = await api('GET', '/api/v1/me');
  return [
    section('Payout method', payoutForm(me)),
    section('Postback', postbackForm(me)),
    section('Email', digestForm(me)),
    section('Account', h('dl', { class: 'facts' },
      h('dt', {}, 'Name'), h('dd', {}, me.name), h('dt', {}, 'Email'), h('dd', {}, me.email),
      h('dt', {}, 'Referral code'), h('dd', {}, me.ref_code), h('dt', {}, 'Status'), h('dd', {}, badge(me.status)),
      h('dt', {}, 'Program'), h('dd', {}, session.program.name), h('dt', {}, 'Partner since'), h('dd', {}, dateTime(me.created)))),
    passwordSection(),
  ];
}

// API keys: a new key is shown once (only its hash is kept), with a copy button; the list shows
// each key's hint, and revoking one refuses it from the next request on.
async function keys() {
  const list = h('div', { id: 'keys' });
  const shown = h('div', { id: 'new-key-box' });
  const reload = () => loadInto(list, 'your API keys', async () => {
    const rows = (await api('GET', '/api/v1/me/keys')).data;
    return table([
      { key: 'hint', label: 'Key', render: (r) => h('code', {}, r.hint || r.id) },
      { key: 'id', label: 'Id', render: (r) => h('code', { class: 'muted' }, r.id) },
      { key: 'created', label: 'Created', nowrap: true, render: (r) => dateTime(r.created) },
      { key: 'actions', label: '', csv: false, render: (r) => h('button', {
        type: 'button', class: 'small danger', 'data-action': 'revoke',
        onclick: (e) => act(e.target, () => api('DELETE', `/api/v1/me/keys/${encodeURIComponent(r.id)}`), 'Key revoked: it no longer works.').then(reload, () => {}),
      }, 'Revoke') },
    ], rows, { empty: ['You have no API keys.', 'Create one to read your data from your own tools.'] });
  });
  const create = h('button', { type: 'button', id: 'new-key' }, 'Create API key');
  create.addEventListener('click', async () => {
    try {
      const made = await act(create, () => api('POST', '/api/v1/me/keys'));
      shown.replaceChildren(h('div', { class: 'notice ok', role: 'status' },
        h('p', {}, h('strong', {}, 'Your new key. '), 'Copy it now: it is shown only this once.'),
        h('div', { class: 'linkbox' }, h('code', { id: 'created-key', class: 'secret' }, made.key), copyButton(made.key, 'Copy key'))));
      reload();
    } catch { /* act reported it */ }
  });
  reload();
  return [
    section('Create a key',
      h('p', {}, 'A key lets your own tools read your links, commissions and payouts through the API (',
        h('code', {}, 'Authorization: Bearer pd_pt_…'), '). Keep it secret; revoke it here if it leaks.'),
      create, shown),
    section('Your keys', list),
  ];
}

const pages = { '': overview, links, commissions, payouts, keys, settings };

async function start() {
  try {
    await loadSession('partner');
  } catch (e) {
    main.replaceChildren(emptyState('The dashboard cannot start.', `${e.message}. Reload the page; if it keeps failing, log in again.`));
    return;
  }
  const slug = frame(sections, '/partner/');
  if (underReview(session, main)) return;
  const page = pages[slug] || overview;
  document.title = `${(sections.find((s) => s[0] === slug) || sections[0])[1]} — partner dashboard — partnerd`;
  await loadInto(main, 'your dashboard', page);
  main.dataset.ready = 'true';
}
start();
