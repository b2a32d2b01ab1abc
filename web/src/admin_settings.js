// The program's settings page and the forms that create a program: every field of
// PATCH /api/v1/programs/{id} (rates as percentages with two decimals, money in the currency),
// the commission rules as rows (admin_rules.js), the postback token (enable, rotate, turn off,
// with the URL template a cart fires), and "New program". The public signup fields (slug,
// description, terms, auto-approve) show when the server's programs have them.
import {
  h, api, section, field, formError, flash, act, parseMoney, dateTime, copyButton, listAll,
} from './common.js';
import { rulesEditor } from './admin_rules.js';
import { connectionsSection } from './admin_connections.js';
import { paypalSettings } from './paypal_settings.js';
import { bpsInput, parsePercent, moneyInput } from './explain.js';

const CURRENCIES = ['USD', 'EUR', 'GBP', 'CAD', 'AUD', 'CHF', 'SEK', 'NOK', 'DKK', 'PLN', 'CZK', 'JPY', 'INR', 'BRL', 'MXN', 'NZD', 'SGD', 'ZAR'];
const inp = (name, value, attrs = {}) => h('input', { name, value: value ?? '', ...attrs });
const submitting = async (form, fn) => {
  const b = form.querySelector('button[type=submit]');
  b.disabled = true;
  try { return await fn(); } finally { b.disabled = false; }
};
const hostOf = (url) => { try { return new URL(url).hostname; } catch { return ''; } };

// Opens the given program on the next page load (the dashboard shows one program at a time).
function openProgram(id, path = '/admin/settings') {
  sessionStorage.setItem('pd_program', id);
  location.assign(path);
}

// A new program: name, currency, the store's address (its host becomes the allowed host) and
// the default commission. The rest keeps the server's defaults and is edited on the settings page.
export function createProgramForm(opts = {}) {
  const name = inp('name', '', { required: true, placeholder: 'e.g. Acme partners', maxlength: 200 });
  const currency = h('select', { name: 'currency' }, CURRENCIES.map((c) => h('option', { value: c }, c)));
  const url = inp('default_url', '', { type: 'url', required: true, placeholder: 'https://shop.example.com/' });
  const hosts = inp('allowed_hosts', '', { placeholder: 'from the store address' });
  const rate = inp('bps', '10.00', { inputmode: 'decimal' });
  url.addEventListener('input', () => { hosts.placeholder = hostOf(url.value) || 'from the store address'; });
  const form = h('form', { class: 'grid-form', id: 'create-program', novalidate: true },
    field('Program name', name), field('Currency', currency, 'Fixed once the program exists.'),
    field('Store address', url, 'Where links send visitors by default.'),
    field('Allowed hosts', hosts, 'Comma-separated hosts links may point at (*.example.com for subdomains); empty: the store address’s host.'),
    field('Commission (% of each sale)', rate, 'More rules (flat amounts, per product, per partner) on the settings page.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create program'),
      opts.onCancel ? h('button', { type: 'button', class: 'secondary', onclick: opts.onCancel }, 'Cancel') : null));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    formError(form, null);
    if (!name.value.trim()) { formError(form, { param: 'name', message: 'Give the program a name.' }); return; }
    if (!hostOf(url.value.trim())) { formError(form, { param: 'default_url', message: 'Enter the store’s address, e.g. https://shop.example.com/' }); return; }
    const bps = parsePercent(rate.value);
    if (bps === null) { formError(form, { param: 'bps', message: 'Enter the commission as a percentage, e.g. 10 or 12.5' }); return; }
    const allowed = hosts.value.split(',').map((s) => s.trim()).filter(Boolean);
    const body = { name: name.value.trim(), currency: currency.value, default_url: url.value.trim(),
      allowed_hosts: allowed.length ? allowed : [hostOf(url.value.trim())], rules: [{ type: 'percent', bps }] };
    try {
      const p = await submitting(form, () => api('POST', '/api/v1/programs', body));
      flash(`Program ${p.name} created.`);
      openProgram(p.id);
    } catch (e) { formError(form, e.param && e.param.startsWith('rules') ? { ...e, param: 'bps', message: e.message } : e); }
  });
  return form;
}

