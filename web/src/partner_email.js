// The partner dashboard's email setting: whether the daily digest of new commissions comes
// (PATCH /api/v1/me {"email_digest": …}; the digest's own unsubscribe link turns it off too).
import { h, api, field, flash, act } from './common.js';

export function digestForm(me) {
  const box = h('input', { name: 'email_digest', type: 'checkbox' });
  box.checked = me.email_digest !== false;
  const form = h('form', { id: 'email-digest', novalidate: true },
    field('Daily summary', h('span', {}, box, ' Email me a summary of new commissions, at most once a day'),
      'Sent only on days with new commissions.'),
    h('button', { type: 'submit' }, 'Save email setting'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    act(form.querySelector('button'), () => api('PATCH', '/api/v1/me', { email_digest: box.checked })).then((saved) => {
      box.checked = saved.email_digest;
      flash(saved.email_digest ? 'You will receive the daily summary.' : 'No more daily summaries.');
    }, () => {}); // act has shown the error
  });
  return form;
}
