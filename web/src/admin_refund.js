// Recording a refund from a conversion's row: the amount in the currency (what is left to refund
// by default, so one click refunds in full) and an optional reason, sent to
// POST /api/v1/conversions/{order_id}/refunds. The server reverses the commission in proportion.
import { h, api, act, flash, money, parseMoney } from './common.js';
import { moneyInput } from './explain.js';


// The row's Refund button; onDone() runs once the refund is recorded (to reload the list).
export function refundButton(c, onDone) {
  const left = c.amount - (c.refunded_amount || 0);
  if (left <= 0) return h('span', { class: 'muted small' }, 'refunded');
  return h('button', { type: 'button', class: 'small secondary', 'data-action': 'refund', onclick: (e) => {
    const cell = e.target.closest('td');
    const amount = h('input', { name: 'refund_amount', inputmode: 'decimal', value: moneyInput(left, c.currency), 'aria-label': `Refund amount (${c.currency})`, size: 8 });
    const reason = h('input', { name: 'refund_reason', placeholder: 'reason (optional)', 'aria-label': 'Reason', maxlength: 500, size: 12 });
    const form = h('form', { class: 'inline-form refund-form', novalidate: true },
      h('span', { class: 'small' }, c.currency), amount, reason,
      h('button', { type: 'submit', class: 'small danger' }, 'Refund'),
      h('button', { type: 'button', class: 'small secondary', onclick: () => cell.replaceChildren(refundButton(c, onDone)) }, 'Cancel'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const minor = parseMoney(amount.value, c.currency);
      if (!minor || minor > left) {
        amount.setAttribute('aria-invalid', 'true');
        amount.focus();
        flash(`Enter an amount from ${money(1, c.currency)} to ${money(left, c.currency)}.`, 'error');
        return;
      }
      const body = { program_id: c.program_id, amount: minor };
      if (reason.value.trim()) body.reason = reason.value.trim();
      act(form.querySelector('button[type=submit]'), () => api('POST', `/api/v1/conversions/${encodeURIComponent(c.order_id)}/refunds`, body),
        `Refund of ${money(minor, c.currency)} recorded for order ${c.order_id}.`).then(onDone, () => {});
    });
    cell.replaceChildren(form);
    amount.select();
  } }, 'Refund');
}
