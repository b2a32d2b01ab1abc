// A payout item's way, for both dashboards: pending (made), sent, then paid or failed, each with
// the date it happened; a step not reached yet shows without a date.
import { h, day } from './common.js';

// item: {status, created?, sent_at, paid_at, failed_at, reason}. The partner's API calls an item
// that has not left "pending"; the merchant's says "payable" or "held".
export function payoutSteps(item) {
  const failed = item.status === 'failed';
  const steps = [
    ['pending', 'Pending', item.created || null, true],
    ['sent', 'Sent', item.sent_at, !!item.sent_at],
    failed ? ['failed', 'Failed', item.failed_at, true] : ['paid', 'Paid', item.paid_at, !!item.paid_at],
  ];
  return h('ol', { class: 'payout-steps', 'data-status': item.status },
    steps.map(([key, label, at, reached]) => h('li', { class: reached ? `done ${key}` : 'todo', 'data-step': key },
      label, at ? h('span', { class: 'muted small' }, ` ${day(at)}`) : null)),
    failed && item.reason ? h('li', { class: 'reason', 'data-reason': '' }, item.reason) : null);
}
