// The merchant dashboard: the whole program through the JSON API, with the session cookie (the
// server treats an admin session like the secret key, CSRF token required on every change).
import {
  h, $, api, listAll, pagedList, loadSession, frame, section, table, badge, money,
  day, dateTime, loadInto, copyButton, field, formError, flash, act, emptyState,
} from './common.js';
import { overviewPage } from './admin_overview.js';
import { settingsPage, createProgramForm } from './admin_settings.js';
import { webhooksPage } from './admin_webhooks.js';
import { refundButton } from './admin_refund.js';
import { explainMoney } from './explain.js';
import { emailsPage } from './emails.js';
import { applicationsSection } from './admin_applications.js';
import { openStatement } from './statement.js';
import { teamPage, ownerSections, readOnly } from './admin_team.js';
import { keysPage } from './admin_keys.js';
import { partnerPage } from './admin_partner.js';

const sections = [['', 'Overview'], ['partners', 'Partners'], ['conversions', 'Conversions'], ['commissions', 'Commissions'], ['payouts', 'Payouts'], ['webhooks', 'Webhooks'], ['emails', 'Emails'], ['settings', 'Settings']];
const main = $('#main');
let program = null; // the program shown (the first one; a selector when there are several)
const partnerNames = new Map(); // partner id → name, for the rows shown

async function loadProgram() {
  const progs = await listAll('/api/v1/programs', 100);
  if (!progs.length) return null;
  const wanted = sessionStorage.getItem('pd_program');
  program = progs.find((p) => p.id === wanted) || progs[0];
  if (progs.length > 1) {
    const sel = h('select', { 'aria-label': 'Program', class: 'program-select' }, progs.map((p) => h('option', { value: p.id }, p.name)));
    sel.value = program.id;
    sel.addEventListener('change', () => { sessionStorage.setItem('pd_program', sel.value); location.reload(); });
    $('.top').insertBefore(sel, $('#nav'));
  }
  return program;
}

// The names of the partners a page shows, looked up once each (never the whole partner list).
async function lookupPartners(ids) {
  const missing = [...new Set(ids.filter((id) => id && !partnerNames.has(id)))];
  await Promise.all(missing.map(async (id) => {
    try { partnerNames.set(id, (await api('GET', `/api/v1/partners/${id}`)).name); } catch { partnerNames.set(id, id); }
  }));
}
const partnerName = (id) => (id ? partnerNames.get(id) || id : '—');
// The newest partners, offered in the partner filters (any partner id may be typed).
async function partnerOptions(id) {
  const page = await api('GET', `/api/v1/partners?program_id=${program.id}&limit=100`);
  page.data.forEach((p) => partnerNames.set(p.id, p.name));
  return h('datalist', { id }, page.data.map((p) => h('option', { value: p.id }, p.name)));
}

// ---- partners ----------------------------------------------------------------------------------
function inviteForm(onDone) {
  const email = h('input', { name: 'email', type: 'email', required: true, placeholder: 'partner@example.com' });
  const name = h('input', { name: 'name', placeholder: 'Their name or site' });
  const ref = h('input', { name: 'ref_code', placeholder: 'optional, e.g. janes-blog' });
  const result = h('div', { class: 'invite-result', id: 'invite-result' });
  const form = h('form', { class: 'grid-form', id: 'invite', novalidate: true },
    field('Email', email), field('Name', name), field('Referral code', ref, 'Their default link is /c/<code>; random when empty.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Invite partner')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    formError(form, null);
    if (!email.value.trim()) { formError(form, { message: 'Enter the partner’s email.', param: 'email' }); return; }
    const body = { program_id: program.id, email: email.value.trim() };
    if (name.value.trim()) body.name = name.value.trim();
    if (ref.value.trim()) body.ref_code = ref.value.trim();
    const b = form.querySelector('button');
    b.disabled = true;
    try {
      const p = await api('POST', '/api/v1/partners', body);
      result.replaceChildren(h('div', { class: 'notice ok' },
        h('p', {}, h('strong', {}, `${p.name} is invited.`), ' Send them this one-time link (valid 14 days) to set their password:'),
        h('div', { class: 'linkbox' }, h('code', { id: 'invite-url' }, p.invite_url), copyButton(p.invite_url, 'Copy invite link'))));
      form.reset();
      onDone();
    } catch (e) { formError(form, e); } finally { b.disabled = false; }
  });
  return h('div', {}, form, result);
}

