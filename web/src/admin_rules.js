// The program's commission rules edited as rows: each rule a row with its kind (percent of the
// sale with two decimals, tiered percent, a flat amount per sale or per lead, in the program's
// currency), its conditions chosen from those the server knows (partner, partner group, product
// SKU or category, first or repeat purchase, minimum order) and buttons to move or remove it.
// A toggle shows the same rules as JSON; the two stay in sync (the rows write the JSON as they
// change, the JSON is read back into rows when switched back). The server validates and names
// the field at fault ("rules[1].match.sku"): showError() puts that message on the row's field.
import { h, parseMoney } from './common.js';
import { bpsInput, parsePercent, moneyInput } from './explain.js';

const KINDS = [['percent', 'Percent of the sale'], ['tiers', 'Percent by monthly revenue tier'], ['flat', 'Flat amount per sale'], ['lead', 'Flat amount per lead']];
const CONDITIONS = [
  ['partner_id', 'Partner'], ['group', 'Partner group'], ['sku', 'Product SKU'], ['category', 'Product category'],
  ['first_purchase', 'First or repeat purchase'], ['min_amount', 'Minimum order amount'],
];

class RuleError extends Error {
  constructor(param, message) { super(message); this.param = param; }
}

// One condition of a rule: its label, an input for its value, a remove button.
function conditionLine(key, value, cur, onChange) {
  let input;
  if (key === 'first_purchase') {
    input = h('select', {}, h('option', { value: 'true' }, 'first purchase of a customer only'),
      h('option', { value: 'false' }, 'repeat purchases only (recurring)'));
    input.value = value === false ? 'false' : 'true';
  } else if (key === 'min_amount') {
    input = h('input', { inputmode: 'decimal', placeholder: `amount in ${cur}`, value: moneyInput(value, cur) });
  } else {
    input = h('input', { value: value ?? '', list: key === 'partner_id' ? 'rule-partners' : null,
      placeholder: key === 'partner_id' ? 'ptn_…' : key === 'group' ? 'e.g. vip' : '' });
  }
  input.dataset.key = `match.${key}`;
  input.setAttribute('aria-label', (CONDITIONS.find((c) => c[0] === key) || [key, key])[1]);
  const line = h('div', { class: 'rule-cond', 'data-cond': key },
    h('span', { class: 'label' }, (CONDITIONS.find((c) => c[0] === key) || [key, key])[1]), input,
    h('button', { type: 'button', class: 'small secondary', 'aria-label': 'Remove condition', onclick: () => { line.remove(); onChange(); } }, '✕'));
  return line;
}

function tierLine(tier, cur, onChange) {
  const line = h('div', { class: 'rule-tier' },
    h('span', {}, 'from'), h('input', { 'data-key': 'from', inputmode: 'decimal', 'aria-label': `Monthly revenue from (${cur})`, value: moneyInput(tier.from ?? 0, cur) }),
    h('span', {}, cur), h('input', { 'data-key': 'bps', inputmode: 'decimal', 'aria-label': 'Percent', value: tier.bps == null ? '' : bpsInput(tier.bps) }),
    h('span', {}, '%'),
    h('button', { type: 'button', class: 'small secondary', 'aria-label': 'Remove tier', onclick: () => { line.remove(); onChange(); } }, '✕'));
  return line;
}

// The rate part of a row for its kind.
function rateBox(kind, rule, cur, onChange) {
  if (kind === 'percent') {
    return h('label', { class: 'rule-rate' }, h('input', { 'data-key': 'bps', inputmode: 'decimal', 'aria-label': 'Percent', placeholder: 'e.g. 12.5', value: rule.bps == null ? '' : bpsInput(rule.bps) }), ' %');
  }
  if (kind === 'tiers') {
    const list = h('div', { class: 'rule-tiers' }, (rule.tiers && rule.tiers.length ? rule.tiers : [{ from: 0 }]).map((t) => tierLine(t, cur, onChange)));
    return h('div', { class: 'rule-rate wide' }, list,
      h('button', { type: 'button', class: 'small secondary', 'data-action': 'add-tier', onclick: () => { list.append(tierLine({}, cur, onChange)); onChange(); } }, 'Add tier'));
  }
  return h('label', { class: 'rule-rate' }, h('input', { 'data-key': 'amount', inputmode: 'decimal', 'aria-label': `Amount (${cur})`, placeholder: 'e.g. 5.00', value: moneyInput(rule.amount, cur) }), ` ${cur}`);
}

