// The merchant's overview for a chosen period (range.js): the program's totals, the daily chart
// and the partners ranked by commission, all from /api/v1/reports with the period's from and to.
// names: {lookup(ids) → Promise, name(id) → text}, the dashboard's partner names.
import { h, api, loadInto, section, card, table, money, number, percent } from './common.js';
import { dailyChart } from './chart.js';
import { rangePicker, rangeQuery } from './range.js';

async function report(program, range, names) {
  const q = `program_id=${program.id}&${rangeQuery(range)}`;
  const [daily, byPartner] = await Promise.all([
    api('GET', `/api/v1/reports?${q}&group_by=day`),
    api('GET', `/api/v1/reports?${q}&group_by=partner`),
  ]);
  const t = daily.totals;
  const cur = program.currency;
  const rows = byPartner.data.slice().sort((a, b) => b.commission - a.commission || b.clicks - a.clicks);
  await names.lookup(rows.slice(0, 100).map((r) => r.partner_id)); // the rest show their ids
  const period = `${daily.from} to ${daily.to}`;
  return [
    section(`${program.name} · ${range.label}`,
      h('p', { class: 'muted small', id: 'period' }, `${period} (UTC days)`),
      h('div', { class: 'cards', id: 'totals' },
        card('Clicks', number(t.clicks), `${number(t.unique_clicks)} unique`),
        card('Conversions', number(t.conversions)),
        card('Revenue', money(t.revenue, cur)),
        card('Commission', money(t.commission, cur)),
        card('Conversion rate', percent(t.conversion_rate)),
        card('EPC', money(t.epc, cur), 'commission per click')),
      dailyChart(daily, cur)),
    section('Partners by commission', table([
      { key: 'partner_id', label: 'Partner', render: (r) => names.name(r.partner_id), csv: (r) => names.name(r.partner_id) },
      { key: 'clicks', label: 'Clicks', num: true, render: (r) => number(r.clicks) },
      { key: 'conversions', label: 'Conversions', num: true, render: (r) => number(r.conversions) },
      { key: 'revenue', label: 'Revenue', num: true, render: (r) => money(r.revenue, cur) },
      { key: 'commission', label: 'Commission', num: true, render: (r) => money(r.commission, cur) },
      { key: 'conversion_rate', label: 'Conv. rate', num: true, render: (r) => percent(r.conversion_rate) },
      { key: 'epc', label: 'EPC', num: true, render: (r) => money(r.epc, cur) },
    ], rows, { csvName: `partners-${daily.from}-${daily.to}.csv`, empty: [`No partner activity from ${period}.`, 'Invite partners on the Partners page, or pick a longer period.'] })),
  ];
}

export async function overviewPage(program, names) {
  const body = h('div', { id: 'overview' });
  const picker = rangePicker((r) => loadInto(body, 'the report', () => report(program, r, names)));
  await loadInto(body, 'the report', () => report(program, picker.get(), names));
  return [picker.el, body];
}