async function partners() {
  const search = h('input', { type: 'search', name: 'q', placeholder: 'Email or referral code', 'aria-label': 'Find a partner' });
  const status = h('select', { name: 'status', 'aria-label': 'Status' }, ['all', 'pending', 'active', 'suspended', 'rejected'].map((s) => h('option', { value: s }, s)));
  const setStatus = (p, s, button) => act(button, () => api('PATCH', `/api/v1/partners/${p.id}`, { status: s }),
    `${p.name} is now ${s}.`).then(() => list.reload(), () => {});
  const cur = program.currency;
  const found = () => search.value.trim();
  const list = pagedList('/api/v1/partners', [
    { key: 'name', label: 'Partner', render: (p) => h('a', { href: `/admin/partner?id=${p.id}` }, h('strong', {}, p.name)) },
    { key: 'email', label: 'Email', csv: (p) => p.email, render: (p) => p.email },
    { key: 'ref_code', label: 'Code', render: (p) => h('code', {}, p.ref_code) },
    { key: 'status', label: 'Status', render: (p) => badge(p.status) },
    { key: 'pending', label: 'Pending', num: true, render: (p) => money(p.balance.pending, cur), csv: (p) => p.balance.pending },
    { key: 'approved', label: 'Approved', num: true, render: (p) => money(p.balance.approved, cur), csv: (p) => p.balance.approved },
    { key: 'paid', label: 'Paid', num: true, render: (p) => money(p.balance.paid, cur), csv: (p) => p.balance.paid },
    { key: 'created', label: 'Joined', nowrap: true, render: (p) => day(p.created) },
    { key: 'actions', label: '', csv: false, render: (p) => h('span', { class: 'row-actions' },
      p.status !== 'active' ? h('button', { type: 'button', class: 'small', 'data-action': 'approve', onclick: (e) => setStatus(p, 'active', e.target) }, p.status === 'pending' ? 'Approve' : 'Reactivate') : null,
      p.status !== 'suspended' ? h('button', { type: 'button', class: 'small danger', 'data-action': 'suspend', onclick: (e) => setStatus(p, 'suspended', e.target) }, 'Suspend') : null) },
  ], {
    id: 'partners', what: 'partners', csvName: 'partners.csv',
    query: () => ({ program_id: program.id, status: status.value === 'all' ? '' : status.value,
      [found().includes('@') ? 'email' : 'ref_code']: found() }),
    empty: () => (found() || status.value !== 'all' ? ['No partner matches.', 'Clear the search or pick another status.'] : ['No partners yet.', 'Invite your first partner above.']),
  });
  search.addEventListener('change', () => list.reset());
  search.addEventListener('search', () => list.reset()); // Enter or the clear button
  status.addEventListener('change', () => list.reset());
  list.reset();
  return [applicationsSection(program, () => list.reload()), section('Invite a partner', inviteForm(() => list.reset())),
    section('Partners', h('div', { class: 'filters' }, field('Find', search, 'An exact email or referral code; Enter to search.'), field('Status', status)), list.el)];
}

