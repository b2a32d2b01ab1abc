// The merchant's team (owners only: the server refuses everyone else): invite a user by email with
// a role, change a role, remove a user. Also what a viewer's dashboard looks like: every control
// that would change something is disabled or hidden (the server refuses them anyway).
import { h, api, session, section, table, badge, dateTime, field, formError, flash, act, copyButton } from './common.js';

const ROLES = [['admin', 'Admin — everything but the team and the API keys'], ['viewer', 'Viewer — reads only'],
  ['owner', 'Owner — everything, the team and the API keys included']];

// The sections an owner gets beyond the others'.
export function ownerSections(role) {
  return role === 'owner' ? [['team', 'Team'], ['keys', 'API keys']] : [];
}

// Controls that change something: forms (but the filters above lists) and the rows' actions.
const WRITE_ACTIONS = ['approve', 'suspend', 'reject', 'paid', 'role', 'remove', 'revoke', 'edit', 'disable', 'enable', 'delete', 'save', 'refund', 'resend'];
function lock(root) {
  root.querySelectorAll('form:not(.filters) :is(input, select, textarea, button)').forEach((c) => { c.disabled = true; c.title = 'Viewers can only read'; });
  root.querySelectorAll(WRITE_ACTIONS.map((a) => `button[data-action="${a}"], select[data-action="${a}"]`).join(', ')).forEach((b) => { b.hidden = true; b.disabled = true; });
}

// For a viewer: a notice, and every writing control locked as pages render.
export function readOnly(main) {
  if (session.role !== 'viewer') return;
  document.body.classList.add('read-only');
  const note = h('p', { class: 'notice', id: 'read-only' }, 'You have read-only access (viewer): ask an owner of this account to make changes.');
  main.before(note);
  new MutationObserver(() => lock(main)).observe(main, { childList: true, subtree: true });
  lock(main);
}

// Where the latest invite link is shown, to hand over when no mail is sent.
function showLink(url) {
  const box = document.getElementById('invite-link');
  box.replaceChildren(h('span', {}, 'Invite link (emailed; valid 14 days, once): '), h('code', { class: 'secret' }, url), copyButton(url, 'Copy link'));
  box.hidden = false;
}

function inviteForm(onInvited) {
  const email = h('input', { name: 'email', type: 'email', required: true, autocomplete: 'off' });
  const name = h('input', { name: 'name', autocomplete: 'off' });
  const role = h('select', { name: 'role' }, ROLES.map(([v, label]) => h('option', { value: v }, label)));
  const link = h('div', { class: 'linkbox', id: 'invite-link', hidden: true });
  const form = h('form', { class: 'grid-form', id: 'invite-user', novalidate: true },
    field('Email', email), field('Name', name, 'Optional.'), field('Role', role),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Send invite')), link);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    formError(form, null);
    const body = { email: email.value.trim(), role: role.value };
    if (name.value.trim()) body.name = name.value.trim();
    const b = form.querySelector('button[type=submit]');
    b.disabled = true;
    try {
      const u = await api('POST', '/api/v1/users', body);
      flash(`Invitation sent to ${u.email}.`);
      showLink(u.invite_url);
      email.value = '';
      name.value = '';
      onInvited();
    } catch (e) { formError(form, e); } finally { b.disabled = false; }
  });
  return form;
}

// A button that asks once more before it acts.
function confirmButton(label, confirmLabel, action, fn) {
  const b = h('button', { type: 'button', class: 'small danger', 'data-action': action }, label);
  b.addEventListener('click', () => {
    if (b.dataset.armed !== 'true') {
      b.dataset.armed = 'true';
      b.textContent = confirmLabel;
      setTimeout(() => { b.dataset.armed = 'false'; b.textContent = label; }, 5000);
      return;
    }
    fn(b);
  });
  return b;
}

export async function teamPage() {
  const holder = h('div', { id: 'team' });
  const reload = async () => {
    const { data } = await api('GET', '/api/v1/users');
    holder.replaceChildren(table([
      { key: 'name', label: 'Name', render: (u) => [u.name || '—', u.id === session.user_id ? h('span', { class: 'muted small' }, ' (you)') : null] },
      { key: 'email', label: 'Email' },
      { key: 'role', label: 'Role', render: (u) => {
        const sel = h('select', { 'data-action': 'role', 'aria-label': `Role of ${u.email}` }, ROLES.map(([v]) => h('option', { value: v }, v)));
        sel.value = u.role;
        sel.addEventListener('change', () => act(sel, () => api('PATCH', `/api/v1/users/${u.id}`, { role: sel.value }), `${u.email} is now ${sel.value}.`)
          .then(() => (u.id === session.user_id ? location.reload() : reload()), () => { sel.value = u.role; }));
        return sel;
      } },
      { key: 'status', label: 'Status', render: (u) => badge(u.status) },
      { key: 'created', label: 'Added', render: (u) => dateTime(u.created), nowrap: true },
      { key: 'actions', label: '', csv: false, render: (u) => h('span', { class: 'row-actions' },
        u.status === 'invited' ? h('button', { type: 'button', class: 'small secondary', 'data-action': 'resend',
          onclick: (e) => act(e.target, () => api('POST', `/api/v1/users/${u.id}/invite`), `A new invite was sent to ${u.email}.`)
            .then((r) => showLink(r.invite_url), () => {}) }, 'Resend invite') : null,
        confirmButton('Remove', 'Confirm remove', 'remove',
          (b) => act(b, () => api('DELETE', `/api/v1/users/${u.id}`), `${u.email} removed.`).then(reload, () => {}))) },
    ], data, { csvName: 'team.csv' }));
  };
  await reload();
  return [section('Invite a user', h('p', { class: 'muted' }, 'They get an email with a link to choose a password, then log in here with their email.'), inviteForm(reload)),
    section('Team', holder)];
}
