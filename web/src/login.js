import { $, h, api, formError } from './common.js';

// Only a dashboard path of this site: never an open redirect.
function safeNext(kind) {
  const next = new URLSearchParams(location.search).get('next') || '';
  const base = kind === 'admin' ? '/admin/' : '/partner/';
  return /^\/(admin|partner)\/[a-z]*$/.test(next) && next.startsWith(base) ? next : base;
}

const form = $('#login');
form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  formError(form, null);
  const email = form.email.value.trim();
  const password = form.password.value;
  if (!email || !password) {
    formError(form, { message: 'Enter your email and your password.', param: email ? 'password' : 'email' });
    return;
  }
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  button.textContent = 'Logging in…';
  try {
    const r = await api('POST', '/login', { email, password });
    location.assign(safeNext(r.kind));
  } catch (e) {
    formError(form, e.status === 401 ? { message: 'Wrong email or password. Check both and try again.', param: 'password' } : e);
    button.disabled = false;
    button.textContent = 'Log in';
    form.password.select();
  }
});
if (new URLSearchParams(location.search).get('next')) {
  form.prepend(h('p', { class: 'notice' }, 'Log in to continue.'));
}