// Enable, rotate or turn off the postback token; the template a cart fires when enabled.
function postbackSection(p, onChange) {
  // A form, so that a viewer's locked dashboard disables its buttons like any other form's.
  const box = h('form', { id: 'postback-token', onsubmit: (e) => e.preventDefault() });
  const set = (on) => api('PATCH', `/api/v1/programs/${p.id}`, { postback_enabled: on });
  const show = (prog) => {
    p = prog;
    onChange(prog);
    if (!prog.postback_enabled) {
      box.replaceChildren(h('p', {}, 'Off. Carts and networks that can only fire a URL (no API call) record sales through a postback URL with a secret token.'),
        h('button', { type: 'button', 'data-action': 'enable-postback', onclick: (e) => act(e.target, () => set(true), 'Postback enabled.').then(show, () => {}) }, 'Enable postback'));
      return;
    }
    const url = `${location.origin}/postback?token=${prog.postback_token}&click_id={click_id}&order_id={order_id}&amount={amount}&currency=${prog.currency}`;
    const confirmRow = h('div', { class: 'notice', hidden: true },
      h('p', {}, 'A new token stops the current URL at once: update it in your cart right after.'),
      h('span', { class: 'row-actions' },
        h('button', { type: 'button', class: 'small danger', 'data-action': 'rotate-confirm', onclick: (e) => act(e.target, async () => { await set(false); return set(true); }, 'New postback token issued.').then(show, () => {}) }, 'Issue a new token'),
        h('button', { type: 'button', class: 'small secondary', onclick: () => { confirmRow.hidden = true; } }, 'Cancel')));
    box.replaceChildren(
      h('p', {}, 'On. Have your cart fire this URL for each sale, with its placeholders filled in (amount as a decimal, e.g. 214.85):'),
      h('div', { class: 'linkbox' }, h('code', { id: 'postback-url', class: 'secret' }, url), copyButton(url, 'Copy URL')),
      h('p', { class: 'muted small' }, 'Aliases networks use also work: transaction_id, clickid, subid or cid for click_id; txid or tid for order_id; sum or payout for amount.'),
      h('span', { class: 'row-actions left' },
        h('button', { type: 'button', class: 'small secondary', 'data-action': 'rotate-postback', onclick: () => { confirmRow.hidden = false; } }, 'Rotate token'),
        h('button', { type: 'button', class: 'small danger', 'data-action': 'disable-postback', onclick: (e) => act(e.target, () => set(false), 'Postback turned off.').then(show, () => {}) }, 'Turn off')),
      confirmRow);
  };
  show(p);
  return section('Postback URL', box);
}

// The programs there are, and a form for a new one.
async function programsSection(current) {
  const progs = await listAll('/api/v1/programs', 100);
  const holder = h('div', { id: 'new-program-box' });
  const newButton = h('button', { type: 'button', 'data-action': 'new-program', onclick: () => {
    holder.replaceChildren(createProgramForm({ onCancel: () => { holder.replaceChildren(); newButton.hidden = false; } }));
    newButton.hidden = true;
    holder.querySelector('input[name=name]').focus();
  } }, 'New program');
  return section('Programs', h('ul', { class: 'program-list' }, progs.map((p) => h('li', {},
    p.id === current.id ? h('strong', {}, p.name) : h('a', { href: '/admin/settings', onclick: (e) => { e.preventDefault(); openProgram(p.id); } }, p.name),
    ' ', h('span', { class: 'muted small' }, `${p.currency} · ${p.id}`)))),
  h('form', { onsubmit: (e) => e.preventDefault() }, newButton), holder); // a form: locked for viewers like the others
}

function signupFields(p) {
  if (!('slug' in p)) return { fields: [], read: () => ({}) };
  const slug = inp('slug', p.slug, { placeholder: 'e.g. acme-partners' });
  const description = h('textarea', { name: 'description', rows: 3 }, p.description || '');
  const terms = h('textarea', { name: 'terms', rows: 4 }, p.terms || '');
  const auto = h('input', { type: 'checkbox', name: 'auto_approve', checked: !!p.auto_approve });
  return {
    fields: [field('Signup page address', slug, `Partners sign up at ${location.origin}/join/<this>.`),
      h('div', { class: 'field wide' }, h('span', { class: 'label' }, 'Description'), description),
      h('div', { class: 'field wide' }, h('span', { class: 'label' }, 'Terms'), terms),
      h('label', { class: 'check' }, auto, ' approve new partners automatically')],
    read: () => { // only what changed: an empty slug is refused, the server keeps the one it has
      const out = { auto_approve: auto.checked };
      if (slug.value.trim() && slug.value.trim() !== p.slug) out.slug = slug.value.trim();
      if (description.value !== (p.description || '')) out.description = description.value;
      if (terms.value !== (p.terms || '')) out.terms = terms.value;
      return out;
    },
  };
}