// ---- conversions -------------------------------------------------------------------------------
async function conversions() {
  const partner = h('input', { type: 'search', name: 'partner_id', list: 'partner-options', placeholder: 'all partners', 'aria-label': 'Partner' });
  const method = h('select', { name: 'method', 'aria-label': 'Attribution' },
    ['any', 'click', 'coupon', 'customer', 'ref', 'none'].map((m) => h('option', { value: m }, m)));
  const from = h('input', { type: 'date', name: 'from' });
  const to = h('input', { type: 'date', name: 'to' });
  const fraud = h('input', { type: 'checkbox', name: 'fraud' });
  const nextDay = (d) => new Date(Date.parse(d) + 86400000).toISOString().slice(0, 10);
  const commission = (c) => (c.commissions || []).reduce((s, k) => s + (k.net ?? k.amount), 0);
  const list = pagedList('/api/v1/conversions', [
    { key: 'occurred_at', label: 'Date', nowrap: true, render: (c) => dateTime(c.occurred_at || c.created) },
    { key: 'order_id', label: 'Order', render: (c) => h('code', {}, c.order_id) },
    { key: 'amount', label: 'Amount', num: true, render: (c) => money(c.amount, c.currency) },
    { key: 'refunded_amount', label: 'Refunded', num: true, render: (c) => (c.refunded_amount ? money(c.refunded_amount, c.currency) : '—') },
    { key: 'partner_id', label: 'Partner', nowrap: true, render: (c) => partnerName(c.partner_id), csv: (c) => c.partner_id },
    { key: 'method', label: 'Attribution', render: (c) => (c.attribution && c.attribution.method) || 'none', csv: (c) => c.attribution && c.attribution.method },
    { key: 'commission', label: 'Commission', num: true, render: (c) => money(commission(c), c.currency), csv: (c) => commission(c) },
    { key: 'fraud_reason', label: 'Flag', render: (c) => (c.fraud_reason ? h('span', { class: 'badge rejected' }, c.fraud_reason) : '') },
    { key: 'actions', label: '', csv: false, render: (c) => h('span', { class: 'row-actions' }, refundButton(c, () => list.reload())) },
  ], {
    id: 'conversions', what: 'conversions', csvName: 'conversions.csv',
    query: () => ({ program_id: program.id, partner_id: partner.value.trim(),
      attribution_method: method.value === 'any' ? '' : method.value, fraud: fraud.checked ? 'true' : '',
      'created[gte]': from.value, 'created[lt]': to.value ? nextDay(to.value) : '' }),
    prepare: (rows) => lookupPartners(rows.map((c) => c.partner_id)),
    empty: ['No conversions match.', 'Change the filters, or send conversions from your store with POST /api/v1/conversions.'],
  });
  for (const el of [partner, method, from, to, fraud]) el.addEventListener('change', () => list.reset());
  partner.addEventListener('search', () => list.reset()); // Enter or the clear button
  list.reset();
  return section('Conversions', h('div', { class: 'filters' }, field('Partner', partner), await partnerOptions('partner-options'),
    field('Attribution', method), field('Recorded from', from), field('Recorded to', to),
    h('label', { class: 'check' }, fraud, ' only flagged as fraud')), list.el);
}

