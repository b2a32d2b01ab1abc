// A paid payout item's statement, for the partner and the merchant alike: read from the API
// (/api/v1/me/payouts/{id}/statement or /api/v1/payouts/{id}/items/{item}/statement) and shown as
// a sheet over the dashboard that prints on its own (app.css hides the rest when printing).
import { h, $, api, money, day, flash } from './common.js';

function parties(st) {
  const m = st.partner.payout_method;
  const account = !m ? '—' : m.type === 'paypal' ? `PayPal ${m.email}` : `IBAN ${m.iban}${m.holder ? ` (${m.holder})` : ''}`;
  return h('div', { class: 'statement-parties' },
    h('div', { 'data-party': 'merchant' }, h('h3', {}, 'From'),
      h('p', {}, st.merchant.name), st.merchant.debtor_name ? h('p', { class: 'muted' }, st.merchant.debtor_name) : null),
    h('div', { 'data-party': 'partner' }, h('h3', {}, 'To'),
      h('p', {}, st.partner.name), h('p', { class: 'muted' }, st.partner.email), h('p', { class: 'muted' }, account)));
}

function lines(st) {
  const cur = st.currency;
  const rows = st.commissions.map((c) => h('tr', { 'data-commission': c.id },
    h('td', { class: 'nowrap' }, day(c.created)), h('td', {}, c.order_id || c.id),
    h('td', { class: 'num' }, money(c.amount, cur)),
    h('td', { class: 'num' }, c.reversed ? money(-c.reversed, cur) : '—')));
  const claws = st.clawbacks.map((c) => h('tr', { 'data-clawback': c.commission_id || '' },
    h('td', { class: 'nowrap' }, day(c.created)), h('td', {}, 'Claw-back of an earlier payment'),
    h('td', { class: 'num' }, money(c.amount, cur)), h('td', {}, '')));
  return h('table', { class: 'statement-lines' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Date'), h('th', {}, 'Order'), h('th', { class: 'num' }, 'Commission'), h('th', { class: 'num' }, 'Reversed'))),
    h('tbody', {}, rows, claws));
}

function totals(st) {
  const cur = st.currency;
  const row = (label, v, key) => h('tr', { 'data-total': key }, h('th', { scope: 'row' }, label), h('td', { class: 'num' }, money(v, cur)));
  return h('table', { class: 'statement-totals' }, h('tbody', {},
    row('Commissions', st.commissions_total, 'commissions'),
    row('Reversals', -st.reversals_total, 'reversals'),
    row('Carried from earlier payouts', st.carried, 'carried'),
    row('Total paid', st.total, 'total')));
}

// The statement as a printable sheet.
export function statementSheet(st) {
  return h('article', { class: 'statement', 'data-statement': st.id },
    h('header', {}, h('h2', {}, `Payout statement ${st.period}`),
      h('p', { class: 'muted' }, `Reference ${st.reference} · paid ${day(st.paid_at)} · ${st.currency}`)),
    parties(st), lines(st), totals(st));
}

// Reads the statement at path and shows it over the page, with Print and Close.
export async function openStatement(path) {
  let st;
  try {
    st = await api('GET', path);
  } catch (e) {
    flash(`The statement cannot be shown: ${e.message}`, 'error');
    return;
  }
  const old = $('.statement-sheet');
  if (old) old.remove();
  const close = () => { sheet.remove(); document.body.classList.remove('printing-statement'); };
  const sheet = h('div', { class: 'statement-sheet', role: 'dialog', 'aria-label': 'Payout statement' },
    h('div', { class: 'statement-actions' },
      h('button', { type: 'button', 'data-action': 'print', onclick: () => window.print() }, 'Print'),
      h('button', { type: 'button', class: 'secondary', 'data-action': 'close', onclick: close }, 'Close')),
    statementSheet(st));
  document.body.classList.add('printing-statement');
  document.body.append(sheet);
}
