// Shared by every dashboard page: the API with the session's CSRF token, DOM building without
// innerHTML (nothing from the server is ever parsed as HTML), money formatting with integers only,
// tables with CSV export, and loading / empty / error states that say what to do.

export let session = null;

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `the server answered HTTP ${status}`);
    this.status = status;
    this.code = e.code || null;
    this.param = e.param || null;
  }
}

function loginRedirect() {
  location.assign('/login?next=' + encodeURIComponent(location.pathname));
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = session ? session.csrf_token : '';
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let r;
  try {
    r = await fetch(path, {
      method, headers, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, { error: { message: 'partnerd cannot be reached: check your connection and that the server is running, then retry' } });
  }
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (r.status === 401 && !path.startsWith('/login')) {
    loginRedirect();
    throw new ApiError(401, { error: { message: 'your session has ended: log in again' } });
  }
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

// A list path with its filters as query parameters (empty ones left out).
export function withQuery(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '' && v !== false) q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path;
}

// Every page of a list (cursor pagination), up to `max` rows, newest first.
export async function listAll(path, max = 2000) {
  const out = [];
  let after = null;
  for (;;) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api('GET', `${path}${sep}limit=100${after ? '&starting_after=' + encodeURIComponent(after) : ''}`);
    out.push(...page.data);
    if (!page.has_more || !page.data.length || out.length >= max) return out;
    after = page.data[page.data.length - 1].id;
  }
}