function ruleRow(rule, cur, onChange) {
  const kind = rule.type === 'percent' && rule.tiers ? 'tiers' : rule.type || 'percent';
  const type = h('select', { 'data-key': 'type', 'aria-label': 'Kind' }, KINDS.map(([v, l]) => h('option', { value: v }, l)));
  type.value = kind;
  const id = h('input', { 'data-key': 'id', class: 'rule-id', 'aria-label': 'Rule id', placeholder: 'id (optional)', value: rule.id || '' });
  let rate = rateBox(kind, rule, cur, onChange);
  const conds = h('div', { class: 'rule-conds' }, Object.entries(rule.match || {}).filter(([, v]) => v !== null)
    .map(([k, v]) => conditionLine(k, v, cur, onChange)));
  const add = h('select', { class: 'rule-add', 'aria-label': 'Add a condition' }, h('option', { value: '' }, '+ condition…'),
    CONDITIONS.map(([k, l]) => h('option', { value: k }, l)));
  add.addEventListener('change', () => {
    const k = add.value;
    add.value = '';
    if (!k || conds.querySelector(`[data-cond="${k}"]`)) return;
    const line = conditionLine(k, k === 'first_purchase' ? true : null, cur, onChange);
    conds.append(line);
    line.querySelector('input, select').focus();
    onChange();
  });
  type.addEventListener('change', () => {
    const next = rateBox(type.value, {}, cur, onChange);
    rate.replaceWith(next);
    rate = next;
    onChange();
  });
  const row = h('li', { class: 'rule-row' },
    h('div', { class: 'rule-head' }, h('span', { class: 'rule-n' }), id, type, rate),
    h('div', { class: 'rule-when' }, h('span', { class: 'muted small' }, 'applies when:'), conds, add),
    h('div', { class: 'rule-tools' },
      h('button', { type: 'button', class: 'small secondary', 'data-action': 'up', 'aria-label': 'Move up', onclick: () => { row.previousElementSibling?.before(row); onChange(); } }, '↑'),
      h('button', { type: 'button', class: 'small secondary', 'data-action': 'down', 'aria-label': 'Move down', onclick: () => { row.nextElementSibling?.after(row); onChange(); } }, '↓'),
      h('button', { type: 'button', class: 'small danger', 'data-action': 'remove-rule', onclick: () => { row.remove(); onChange(); } }, 'Remove')));
  return row;
}

