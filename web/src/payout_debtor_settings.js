// The program's payout debtor in the merchant's settings page: the account the SEPA payout files
// pay from (name, IBAN, optional BIC). Saved with PATCH /api/v1/programs/{id} {"payout_debtor": …};
// the server checks the IBAN and its errors show on the field they name.
import { h, api, section, field, formError, flash } from './common.js';

export function payoutDebtorSettings(program, saved) {
  const d = program.payout_debtor || {};
  const input = (name, value, attrs = {}) => h('input', { name, value: value || '', autocomplete: 'off', ...attrs });
  const name = input('name', d.name, { maxlength: 140 });
  const iban = input('iban', d.iban, { placeholder: 'DE89 3704 0044 0532 0130 00' });
  const bic = input('bic', d.bic, { placeholder: 'optional' });
  const form = h('form', { id: 'payout-debtor', class: 'grid-form', novalidate: true },
    field('Account holder', name), field('IBAN', iban), field('BIC', bic),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save the account'),
      program.payout_debtor ? h('button', { type: 'button', class: 'secondary', 'data-action': 'remove-debtor', onclick: () => save(null) }, 'Remove') : null));
  async function save(body) {
    formError(form, null);
    try {
      const p = await api('PATCH', `/api/v1/programs/${program.id}`, { payout_debtor: body });
      flash(body ? 'Payout account saved.' : 'Payout account removed.');
      saved(p);
    } catch (e) {
      if (e.param) e.param = e.param.replace(/^payout_debtor\./, '');
      formError(form, e);
    }
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = { name: name.value.trim(), iban: iban.value.trim() };
    if (bic.value.trim()) body.bic = bic.value.trim();
    save(body);
  });
  return section('Paying by SEPA transfer', h('p', { class: 'muted small' }, program.currency === 'EUR'
    ? 'The account your bank pays partners from: the payouts page then offers the batch’s SEPA XML file.'
    : `SEPA files are for EUR programs; this one pays in ${program.currency}.`), form);
}
