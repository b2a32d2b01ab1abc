import { $, h, api, formError, field } from './common.js';

const box = $('#invite');
const token = location.pathname.split('/')[2] || '';

function gone(message) {
  box.replaceChildren(h('h2', {}, 'This invite cannot be used'),
    h('p', { class: 'state error', role: 'alert' }, message),
    h('p', {}, h('a', { href: '/login' }, 'Go to the login page')));
}

async function main() {
  let who;
  try {
    who = await api('GET', `/invite/${encodeURIComponent(token)}/status`);
  } catch (e) {
    gone(e.message);
    return;
  }
  const pw = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 10 });
  const pw2 = h('input', { name: 'password2', type: 'password', autocomplete: 'new-password', required: true });
  const form = h('form', { novalidate: true },
    h('h2', {}, `Welcome, ${who.name}`),
    h('p', { class: 'muted' }, `Choose a password for ${who.email}. You will log in with this email and password from now on; the invite link then stops working.`),
    field('Password', pw, 'At least 10 characters.'),
    field('Repeat the password', pw2),
    h('button', { type: 'submit' }, 'Set password and open my dashboard'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    formError(form, null);
    if (pw.value.length < 10) { formError(form, { message: 'Use at least 10 characters.', param: 'password' }); return; }
    if (pw.value !== pw2.value) { formError(form, { message: 'The two passwords differ: type the same one twice.', param: 'password2' }); return; }
    const b = form.querySelector('button');
    b.disabled = true;
    try {
      const r = await api('POST', `/invite/${encodeURIComponent(token)}`, { password: pw.value });
      location.assign(r.redirect || '/partner/');
    } catch (e) {
      if (e.status === 404) gone(e.message); else formError(form, e);
      b.disabled = false;
    }
  });
  box.replaceChildren(form);
}
main();