export async function loadSession(kind) {
  const r = await fetch('/web/session', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  if (r.status === 401) { loginRedirect(); return new Promise(() => {}); }
  if (!r.ok) throw new ApiError(r.status, await r.json().catch(() => null));
  session = await r.json();
  if (kind && session.kind !== kind) {
    location.assign(session.kind === 'admin' ? '/admin/' : '/partner/');
    return new Promise(() => {});
  }
  return session;
}

// ---- money: integers in minor units, never floats --------------------------------------------
const exponents = new Map();
export function currencyExponent(cur) {
  if (!exponents.has(cur)) {
    let e = 2;
    try { e = new Intl.NumberFormat('en', { style: 'currency', currency: cur }).resolvedOptions().maximumFractionDigits; } catch { /* unknown code */ }
    exponents.set(cur, e);
  }
  return exponents.get(cur);
}

function currencySymbol(cur) {
  try {
    const p = new Intl.NumberFormat('en', { style: 'currency', currency: cur }).formatToParts(0).find((x) => x.type === 'currency');
    return p ? p.value : cur + ' ';
  } catch { return cur + ' '; }
}

export function money(minor, cur) {
  if (minor === null || minor === undefined) return '—';
  const exp = currencyExponent(cur);
  const neg = minor < 0;
  let s = String(Math.abs(minor)).padStart(exp + 1, '0');
  const int = exp ? s.slice(0, s.length - exp) : s;
  const frac = exp ? s.slice(s.length - exp) : '';
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${neg ? '−' : ''}${currencySymbol(cur)}${grouped}${frac ? '.' + frac : ''}`;
}

// "50", "50.5", "1,234.56" → minor units; null when it is not an amount.
export function parseMoney(text, cur) {
  const exp = currencyExponent(cur);
  const t = String(text).trim().replace(/,/g, '');
  const m = /^(\d+)(?:\.(\d*))?$/.exec(t);
  if (!m || (m[2] || '').length > exp) return null;
  const frac = (m[2] || '').padEnd(exp, '0');
  const v = Number(m[1] + frac);
  return Number.isSafeInteger(v) ? v : null;
}

export function majorUnits(minor, cur) { // for chart axes only, never for sums
  return minor / 10 ** currencyExponent(cur);
}

export function percent(rate) { return (rate * 100).toFixed(2) + ' %'; }
export function day(iso) { return iso ? iso.slice(0, 10) : '—'; }
export function dateTime(iso) { return iso ? iso.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC') : '—'; }
export function number(n) { return Number(n || 0).toLocaleString('en'); }

// ---- states ------------------------------------------------------------------------------------
export function loading(what) {
  return h('p', { class: 'state loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), `Loading ${what}…`);
}

export function errorState(what, err, retry) {
  const msg = err instanceof ApiError ? err.message : String(err && err.message ? err.message : err);
  return h('div', { class: 'state error', role: 'alert' },
    h('strong', {}, `Could not load ${what}.`), ' ', msg, '. ',
    'Reload the page or retry; if it keeps failing, check the server log.',
    retry ? h('button', { type: 'button', class: 'secondary', onclick: retry }, 'Retry') : null);
}

export function emptyState(message, hint) {
  return h('div', { class: 'state empty' }, h('strong', {}, message), hint ? h('p', {}, hint) : null);
}

// A section whose content is (re)loaded: shows loading, then the content or an error with Retry.
export async function loadInto(container, what, fn) {
  const run = async () => {
    container.dataset.state = 'loading';
    container.replaceChildren(loading(what));
    try {
      const content = await fn();
      container.replaceChildren(...[].concat(content).filter(Boolean));
      container.dataset.state = 'ready';
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      container.replaceChildren(errorState(what, e, run));
      container.dataset.state = 'error';
    }
  };
  return run();
}

export function flash(message, kind = 'ok') {
  let box = $('#flash');
  if (!box) { box = h('div', { id: 'flash', role: 'status', 'aria-live': 'polite' }); document.body.append(box); }
  const item = h('div', { class: `flash ${kind}` }, message);
  box.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

// Shows an API error next to the form field it names (param), or at the top of the form.
export function formError(form, err) {
  form.querySelectorAll('.field-error').forEach((e) => e.remove());
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  if (!err) return;
  const msg = err.message || String(err);
  const field = err.param ? form.querySelector(`[name="${CSS.escape(err.param.split(/[.[]/)[0])}"]`) : null;
  const note = h('p', { class: 'field-error', role: 'alert' }, msg);
  if (field) {
    field.setAttribute('aria-invalid', 'true');
    field.closest('label, .field')?.append(note) || field.after(note);
  } else {
    form.prepend(note);
  }
}

// ---- clipboard ---------------------------------------------------------------------------------
export function copyButton(text, label = 'Copy') {
  const b = h('button', { type: 'button', class: 'secondary small copy', 'data-copy': text }, label);
  b.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const ta = h('textarea', { class: 'offscreen' }, text); // no clipboard API (plain http)
      document.body.append(ta); ta.select(); document.execCommand('copy'); ta.remove();
    }
    b.textContent = 'Copied';
    setTimeout(() => { b.textContent = label; }, 1500);
  });
  return b;
}

// ---- tables and CSV ----------------------------------------------------------------------------
function csvCell(v) {
  if (v === null || v === undefined) return '';
  let s = String(v);
  // Spreadsheet formula injection: a text cell never starts a formula.
  if (typeof v === 'string' && /^[=+@\t\r-]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = "'" + s;
  return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

export function toCsv(columns, rows) {
  const lines = [columns.map((c) => csvCell(c.label)).join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvCell(c.csv ? c.csv(r) : r[c.key])).join(','));
  return lines.join('\r\n') + '\r\n';
}

export function download(name, text, type = 'text/csv;charset=utf-8') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name, class: 'offscreen' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// columns: [{key, label, render?(row) → node|string, csv?(row) → value, num?, nowrap?}]
// opts: {empty: [message, hint], csvName, caption, pageSize}. Long tables show their first
// pageSize rows and a button for the rest; the CSV export always has every row.
export function table(columns, rows, opts = {}) {
  const wrap = h('div', { class: 'table-block' });
  const bar = h('div', { class: 'table-bar' },
    h('span', { class: 'count' }, `${rows.length} ${rows.length === 1 ? 'row' : 'rows'}`),
    opts.csvName ? h('button', {
      type: 'button', class: 'secondary small', 'data-csv': opts.csvName,
      onclick: () => download(opts.csvName, toCsv(columns.filter((c) => c.csv !== false), rows)),
    }, 'Export CSV') : null);
  wrap.append(bar);
  if (!rows.length) {
    wrap.append(emptyState(...(opts.empty || ['Nothing here yet.'])));
    return wrap;
  }
  const cls = (c) => [c.num ? 'num' : '', c.nowrap ? 'nowrap' : ''].join(' ').trim() || null;
  const thead = h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: cls(c), scope: 'col' }, c.label))));
  const row = (r) => h('tr', { 'data-id': r.id || null },
    columns.map((c) => h('td', { class: cls(c), 'data-col': c.key || null }, c.render ? c.render(r) : (r[c.key] ?? '—'))));
  const size = opts.pageSize || 25;
  const tbody = h('tbody', {}, rows.slice(0, size).map(row));
  wrap.append(h('div', { class: 'table-scroll' }, h('table', {}, opts.caption ? h('caption', {}, opts.caption) : null, thead, tbody)));
  if (rows.length > size) {
    const more = h('button', { type: 'button', class: 'secondary small more', 'data-action': 'show-all' }, `Show all ${rows.length} rows`);
    more.addEventListener('click', () => { tbody.append(...rows.slice(size).map(row)); more.remove(); });
    wrap.append(h('div', { class: 'table-more' }, h('span', { class: 'muted small' }, `Showing ${size} of ${rows.length}. `), more));
  }
  return wrap;
}

// A list read from the server one page at a time, newest first: "Newer" and "Older" follow the
// API's cursors (ending_before / starting_after), the filters of opts.query() go as query
// parameters, so a page costs the same however long the list. The CSV export walks every page.
// opts: {id, query() → {param: value}, pageSize, cursor(row) → id (default row.id), what,
// empty (or a function giving it), csvName, prepare(rows) → Promise (e.g. to look up names)}.
// Returns {el, reload(), reset()}: reload reads the current page again, reset the newest page.
export function pagedList(path, columns, opts = {}) {
  const size = opts.pageSize || 25;
  const cursor = opts.cursor || ((r) => r.id);
  const url = (extra) => withQuery(path, { ...(opts.query ? opts.query() : {}), ...extra });
  const el = h('div', { class: 'paged', id: opts.id || null });
  let at = { dir: null, id: null }; // the page shown: the newest, or the one after/before an id
  const load = (dir, id) => loadInto(el, opts.what || 'the list', async () => {
    const extra = { limit: size };
    if (dir === 'older') extra.starting_after = id;
    if (dir === 'newer') extra.ending_before = id;
    let page = await api('GET', url(extra));
    if (dir === 'newer' && !page.has_more) { dir = null; id = null; page = await api('GET', url({ limit: size })); }
    if (dir === 'older' && !page.data.length) { dir = null; id = null; page = await api('GET', url({ limit: size })); }
    at = { dir, id };
    const rows = page.data;
    if (opts.prepare) await opts.prepare(rows);
    const newer = dir !== null && (dir === 'older' || page.has_more);
    const older = dir === 'newer' || page.has_more;
    const block = table(columns, rows, { empty: typeof opts.empty === 'function' ? opts.empty() : opts.empty, pageSize: size });
    const bar = block.querySelector('.table-bar');
    bar.querySelector('.count').textContent = rows.length ? `${rows.length} ${rows.length === 1 ? 'row' : 'rows'}, newest first` : '';
    if (opts.csvName) {
      bar.append(h('button', { type: 'button', class: 'secondary small', 'data-csv': opts.csvName, onclick: (e) => act(e.target, async () => {
        const all = await listAll(url({}), Infinity);
        download(opts.csvName, toCsv(columns.filter((c) => c.csv !== false), all));
      }) }, 'Export CSV'));
    }
    const pager = h('div', { class: 'pager table-more' },
      h('button', { type: 'button', class: 'secondary small', 'data-action': 'newer', disabled: !newer,
        onclick: () => load('newer', cursor(rows[0])) }, '← Newer'),
      h('button', { type: 'button', class: 'secondary small', 'data-action': 'older', disabled: !older,
        onclick: () => load('older', cursor(rows[rows.length - 1])) }, 'Older →'));
    return [block, newer || older ? pager : null];
  });
  return { el, reload: () => load(at.dir, at.id), reset: () => load(null, null) };
}

export function badge(status) {
  return h('span', { class: `badge ${status}` }, status);
}

export function card(label, value, note) {
  return h('div', { class: 'card', 'data-metric': label.toLowerCase().replace(/[^a-z]+/g, '-') },
    h('div', { class: 'label' }, label), h('div', { class: 'value' }, value), note ? h('div', { class: 'note' }, note) : null);
}

// The page frame: who is logged in, the current section highlighted, logout.
export function frame(sections, base) {
  const path = location.pathname;
  const nav = $('#nav');
  nav.replaceChildren(...sections.map(([slug, label]) => {
    const href = base + slug;
    return h('a', { href, 'aria-current': path === href ? 'page' : null }, label);
  }));
  $('#who').textContent = session.name && session.name !== session.email ? `${session.name} · ${session.email}` : session.email;
  $('#logout').addEventListener('click', async () => {
    try {
      const r = await api('POST', '/logout');
      location.assign(r.redirect || '/login');
    } catch (e) { flash(`Could not log out: ${e.message}`, 'error'); }
  });
  return path.slice(base.length);
}

export function section(title, ...children) {
  return h('section', { class: 'panel' }, h('h2', {}, title), ...children);
}

export function field(label, input, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'label' }, label), input, hint ? h('span', { class: 'hint' }, hint) : null);
}

// Runs an action from a button: disables it meanwhile, reports the outcome.
export async function act(button, fn, done) {
  button.disabled = true;
  try {
    const r = await fn();
    if (done) flash(done);
    return r;
  } catch (e) {
    flash(e.message, 'error');
    throw e;
  } finally {
    button.disabled = false;
  }
}

export function last30Days() {
  const days = [];
  const now = new Date();
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  for (let i = 29; i >= 0; i--) days.push(new Date(today - i * 86400000).toISOString().slice(0, 10));
  return days;
}