// A row back to the rule JSON; throws RuleError naming the field (as the server would).
function readRow(row, i, cur) {
  const at = (k) => `rules[${i}]${k ? '.' + k : ''}`;
  const val = (k) => row.querySelector(`.rule-head [data-key="${k}"]`)?.value.trim() ?? '';
  const kind = val('type');
  const rule = {};
  if (val('id')) rule.id = val('id');
  rule.type = kind === 'tiers' ? 'percent' : kind;
  if (kind === 'percent') {
    rule.bps = parsePercent(val('bps'));
    if (rule.bps === null) throw new RuleError(at('bps'), 'Enter the percentage, e.g. 12.5');
  } else if (kind === 'tiers') {
    rule.tiers = [...row.querySelectorAll('.rule-tier')].map((t, k) => {
      const from = parseMoney(t.querySelector('[data-key=from]').value, cur);
      const bps = parsePercent(t.querySelector('[data-key=bps]').value);
      if (from === null) throw new RuleError(at(`tiers[${k}].from`), `Enter the monthly revenue in ${cur} where this tier starts`);
      if (bps === null) throw new RuleError(at(`tiers[${k}].bps`), 'Enter the tier’s percentage, e.g. 12.5');
      return { from, bps };
    });
  } else {
    rule.amount = parseMoney(val('amount'), cur);
    if (rule.amount === null) throw new RuleError(at('amount'), `Enter the amount in ${cur}, e.g. 5.00`);
  }
  const match = {};
  for (const line of row.querySelectorAll('.rule-cond')) {
    const k = line.dataset.cond;
    const input = line.querySelector('input, select');
    if (k === 'first_purchase') match[k] = input.value === 'true';
    else if (k === 'min_amount') {
      match[k] = parseMoney(input.value, cur);
      if (match[k] === null) throw new RuleError(at(`match.${k}`), `Enter the minimum order in ${cur}`);
    } else {
      if (!input.value.trim()) throw new RuleError(at(`match.${k}`), 'Fill in the condition or remove it');
      match[k] = input.value.trim();
    }
  }
  if (Object.keys(match).length) rule.match = match;
  return rule;
}

// What in rules JSON the rows cannot show (an unknown key, a wrong type), or null.
function unshown(rules) {
  const keys = new Set(['id', 'type', 'bps', 'tiers', 'amount', 'match']);
  for (const [i, r] of rules.entries()) {
    if (!r || typeof r !== 'object' || Array.isArray(r)) return `Rule #${i + 1} is not an object`;
    const bad = Object.keys(r).find((k) => !keys.has(k)) || Object.keys(r.match || {}).find((k) => !CONDITIONS.some((c) => c[0] === k));
    if (bad) return `Rule #${i + 1} has the unknown key "${bad}"`;
    if (!KINDS.some((k) => k[0] === r.type)) return `Rule #${i + 1} has the unknown type "${r.type}"`;
  }
  return null;
}

