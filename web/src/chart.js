// The 30-day chart: clicks and conversions (left axis, counts) and commission (right axis, in the
// program's currency), drawn with uPlot. Days without activity are zeros, not gaps.
import uPlot from './uPlot.esm.js';
import { h, last30Days, majorUnits, emptyState } from './common.js';
import { daysOf } from './range.js';

export function dailyChart(report, currency) {
  const days = report.from && report.to ? daysOf(report.from, report.to) : last30Days(); // the report's period
  const byDay = new Map((report.data || []).map((r) => [r.day, r]));
  const xs = days.map((d) => Date.parse(d + 'T00:00:00Z') / 1000);
  const clicks = days.map((d) => byDay.get(d)?.clicks || 0);
  const convs = days.map((d) => byDay.get(d)?.conversions || 0);
  const comm = days.map((d) => majorUnits(byDay.get(d)?.commission || 0, currency));
  const box = h('div', { class: 'chart', 'data-chart': 'daily', role: 'img',
    'aria-label': `Clicks, conversions and commission per day from ${days[0]} to ${days[days.length - 1]}` });
  if (!clicks.some(Boolean) && !convs.some(Boolean)) {
    box.append(emptyState('No clicks in the last 30 days.', 'Share a tracking link: clicks and conversions appear here the moment they happen.'));
    return box;
  }
  const opts = {
    width: 800,
    height: 260,
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, n: { range: (u, min, max) => [0, Math.max(1, max) * 1.1] },
      m: { range: (u, min, max) => [0, Math.max(1, max) * 1.1] } },
    axes: [
      { stroke: '#5b6472', grid: { stroke: '#eef0f3' } },
      { scale: 'n', stroke: '#5b6472', grid: { stroke: '#eef0f3' } },
      { scale: 'm', side: 1, stroke: '#d9822b', grid: { show: false }, size: 78,
        values: (u, vals) => vals.map((v) => `${v.toLocaleString('en')} ${currency}`) },
    ],
    series: [
      { value: (u, v) => (v == null ? '' : new Date(v * 1000).toISOString().slice(0, 10)) },
      { label: 'Clicks', scale: 'n', stroke: '#2f6fdb', width: 2, fill: 'rgba(47,111,219,0.08)' },
      { label: 'Conversions', scale: 'n', stroke: '#1c9a6c', width: 2 },
      { label: `Commission (${currency})`, scale: 'm', stroke: '#d9822b', width: 2, dash: [6, 4],
        value: (u, v) => (v == null ? '' : v.toFixed(2)) },
    ],
  };
  const plot = new uPlot(opts, [xs, clicks, convs, comm], box);
  const fit = () => {
    const w = Math.max(280, box.clientWidth);
    if (w !== plot.width) plot.setSize({ width: w, height: 260 });
  };
  requestAnimationFrame(fit);
  window.addEventListener('resize', fit);
  return box;
}
