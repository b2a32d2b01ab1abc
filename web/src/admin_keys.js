// The merchant's API keys (owners only): create a secret or publishable key, shown once with a
// copy button, list the active ones by their hints, revoke one (refused by every node once the
// revocation is answered, which takes about a second).
import { h, api, section, table, dateTime, field, formError, flash, act, copyButton } from './common.js';

function createForm(onCreated) {
  const kind = h('select', { name: 'kind' },
    h('option', { value: 'secret' }, 'Secret — the whole API (keep it on your server)'),
    h('option', { value: 'publishable' }, 'Publishable — registers clicks only'));
  const name = h('input', { name: 'name', maxlength: 100, placeholder: 'e.g. shop backend', autocomplete: 'off' });
  const shown = h('div', { id: 'new-key', hidden: true });
  const form = h('form', { class: 'grid-form', id: 'create-key', novalidate: true },
    field('Kind', kind), field('Name', name, 'What the key is for, to tell keys apart.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create key')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    formError(form, null);
    const body = { kind: kind.value };
    if (name.value.trim()) body.name = name.value.trim();
    const b = form.querySelector('button[type=submit]');
    b.disabled = true;
    try {
      const k = await api('POST', '/api/v1/keys', body);
      shown.replaceChildren(h('p', { class: 'notice' }, 'Copy this key now: it is shown only once, partnerd keeps only its hash.'),
        h('div', { class: 'linkbox' }, h('code', { class: 'secret' }, k.key), copyButton(k.key, 'Copy key')));
      shown.hidden = false;
      name.value = '';
      onCreated();
    } catch (e) { formError(form, e); } finally { b.disabled = false; }
  });
  return [form, shown];
}

export async function keysPage() {
  const holder = h('div', { id: 'keys' });
  const reload = async () => {
    const { data } = await api('GET', '/api/v1/keys');
    holder.replaceChildren(table([
      { key: 'name', label: 'Name', render: (k) => k.name || '—' },
      { key: 'kind', label: 'Kind' },
      { key: 'hint', label: 'Key', render: (k) => h('code', {}, k.hint || '(made before hints)') },
      { key: 'created', label: 'Created', render: (k) => dateTime(k.created), nowrap: true },
      { key: 'actions', label: '', csv: false, render: (k) => {
        const b = h('button', { type: 'button', class: 'small danger', 'data-action': 'revoke' }, 'Revoke');
        b.addEventListener('click', () => {
          if (b.dataset.armed !== 'true') { b.dataset.armed = 'true'; b.textContent = 'Confirm revoke'; return; }
          act(b, () => api('DELETE', `/api/v1/keys/${k.id}`), `Key ${k.hint || k.id} revoked on every node.`).then(reload, () => {});
        });
        return b;
      } },
    ], data, { empty: ['No active key.', 'Create one above.'] }));
  };
  await reload();
  return [section('Create an API key', ...createForm(reload)), section('Active keys', holder)];
}
