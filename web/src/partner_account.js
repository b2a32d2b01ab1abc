// A partner's own account in the partner dashboard: the page a pending applicant sees instead of
// the dashboard (nothing but the review), and the password change form of the settings page.
import { h, api, section, field, formError, flash } from './common.js';

// Replaces the dashboard with the review notice; true when the partner is still pending.
export function underReview(session, main) {
  if (session.status !== 'pending') return false;
  document.querySelector('#nav').replaceChildren();
  document.title = 'Application under review — partnerd';
  main.replaceChildren(h('section', { class: 'panel', id: 'under-review' },
    h('h2', {}, 'Your application is under review'),
    h('p', {}, `Thank you for applying to ${session.program ? session.program.name : 'the program'}. `,
      'The program’s manager reviews every application; you will get an email once yours is approved, and your links and numbers appear here.')));
  main.dataset.ready = 'true';
  return true;
}

export function passwordSection() {
  const current = h('input', { name: 'current_password', type: 'password', autocomplete: 'current-password', required: true });
  const next = h('input', { name: 'new_password', type: 'password', autocomplete: 'new-password', required: true });
  const again = h('input', { name: 'new_password2', type: 'password', autocomplete: 'new-password', required: true });
  const form = h('form', { class: 'grid-form', id: 'password-change', novalidate: true },
    field('Current password', current), field('New password', next, 'At least 10 characters; a few unrelated words work well.'),
    field('Repeat the new password', again),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Change password')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    formError(form, null);
    if (next.value !== again.value) { formError(form, { message: 'The two new passwords differ: type the same one twice.', param: 'new_password2' }); return; }
    const b = form.querySelector('button');
    b.disabled = true;
    try {
      const r = await api('POST', '/web/password', { current_password: current.value, new_password: next.value });
      form.reset();
      flash(r.message);
    } catch (e) { formError(form, e); } finally { b.disabled = false; }
  });
  return section('Password', form);
}