// The editor. opts: {currency, partners: [{id, name}]}. Returns {el, value() → rules (throws an
// error with .param), set(rules), showError(err) → true when the error was about the rules}.
export function rulesEditor(rules, opts) {
  const cur = opts.currency;
  const list = h('ol', { class: 'rule-rows', id: 'rule-rows' });
  const json = h('textarea', { name: 'rules', rows: 12, spellcheck: 'false', class: 'code', hidden: true, 'aria-label': 'Commission rules (JSON)' });
  const note = h('div', { class: 'rules-error' });
  const empty = h('p', { class: 'muted small rules-empty' }, 'No rules: conversions earn no commission until you add one.');
  let asJson = false;
  const number = () => {
    [...list.children].forEach((row, i) => { row.querySelector('.rule-n').textContent = `#${i + 1}`; });
    empty.hidden = list.children.length > 0;
  };
  // A rule without an id is "r<its index>" to the server, which moves when rules are reordered:
  // rules read get that id written out, new rows the first "r<n>" no other rule has.
  const rows = () => {
    const rs = [...list.children].map((row, i) => readRow(row, i, cur));
    const used = new Set(rs.map((r) => r.id).filter(Boolean));
    for (const r of rs) {
      if (r.id) continue;
      let n = 0;
      while (used.has(`r${n}`)) n++;
      used.add(r.id = `r${n}`);
    }
    return rs.map(({ id, ...rest }) => ({ id, ...rest }));
  };
  const sync = () => {
    number();
    try { json.value = JSON.stringify(rows(), null, 2); } catch { /* the JSON keeps its last good state */ }
  };
  const set = (given) => {
    const rs = (given || []).map((r, i) => (r && typeof r === 'object' && !r.id ? { id: `r${i}`, ...r } : r));
    list.replaceChildren(...rs.map((r) => ruleRow(r, cur, sync)));
    json.value = JSON.stringify(rs, null, 2);
    number();
  };
  list.addEventListener('input', sync);
  list.addEventListener('change', sync);
  const clear = () => {
    note.replaceChildren();
    list.querySelectorAll('.rule-row .field-error').forEach((e) => e.remove());
    list.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
    json.removeAttribute('aria-invalid');
  };
  const addRule = h('button', { type: 'button', class: 'small secondary', 'data-action': 'add-rule', onclick: () => {
    list.append(ruleRow({ type: 'percent' }, cur, sync));
    sync();
    list.lastElementChild.querySelector('[data-key=bps]').focus();
  } }, 'Add rule');
  const toggle = h('button', { type: 'button', class: 'small secondary', id: 'rules-json-toggle', 'aria-pressed': 'false' }, 'Edit as JSON');
  toggle.addEventListener('click', () => {
    clear();
    if (!asJson) {
      try { json.value = JSON.stringify(rows(), null, 2); } catch (e) { showError(e); return; }
    } else {
      let parsed;
      try { parsed = JSON.parse(json.value); } catch (e) { showError({ param: 'rules', message: `The rules are not valid JSON: ${e.message}` }); return; }
      if (!Array.isArray(parsed)) { showError({ param: 'rules', message: 'The rules must be a JSON list: [ … ]' }); return; }
      const odd = unshown(parsed);
      if (odd) { showError({ param: 'rules', message: `${odd}: the rows cannot show it. Fix it here, or save from the JSON to see the server’s answer.` }); return; }
      set(parsed);
    }
    asJson = !asJson;
    json.hidden = !asJson;
    list.hidden = asJson;
    addRule.hidden = asJson;
    empty.hidden = asJson || list.children.length > 0;
    toggle.textContent = asJson ? 'Edit as rows' : 'Edit as JSON';
    toggle.setAttribute('aria-pressed', String(asJson));
  });
  const datalist = h('datalist', { id: 'rule-partners' }, (opts.partners || []).map((p) => h('option', { value: p.id }, p.name)));

  function showError(err) {
    clear();
    const msg = err.message || String(err);
    const m = /^rules\[(\d+)\](?:\.(.+))?$/.exec(err.param || '');
    const row = m && !asJson ? list.children[Number(m[1])] : null;
    if (!row) {
      if (!(err.param || '').startsWith('rules')) return false;
      note.replaceChildren(h('p', { class: 'field-error', role: 'alert' }, msg));
      if (asJson) json.setAttribute('aria-invalid', 'true');
      return true;
    }
    const key = m[2] || '';
    const tier = /^tiers\[(\d+)\]\.(\w+)$/.exec(key);
    const input = tier ? row.querySelectorAll('.rule-tier')[Number(tier[1])]?.querySelector(`[data-key="${tier[2]}"]`)
      : row.querySelector(`[data-key="${CSS.escape(key)}"]`) || (key.startsWith('tiers') ? row.querySelector('.rule-tiers input') : null);
    if (input) input.setAttribute('aria-invalid', 'true');
    const where = input ? (input.closest('.rule-cond, .rule-tier, .rule-rate') || input) : row.querySelector('.rule-head');
    where.after(h('p', { class: 'field-error', role: 'alert', 'data-param': err.param }, `Rule #${Number(m[1]) + 1}: ${msg}`));
    (input || row).scrollIntoView({ block: 'center' });
    input?.focus();
    return true;
  }

  set(rules);
  const el = h('div', { class: 'field wide rules-editor' },
    h('div', { class: 'rules-bar' }, h('span', { class: 'label' }, 'Commission rules'), toggle),
    h('span', { class: 'hint' }, 'Each conversion earns by the most specific matching rule (a partner beats a group beats a product; ties go to the rule higher in the list).'),
    empty, list, json, note, h('div', {}, addRule), datalist);
  return {
    el,
    value: () => {
      if (!asJson) return rows();
      try { return JSON.parse(json.value); } catch (e) { throw new RuleError('rules', `The rules are not valid JSON: ${e.message}`); }
    },
    set,
    showError,
    clear,
  };
}
