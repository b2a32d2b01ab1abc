// The merchant's payouts page: make (or refresh) the month's draft, see its items by state (held
// ones with the reason in words), download the files that apply to the batch (the first download
// exports: money leaves then, so it is confirmed first), send the PayPal items through PayPal's
// API where it is set up, and settle the items that left by file. Errors are the API's own.
import { h, api, pagedList, section, table, badge, money, day, field, formError, flash, act, emptyState } from './common.js';
import { openStatement } from './statement.js';
import { payoutSteps } from './payout_steps.js';

const GROUPS = [
  ['payable', 'To pay', 'Leave with the files below or through PayPal.'],
  ['held', 'Held', 'Not paid in this batch: they stay in the partner’s approved balance.'],
  ['sent', 'Sent', 'Left by file or through PayPal; mark each paid or failed once your bank or PayPal says so.'],
  ['paid', 'Paid', null],
  ['failed', 'Failed', 'Their amounts are back in the partners’ approved balances for the next batch.'],
];
const FORMATS = { sepa: ['SEPA XML', 'iban', 'sepa.xml'], paypal: ['PayPal CSV', 'paypal', 'paypal.csv'], wise: ['Wise CSV', 'iban', 'wise.csv'] };
const CHANNELS = { sepa: 'SEPA file', wise: 'Wise file', paypal_csv: 'PayPal file', paypal_api: 'PayPal API', manual: 'by hand' };

function heldReason(reason, program) {
  if (reason === 'no_payout_method') return 'no payout method set';
  if (reason === 'below_min_payout') return `below the minimum payout (${money(program.min_payout, program.currency)})`;
  if (reason === 'suspended') return 'partner suspended';
  return reason || '';
}

const paying = (b) => (b.item_count || 0) - (b.held_count || 0); // the items that are not held

function methodText(m) {
  if (!m) return h('span', { class: 'badge pending' }, 'no method set');
  return m.type === 'paypal' ? `PayPal ${m.email}` : `IBAN ${m.iban}`;
}

// A confirm step in the page (never window.confirm): the note, then the action or Cancel.
function confirmBox(where, note, label, run) {
  const box = h('div', { class: 'notice warn confirm', role: 'alert' }, h('p', {}, note),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'small danger', 'data-action': 'confirm', onclick: (e) => act(e.target, run).then(() => box.remove(), () => {}) }, label),
      h('button', { type: 'button', class: 'small secondary', 'data-action': 'cancel', onclick: () => box.remove() }, 'Cancel')));
  where.querySelectorAll('.confirm').forEach((b) => b.remove());
  where.append(box);
  box.querySelector('button').focus();
}