// ---- commissions -------------------------------------------------------------------------------
async function commissions() {
  const status = h('select', { name: 'status', 'aria-label': 'Status' }, ['pending', 'approved', 'paid', 'reversed', 'rejected', 'all'].map((s) => h('option', { value: s }, s)));
  const reload = () => list.reload();
  const decide = (c, button) => {
    const cell = button.closest('td');
    const reason = h('input', { name: 'reason', placeholder: 'Why? (required)', 'aria-label': 'Reason' });
    const form = h('form', { class: 'inline-form' }, reason, h('button', { type: 'submit', class: 'small danger' }, 'Reject'),
      h('button', { type: 'button', class: 'small secondary', onclick: () => reload() }, 'Cancel'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!reason.value.trim()) { reason.focus(); flash('Give a reason to reject the commission.', 'error'); return; }
      act(form.querySelector('button'), () => api('POST', `/api/v1/commissions/${c.id}/reject`, { reason: reason.value.trim() }),
        'Commission rejected.').then(reload, () => {});
    });
    cell.replaceChildren(form);
    reason.focus();
  };
  const list = pagedList('/api/v1/commissions', [
    { key: 'created', label: 'Date', nowrap: true, render: (c) => day(c.created) },
    { key: 'partner_id', label: 'Partner', nowrap: true, render: (c) => partnerName(c.partner_id), csv: (c) => c.partner_id },
    { key: 'status', label: 'Status', render: (c) => badge(c.status) },
    { key: 'net', label: 'Amount', num: true, render: (c) => money(c.net, c.currency) },
    { key: 'explanation', label: 'Explanation', render: (c) => h('span', { class: 'explain', title: c.explanation }, explainMoney(c)), csv: explainMoney },
    { key: 'hold_until', label: 'Hold until', nowrap: true, render: (c) => day(c.hold_until) },
    { key: 'actions', label: '', csv: false, render: (c) => (c.status === 'pending' ? h('span', { class: 'row-actions' },
      h('button', { type: 'button', class: 'small', 'data-action': 'approve',
        onclick: (e) => act(e.target, () => api('POST', `/api/v1/commissions/${c.id}/approve`), 'Commission approved.').then(reload, () => {}) }, 'Approve'),
      h('button', { type: 'button', class: 'small danger', 'data-action': 'reject', onclick: (e) => decide(c, e.target) }, 'Reject')) : '') },
  ], {
    id: 'commissions', what: 'commissions', csvName: 'commissions.csv',
    query: () => ({ program_id: program.id, status: status.value === 'all' ? '' : status.value }),
    prepare: (rows) => lookupPartners(rows.map((c) => c.partner_id)),
    empty: () => [`No ${status.value === 'all' ? '' : status.value + ' '}commissions.`, status.value === 'pending' ? 'Pending commissions wait here for approval; those past their hold period are approved automatically.' : 'Pick another status above.'],
  });
  status.addEventListener('change', () => list.reset());
  list.reset();
  return section('Commissions', h('div', { class: 'filters' }, field('Status', status)), list.el);
}

