// A date range for reports: presets (last 7, 30 or 90 days, this month, last month) or two
// dates of one's own, in UTC days as /api/v1/reports counts them (from and to inclusive). The
// choice is kept for the browser tab, so every report page opens on the range last chosen.
import { h, field } from './common.js';

const DAY = 86400000;
const iso = (ms) => new Date(ms).toISOString().slice(0, 10);
const todayMs = () => { const n = new Date(); return Date.UTC(n.getUTCFullYear(), n.getUTCMonth(), n.getUTCDate()); };

export const PRESETS = [
  ['7d', 'Last 7 days', () => ({ from: iso(todayMs() - 6 * DAY), to: iso(todayMs()) })],
  ['30d', 'Last 30 days', () => ({ from: iso(todayMs() - 29 * DAY), to: iso(todayMs()) })],
  ['90d', 'Last 90 days', () => ({ from: iso(todayMs() - 89 * DAY), to: iso(todayMs()) })],
  ['month', 'This month', () => { const t = new Date(todayMs()); return { from: iso(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), 1)), to: iso(todayMs()) }; }],
  ['last-month', 'Last month', () => {
    const t = new Date(todayMs());
    return { from: iso(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() - 1, 1)), to: iso(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), 1) - DAY) };
  }],
  ['custom', 'Custom…', null],
];

// Every day of a range, oldest first ("2026-11-01" … "2026-11-30").
export function daysOf(from, to) {
  const out = [];
  for (let d = Date.parse(from + 'T00:00:00Z'); d <= Date.parse(to + 'T00:00:00Z'); d += DAY) out.push(iso(d));
  return out;
}

// The picker. onChange(range) runs when a complete range is chosen. Returns {el, get()} where
// get() is {preset, from, to, label}; label reads "last 30 days" or "custom period".
export function rangePicker(onChange) {
  let saved = {};
  try { saved = JSON.parse(sessionStorage.getItem('pd_range') || '{}'); } catch { saved = {}; }
  const preset = h('select', { name: 'range', 'aria-label': 'Period' }, PRESETS.map(([v, l]) => h('option', { value: v }, l)));
  preset.value = PRESETS.some((p) => p[0] === saved.preset) ? saved.preset : '30d';
  const from = h('input', { type: 'date', name: 'from', value: saved.from || '' });
  const to = h('input', { type: 'date', name: 'to', value: saved.to || '' });
  const custom = h('span', { class: 'range-custom' }, field('From', from), field('To', to));
  let shown = preset.value;
  const get = () => {
    const p = PRESETS.find((x) => x[0] === preset.value);
    if (p[2]) return { preset: p[0], ...p[2](), label: p[1].toLowerCase() };
    return { preset: 'custom', from: from.value, to: to.value, label: 'custom period' };
  };
  const changed = () => {
    custom.hidden = preset.value !== 'custom';
    const r = get();
    if (r.preset === 'custom') {
      if (!r.from || !r.to) return;
      if (r.from > r.to) { to.setCustomValidity('The end is before the start.'); to.reportValidity(); return; }
      to.setCustomValidity('');
    }
    shown = r.preset;
    sessionStorage.setItem('pd_range', JSON.stringify({ preset: r.preset, from: from.value, to: to.value }));
    onChange(r);
  };
  preset.addEventListener('change', () => {
    if (preset.value === 'custom') { // start from the period shown until now
      const p = PRESETS.find((x) => x[0] === shown);
      if (p && p[2]) { from.value = p[2]().from; to.value = p[2]().to; }
    }
    changed();
  });
  from.addEventListener('change', changed);
  to.addEventListener('change', changed);
  custom.hidden = preset.value !== 'custom';
  return { el: h('div', { class: 'filters range', id: 'range' }, field('Period', preset), custom), get };
}

// The range as /api/v1/reports' query parameters.
export const rangeQuery = (r) => `from=${r.from}&to=${r.to}`;