async function fetchFile(url, name) {
  const r = await fetch(url, { credentials: 'same-origin' });
  if (!r.ok) {
    const body = await r.json().catch(() => null);
    throw new Error((body && body.error && body.error.message) || `the server answered HTTP ${r.status}`);
  }
  const href = URL.createObjectURL(await r.blob());
  const a = h('a', { href, download: name, class: 'offscreen' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10000);
}

// The downloads that apply: each file with its parts, and why SEPA is not offered when the batch
// has IBAN items but the program cannot make it. IBAN items leave by SEPA or by Wise, not both.
function filesBlock(b, program, reopen) {
  const items = b.items || [];
  const ibanChannel = (items.find((i) => i.method && i.method.type === 'iban' && i.channel) || {}).channel;
  const files = (b.files || []).filter((f) => !(f.format === 'sepa' && (program.currency !== 'EUR' || !program.payout_debtor))
    && !(ibanChannel && FORMATS[f.format][1] === 'iban' && ibanChannel !== f.format));
  const box = h('div', { class: 'payout-files', id: 'payout-files' });
  const rows = files.map((f) => {
    const [label, type, file] = FORMATS[f.format];
    const first = items.some((i) => i.status === 'payable' && i.method && i.method.type === type);
    const name = `${b.id}-${f.part ? `part${f.part}-` : ''}${file}`;
    const get = () => fetchFile(f.url, name).then(() => (first ? reopen() : null));
    return h('li', { 'data-file': f.format, 'data-part': f.part || '' },
      h('button', { type: 'button', class: 'small', 'data-action': 'download', onclick: (e) => (first
        ? confirmBox(box, `Downloading the first ${label} exports its ${f.items} item(s): they are marked sent and their amounts leave the partners’ approved balances now. Pay them with the file at once; settle each afterwards.`,
          `Export and download ${label}`, get)
        : act(e.target, get)) }, `${label}${f.part ? ` part ${f.part}` : ''}`),
      h('span', { class: 'muted small' }, ` ${f.items} item(s)${first ? '' : ' · exported, the same file again'}`));
  });
  const notes = [];
  const ibanPayable = items.some((i) => i.status === 'payable' && i.method && i.method.type === 'iban');
  if (ibanPayable && !ibanChannel) {
    if (program.currency !== 'EUR') notes.push(h('p', { class: 'muted small', 'data-note': 'sepa' }, `No SEPA XML: SEPA pays EUR only and this program pays in ${program.currency}. Use the Wise CSV for the IBAN items.`));
    else if (!program.payout_debtor) notes.push(h('p', { class: 'muted small', 'data-note': 'sepa' }, 'No SEPA XML yet: it needs the account you pay from (the program’s payout debtor: name, IBAN, BIC). ', h('a', { href: '/admin/settings' }, 'Set it in Settings'), '.'));
  }
  box.append(rows.length ? h('ul', { class: 'file-list' }, rows) : h('p', { class: 'muted small' }, 'No file to download: no item of this batch leaves by file.'), ...notes);
  return box;
}

function paypalBlock(b, program, reopen) {
  const parts = b.paypal || [];
  const payable = (b.items || []).filter((i) => i.status === 'payable' && i.method && i.method.type === 'paypal');
  const box = h('div', { id: 'paypal-send' });
  if (b.status === 'draft' && program.paypal && payable.length) {
    box.append(h('button', { type: 'button', class: 'small', 'data-action': 'send', onclick: () => confirmBox(box,
      `PayPal pays the ${payable.length} PayPal item(s) now: they are marked sent and their amounts leave the partners’ approved balances.`,
      'Send with PayPal', async () => { await api('POST', `/api/v1/payouts/${b.id}/send`); flash(`Batch ${b.period} sent to PayPal.`); reopen(); }) }, 'Send with PayPal'));
  } else if (b.status === 'draft' && payable.length && !program.paypal) {
    box.append(h('p', { class: 'muted small' }, 'To have PayPal pay these items itself, ', h('a', { href: '/admin/settings' }, 'set up PayPal in Settings'), '.'));
  }
  if (parts.length) {
    box.append(table([
      { key: 'part', label: 'Part', num: true },
      { key: 'status', label: 'State', render: (p) => badge(p.status) },
      { key: 'payout_batch_id', label: 'PayPal batch', render: (p) => p.payout_batch_id || '—' },
      { key: 'attempts', label: 'Attempts', num: true },
      { key: 'error', label: 'Last error', render: (p) => p.error || '—' },
    ], parts.map((p) => ({ ...p, id: `part-${p.part}` })), { caption: 'Sent through PayPal' }));
  }
  return box;
}

function itemsBlock(b, program, deps, reopen) {
  const items = b.items || [];
  const settle = (i, how, button) => {
    if (how === 'paid') {
      act(button, () => api('POST', `/api/v1/payouts/${b.id}/items/${i.id}/paid`), `${deps.name(i.partner_id)} marked paid.`).then(reopen, () => {});
      return;
    }
    const reason = h('input', { name: 'reason', placeholder: 'Why? (required)', 'aria-label': 'Reason' });
    const form = h('form', { class: 'inline-form', 'data-form': 'failed' }, reason, h('button', { type: 'submit', class: 'small danger' }, 'Failed'),
      h('button', { type: 'button', class: 'small secondary', onclick: () => reopen() }, 'Cancel'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!reason.value.trim()) { reason.focus(); flash('Give the reason the payment failed.', 'error'); return; }
      act(form.querySelector('button'), () => api('POST', `/api/v1/payouts/${b.id}/items/${i.id}/failed`, { reason: reason.value.trim() }),
        `${deps.name(i.partner_id)} marked failed: the amount is back in the approved balance.`).then(reopen, () => {});
    });
    button.closest('td').replaceChildren(form);
    reason.focus();
  };
  const actions = (i) => h('span', { class: 'row-actions' },
    i.status === 'sent' && i.channel !== 'paypal_api' ? [
      h('button', { type: 'button', class: 'small', 'data-action': 'item-paid', onclick: (e) => settle(i, 'paid', e.target) }, 'Paid'),
      h('button', { type: 'button', class: 'small danger', 'data-action': 'item-failed', onclick: (e) => settle(i, 'failed', e.target) }, 'Failed')] : null,
    i.status === 'sent' && i.channel === 'paypal_api' ? h('span', { class: 'muted small' }, 'PayPal settles it') : null,
    i.status === 'paid' ? h('button', { type: 'button', class: 'small secondary', 'data-action': 'statement', onclick: () => openStatement(`/api/v1/payouts/${b.id}/items/${i.id}/statement`) }, 'Statement') : null);
  const partner = { key: 'partner_id', label: 'Partner', render: (i) => deps.name(i.partner_id), csv: (i) => i.partner_id };
  const amount = { key: 'amount', label: 'Amount', num: true, render: (i) => money(i.amount, i.currency) };
  const method = { key: 'method', label: 'Payout method', render: (i) => methodText(i.method), csv: (i) => (i.method ? JSON.stringify(i.method) : '') };
  const columns = (status) => (status === 'held' ? [partner, amount,
    { key: 'reason', label: 'Why held', render: (i) => h('span', { 'data-reason': i.reason }, heldReason(i.reason, program)) }, method] : [partner, amount,
    { key: 'status', label: 'State', render: (i) => h('span', {}, badge(i.status),
      i.channel ? h('span', { class: 'muted small' }, ` ${CHANNELS[i.channel] || i.channel}`) : null), csv: (i) => i.status },
    { key: 'dates', label: 'Dates', render: (i) => payoutSteps({ ...i, created: b.created }), csv: (i) => i.paid_at || i.failed_at || i.sent_at || '' },
    { key: 'actions', label: '', csv: false, render: actions },
    method, { key: 'reference', label: 'Reference', render: (i) => h('code', {}, i.reference) }]);
  const groups = GROUPS.map(([status, title, hint]) => {
    const rows = items.filter((i) => i.status === status);
    if (!rows.length) return null;
    const total = rows.reduce((s, i) => s + i.amount, 0);
    return h('div', { class: 'item-group', 'data-group': status },
      h('h3', {}, `${title}: ${rows.length} · ${money(total, b.currency)}`), hint ? h('p', { class: 'muted small' }, hint) : null,
      table(columns(status), rows, { csvName: `payout-${b.period}-${status}.csv` }));
  });
  return groups.some(Boolean) ? groups : emptyState('This batch pays nobody.', `No partner had an approved balance of at least ${money(program.min_payout, program.currency)}.`);
}