// The settings page of program `program`; onSaved(program) gets the program as saved.
export async function settingsPage(program, onSaved = () => {}) {
  const [p, partners] = await Promise.all([api('GET', `/api/v1/programs/${program.id}`),
    api('GET', `/api/v1/partners?program_id=${program.id}&limit=100`)]);
  const cur = p.currency;
  const name = inp('name', p.name, { required: true });
  const defaultUrl = inp('default_url', p.default_url, { type: 'url' });
  const hosts = inp('allowed_hosts', (p.allowed_hosts || []).join(', '));
  const clickParam = inp('click_param', p.click_param);
  const windowDays = inp('attribution_window_days', p.attribution_window_days, { type: 'number', min: 1 });
  const holdDays = inp('hold_days', p.hold_days, { type: 'number', min: 0 });
  const minPayout = inp('min_payout', moneyInput(p.min_payout, cur), { inputmode: 'decimal' });
  const model = h('select', { name: 'model' }, h('option', { value: 'last_click' }, 'last click'), h('option', { value: 'first_click' }, 'first click'));
  model.value = p.model;
  const lifetime = h('input', { type: 'checkbox', name: 'lifetime', checked: p.lifetime });
  const recurring = inp('recurring_months', p.recurring_months, { type: 'number', min: 1, placeholder: 'no limit' });
  const parentShare = inp('parent_bps', bpsInput(p.parent_bps || 0), { inputmode: 'decimal' });
  const parentLevels = inp('parent_levels', p.parent_levels ?? 1, { type: 'number', min: 1, max: 10 });
  const monthlyCap = inp('monthly_cap', moneyInput(p.monthly_cap, cur), { inputmode: 'decimal', placeholder: 'no cap' });
  const rules = rulesEditor(p.rules, { currency: cur, partners: partners.data });
  const version = h('span', { id: 'rules-version', class: 'muted small' }, `Rules version ${p.rules_version}: each commission records the version that computed it.`);
  const signup = signupFields(p);
  const form = h('form', { id: 'settings', class: 'grid-form', novalidate: true },
    field('Name', name), field('Default URL', defaultUrl, 'Where a suspended partner’s links send visitors.'),
    field('Allowed hosts', hosts, 'Comma-separated; links may only point at these hosts (*.example.com for subdomains).'),
    ...signup.fields,
    field('Click parameter', clickParam), field('Attribution window (days)', windowDays), field('Hold period (days)', holdDays),
    field(`Minimum payout (${cur})`, minPayout), field('Attribution model', model),
    h('label', { class: 'check' }, lifetime, ' lifetime attribution of customers'),
    field('Recurring months', recurring, 'Repeat purchases of a customer earn for this many months; empty: no limit.'),
    field('Parent share (%)', parentShare, 'A partner’s parent earns this percentage of the partner’s commission, e.g. 10.00.'),
    field('Parent levels', parentLevels, 'How many levels of parents earn a share.'),
    field(`Monthly cap per partner (${cur})`, monthlyCap, 'Empty: no cap.'),
    rules.el, h('div', { class: 'field wide' }, version),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save settings')));
  const fail = (e) => { if (!rules.showError(e)) formError(form, e); };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    formError(form, null);
    rules.clear();
    let parsedRules;
    try { parsedRules = rules.value(); } catch (e) { fail(e); return; }
    const min = parseMoney(minPayout.value, cur);
    if (min === null) { formError(form, { message: `Enter the minimum payout as an amount in ${cur}, e.g. 50.00`, param: 'min_payout' }); return; }
    const share = parsePercent(parentShare.value || '0');
    if (share === null) { formError(form, { message: 'Enter the parent share as a percentage, e.g. 10.00', param: 'parent_bps' }); return; }
    const cap = monthlyCap.value.trim() === '' ? null : parseMoney(monthlyCap.value, cur);
    if (monthlyCap.value.trim() !== '' && cap === null) { formError(form, { message: `Enter the cap as an amount in ${cur}, or leave it empty`, param: 'monthly_cap' }); return; }
    const body = {
      name: name.value.trim(), default_url: defaultUrl.value.trim(),
      allowed_hosts: hosts.value.split(',').map((s) => s.trim()).filter(Boolean), click_param: clickParam.value.trim(),
      attribution_window_days: Number(windowDays.value), hold_days: Number(holdDays.value), min_payout: min,
      model: model.value, lifetime: lifetime.checked, parent_bps: share, parent_levels: Number(parentLevels.value),
      monthly_cap: cap, recurring_months: recurring.value === '' ? null : Number(recurring.value), rules: parsedRules,
      ...signup.read(),
    };
    try {
      const saved = await submitting(form, () => api('PATCH', `/api/v1/programs/${p.id}`, body));
      rules.set(saved.rules);
      version.textContent = `Rules version ${saved.rules_version}: each commission records the version that computed it.`;
      onSaved(saved);
      flash(`Settings saved (rules version ${saved.rules_version}).`);
    } catch (e) { fail(e); }
  });
  return [section('Program settings', form), paypalSettings(p.id, p.paypal, onSaved), postbackSection(p, onSaved), await programsSection(p),
    section('Integration', h('dl', { class: 'facts' }, h('dt', {}, 'Program id'), h('dd', {}, h('code', {}, p.id)),
      h('dt', {}, 'Currency'), h('dd', {}, cur), h('dt', {}, 'Created'), h('dd', {}, dateTime(p.created)))),
    connectionsSection(p.id)];
}
