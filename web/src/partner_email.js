// The partner dashboard's email setting: whether the daily digest of new commissions comes
// (PATCH /api/v1/me {"email_digest": …}; the digest's own unsubscribe link turns it off too).
import { h, api, field, flash, formError } from './common.js';

export function digestForm(me) {
  const box = h('input', { name: 'email_digest', type: 'checkbox' });
  box.checked = me.email_digest !== false;
  const form = h('form', { id: 'email-digest', novalidate: true },
    field('Daily summary', h('span', {}, box, ' Email me a summary of new commissions, at most once a day'),
      'Sent only on days with new commissions.'),
    h('button', { type: 'submit' }, 'Save email setting'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    formError(form, null);
    const b = form.querySelector('button');
    b.disabled = true;
    try {
      const me2 = await api('PATCH', '/api/v1/me', { email_digest: box.checked });
      box.checked = me2.email_digest;
      flash(me2.email_digest ? 'You will receive the daily summary.' : 'No more daily summaries.');
    } catch (e) { formError(form, e); } finally { b.disabled = false; }
  });
  return form;
}
