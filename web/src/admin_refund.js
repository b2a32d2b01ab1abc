// Recording a refund from a conversion's row: an amount in the order's currency (the rest of the
// order by default) and a reason; the server reverses the commissions in proportion and refuses
// more than the order's amount.
import { h, api, money, parseMoney, formError, flash } from './common.js';

// The cell's button; done() reloads the list once the refund is recorded.
export function refundCell(c, done) {
  const left = c.amount - (c.refunded_amount || 0);
  if (left <= 0) return '';
  const cell = h('span', { class: 'row-actions' });
  const open = h('button', { type: 'button', class: 'small secondary', 'data-action': 'refund' }, 'Refund');
  open.addEventListener('click', () => {
    const amount = h('input', { name: 'amount', inputmode: 'decimal', size: 8, 'aria-label': `Refund amount (${c.currency})`,
      value: money(left, c.currency).replace(/[^\d.]/g, '') });
    const reason = h('input', { name: 'reason', placeholder: 'reason (optional)', 'aria-label': 'Reason', maxlength: 500 });
    const form = h('form', { class: 'inline-form refund-form', novalidate: true }, amount, reason,
      h('button', { type: 'submit', class: 'small danger', 'data-action': 'save' }, 'Record refund'),
      h('button', { type: 'button', class: 'small secondary', onclick: () => cell.replaceChildren(open) }, 'Cancel'));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      formError(form, null);
      const minor = parseMoney(amount.value, c.currency);
      if (minor === null || minor <= 0) { formError(form, { message: `Enter an amount in ${c.currency}, e.g. 12.50`, param: 'amount' }); return; }
      const body = { program_id: c.program_id, amount: minor };
      if (reason.value.trim()) body.reason = reason.value.trim();
      const b = form.querySelector('button[type=submit]');
      b.disabled = true;
      try {
        await api('POST', `/api/v1/conversions/${encodeURIComponent(c.order_id)}/refunds`, body);
        flash(`Refund of ${money(minor, c.currency)} recorded for order ${c.order_id}.`);
        done();
      } catch (e) { formError(form, e); b.disabled = false; }
    });
    cell.replaceChildren(form);
    amount.focus();
  });
  cell.append(open);
  return cell;
}