// The batch on its own: what it is, what to do with it, its files and its items.
async function batchDetail(detail, id, program, deps, onChange) {
  const b = await api('GET', `/api/v1/payouts/${id}`);
  await deps.lookup((b.items || []).slice(0, 200).map((i) => i.partner_id)); // the rest show their ids
  const reopen = () => { onChange(); return batchDetail(detail, id, program, deps, onChange).catch((e) => flash(e.message, 'error')); };
  const bar = h('div', { class: 'actions batch-actions' });
  if (b.status === 'draft') {
    bar.append(
      h('button', { type: 'button', class: 'small secondary', 'data-action': 'refresh', onclick: (e) => act(e.target, () => api('POST', `/api/v1/payouts/${b.id}/refresh`), `Batch ${b.period} refreshed from the approved balances.`).then(reopen, () => {}) }, 'Refresh'),
      h('button', { type: 'button', class: 'small danger', 'data-action': 'delete', onclick: () => confirmBox(bar, `Delete the draft for ${b.period}? Nothing has been paid; the balances stay as they are.`, 'Delete draft',
        async () => { await api('DELETE', `/api/v1/payouts/${b.id}`); flash(`Draft ${b.period} deleted.`); detail.replaceChildren(); onChange(); }) }, 'Delete'));
  }
  if (b.status !== 'paid' && (b.items || []).some((i) => (i.status === 'sent' && i.channel !== 'paypal_api') || (b.status === 'draft' && i.status === 'payable'))) {
    bar.append(h('button', { type: 'button', class: 'small', 'data-action': 'paid', onclick: () => confirmBox(bar,
      b.status === 'draft' ? 'Mark every payable item paid? Do this only if you paid them yourself, outside these files.' : 'Mark every item that left by file paid? Do this once your bank or provider has paid them.',
      'Mark all paid', async () => { await api('POST', `/api/v1/payouts/${b.id}/paid`); flash(`Batch ${b.period} marked paid.`); reopen(); }) }, 'Mark all paid'));
  }
  const dates = [['Made', b.created], ['Refreshed', b.status === 'draft' ? b.updated : null], ['Exported', b.exported_at], ['Sent', b.sent_at], ['Paid', b.paid_at]]
    .filter(([, at]) => at).map(([label, at]) => `${label} ${day(at)}`).join(' · ');
  detail.replaceChildren(section(`Batch ${b.period}`,
    h('div', { class: 'batch-head', 'data-batch': b.id, 'data-status': b.status },
      h('p', {}, badge(b.status), ' ', h('strong', { 'data-total': '' }, money(b.total, b.currency)), ` to ${paying(b)} partner(s)`,
        b.held_count ? h('span', { 'data-held': '' }, ` · ${b.held_count} held (${money(b.held_total, b.currency)})`) : null),
      h('p', { class: 'muted small' }, dates)),
    bar,
    b.status !== 'paid' ? [h('h3', {}, 'Pay it'), filesBlock(b, program, reopen), paypalBlock(b, program, reopen)] : paypalBlock(b, program, reopen),
    itemsBlock(b, program, deps, reopen)));
}

