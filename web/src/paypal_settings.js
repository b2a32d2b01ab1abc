// The program's PayPal Payouts API settings in the merchant's settings page: the client id, the
// secret (write-only: the form only says whether one is set, and an empty field keeps it), the
// mode and an optional base URL. Saved with PATCH /api/v1/programs/{id} {"paypal": …}.
import { h, api, section, field, formError, flash } from './common.js';

export function paypalSettings(programId, current, saved) {
  const pp = current || {};
  const clientId = h('input', { name: 'client_id', value: pp.client_id || '', autocomplete: 'off' });
  const secret = h('input', { name: 'client_secret', type: 'password', autocomplete: 'new-password',
    placeholder: pp.client_secret_set ? 'set (leave empty to keep it)' : '' });
  const mode = h('select', { name: 'mode' }, h('option', { value: 'sandbox' }, 'sandbox'), h('option', { value: 'live' }, 'live'));
  mode.value = pp.mode || 'sandbox';
  const defaults = ['https://api-m.sandbox.paypal.com', 'https://api-m.paypal.com'];
  const baseUrl = h('input', { name: 'base_url', type: 'url', value: pp.base_url && !defaults.includes(pp.base_url) ? pp.base_url : '', placeholder: 'the mode’s' });
  const form = h('form', { id: 'paypal-settings', class: 'grid-form', novalidate: true },
    field('Client id', clientId), field('Client secret', secret, 'Never shown again once saved.'),
    field('Mode', mode), field('Base URL', baseUrl, 'Empty: PayPal’s address for the mode.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save PayPal settings'),
      current ? h('button', { type: 'button', class: 'secondary', 'data-action': 'remove-paypal', onclick: () => save(null) }, 'Remove') : null));
  async function save(body) {
    formError(form, null);
    try {
      const p = await api('PATCH', `/api/v1/programs/${programId}`, { paypal: body });
      flash(body ? 'PayPal settings saved.' : 'PayPal settings removed.');
      saved(p);
    } catch (e) {
      if (e.param) e.param = e.param.replace(/^paypal\./, '');
      formError(form, e);
    }
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = { client_id: clientId.value.trim(), mode: mode.value, base_url: baseUrl.value.trim() || null };
    if (secret.value) body.client_secret = secret.value;
    save(body);
  });
  return section('Paying with PayPal', h('p', { class: 'muted small' },
    'With a PayPal REST app’s credentials, a draft batch’s PayPal items are paid with “Send with PayPal” on the payouts page.'), form);
}