// ---- payouts -----------------------------------------------------------------------------------
async function payouts() {
  const now = new Date();
  const period = h('input', { type: 'month', name: 'period', required: true,
    value: `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}` });
  const detail = h('div', { id: 'payout-detail' });
  const form = h('form', { class: 'grid-form', id: 'new-payout', novalidate: true },
    field('Period', period, `Pays every partner’s approved balance up to the end of this month, if at least ${money(program.min_payout, program.currency)}.`),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create payout batch')));
  const showItems = async (p) => {
    await lookupPartners((p.items || []).slice(0, 100).map((i) => i.partner_id)); // the rest show their ids
    detail.replaceChildren(section(`Batch ${p.period}`, table([
      { key: 'partner_id', label: 'Partner', render: (i) => partnerName(i.partner_id), csv: (i) => i.partner_id },
      { key: 'amount', label: 'Amount', num: true, render: (i) => money(i.amount, i.currency) },
      { key: 'method', label: 'Payout method', render: (i) => (i.method ? (i.method.type === 'paypal' ? `PayPal ${i.method.email}` : `IBAN ${i.method.iban}`) : h('span', { class: 'badge pending' }, 'no method set')),
        csv: (i) => (i.method ? JSON.stringify(i.method) : '') },
    { key: 'status', label: 'Status', render: (i) => h('span', {}, badge(i.status || 'payable'), i.reason ? h('span', { class: 'muted small' }, ` ${i.reason}`) : null, i.status === 'paid' ? h('button', { type: 'button', class: 'small secondary', 'data-action': 'statement', onclick: () => openStatement(`/api/v1/payouts/${p.id}/items/${i.id}/statement`) }, 'Statement') : null), csv: (i) => i.status || '' },
    ], p.items || [], { csvName: `payout-${p.period}-items.csv`, empty: ['This batch pays nobody.', `No partner had an approved balance of at least ${money(program.min_payout, program.currency)}.`] })));
  };
  const list = pagedList('/api/v1/payouts', [
    { key: 'period', label: 'Period' },
    { key: 'status', label: 'Status', render: (p) => badge(p.status) },
    { key: 'total', label: 'Total', num: true, render: (p) => money(p.total, p.currency) },
    { key: 'item_count', label: 'Partners', num: true },
    { key: 'created', label: 'Created', nowrap: true, render: (p) => day(p.created) },
    { key: 'paid_at', label: 'Paid', nowrap: true, render: (p) => day(p.paid_at) },
    { key: 'actions', label: '', csv: false, render: (p) => h('span', { class: 'row-actions' },
      h('button', { type: 'button', class: 'small secondary', onclick: async (e) => showItems(await act(e.target, () => api('GET', `/api/v1/payouts/${p.id}`))) }, 'Items'),
      h('a', { class: 'button small secondary', href: `/api/v1/payouts/${p.id}.csv`, download: `${p.id}.csv`, 'data-action': 'csv' }, 'Download CSV'),
      p.status === 'draft' && program.paypal ? h('button', { type: 'button', class: 'small', 'data-action': 'send', onclick: (e) => act(e.target, () => api('POST', `/api/v1/payouts/${p.id}/send`), `Batch ${p.period} sent to PayPal.`).then(reload, () => {}) }, 'Send with PayPal') : null,
      p.status !== 'paid' ? h('button', { type: 'button', class: 'small', 'data-action': 'paid',
        onclick: (e) => act(e.target, () => api('POST', `/api/v1/payouts/${p.id}/paid`), `Batch ${p.period} marked paid.`).then(reload, () => {}) }, 'Mark paid') : null) },
  ], {
    id: 'payouts', what: 'payout batches', csvName: 'payouts.csv',
    query: () => ({ program_id: program.id }),
    empty: ['No payout batches yet.', 'Create one for a month above: it gathers every partner’s approved balance.'],
  });
  const reload = () => list.reload();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    formError(form, null);
    if (!/^\d{4}-\d{2}$/.test(period.value)) { formError(form, { message: 'Pick a month (YYYY-MM).', param: 'period' }); return; }
    const b = form.querySelector('button');
    b.disabled = true;
    try {
      const p = await api('POST', '/api/v1/payouts', { program_id: program.id, period: period.value });
      flash(`Payout batch ${p.period}: ${money(p.total, p.currency)} to ${p.item_count ?? (p.items || []).length} partner(s).`);
      showItems(p);
      list.reset();
    } catch (e) { formError(form, e); } finally { b.disabled = false; }
  });
  list.reset();
  return [section('Create a payout batch', form), section('Payout batches', list.el), detail];
}

const overview = () => overviewPage(program, { lookup: lookupPartners, name: partnerName });
const settings = () => settingsPage(program, (saved) => { program = saved; });
const pages = { '': overview, partners, conversions, commissions, payouts, webhooks: webhooksPage, emails: emailsPage, settings,
  team: teamPage, keys: keysPage, partner: partnerPage };

async function start() {
  try {
    const ses = await loadSession('admin');
    sections.push(...ownerSections(ses.role));
    frame(sections, '/admin/');
    readOnly(main);
    if (!(await loadProgram())) {
      main.replaceChildren(section('Create your first program', h('p', {}, 'A program holds your partners, their links and the commission they earn.'), createProgramForm()));
      main.dataset.ready = 'true';
      return;
    }
  } catch (e) {
    main.replaceChildren(emptyState('The dashboard cannot start.', `${e.message}. Reload the page; if it keeps failing, log in again.`));
    return;
  }
  const slug = location.pathname.slice('/admin/'.length);
  document.title = `${(sections.find((s) => s[0] === slug) || sections[0])[1]} — merchant dashboard — partnerd`;
  await loadInto(main, 'the dashboard', pages[slug] || overview);
  main.dataset.ready = 'true';
}
start();