export async function payoutsPage(program, deps) {
  const now = new Date();
  const period = h('input', { type: 'month', name: 'period', required: true,
    value: `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}` });
  const detail = h('div', { id: 'payout-detail' });
  const show = (id) => batchDetail(detail, id, program, deps, () => list.reload());
  const open = (id, button) => act(button, () => show(id)).then(() => detail.scrollIntoView({ block: 'start' }), () => {});
  let first = true; // the program's draft opens with the page
  const form = h('form', { class: 'grid-form', id: 'new-payout', novalidate: true },
    field('Period', period, `This month or an earlier one: pays every partner’s approved balance, if at least ${money(program.min_payout, program.currency)}. A program has one draft: making it again refreshes it.`),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Make the draft')));
  const list = pagedList('/api/v1/payouts', [
    { key: 'period', label: 'Period' },
    { key: 'status', label: 'Status', render: (p) => badge(p.status) },
    { key: 'total', label: 'Total', num: true, render: (p) => money(p.total, p.currency) },
    { key: 'item_count', label: 'Partners', num: true, render: paying, csv: paying },
    { key: 'held_count', label: 'Held', num: true, render: (p) => p.held_count || '—' },
    { key: 'created', label: 'Made', nowrap: true, render: (p) => day(p.created) },
    { key: 'paid_at', label: 'Paid', nowrap: true, render: (p) => day(p.paid_at) },
    { key: 'actions', label: '', csv: false, render: (p) => h('span', { class: 'row-actions' },
      h('button', { type: 'button', class: 'small secondary', 'data-action': 'open', onclick: (e) => open(p.id, e.target) }, p.status === 'draft' ? 'Open draft' : 'Items'),
      h('a', { class: 'button small secondary', href: `/api/v1/payouts/${p.id}.csv`, download: `${p.id}.csv`, 'data-action': 'csv' }, 'List CSV')) },
  ], {
    id: 'payouts', what: 'payout batches', csvName: 'payouts.csv',
    query: () => ({ program_id: program.id }),
    prepare: async (rows) => {
      const draft = first && rows.find((p) => p.status === 'draft');
      first = false;
      if (draft) await show(draft.id).catch((e) => flash(e.message, 'error'));
    },
    empty: ['No payout batches yet.', 'Make the draft for a month above: it gathers every partner’s approved balance.'],
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    formError(form, null);
    if (!/^\d{4}-\d{2}$/.test(period.value)) { formError(form, { message: 'Pick a month (YYYY-MM).', param: 'period' }); return; }
    const b = form.querySelector('button');
    b.disabled = true;
    try {
      const p = await api('POST', '/api/v1/payouts', { program_id: program.id, period: period.value });
      flash(`Draft ${p.period}: ${money(p.total, p.currency)} to ${paying(p)} partner(s)${p.held_count ? `, ${p.held_count} held` : ''}.`);
      await show(p.id);
      detail.scrollIntoView({ block: 'start' });
      list.reset();
    } catch (e) { formError(form, e); } finally { b.disabled = false; }
  });
  list.reset();
  return [section('Make a payout batch', form), section('Payout batches', list.el), detail];
}
